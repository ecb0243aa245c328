"""gui/training."""
