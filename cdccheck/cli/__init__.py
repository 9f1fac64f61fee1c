"""The ``cdccheck`` command line: a thin typer shell over the library (docs/cli.md).

Each command parses its options, calls one library function, renders the
result and returns an exit code; errors become exit codes in one place,
:func:`cdccheck.cli.common.errors_to_exit_codes`.

Layout: ``app.py`` holds the typer application; ``options.py`` the shared
option vocabulary; ``common.py`` the shared plumbing; one module per command
family registers its commands on ``app`` when imported here. A new family
(``cli/schema.py``, ``cli/compare.py``, ...) is one more import below; the
import order is the order of ``cdccheck --help``.
"""

from cdccheck.cli.app import app

# Importing a command module registers its commands, in this order in --help
# (typer lists command groups such as `report` after the plain commands).
# isort: off
from cdccheck.cli import check  # check, replay, export
from cdccheck.cli import compare
from cdccheck.cli import demo
from cdccheck.cli import consume
from cdccheck.cli import gate
from cdccheck.cli import report  # report, report render, report merge
from cdccheck.cli import schema  # schema derive, schema infer
from cdccheck.cli import show
# isort: on

__all__ = [
    "app",
    "check",
    "compare",
    "consume",
    "demo",
    "gate",
    "main",
    "report",
    "schema",
    "show",
]


def main() -> None:
    """Console-script entry point (``cdccheck``, ``python -m cdccheck``)."""
    app()
