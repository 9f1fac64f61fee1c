"""``report``: render or merge JSON reports, or show a consumer group's fleet summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cdccheck.cli.app import app
from cdccheck.cli.common import errors_to_exit_codes, print_or_write, render_for_stdout
from cdccheck.cli.options import (
    FormatOption,
    GroupOption,
    RedisUrlOption,
    ReportFormat,
    SamplesOption,
    StreamsOption,
)

# Its help is report_fleet's docstring: the bare `report` shows a fleet summary.
report_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
app.add_typer(report_app, name="report")

OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write here (atomically) instead of stdout.", show_default=False
    ),
]


@report_app.callback(invoke_without_command=True)
@errors_to_exit_codes
def report_fleet(
    ctx: typer.Context,
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    stream: StreamsOption = None,
    group: GroupOption = "cdccheck",
    output_format: FormatOption = ReportFormat.table,
    output: OutputOption = None,
) -> None:
    """Render or merge JSON reports, or show a consumer group's fleet summary.

    With --stream (and no subcommand): the fleet-wide summary of every
    sidecar in --group, read from Redis, in any format.

    Example:

    \b
        cdccheck report --redis-url redis://redis:6379/0 --stream comments:cdc \\
            --group cdccheck --format markdown
        cdccheck report render report.json --format junit -o junit.xml
    """
    if ctx.invoked_subcommand is not None:
        return
    if not stream:
        typer.echo(ctx.get_help())
        typer.echo("\ncdccheck: error: pass --stream KEY for a fleet summary", err=True)
        raise typer.Exit(2)
    from cdccheck.sidecar import fleet_report

    print_or_write(fleet_report(redis_url, list(stream), group), output_format, output)


@report_app.command("render")
@errors_to_exit_codes
def report_render(
    report_file: Annotated[
        Path, typer.Argument(metavar="REPORT.json", help="A JSON report written by --report.")
    ],
    output_format: FormatOption = ReportFormat.table,
    output: OutputOption = None,
) -> None:
    """Render a JSON report as a table, Markdown, JUnit XML or one HTML page.

    --format html also draws a gate result (`cdccheck gate --format json`) or
    a compare report.

    Example:

    \b
        cdccheck report render report.json --format junit -o junit.xml
        cdccheck report render report.json --format html -o report.html
    """
    from cdccheck.report.json import load_report

    if output_format is ReportFormat.html:
        from cdccheck.report.html import load_document

        print_or_write(load_document(report_file), output_format, output)
        return
    print_or_write(load_report(report_file), output_format, output)


@report_app.command("merge")
@errors_to_exit_codes
def report_merge(
    report_files: Annotated[
        list[Path],
        typer.Argument(metavar="REPORT.json...", help="Reports to merge (same schemas)."),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the merged JSON report here (atomically).",
            show_default=False,
        ),
    ] = None,
    output_format: FormatOption = ReportFormat.json,
    samples: SamplesOption = 5,
) -> None:
    """Merge reports (for example one per sidecar) into one: counters add up, samples stay bounded.

    Example:

    \b
        cdccheck report merge a.json b.json -o fleet.json
    """
    from cdccheck.files import write_atomic
    from cdccheck.report.json import load_report, merge_reports, render_json

    merged = merge_reports([load_report(path) for path in report_files], samples=samples)
    if output is not None:
        # The file is always the JSON report, whatever --format says for stdout.
        write_atomic(output, render_json(merged))
        return
    typer.echo(render_for_stdout(merged, output_format), nl=False)
