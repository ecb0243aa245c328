"""gui/shell."""
