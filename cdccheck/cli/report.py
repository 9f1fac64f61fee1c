"""``report``: render or merge JSON reports, or show a consumer group's fleet summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
from cdccheck.errors import ConfigError

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
    """Render a JSON report (check, replay, consume or compare) as a table, Markdown, JUnit or HTML.

    --format html also draws a gate result (`cdccheck gate --format json`).

    Example:

    \b
        cdccheck report render report.json --format junit -o junit.xml
        cdccheck report render report.json --format html -o report.html
    """
    from cdccheck.compare import is_compare_report

    if output_format is ReportFormat.html:
        from cdccheck.report.html import load_document

        print_or_write(load_document(report_file), output_format, output)
        return
    report = load_any_report(report_file)
    if is_compare_report(report):
        from cdccheck.cli.compare import print_or_write_compare

        print_or_write_compare(report, output_format, output)
        return
    print_or_write(report, output_format, output)


@report_app.command("merge")
@errors_to_exit_codes
def report_merge(
    report_files: Annotated[
        list[Path],
        typer.Argument(
            metavar="REPORT.json...",
            help="Reports to merge: check reports with the same schemas, or compare reports "
            "with the same key, entity and ignores.",
        ),
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
    from cdccheck.compare import is_compare_report
    from cdccheck.files import write_atomic
    from cdccheck.report.json import merge_reports, render_json

    reports = [load_any_report(path) for path in report_files]
    compared = [
        path
        for path, report in zip(report_files, reports, strict=True)
        if is_compare_report(report)
    ]
    if compared and len(compared) < len(reports):
        checked = next(path for path in report_files if path not in compared)
        raise ConfigError(
            f"cannot merge the compare report {compared[0]} with the check report {checked}: "
            "merge compare reports with compare reports only"
        )
    if compared:
        from cdccheck.cli.compare import render_compare_for_stdout
        from cdccheck.compare import merge_compare_reports
        from cdccheck.compare.report import render_json as render_compare_json

        merged = merge_compare_reports(reports, samples=samples)
        if output is not None:
            write_atomic(output, render_compare_json(merged))
        else:
            typer.echo(render_compare_for_stdout(merged, output_format), nl=False)
        return
    merged = merge_reports(reports, samples=samples)
    if output is not None:
        # The file is always the JSON report, whatever --format says for stdout.
        write_atomic(output, render_json(merged))
        return
    typer.echo(render_for_stdout(merged, output_format), nl=False)


def load_any_report(path: Path) -> dict[str, Any]:
    """A check report or a compare report, whichever ``path`` holds (ConfigError if neither)."""
    import json

    from cdccheck.compare import is_compare_report, load_compare_report
    from cdccheck.report.json import load_report

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        document = None  # load_report says what is wrong with it
    if is_compare_report(document):
        return load_compare_report(path)
    return load_report(path)
