"""``compare``: pair the legacy and the new writer's events and diff them (docs/compare.md).

A thin shell over :mod:`cdccheck.compare`: the options become sources and
settings, ``run_compare`` does the work, ``build_compare_report`` and the
compare renderers make the output. ``report render``/``report merge`` and
``demo --compare`` print compare reports through ``print_or_write_compare``
and ``finish_compare`` below.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cdccheck.cli.app import app
from cdccheck.cli.common import errors_to_exit_codes, note
from cdccheck.cli.options import (
    BatchOption,
    CountOption,
    Encoding,
    EndOption,
    FormatOption,
    Layout,
    LayoutOption,
    MaxIntDigitsOption,
    MaxKeyBytesOption,
    MaxObjectKeysOption,
    MaxPayloadBytesOption,
    OpFieldOption,
    PayloadFieldOption,
    QuietOption,
    RedisUrlOption,
    ReportFormat,
    ReportOption,
    SamplesOption,
    ShowValuesOption,
    StartOption,
    WriterFieldOption,
    env_option,
)

if TYPE_CHECKING:
    from cdccheck.compare import CompareSummary
    from cdccheck.compare.events import Tick
    from cdccheck.model import Entry


class CompareFailOn(StrEnum):
    """What makes ``compare`` exit 1 (docs/compare.md, "Compare report")."""

    differing = "differing"
    missing = "missing"
    diverged = "diverged"
    any = "any"
    none = "none"


def _text_option(flag: str, help_text: str, metavar: str | None = None) -> Any:
    return env_option(flag, help=help_text, show_default=False, metavar=metavar)


PrimaryStreamOption = Annotated[
    str | None, _text_option("--primary-stream", "Stream of the legacy writer.", "KEY")
]
CandidateStreamOption = Annotated[
    str | None, _text_option("--candidate-stream", "Stream of the new writer.", "KEY")
]
BaselineStreamOption = Annotated[
    str | None,
    _text_option(
        "--baseline-stream",
        "Stream of a second legacy writer, to tell noise (docs/compare.md).",
        "KEY",
    ),
]
PrimaryUrlOption = Annotated[
    str | None,
    _text_option("--primary-redis-url", "Redis of --primary-stream (default: --redis-url)."),
]
CandidateUrlOption = Annotated[
    str | None,
    _text_option("--candidate-redis-url", "Redis of --candidate-stream (default: --redis-url)."),
]
BaselineUrlOption = Annotated[
    str | None,
    _text_option("--baseline-redis-url", "Redis of --baseline-stream (default: --redis-url)."),
]
PrimaryFileOption = Annotated[
    Path | None, _text_option("--primary", "Corpus file of the legacy writer.", "FILE")
]
CandidateFileOption = Annotated[
    Path | None, _text_option("--candidate", "Corpus file of the new writer.", "FILE")
]
BaselineFileOption = Annotated[
    Path | None,
    _text_option("--baseline", "Corpus file of a second legacy writer, to tell noise.", "FILE"),
]
SharedStreamOption = Annotated[
    str | None,
    _text_option("--stream", "One stream both writers share; needs --split.", "KEY"),
]
SplitOption = Annotated[
    str | None,
    _text_option(
        "--split",
        "Sides of --stream by an entry field: FIELD=PRIMARY,CANDIDATE "
        "(FIELD defaults to --writer-field).",
        "FIELD=P,C",
    ),
]
KeyOption = Annotated[
    list[str] | None,
    _text_option(
        "--key",
        "Fields identifying a change, POINTER[,ALTERNATIVE...]; repeat for several "
        "(default: [tool.cdccheck.compare] key).",
        "POINTER[,ALT]",
    ),
]
EntityOption = Annotated[
    str | None,
    _text_option(
        "--entity",
        "Field naming the entity a change belongs to, POINTER[,ALT...]: "
        "converged/diverged per entity.",
        "POINTER[,ALT]",
    ),
]
IgnoreOption = Annotated[
    list[str] | None,
    _text_option(
        "--ignore",
        "Path left out of the comparison ('*' for any one step); repeatable; "
        "adds to the configured ignores.",
        "POINTER",
    ),
]
WindowOption = Annotated[
    str | None,
    _text_option(
        "--window",
        "How long an event waits for its partner, in stream-id time (default 60s).",
        "DURATION",
    ),
]
ToleranceOption = Annotated[
    str | None,
    _text_option(
        "--time-tolerance",
        "RFC 3339 instants this close compare equal (default 0).",
        "DURATION",
    ),
]
NoiseRatioOption = Annotated[
    str | None,
    _text_option(
        "--noise-ratio",
        "A diff group is noise when the baseline shows it at this share of the "
        "candidate's rate or more (default 0.5).",
        "RATIO",
    ),
]
CompareEncodingOption = Annotated[
    Encoding | None,
    env_option(
        "--encoding",
        help="Wire encoding when an entry has no encoding field (default json).",
        show_default=False,
    ),
]
CompareEventsOutOption = Annotated[
    Path | None,
    env_option(
        "--events-out",
        help="Write one JSON line per pair, and per event without a partner, to this file.",
        show_default=False,
    ),
]
CompareFailOnOption = Annotated[
    CompareFailOn, env_option("--fail-on", help="What makes the exit code 1.")
]


# ---------------------------------------------------------------- progress


class _Progress:
    """Primary entries read so far, on stderr, only when it is a terminal and not --quiet."""

    _EVERY = 2_000

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled and sys.stderr.isatty()
        self._progress: Any = None

    def __enter__(self) -> _Progress:
        if self._enabled:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("compare: {task.completed:,} primary entries read"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("compare", total=None)
        return self

    def wrap(self, entries: Iterable[Entry | Tick]) -> Iterable[Entry | Tick]:
        """``entries`` unchanged, counted on the display (as they are, when it is off)."""
        if self._progress is None:
            return entries
        return self._counted(entries)

    def _counted(self, entries: Iterable[Entry | Tick]) -> Iterator[Entry | Tick]:
        progress, task, every = self._progress, self._task, self._EVERY
        for count, entry in enumerate(entries, 1):
            if count % every == 0:
                progress.update(task, completed=count)
            yield entry

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


# ---------------------------------------------------------------- output


def render_compare_for_stdout(report: dict[str, Any], output_format: ReportFormat) -> str:
    """The compare report in ``output_format``; a table is coloured and sized for a terminal."""
    from cdccheck.compare.render import render

    if output_format is ReportFormat.table:
        import shutil

        tty = sys.stdout.isatty()
        width = shutil.get_terminal_size((80, 24)).columns if tty else 80
        return render(report, "table", color=tty, width=width)
    return render(report, output_format.value)


def print_or_write_compare(
    report: dict[str, Any], output_format: ReportFormat, path: Path | None
) -> None:
    """Print the compare report on stdout, or write it (uncoloured, atomically) to ``path``."""
    from cdccheck.compare.render import render
    from cdccheck.files import write_atomic

    if path is None:
        typer.echo(render_compare_for_stdout(report, output_format), nl=False)
    else:
        write_atomic(path, render(report, output_format.value, color=False))


def finish_compare(
    report: dict[str, Any],
    summary: CompareSummary,
    *,
    output_format: ReportFormat,
    report_path: Path | None,
    fail_on: str,
    quiet: bool,
) -> int:
    """Write ``--report``, print the report (unless --quiet with --report); the exit code."""
    from cdccheck.compare.report import render_json
    from cdccheck.files import write_atomic

    if report_path is not None:
        write_atomic(report_path, render_json(report))
    if not (quiet and report_path is not None):
        typer.echo(render_compare_for_stdout(report, output_format), nl=False)
    return 1 if summary.counts_failures(fail_on) else 0


# ---------------------------------------------------------------- the command


@app.command()
@errors_to_exit_codes
def compare(
    primary_stream: PrimaryStreamOption = None,
    candidate_stream: CandidateStreamOption = None,
    primary: PrimaryFileOption = None,
    candidate: CandidateFileOption = None,
    stream: SharedStreamOption = None,
    split: SplitOption = None,
    baseline_stream: BaselineStreamOption = None,
    baseline: BaselineFileOption = None,
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    primary_redis_url: PrimaryUrlOption = None,
    candidate_redis_url: CandidateUrlOption = None,
    baseline_redis_url: BaselineUrlOption = None,
    start: StartOption = None,
    end: EndOption = None,
    count: CountOption = None,
    batch_size: BatchOption = 1000,
    key: KeyOption = None,
    entity: EntityOption = None,
    ignore: IgnoreOption = None,
    window: WindowOption = None,
    time_tolerance: ToleranceOption = None,
    noise_ratio: NoiseRatioOption = None,
    payload_field: PayloadFieldOption = "payload",
    op_field: OpFieldOption = "op",
    writer_field: WriterFieldOption = "writer",
    layout: LayoutOption = Layout.default,
    encoding: CompareEncodingOption = None,
    max_payload_bytes: MaxPayloadBytesOption = 8 * 1024 * 1024,
    max_int_digits: MaxIntDigitsOption = 4300,
    max_key_bytes: MaxKeyBytesOption = 64 * 1024,
    max_object_keys: MaxObjectKeysOption = 100_000,
    output_format: FormatOption = ReportFormat.table,
    report: ReportOption = None,
    events_out: CompareEventsOutOption = None,
    fail_on: CompareFailOnOption = CompareFailOn.any,
    samples: SamplesOption = 5,
    show_values: ShowValuesOption = False,
    quiet: QuietOption = False,
) -> None:
    """Pair the legacy (primary) and the new (candidate) writer's events and diff them.

    Events with the same --key pair first in, first out; an event whose
    partner does not come within --window is missing (or extra) in the
    candidate. Sources: two streams, two corpus files (any mix), or one
    stream both writers share with --split. --start/--end/--count select the
    range of every stream, as for replay. Key, entity, window and ignores
    (with their reasons) may also come from [tool.cdccheck.compare] in
    pyproject.toml or [compare] in cdccheck.toml. See docs/compare.md.

    Example:

    \b
        cdccheck compare --redis-url redis://localhost:6379/0 \\
            --primary-stream comments:cdc:py --candidate-stream comments:cdc:go \\
            --key /op --key /comment/id,/comment_id --entity /comment/id,/comment_id \\
            --ignore /event_id --start 2026-01-28T00:00:00Z --count 100000
        cdccheck compare --stream comments:cdc --split writer=py-monolith,go-comments \\
            --key /op --key /comment/id,/comment_id --format markdown

    Exit codes: 0 clean, 1 what --fail-on counts (differing pairs that are not
    noise, events without a partner, diverged entities; any: all of these plus
    undecodable and unkeyed events), 2 usage or configuration error, 3 a
    stream or file that cannot be read.
    """
    from cdccheck.compare import (
        CompareSources,
        Decoding,
        RunOptions,
        SideOptions,
        compare_sources,
        load_compare_config,
        parse_split,
        resolve_settings,
    )
    from cdccheck.engine.wire import Limits

    settings = resolve_settings(
        key=key or (),
        entity=entity,
        ignore=ignore or (),
        window=window,
        time_tolerance=time_tolerance,
        noise_ratio=noise_ratio,
        config=load_compare_config(),
    )
    sources = CompareSources(
        primary=SideOptions(primary_stream, primary_redis_url, primary, "primary"),
        candidate=SideOptions(candidate_stream, candidate_redis_url, candidate, "candidate"),
        baseline=SideOptions(baseline_stream, baseline_redis_url, baseline, "baseline"),
        redis_url=redis_url,
        stream=stream,
        split=split,
        start=start,
        end=end,
        count=count,
        batch_size=batch_size,
    )
    sources.check()
    decoding = Decoding(
        payload_field=payload_field,
        layout=layout.value,
        encoding=encoding.value if encoding is not None else "json",
        op_field=op_field,
        limits=Limits(max_payload_bytes, max_int_digits, max_key_bytes, max_object_keys),
    )
    # Checked before connecting: an overlapping split is a usage error (exit 2).
    split_by = None if split is None else parse_split(split, default_field=writer_field)
    with _Progress(not quiet) as shown:
        compared = compare_sources(
            sources,
            settings,
            split_by=split_by,
            options=RunOptions(decoding, samples, show_values, events_out, wrap=shown.wrap),
        )
    counts = compared.split_counts
    if counts and counts["other"]:
        note(
            f"{counts['other']:,} entries of {stream!r} belong to neither side of --split {split}",
            quiet=quiet,
        )
    code = finish_compare(
        compared.report,
        compared.summary,
        output_format=output_format,
        report_path=report,
        fail_on=fail_on.value,
        quiet=quiet,
    )
    raise typer.Exit(code)


# ---------------------------------------------------------------- demo --compare


def run_compare_demo(
    changes: int | None,
    seed: int | None,
    *,
    keep: bool,
    output_format: ReportFormat,
    report_path: Path | None,
    fail_on: str,
    quiet: bool,
) -> int:
    """``cdccheck demo --compare``: seed both writers' streams on a private Redis, compare them.

    Key, entity and the one ignore are the demo's (``cdccheck.compare.demo.demo_settings``);
    configuration files are not read, so the demo shows the same everywhere.
    """
    from cdccheck.compare.demo import DEMO_CHANGES, DEMO_ENTITY, DEMO_KEY, CompareDemoServer

    with CompareDemoServer(changes or DEMO_CHANGES, seed, keep=keep) as running:
        assert running.demo is not None
        seeded = running.demo.expected
        note(
            f"wrote {seeded['changes']:,} changes through the Python writer to "
            f"{running.primary_stream!r} and through the Go-style writer to "
            f"{running.candidate_stream!r} on {running.url}\n"
            f"seeded: {seeded['zero_score']:,} zero scores the Go side omits, "
            f"{seeded['null_awards']:,} award lists it writes as null, "
            f"{seeded['double_escaped']:,} bodies it escapes twice, "
            f"{seeded['missing_in_candidate']:,} events it never writes, "
            f"{seeded['reordered']:,} comments whose update and increment it swaps; "
            "different event ids (ignored) and timestamp forms",
            quiet=quiet,
        )
        with _Progress(not quiet) as shown:
            compared = running.compare(wrap=shown.wrap)
        code = finish_compare(
            compared.report,
            compared.summary,
            output_format=output_format,
            report_path=report_path,
            fail_on=fail_on,
            quiet=quiet,
        )
    if keep:
        note(
            f"Redis keeps running at {running.url} (pid {running.pid}); try:\n"
            f"  cdccheck compare --redis-url {running.url} "
            f"--primary-stream {running.primary_stream} "
            f"--candidate-stream {running.candidate_stream} \\\n"
            f"      --key {' --key '.join(DEMO_KEY)} --entity {DEMO_ENTITY} --ignore /event_id\n"
            f"stop it with: kill {running.pid}"
        )
    return code
