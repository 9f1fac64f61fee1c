"""The ``cdccheck`` command line: a thin typer shell over the library."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="cdccheck",
    help="Check that CDC events stay decodable under a legacy and a new schema.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Check that CDC events stay decodable under a legacy and a new schema."""


def main() -> None:
    """Console-script entry point."""
    app()
