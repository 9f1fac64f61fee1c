"""``gate``: fail CI when a schema change would break legacy or new readers (docs/gate.md)."""

from __future__ import annotations

import dataclasses
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cdccheck.cli.app import app
from cdccheck.cli.common import (
    GROUPED_EVENTS,
    EventOptions,
    engine_for,
    errors_to_exit_codes,
    grouped_options,
    note,
)
from cdccheck.cli.options import (
    AllowRefPathOption,
    FailOn,
    GateFormat,
    PythonPathOption,
    env_option,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cdccheck.engine.schema import Schema
    from cdccheck.gate import CorpusCheck

_GATE_EXAMPLES = """\
Examples:

  cdccheck gate --legacy schemas/comment/legacy.json --new schemas/comment/new.json

  cdccheck gate --legacy py:consumers.events:CommentEvent --new go:./comment-svc/events:Event

  cdccheck gate --against origin/main --format github

  cdccheck gate --against origin/main go:./comment-svc/events:Event
"""


class GateMode(StrEnum):
    """Which breaks fail the gate."""

    backward = "backward"
    forward = "forward"
    full = "full"


@app.command("gate", epilog=_GATE_EXAMPLES)
@errors_to_exit_codes
@grouped_options
def gate_command(
    *,
    context: typer.Context,
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[SCHEMA_PATH]...",
            help="Schema files, directories or references to code (go:PATH:Type, "
            "py:module:Name) to compare with --against (default: schemas/).",
            show_default=False,
        ),
    ] = None,
    legacy: Annotated[
        str | None,
        env_option(
            "--legacy",
            metavar="SCHEMA",
            help="Legacy schema: a JSON Schema file, or a type in code (go:PATH:Type, "
            "py:module:Name).",
        ),
    ] = None,
    new: Annotated[
        str | None,
        env_option(
            "--new",
            metavar="SCHEMA",
            help="New schema: a JSON Schema file, or a type in code (go:PATH:Type, "
            "py:module:Name).",
        ),
    ] = None,
    python_path: PythonPathOption = None,
    mode: Annotated[
        GateMode | None,
        env_option(
            "--mode",
            help="Which breaks fail the gate (default: full, from config if set).",
            show_default=False,
        ),
    ] = None,
    against: Annotated[
        str | None,
        env_option(
            "--against",
            metavar="GIT_REF",
            help="Compare every schema file (or reference to code, derived there) with its "
            "version at this git ref.",
        ),
    ] = None,
    corpus: Annotated[
        list[str] | None,
        env_option(
            "--corpus",
            metavar="FILE",
            help="Corpus file to replay through the check engine (repeatable; "
            "gzip or zstd compressed too).",
        ),
    ] = None,
    events: EventOptions = GROUPED_EVENTS,
    allow_ref_path: AllowRefPathOption = None,
    fmt: Annotated[
        GateFormat,
        env_option("--format", "-f", help="Output format."),
    ] = GateFormat.text,
    verbose: Annotated[
        bool,
        env_option("--verbose", "-v", help="Text: list harmless changes too."),
    ] = False,
    report: Annotated[
        Path | None,
        env_option(
            "--report",
            metavar="PATH",
            help="Write the --format output here (atomically); stdout gets the text summary.",
        ),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        env_option(
            "--fail-on",
            help="Corpus findings that fail the gate (default: any).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Fail CI when a schema change would break legacy or new readers.

    Compares the legacy and new JSON Schemas in both directions (backward: new
    reads legacy data; forward: legacy reads new data) and shows, for each
    break, an instance one schema accepts and the other rejects. A schema may
    be derived from code: go:PATH:Type (what the Go writer marshals),
    py:module:Name (what the Python reader decodes); a pydantic model is
    compared through its widened schema (warnings say where), a reader
    function is refused (it has no schema). Exit 0
    compatible and clean, 1 breaking change or corpus findings, 2 usage or
    configuration error, 3 corpus file unreadable, 4 internal error.
    The event options (--payload-field ... --encoding) say how to read the
    --corpus events, as for `cdccheck check`.
    """
    from cdccheck.files import write_atomic
    from cdccheck.gate import load_config, resolve_request, run_gate
    from cdccheck.gate.render import render

    if against is not None and _from_environment(context, "legacy", "new"):
        # CDCCHECK_LEGACY/NEW serve `check` too; an explicit --against wins over them.
        legacy = new = None
    request = resolve_request(
        load_config(),
        legacy=legacy,
        new=new,
        against=against,
        paths=paths or (),
        mode=mode.value if mode else None,
        corpus=corpus or (),
        fail_on=fail_on.value if fail_on else None,
        python_path=[str(p) for p in python_path or ()],
    )
    # Where `$ref` may read is a schema option (SchemaOptions in the other commands).
    request = dataclasses.replace(request, allow_ref_paths=tuple(allow_ref_path or ()))
    events.bounds.apply_pattern_timeout()  # the witness checks search patterns too
    result = run_gate(request, corpus_check=corpus_check(events))
    _say_widened(result)
    output = render(result, fmt.value, verbose=verbose)
    if report is not None:
        write_atomic(report, output)
        output = render(result, GateFormat.text.value, verbose=verbose)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if fmt is GateFormat.github and summary_file:
        _append_step_summary(result, summary_file)
    typer.echo(output, nl=False)
    raise typer.Exit(result.exit_code)


def corpus_check(events: EventOptions) -> CorpusCheck:
    """The gate's ``corpus_check``: corpus files -> the check report, read with ``events``."""

    def check(paths: Sequence[str], legacy: Schema, new: Schema) -> dict[str, Any]:
        from cdccheck.report.run import check_corpus

        return check_corpus(paths, engine_for(legacy, new, events)).report

    return check


def _say_widened(result: Any) -> None:
    """Where a schema derived from code is wider than the code: once each, on stderr."""
    said: set[str] = set()
    for compared in result.schemas:
        for schema in (compared.legacy_schema, compared.new_schema):
            for warning in schema.warnings if schema is not None else ():
                if warning not in said:
                    said.add(warning)
                    note(f"cdccheck: warning: {warning}")


def _append_step_summary(result: Any, path: str) -> None:
    from cdccheck.errors import ConfigError
    from cdccheck.gate.render import append_step_summary

    try:
        append_step_summary(result, path)
    except OSError as exc:
        raise ConfigError(f"cannot write {exc.filename}: {exc.strerror}") from None


def _from_environment(context: typer.Context, *names: str) -> bool:
    sources = (context.get_parameter_source(name) for name in names)
    return any(source is not None and source.name == "ENVIRONMENT" for source in sources)
