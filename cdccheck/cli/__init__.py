"""The ``cdccheck`` command line (being split into one module per command family)."""

from cdccheck.cli.common import app, main

__all__ = ["app", "main"]
