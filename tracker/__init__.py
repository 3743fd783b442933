"""tracker: streaming content-performance tracker for KOL marketing."""

__version__ = "0.1.0"
