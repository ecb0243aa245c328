"""The vendor MIME type a palette drag carries: JSON {"kind", "size", "activation", "label"}."""
PALETTE_MIME = "application/x-backprop-studio-node"
