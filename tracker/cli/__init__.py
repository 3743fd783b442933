"""Command-line interface: one module per command group; wiring only."""
