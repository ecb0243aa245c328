"""gui/core."""
