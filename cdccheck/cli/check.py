"""``check``, ``replay`` and ``export``: events from corpus files or a stream range."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cdccheck.cli.app import app
from cdccheck.cli.common import (
    EventOptions,
    Output,
    build_engine,
    errors_to_exit_codes,
    note,
    report_run,
)
from cdccheck.cli.jobs import JobsOption, check_run_jobs, jobs_wanted, replay_run
from cdccheck.cli.options import (
    BatchOption,
    CountOption,
    EncodingOption,
    EndOption,
    EventsOutOption,
    FailOn,
    FailOnOption,
    FormatOption,
    Layout,
    LayoutOption,
    LegacyOption,
    NewOption,
    OpFieldOption,
    PayloadFieldOption,
    QuietOption,
    RedisUrlOption,
    ReportFormat,
    ReportOption,
    SamplesOption,
    ShowValuesOption,
    StartOption,
    StreamOption,
    WriterFieldOption,
    env_option,
)

if TYPE_CHECKING:
    from cdccheck.sources.redis_range import RedisRange


@app.command()
@errors_to_exit_codes
def check(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE",
            help="Corpus files (JSON Lines, as `cdccheck export` writes them).",
            show_default=False,
        ),
    ],
    legacy: LegacyOption = None,
    new: NewOption = None,
    payload_field: PayloadFieldOption = "payload",
    op_field: OpFieldOption = "op",
    writer_field: WriterFieldOption = "writer",
    layout: LayoutOption = Layout.default,
    encoding: EncodingOption = None,
    output_format: FormatOption = ReportFormat.table,
    report: ReportOption = None,
    events_out: EventsOutOption = None,
    fail_on: FailOnOption = FailOn.any,
    samples: SamplesOption = 5,
    show_values: ShowValuesOption = False,
    quiet: QuietOption = False,
    jobs: JobsOption = 1,
) -> None:
    """Check the events in corpus files under the legacy and the new schema.

    Example:

    \b
        cdccheck check events.jsonl --legacy legacy.json --new new.json \\
            --format markdown

    Exit codes: 0 clean, 1 findings counted by --fail-on, 2 usage or schema
    error, 3 unreadable file.
    """
    from cdccheck.report.run import check_corpus

    workers = jobs_wanted(jobs)
    events = EventOptions(payload_field, op_field, writer_field, layout, encoding)
    engine = build_engine(legacy, new, events)
    if workers > 1:
        run = check_run_jobs(
            files,
            engine,
            workers,
            legacy=legacy,
            new=new,
            events=events,
            samples=samples,
            show_values=show_values,
            events_out=events_out,
        )
    else:
        run = functools.partial(
            check_corpus,
            files,
            engine,
            samples=samples,
            show_values=show_values,
            events_out=events_out,
        )
    output = Output(output_format, report, fail_on, quiet)
    raise typer.Exit(report_run(run, total=None, output=output))


def open_range(
    url: str, stream: str, start: str | None, end: str | None, count: int | None, batch_size: int
) -> RedisRange:
    """A RedisRange, connected and checked (SourceError when it cannot be read)."""
    from cdccheck.sources.redis_range import RedisRange

    source = RedisRange(url, stream, start=start, end=end, count=count, batch_size=batch_size)
    source.open()
    return source


@app.command()
@errors_to_exit_codes
def replay(
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    stream: StreamOption = ...,  # type: ignore[assignment]
    start: StartOption = None,
    end: EndOption = None,
    count: CountOption = None,
    batch_size: BatchOption = 1000,
    legacy: LegacyOption = None,
    new: NewOption = None,
    payload_field: PayloadFieldOption = "payload",
    op_field: OpFieldOption = "op",
    writer_field: WriterFieldOption = "writer",
    layout: LayoutOption = Layout.default,
    encoding: EncodingOption = None,
    output_format: FormatOption = ReportFormat.table,
    report: ReportOption = None,
    events_out: EventsOutOption = None,
    fail_on: FailOnOption = FailOn.any,
    samples: SamplesOption = 5,
    show_values: ShowValuesOption = False,
    quiet: QuietOption = False,
    jobs: JobsOption = 1,
) -> None:
    """Replay a range of a Redis stream through both schemas and report.

    Reads with XRANGE in batches (constant memory); both ends are inclusive.
    A connection drop is retried with backoff; if Redis stays away the run
    stops with exit 3, writes what it checked so far, and says the id to
    resume from with --start.

    Example:

    \b
        cdccheck replay --redis-url redis://localhost:6379/0 --stream comments:cdc \\
            --start 2026-01-28T00:00:00Z --count 100000 --report report.json

    Exit codes: 0 clean, 1 findings counted by --fail-on, 2 usage or schema
    error, 3 Redis unreachable or stream missing.
    """
    from cdccheck.report.run import check_run, range_source

    workers = jobs_wanted(jobs, count=count)
    events = EventOptions(payload_field, op_field, writer_field, layout, encoding)
    engine = build_engine(legacy, new, events)
    with open_range(redis_url, stream, start, end, count, batch_size) as source:
        if workers > 1:
            run = replay_run(
                source,
                engine,
                workers,
                legacy=legacy,
                new=new,
                events=events,
                samples=samples,
                show_values=show_values,
                events_out=events_out,
            )
        else:
            run = functools.partial(
                check_run,
                source.batches(),
                engine,
                source=range_source(source),
                samples=samples,
                show_values=show_values,
                events_out=events_out,
            )
        output = Output(output_format, report, fail_on, quiet)
        code = report_run(run, total=source.total(), output=output)
    raise typer.Exit(code)


@app.command()
@errors_to_exit_codes
def export(
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    stream: StreamOption = ...,  # type: ignore[assignment]
    out: Annotated[
        Path,
        env_option("--out", "-o", help="Corpus file to write (atomically).", show_default=False),
    ] = ...,  # type: ignore[assignment]
    start: StartOption = None,
    end: EndOption = None,
    count: CountOption = None,
    batch_size: BatchOption = 1000,
    quiet: QuietOption = False,
) -> None:
    """Export a stream range to a corpus file, raw bytes kept exactly.

    The corpus (JSON Lines, one entry per line) is what `cdccheck check` and
    `cdccheck gate --corpus` read; malformed payloads survive byte for byte.

    Example:

    \b
        cdccheck export --redis-url redis://localhost:6379/0 --stream comments:cdc \\
            --count 10000 --out corpus.jsonl
    """
    from cdccheck.sources.corpus import write_corpus

    with open_range(redis_url, stream, start, end, count, batch_size) as source:
        written = write_corpus(out, source)
    note(f"exported {written:,} entries of {source.stream!r} to {out}", quiet=quiet)
