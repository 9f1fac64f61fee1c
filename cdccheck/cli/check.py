"""``check``, ``replay`` and ``export``: events from corpus files or a stream range."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cdccheck.cli.app import app
from cdccheck.cli.common import (
    GROUPED_EVENTS,
    GROUPED_SCHEMAS,
    EventOptions,
    Output,
    SchemaOptions,
    bucket_width,
    build_engine,
    errors_to_exit_codes,
    given,
    grouped_options,
    note,
    report_run,
)
from cdccheck.cli.jobs import JobsOption, jobs_wanted, parallel_run
from cdccheck.cli.options import (
    BatchOption,
    BucketOption,
    CountOption,
    EndOption,
    EventsOutOption,
    FailOn,
    FailOnOption,
    FormatOption,
    LegacyOption,
    NewOption,
    QuietOption,
    RedisUrlOption,
    ReportFormat,
    ReportOption,
    SamplesOption,
    ShowValuesOption,
    StartOption,
    StreamOption,
    env_option,
)

if TYPE_CHECKING:
    from cdccheck.sources.redis_range import RedisRange


@app.command()
@errors_to_exit_codes
@grouped_options
def check(
    context: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[FILE]...",
            help="Corpus files (JSON Lines, as `cdccheck export` writes them; "
            "gzip or zstd compressed too).",
            show_default=False,
        ),
    ] = None,
    payloads: Annotated[
        list[Path] | None,
        env_option(
            "--payloads",
            metavar="PATH",
            help="Bare payloads: a file with one JSON payload per line (MessagePack objects "
            "one after the other when named *.msgpack), or a directory of golden files, "
            "one payload per file. Repeatable.",
            show_default=False,
        ),
    ] = None,
    legacy: LegacyOption = None,
    new: NewOption = None,
    schemas: SchemaOptions = GROUPED_SCHEMAS,
    events: EventOptions = GROUPED_EVENTS,
    output_format: FormatOption = ReportFormat.table,
    report: ReportOption = None,
    events_out: EventsOutOption = None,
    fail_on: FailOnOption = FailOn.any,
    samples: SamplesOption = 5,
    show_values: ShowValuesOption = False,
    bucket: BucketOption = None,
    quiet: QuietOption = False,
    jobs: JobsOption = 1,
) -> None:
    """Check the events in corpus files, or bare payloads, under the legacy and the new schema.

    Bare payloads (--payloads) are what a service's tests write: each one is
    checked as if it were an entry of the stream, with an id 0-N; the report
    names the file each sample came from.

    Example:

    \b
        cdccheck check events.jsonl --legacy legacy.json --new new.json \\
            --format markdown
        cdccheck check events.jsonl --format html > report.html
        cdccheck check --payloads testdata/ --legacy legacy.json --new new.json

    Exit codes: 0 clean, 1 findings counted by --fail-on, 2 usage or schema
    error, 3 unreadable file, 5 no entry at all (unless --fail-on none).
    """
    from cdccheck.errors import ConfigError
    from cdccheck.report.run import check_corpus

    corpora, bare = list(files or []), list(payloads or [])
    if not corpora and not bare:
        raise ConfigError("nothing to check: pass corpus FILEs or --payloads PATH")
    workers = jobs_wanted(jobs)
    if workers > 1 and bare:
        raise ConfigError("--payloads is checked by one process: leave out --jobs")
    bucket_s = bucket_width(bucket)
    engine = build_engine(legacy, new, events, schemas)
    if workers > 1:
        run = parallel_run(
            corpora,
            engine,
            workers,
            legacy=legacy,
            new=new,
            events=events,
            schemas=schemas,
            samples=samples,
            show_values=show_values,
            events_out=events_out,
            bucket_s=bucket_s,
        )
    else:
        run = functools.partial(
            check_corpus,
            corpora,
            engine,
            payloads=bare,
            samples=samples,
            show_values=show_values,
            events_out=events_out,
            bucket_s=bucket_s,
        )
    output = Output(output_format, report, fail_on, quiet, given(context, "output_format"))
    inputs = [f"corpus {', '.join(map(str, corpora))}"] if corpora else []
    inputs += [f"payloads {', '.join(map(str, bare))}"] if bare else []
    code = report_run(
        run,
        total=None,
        output=output,
        empty=lambda: f"no entry in {' or '.join(inputs)}: nothing checked",
    )
    raise typer.Exit(code)


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
@grouped_options
def replay(
    context: typer.Context,
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    stream: StreamOption = ...,  # type: ignore[assignment]
    start: StartOption = None,
    end: EndOption = None,
    count: CountOption = None,
    batch_size: BatchOption = 1000,
    legacy: LegacyOption = None,
    new: NewOption = None,
    schemas: SchemaOptions = GROUPED_SCHEMAS,
    events: EventOptions = GROUPED_EVENTS,
    output_format: FormatOption = ReportFormat.table,
    report: ReportOption = None,
    events_out: EventsOutOption = None,
    fail_on: FailOnOption = FailOn.any,
    samples: SamplesOption = 5,
    show_values: ShowValuesOption = False,
    bucket: BucketOption = None,
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
            --legacy legacy.json --new new.json \\
            --start 2026-01-28T00:00:00Z --count 100000 --report report.json

    Exit codes: 0 clean, 1 findings counted by --fail-on, 2 usage or schema
    error (--start after --end too), 3 Redis unreachable or stream missing,
    5 no entry in the range (unless --fail-on none).
    """
    from cdccheck.report.run import check_run, range_source

    workers = jobs_wanted(jobs, count=count)
    bucket_s = bucket_width(bucket)
    engine = build_engine(legacy, new, events, schemas)
    with open_range(redis_url, stream, start, end, count, batch_size) as source:
        if workers > 1:
            run = parallel_run(
                source,
                engine,
                workers,
                legacy=legacy,
                new=new,
                events=events,
                schemas=schemas,
                samples=samples,
                show_values=show_values,
                events_out=events_out,
                bucket_s=bucket_s,
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
                bucket_s=bucket_s,
            )
        output = Output(output_format, report, fail_on, quiet, given(context, "output_format"))
        code = report_run(run, total=source.total(), output=output, empty=source.empty_message)
    raise typer.Exit(code)


@app.command()
@errors_to_exit_codes
def export(
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    stream: StreamOption = ...,  # type: ignore[assignment]
    out: Annotated[
        Path,
        env_option(
            "--out",
            "-o",
            help="Corpus file to write (atomically); .gz or .zst compresses it.",
            show_default=False,
        ),
    ] = ...,  # type: ignore[assignment]
    start: StartOption = None,
    end: EndOption = None,
    count: CountOption = None,
    batch_size: BatchOption = 1000,
    quiet: Annotated[
        bool, env_option("--quiet", "-q", help="Do not print the 'exported N entries' line.")
    ] = False,
) -> None:
    """Export a stream range to a corpus file, raw bytes kept exactly.

    The corpus (JSON Lines, one entry per line) is what `cdccheck check` and
    `cdccheck gate --corpus` read; malformed payloads survive byte for byte.
    A name ending in .gz or .zst writes it gzip or zstd compressed.

    Example:

    \b
        cdccheck export --redis-url redis://localhost:6379/0 --stream comments:cdc \\
            --count 10000 --out corpus.jsonl
    """
    from cdccheck.sources.corpus import write_corpus

    with open_range(redis_url, stream, start, end, count, batch_size) as source:
        written = write_corpus(out, source)
        empty = source.empty_message() if written == 0 else None
    note(f"exported {written:,} entries of {source.stream!r} to {out}", quiet=quiet)
    if empty is not None:
        # export has no --fail-on: `check` of this corpus exits 5; say why here already.
        typer.echo(f"cdccheck: warning: {empty}", err=True)
