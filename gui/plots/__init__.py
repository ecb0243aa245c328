"""gui/plots."""
