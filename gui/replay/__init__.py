"""gui/replay."""
