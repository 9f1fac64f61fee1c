"""The ``cdccheck`` command line: a thin typer shell over the library.

Each command parses its options, calls one library function, renders the
result and returns an exit code. Library errors become exit codes in one
place (``_errors_to_exit_codes``): 2 for usage and configuration, 3 for an
unreachable source; 1 means findings that ``--fail-on`` counts.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from cdccheck.check import Engine
    from cdccheck.model import Entry
    from cdccheck.summary import Summary

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
# Its help is report_fleet's docstring: the bare `report` shows a fleet summary.
report_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
app.add_typer(report_app, name="report")

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    junit = "junit"


class FailOn(StrEnum):
    any = "any"
    legacy = "legacy"
    new = "new"
    none = "none"


class Layout(StrEnum):
    default = "default"
    debezium = "debezium"


class Encoding(StrEnum):
    json = "json"
    msgpack = "msgpack"


def _env(option: str) -> str:
    return "CDCCHECK_" + option.upper().replace("-", "_")


def _option(flag: str, *names: str, **settings: Any) -> Any:
    """A typer option that also reads ``CDCCHECK_<OPTION>`` from the environment."""
    return typer.Option(flag, *names, envvar=_env(flag.lstrip("-")), **settings)


# Options shared by every command that checks events. Each also reads CDCCHECK_<OPTION>.
LegacyOption = Annotated[
    Path | None,
    _option(
        "--legacy", help="Legacy schema (default: the bundled comment schema).", show_default=False
    ),
]
NewOption = Annotated[
    Path | None,
    _option("--new", help="New schema (default: the bundled comment schema).", show_default=False),
]
PayloadFieldOption = Annotated[
    str,
    _option("--payload-field", help="Entry field holding the payload."),
]
OpFieldOption = Annotated[
    str,
    _option("--op-field", help="Payload property naming the operation."),
]
WriterFieldOption = Annotated[
    str,
    _option("--writer-field", help="Entry field naming the writer."),
]
LayoutOption = Annotated[
    Layout,
    _option("--layout", help="Entry layout: default, or debezium (one field: key -> value)."),
]
EncodingOption = Annotated[
    Encoding | None,
    _option(
        "--encoding",
        help="Wire encoding when entries do not say "
        "(default: the schemas' x-cdccheck-encoding, else json).",
        show_default=False,
    ),
]
FormatOption = Annotated[
    OutputFormat,
    _option("--format", "-f", help="What to print on stdout."),
]
ReportOption = Annotated[
    Path | None,
    _option(
        "--report", help="Also write the JSON report to this file (atomically).", show_default=False
    ),
]
EventsOutOption = Annotated[
    Path | None,
    _option("--events-out", help="Write one JSON line per event to this file.", show_default=False),
]
FailOnOption = Annotated[
    FailOn,
    _option("--fail-on", help="Which findings make the exit code 1."),
]
SamplesOption = Annotated[
    int,
    _option("--samples", min=0, help="Samples kept per finding group."),
]
ShowValuesOption = Annotated[
    bool,
    _option(
        "--show-values", help="Put offending values in samples (default: type and length only)."
    ),
]
QuietOption = Annotated[
    bool,
    _option("--quiet", "-q", help="No progress display and no table when writing --report."),
]


# ---------------------------------------------------------------- plumbing


def _errors_to_exit_codes(command: F) -> F:
    """The one place where library errors become a message and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from cdccheck.errors import CdccheckError

        try:
            return command(*args, **kwargs)
        except CdccheckError as error:
            typer.echo(f"cdccheck: error: {error.message}", err=True)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("cdccheck: interrupted", err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


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


def build_engine(
    legacy: Path | None,
    new: Path | None,
    *,
    payload_field: str,
    op_field: str,
    writer_field: str,
    layout: Layout,
    encoding: Encoding | None,
) -> Engine:
    """Load both schemas (bundled ones by default) and build the engine."""
    from cdccheck.check import Engine
    from cdccheck.schema import bundled_schema_path, load_schema

    chosen = encoding.value if encoding else None
    legacy_schema = load_schema(
        legacy or bundled_schema_path("legacy"), name="legacy", encoding=chosen
    )
    new_schema = load_schema(new or bundled_schema_path("new"), name="new", encoding=chosen)
    return Engine(
        legacy_schema,
        new_schema,
        payload_field=payload_field,
        op_field=op_field,
        writer_field=writer_field,
        layout=layout.value,
    )


class Progress:
    """A rich progress line on stderr while events are checked; silent when not a TTY."""

    def __init__(self, *, total: int | None, quiet: bool, what: str = "events") -> None:
        self._enabled = not quiet and sys.stderr.isatty()
        self._progress: Any = None
        self._task: Any = None
        self._total = total
        self._what = what

    def __enter__(self) -> Progress:
        if self._enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            self._progress = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:>10} ev/s"),
                TextColumn("{task.fields[bad]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._what, total=self._total, rate="", bad="")
            self._started = time.perf_counter()
        return self

    def update(self, batch: list[Entry], summary: Summary) -> None:
        if self._progress is None:
            return
        done = summary.totals.events
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        bad = done - summary.totals.ok
        self._progress.update(
            self._task, completed=done, rate=f"{done / elapsed:,.0f}", bad=f"{bad:,} with findings"
        )

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def finish(
    summary: Summary,
    engine: Engine,
    *,
    source: dict[str, Any],
    started_at: datetime,
    started: float,
    output_format: OutputFormat,
    report: Path | None,
    fail_on: FailOn,
    quiet: bool,
) -> int:
    """Render the summary, write the report, and return the exit code."""
    from cdccheck.report import write_atomic
    from cdccheck.report.json import build_report, render_json, schema_info

    built = build_report(
        summary,
        source=source,
        schemas={"legacy": schema_info(engine.legacy), "new": schema_info(engine.new)},
        started_at=started_at,
        elapsed_s=time.perf_counter() - started,
    )
    if report is not None:
        write_atomic(report, render_json(built))
    if not (quiet and report is not None):
        typer.echo(_render_for_stdout(built, output_format), nl=False)
    return 1 if summary.counts_failures(fail_on.value) else 0


def _render_for_stdout(report: dict[str, Any], output_format: OutputFormat) -> str:
    from cdccheck.report import render

    if output_format is OutputFormat.table:
        import shutil

        tty = sys.stdout.isatty()
        width = shutil.get_terminal_size((80, 24)).columns if tty else 80
        return render(report, "table", color=tty, width=width)
    return render(report, output_format.value)


def run_checks(
    batches: Iterator[list[Entry]],
    engine: Engine,
    summary: Summary,
    *,
    events_out: Path | None,
    show_values: bool,
    progress: Progress,
) -> None:
    """The shared loop, with --events-out and the progress display."""
    from cdccheck.pipeline import EventsWriter, run

    if events_out is None:
        run(batches, engine, summary, on_batch=progress.update)
        return
    with EventsWriter(events_out, show_values=show_values) as writer:
        run(batches, engine, summary, sink=writer, on_batch=progress.update)


# ---------------------------------------------------------------- check


@app.command()
@_errors_to_exit_codes
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
    output_format: FormatOption = OutputFormat.table,
    report: ReportOption = None,
    events_out: EventsOutOption = None,
    fail_on: FailOnOption = FailOn.any,
    samples: SamplesOption = 5,
    show_values: ShowValuesOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check the events in corpus files under the legacy and the new schema.

    Example:

    \b
        cdccheck check events.jsonl --legacy legacy.json --new new.json \\
            --format markdown

    Exit codes: 0 clean, 1 findings counted by --fail-on, 2 usage or schema
    error, 3 unreadable file.
    """
    from cdccheck.sources.corpus import read_corpus
    from cdccheck.summary import Summary

    engine = build_engine(
        legacy,
        new,
        payload_field=payload_field,
        op_field=op_field,
        writer_field=writer_field,
        layout=layout,
        encoding=encoding,
    )
    summary = Summary(samples=samples, show_values=show_values)
    started_at, started = datetime.now(UTC), time.perf_counter()

    def batches() -> Iterator[list[Entry]]:
        for file in files:
            yield from read_corpus(file)

    with Progress(total=None, quiet=quiet) as progress:
        run_checks(
            batches(),
            engine,
            summary,
            events_out=events_out,
            show_values=show_values,
            progress=progress,
        )
    code = finish(
        summary,
        engine,
        source={"kind": "file", "files": [str(f) for f in files]},
        started_at=started_at,
        started=started,
        output_format=output_format,
        report=report,
        fail_on=fail_on,
        quiet=quiet,
    )
    raise typer.Exit(code)


# ---------------------------------------------------------------- Redis


RedisUrlOption = Annotated[
    str,
    _option(
        "--redis-url",
        help="redis:// or rediss:// URL; the password may also come from "
        "CDCCHECK_REDIS_PASSWORD. Never printed.",
    ),
]
StreamOption = Annotated[str, _option("--stream", help="Stream key.", show_default=False)]
StartOption = Annotated[
    str | None,
    _option(
        "--start",
        help="First entry (inclusive): stream id, epoch milliseconds or ISO-8601 time.",
        show_default=False,
    ),
]
EndOption = Annotated[
    str | None,
    _option(
        "--end",
        help="Last entry (inclusive): stream id, epoch milliseconds or ISO-8601 time.",
        show_default=False,
    ),
]
CountOption = Annotated[
    int | None,
    _option("--count", min=1, help="Read at most N entries.", show_default=False),
]
BatchOption = Annotated[int, _option("--batch-size", min=1, help="Entries per XRANGE.")]


def open_range(
    url: str, stream: str, start: str | None, end: str | None, count: int | None, batch_size: int
) -> Any:
    """A RedisRange, connected and checked (SourceError when it cannot be read)."""
    from cdccheck.sources.redis_range import RedisRange

    source = RedisRange(url, stream, start=start, end=end, count=count, batch_size=batch_size)
    source.open()
    return source


def range_description(source: Any) -> dict[str, Any]:
    from cdccheck.sources.redis_range import redact_url

    return {
        "kind": "redis",
        "stream": source.stream,
        "url": redact_url(source.url),
        "start": source.start_id,
        "end": source.end_id,
    }


@app.command()
@_errors_to_exit_codes
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
    output_format: FormatOption = OutputFormat.table,
    report: ReportOption = None,
    events_out: EventsOutOption = None,
    fail_on: FailOnOption = FailOn.any,
    samples: SamplesOption = 5,
    show_values: ShowValuesOption = False,
    quiet: QuietOption = False,
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
    from cdccheck.errors import SourceInterrupted
    from cdccheck.summary import Summary

    engine = build_engine(
        legacy,
        new,
        payload_field=payload_field,
        op_field=op_field,
        writer_field=writer_field,
        layout=layout,
        encoding=encoding,
    )
    source = open_range(redis_url, stream, start, end, count, batch_size)
    summary = Summary(samples=samples, show_values=show_values)
    started_at, started = datetime.now(UTC), time.perf_counter()
    interrupted: SourceInterrupted | None = None
    try:
        with Progress(total=source.total(), quiet=quiet) as progress:
            run_checks(
                source.batches(),
                engine,
                summary,
                events_out=events_out,
                show_values=show_values,
                progress=progress,
            )
    except SourceInterrupted as error:
        interrupted = error  # report what was checked, then exit 3
    finally:
        source.close()
    code = finish(
        summary,
        engine,
        source=range_description(source),
        started_at=started_at,
        started=started,
        output_format=output_format,
        report=report,
        fail_on=fail_on,
        quiet=quiet,
    )
    if interrupted is not None:
        raise interrupted
    raise typer.Exit(code)


@app.command()
@_errors_to_exit_codes
def export(
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    stream: StreamOption = ...,  # type: ignore[assignment]
    out: Annotated[
        Path,
        _option("--out", "-o", help="Corpus file to write (atomically).", show_default=False),
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

    source = open_range(redis_url, stream, start, end, count, batch_size)
    try:
        written = write_corpus(out, source)
    finally:
        source.close()
    if not quiet:
        typer.echo(f"exported {written:,} entries of {source.stream!r} to {out}", err=True)


@app.command()
@_errors_to_exit_codes
def demo(
    events: Annotated[
        int, typer.Option("--events", min=1, help="How many events to write.")
    ] = 20_000,
    keep: Annotated[
        bool, typer.Option("--keep", help="Leave the Redis server running and print its URL.")
    ] = False,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of the generated stream.", show_default=False)
    ] = None,
    output_format: FormatOption = OutputFormat.table,
    report: ReportOption = None,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Which findings make the exit code 1.")
    ] = FailOn.none,
    quiet: QuietOption = False,
) -> None:
    """Start a private Redis, write a mixed Python/Go comment stream, replay it, report.

    The stream holds every seeded defect class (Python datetimes with a
    space, NaN, Go RFC3339Nano timestamps, nil slices, omitempty, U+FFFD...)
    among healthy events, each entry tagged with its writer. Needs a
    redis-server on PATH or `pip install 'cdccheck[demo]'`.

    Example:

    \b
        cdccheck demo --events 50000 --keep
    """
    import redis

    from cdccheck.demo import DEMO_STREAM, demo_entries, seed_stream
    from cdccheck.embedded import EmbeddedRedis
    from cdccheck.summary import Summary

    server = EmbeddedRedis(die_with_parent=not keep).start()
    try:
        client = redis.Redis.from_url(server.url)
        written = seed_stream(client, DEMO_STREAM, demo_entries(events, seed))
        client.close()
        if not quiet:
            typer.echo(f"wrote {written:,} events to {DEMO_STREAM!r} on {server.url}", err=True)
        engine = build_engine(
            None,
            None,
            payload_field="payload",
            op_field="op",
            writer_field="writer",
            layout=Layout.default,
            encoding=None,
        )
        source = open_range(server.url, DEMO_STREAM, None, None, None, 1000)
        summary = Summary()
        started_at, started = datetime.now(UTC), time.perf_counter()
        with Progress(total=source.total(), quiet=quiet) as progress:
            run_checks(
                source.batches(),
                engine,
                summary,
                events_out=None,
                show_values=False,
                progress=progress,
            )
        source.close()
        code = finish(
            summary,
            engine,
            source=range_description(source),
            started_at=started_at,
            started=started,
            output_format=output_format,
            report=report,
            fail_on=fail_on,
            quiet=quiet,
        )
    except BaseException:
        server.close()
        raise
    if keep:
        pid = server.pid
        server.detach()
        typer.echo(
            f"Redis keeps running at {server.url} (pid {pid}); try:\n"
            f"  cdccheck replay --redis-url {server.url} --stream {DEMO_STREAM}\n"
            f"stop it with: kill {pid}",
            err=True,
        )
    else:
        server.close()
    raise typer.Exit(code)


# ---------------------------------------------------------------- consume and the fleet report


class LogFormat(StrEnum):
    json = "json"
    text = "text"


StreamsOption = Annotated[
    list[str] | None,
    _option(
        "--stream",
        metavar="KEY",
        help="Stream key; repeat for several streams (sharded streams).",
        show_default=False,
    ),
]
GroupOption = Annotated[
    str,
    _option(
        "--group",
        help="Consumer group of the sidecars (their own, never the production consumers').",
    ),
]


@app.command()
@_errors_to_exit_codes
def consume(
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    stream: StreamsOption = None,
    stream_pattern: Annotated[
        str | None,
        _option(
            "--stream-pattern",
            help="Also read every stream matching this SCAN pattern (rescanned periodically).",
            show_default=False,
        ),
    ] = None,
    group: GroupOption = "cdccheck",
    consumer: Annotated[
        str | None,
        _option(
            "--consumer", help="Consumer name in the group (default: host-pid).", show_default=False
        ),
    ] = None,
    start_id: Annotated[
        str,
        _option(
            "--start-id",
            help="Where a NEW group starts: $ (new entries only) or 0 (whole stream). "
            "An existing group is joined as it is.",
        ),
    ] = "$",
    batch: Annotated[
        int,
        _option("--batch", min=1, max=10_000, help="Entries per read."),
    ] = 500,
    block_ms: Annotated[
        int,
        _option("--block-ms", min=1, help="How long a read waits for entries."),
    ] = 1000,
    claim_idle_ms: Annotated[
        int,
        _option(
            "--claim-idle-ms",
            min=1,
            help="Claim other consumers' entries pending longer than this (dead consumers).",
        ),
    ] = 60_000,
    quarantine_stream: Annotated[
        str | None,
        _option(
            "--quarantine-stream",
            help="Copy each failing event (raw fields + findings) to this stream; "
            "{stream} in the name stands for the stream's hash tag (Redis Cluster).",
            show_default=False,
        ),
    ] = None,
    quarantine_maxlen: Annotated[
        int,
        _option(
            "--quarantine-maxlen",
            min=1,
            help="Keep about this many quarantined events (XADD MAXLEN ~).",
        ),
    ] = 100_000,
    report: Annotated[
        Path | None,
        _option(
            "--report",
            help="Keep this consumer's JSON report in this file (rewritten atomically).",
            show_default=False,
        ),
    ] = None,
    report_every: Annotated[
        float,
        _option("--report-every", min=0.01, help="Seconds between rewrites of --report."),
    ] = 60.0,
    metrics_port: Annotated[
        int | None,
        _option(
            "--metrics-port",
            min=0,
            max=65535,
            help="Serve Prometheus /metrics, /healthz and /readyz on this port.",
            show_default=False,
        ),
    ] = None,
    metrics_host: Annotated[
        str,
        _option("--metrics-host", help="Address the metrics listen on."),
    ] = "0.0.0.0",  # all interfaces: Prometheus scrapes a sidecar from outside its pod
    log_format: Annotated[
        LogFormat,
        _option("--log-format", help="Log lines on stderr."),
    ] = LogFormat.json,
    until_idle: Annotated[
        float | None,
        _option(
            "--until-idle",
            min=0.001,
            help="Drain mode: stop after this many seconds without entries.",
            show_default=False,
        ),
    ] = None,
    max_events: Annotated[
        int | None,
        _option(
            "--max-events",
            min=1,
            help="Drain mode: stop after checking this many events.",
            show_default=False,
        ),
    ] = None,
    rescan_every: Annotated[
        float,
        _option("--rescan-every", min=0.01, help="Seconds between SCANs for --stream-pattern."),
    ] = 30.0,
    legacy: LegacyOption = None,
    new: NewOption = None,
    payload_field: PayloadFieldOption = "payload",
    op_field: OpFieldOption = "op",
    writer_field: WriterFieldOption = "writer",
    layout: LayoutOption = Layout.default,
    encoding: EncodingOption = None,
    fail_on: FailOnOption = FailOn.any,
    samples: SamplesOption = 5,
    show_values: ShowValuesOption = False,
) -> None:
    """Run as a sidecar: check every event of a stream as a consumer-group member.

    Counting is exactly-once: each batch's acknowledgement and its counts in
    the fleet summary are committed in one atomic step, so crashes and
    restarts never lose or double-count an event. Many sidecars in one group
    split the stream; `cdccheck report --redis-url URL --stream KEY --group G`
    shows the fleet-wide summary. SIGTERM finishes the batch, writes the
    final report and exits 0; Redis going away is retried with backoff.
    Logs are JSON lines on stderr.

    Example:

    \b
        cdccheck consume --redis-url redis://redis:6379/0 --stream comments:cdc \\
            --group cdccheck --report /data/report.json --metrics-port 9108

    Drain mode (jobs and tests): --until-idle or --max-events stop by
    themselves, and only then does --fail-on decide the exit code.

    Exit codes: 0 stopped cleanly, 1 findings counted by --fail-on (drain
    mode), 2 usage or schema error, 3 Redis unreachable at start (drain
    mode), credentials refused or key not a stream.
    """
    from cdccheck.sidecar import ConsumeOptions, configure_logging
    from cdccheck.sidecar import consume as run_sidecar

    configure_logging(log_format.value)
    engine = build_engine(
        legacy,
        new,
        payload_field=payload_field,
        op_field=op_field,
        writer_field=writer_field,
        layout=layout,
        encoding=encoding,
    )
    options = ConsumeOptions(
        url=redis_url,
        streams=list(stream or []),
        pattern=stream_pattern,
        group=group,
        consumer=consumer,
        start_id=start_id,
        batch=batch,
        block_ms=block_ms,
        claim_idle_ms=claim_idle_ms,
        quarantine_stream=quarantine_stream,
        quarantine_maxlen=quarantine_maxlen,
        report=report,
        report_every_s=report_every,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        until_idle_s=until_idle,
        max_events=max_events,
        samples=samples,
        show_values=show_values,
        rescan_every_s=rescan_every,
    )
    result = run_sidecar(engine, options)
    failing = result.summary.counts_failures(fail_on.value)
    raise typer.Exit(1 if options.drain and failing else 0)


@report_app.callback(invoke_without_command=True)
@_errors_to_exit_codes
def report_fleet(
    ctx: typer.Context,
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    stream: StreamsOption = None,
    group: GroupOption = "cdccheck",
    output_format: FormatOption = OutputFormat.table,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write here (atomically) instead of stdout.", show_default=False
        ),
    ] = None,
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
    from cdccheck.report import render, write_atomic
    from cdccheck.sidecar import fleet_report

    built = fleet_report(redis_url, list(stream), group)
    if output is not None:
        write_atomic(output, render(built, output_format.value, color=False))
        return
    typer.echo(_render_for_stdout(built, output_format), nl=False)


# ---------------------------------------------------------------- report render / merge


@report_app.command("render")
@_errors_to_exit_codes
def report_render(
    report_file: Annotated[
        Path, typer.Argument(metavar="REPORT.json", help="A JSON report written by --report.")
    ],
    output_format: FormatOption = OutputFormat.table,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write here (atomically) instead of stdout.", show_default=False
        ),
    ] = None,
) -> None:
    """Render a JSON report as a table, Markdown or JUnit XML.

    Example:

    \b
        cdccheck report render report.json --format junit -o junit.xml
    """
    from cdccheck.report import render, write_atomic
    from cdccheck.report.json import load_report

    loaded = load_report(report_file)
    if output is not None:
        write_atomic(output, render(loaded, output_format.value, color=False))
        return
    typer.echo(_render_for_stdout(loaded, output_format), nl=False)


@report_app.command("merge")
@_errors_to_exit_codes
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
    output_format: FormatOption = OutputFormat.json,
    samples: SamplesOption = 5,
) -> None:
    """Merge reports (for example one per sidecar) into one: counters add up, samples stay bounded.

    Example:

    \b
        cdccheck report merge a.json b.json -o fleet.json
    """
    from cdccheck.report import write_atomic
    from cdccheck.report.json import load_report, merge_reports, render_json

    merged = merge_reports([load_report(path) for path in report_files], samples=samples)
    if output is not None:
        write_atomic(output, render_json(merged))
        return
    typer.echo(_render_for_stdout(merged, output_format), nl=False)


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
    """The check engine for `gate --corpus`: corpus files -> the JSON report."""

    def check_corpus(paths: list[str], legacy: Any, new: Any) -> dict[str, Any]:
        from cdccheck.check import Engine
        from cdccheck.pipeline import run
        from cdccheck.report.json import build_report, schema_info
        from cdccheck.sources.corpus import read_corpus
        from cdccheck.summary import Summary

        engine = Engine(legacy, new)
        summary = Summary()
        started_at, started = datetime.now(UTC), time.perf_counter()
        for path in paths:
            run(read_corpus(path), engine, summary)
        return build_report(
            summary,
            source={"kind": "file", "files": list(paths)},
            schemas={"legacy": schema_info(legacy), "new": schema_info(new)},
            started_at=started_at,
            elapsed_s=time.perf_counter() - started,
        )

    return check_corpus


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
        _option("--legacy", metavar="PATH", help="Legacy schema file."),
    ] = None,
    new: Annotated[
        str | None,
        _option("--new", metavar="PATH", help="New schema file."),
    ] = None,
    mode: Annotated[
        _GateMode | None,
        _option(
            "--mode",
            help="Which breaks fail the gate (default: full, from config if set).",
            show_default=False,
        ),
    ] = None,
    against: Annotated[
        str | None,
        _option(
            "--against",
            metavar="GIT_REF",
            help="Compare every schema file with its version at this git ref.",
        ),
    ] = None,
    corpus: Annotated[
        list[str] | None,
        _option(
            "--corpus",
            metavar="FILE",
            help="Corpus file to replay through the check engine (repeatable).",
        ),
    ] = None,
    fmt: Annotated[
        _GateFormat,
        _option("--format", help="Output format."),
    ] = _GateFormat.TEXT,
    report: Annotated[
        Path | None,
        _option(
            "--report",
            metavar="PATH",
            help="Write the --format output here (atomically); stdout gets the text summary.",
        ),
    ] = None,
    fail_on: Annotated[
        _FailOn | None,
        _option(
            "--fail-on",
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
