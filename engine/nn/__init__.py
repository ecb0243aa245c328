"""engine/nn."""
