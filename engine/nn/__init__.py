"""engine/nn: the network compiled from a Graph.

activations, losses   each formula once: forward, derivative and the compiled step's kernel,
                      for exactly the names engine.model.vocabulary allows
network               parameters, forward, backward (through buffers and step_code)
trace                 the reference pass, step by step, as data
gradcheck             the one finite-difference checker
"""
