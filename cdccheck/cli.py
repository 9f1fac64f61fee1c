"""The ``cdccheck`` command line: a thin typer shell over the library."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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


# ---- gate --------------------------------------------------------------------------------
# Kept as one block at the end of the file: the gate branch adds only this.

_GATE_EXAMPLES = """\
Examples:

  cdccheck gate --legacy schemas/comment/legacy.json --new schemas/comment/new.json

  cdccheck gate --against origin/main --format github
"""


class _GateMode(StrEnum):
    BACKWARD = "backward"
    FORWARD = "forward"
    FULL = "full"


class _GateFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"
    SARIF = "sarif"
    GITHUB = "github"


class _FailOn(StrEnum):
    ANY = "any"
    LEGACY = "legacy"
    NEW = "new"
    NONE = "none"


def _gate_corpus_check() -> Any:
    """The check engine for `gate --corpus`; None until the engine is wired in."""
    return None


@app.command("gate", epilog=_GATE_EXAMPLES)
def gate_command(
    *,
    context: typer.Context,
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[SCHEMA_PATH]...",
            help="Schema files or directories to compare with --against (default: schemas/).",
            show_default=False,
        ),
    ] = None,
    legacy: Annotated[
        str | None,
        typer.Option(
            "--legacy", envvar="CDCCHECK_LEGACY", metavar="PATH", help="Legacy schema file."
        ),
    ] = None,
    new: Annotated[
        str | None,
        typer.Option("--new", envvar="CDCCHECK_NEW", metavar="PATH", help="New schema file."),
    ] = None,
    mode: Annotated[
        _GateMode | None,
        typer.Option(
            "--mode",
            envvar="CDCCHECK_MODE",
            help="Which breaks fail the gate (default: full, from config if set).",
            show_default=False,
        ),
    ] = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            envvar="CDCCHECK_AGAINST",
            metavar="GIT_REF",
            help="Compare every schema file with its version at this git ref.",
        ),
    ] = None,
    corpus: Annotated[
        list[str] | None,
        typer.Option(
            "--corpus",
            envvar="CDCCHECK_CORPUS",
            metavar="FILE",
            help="Corpus file to replay through the check engine (repeatable).",
        ),
    ] = None,
    fmt: Annotated[
        _GateFormat,
        typer.Option("--format", envvar="CDCCHECK_FORMAT", help="Output format."),
    ] = _GateFormat.TEXT,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            envvar="CDCCHECK_REPORT",
            metavar="PATH",
            help="Write the --format output here (atomically); stdout gets the text summary.",
        ),
    ] = None,
    fail_on: Annotated[
        _FailOn | None,
        typer.Option(
            "--fail-on",
            envvar="CDCCHECK_FAIL_ON",
            help="Corpus findings that fail the gate (default: any).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Fail CI when a schema change would break legacy or new readers.

    Compares the legacy and new JSON Schemas in both directions (backward: new
    reads legacy data; forward: legacy reads new data) and shows, for each
    break, an instance one schema accepts and the other rejects. Exit 0
    compatible and clean, 1 breaking change or corpus findings, 2 usage error.
    """
    import os

    from cdccheck.errors import CdccheckError
    from cdccheck.gate import load_config, resolve_request, run_gate
    from cdccheck.report.gate import append_step_summary, render, write_report

    if against is not None and _from_environment(context, "legacy", "new"):
        # CDCCHECK_LEGACY/NEW serve `check` too; an explicit --against wins over them.
        legacy = new = None
    try:
        request = resolve_request(
            load_config(),
            legacy=legacy,
            new=new,
            against=against,
            paths=paths or (),
            mode=mode.value if mode else None,
            corpus=corpus or (),
            fail_on=fail_on.value if fail_on else None,
        )
        result = run_gate(request, corpus_check=_gate_corpus_check())
        output = render(result, fmt.value)
        if report is not None:
            write_report(report, output)
            output = render(result, "text")
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if fmt is _GateFormat.GITHUB and summary_file:
            append_step_summary(result, summary_file)
    except CdccheckError as exc:
        typer.echo(f"cdccheck: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:
        typer.echo(f"cdccheck: error: cannot write {exc.filename}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(output, nl=False)
    raise typer.Exit(result.exit_code)


def _from_environment(context: typer.Context, *names: str) -> bool:
    sources = (context.get_parameter_source(name) for name in names)
    return any(source is not None and source.name == "ENVIRONMENT" for source in sources)
