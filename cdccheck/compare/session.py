"""One compare from sources to report: the sides opened, ``run_compare``, the report built.

``compare_sources`` is the library call behind ``cdccheck compare``;
``compare_report`` runs already opened sides (the demo uses it too). A
progress display, if any, is the caller's: it passes ``wrap``, which sees
the primary side's entries as they are read (docs/compare.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdccheck.compare.sides import CompareSources, Side, opened_sides

if TYPE_CHECKING:
    from cdccheck.compare.events import Decoding, Tick
    from cdccheck.compare.options import CompareSettings
    from cdccheck.compare.summary import CompareSummary
    from cdccheck.model import Entry

Wrap = Callable[[Iterable["Entry | Tick"]], Iterable["Entry | Tick"]]
"""Sees the primary side's entries on their way in (a progress display); returns them."""


@dataclass(frozen=True)
class RunOptions:
    """How one compare runs, whatever its sources: decoding, samples, --events-out, progress."""

    decoding: Decoding | None = None
    samples: int = 5
    show_values: bool = False
    events_out: Path | None = None
    wrap: Wrap | None = None


@dataclass
class Compared:
    """A compare's report and summary; ``split_counts`` with ``--split`` only."""

    report: dict[str, Any]
    summary: CompareSummary
    split_counts: dict[str, int] | None = None


def compare_report(
    primary: Side,
    candidate: Side,
    settings: CompareSettings,
    *,
    baseline: Side | None = None,
    options: RunOptions = RunOptions(),
) -> Compared:
    """Run the comparison of two sides (and a baseline) and build its report."""
    from cdccheck.compare.events_out import CompareEventsWriter
    from cdccheck.compare.report import build_compare_report
    from cdccheck.compare.run import run_compare

    wrap, events_out = options.wrap, options.events_out
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    with CompareEventsWriter(events_out) if events_out is not None else nullcontext() as sink:
        summary = run_compare(
            primary.entries if wrap is None else wrap(primary.entries),
            candidate.entries,
            key=settings.keys,
            entity=settings.entity,
            ignore=settings.ignores,
            window_ms=settings.window_ms,
            baseline=None if baseline is None else baseline.entries,
            time_tolerance_ms=settings.time_tolerance_ms,
            noise_ratio=settings.noise_ratio,
            decoding=options.decoding,
            samples=options.samples,
            show_values=options.show_values,
            events_out=sink,
        )
    report = build_compare_report(
        summary,
        primary=primary.source,
        candidate=candidate.source,
        baseline=None if baseline is None else baseline.source,
        key=settings.keys,
        entity=settings.entity,
        ignored=settings.ignores,
        started_at=started_at,
        elapsed_s=time.perf_counter() - started,
    )
    return Compared(report, summary)


def compare_sources(
    sources: CompareSources,
    settings: CompareSettings,
    *,
    split_by: tuple[str, str, str] | None = None,
    options: RunOptions = RunOptions(),
) -> Compared:
    """Open the sides of ``sources``, compare them, close them: the report and the summary.

    Call ``sources.check()`` and parse ``--split`` first, so usage errors
    come before any connection.
    """
    with opened_sides(sources, split_by) as sides:
        compared = compare_report(
            sides.primary, sides.candidate, settings, baseline=sides.baseline, options=options
        )
        compared.split_counts = sides.split_counts
    return compared
