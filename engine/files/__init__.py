"""engine/files: reading and writing files safely, below everything that has a file format.

atomic        write to a temporary file beside the target, then rename
regular_file  open only regular files (never a FIFO, device or folder), with a size cap
json_text     parse JSON text into plain data, turning every failure into one error
"""
