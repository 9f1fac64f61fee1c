"""The typer application every command module registers on.

A command family lives in its own module under ``cdccheck/cli/`` and
registers with this object, wrapped by the one exit-code decorator::

    from cdccheck.cli.app import app
    from cdccheck.cli.common import errors_to_exit_codes

    @app.command()
    @errors_to_exit_codes
    def compare(...) -> None:
        ...

and ``cdccheck/cli/__init__.py`` imports the module, which is what registers
it (the import order is the order of ``cdccheck --help``).
"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="cdccheck",
    help=(
        "Check that change-data-capture events stay decodable under a legacy and a new "
        "serialization schema.\n\n"
        "Example: cdccheck check events.jsonl --legacy schemas/comment/legacy.json "
        "--new schemas/comment/new.json"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from cdccheck import __version__

        typer.echo(f"cdccheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Check that CDC events stay decodable under a legacy and a new schema."""
