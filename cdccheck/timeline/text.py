"""Timelines as text: block-character sparklines of the failing share per writer."""

from __future__ import annotations

import math
from collections.abc import Iterable

from cdccheck.timeline.core import Timeline

_BLOCKS = "▁▂▃▄▅▆▇█"
_NO_EVENTS = " "


def sparkline(values: Iterable[float | None], top: float = 1.0) -> str:
    """One block character per value in [0, top]; a space for None (no events).

    Zero is the lowest block; any share above zero is at least the second
    lowest, so a single failing event never looks like a clean bucket.
    """
    characters = []
    for value in values:
        if value is None:
            characters.append(_NO_EVENTS)
        elif value <= 0 or top <= 0:
            characters.append(_BLOCKS[0])
        else:
            level = math.ceil(min(value / top, 1.0) * (len(_BLOCKS) - 1))
            characters.append(_BLOCKS[max(level, 1)])
    return "".join(characters)


def writer_sparklines(
    timeline: Timeline, columns: int = 60, *, relative: bool = True
) -> tuple[dict[str, str], float, int]:
    """Per writer, a sparkline of the failing share over time, at most ``columns`` wide.

    Returns (lines, top, width_s): the share that a full block stands for
    (the highest failing share of any writer when ``relative``, else 1.0),
    and the bucket width shown (buckets are merged exactly to fit).
    """
    shown = timeline.fit_to(max(columns, 1))
    starts = shown.starts()
    shares: dict[str, list[float | None]] = {}
    for writer in shown.writers():
        row: list[float | None] = []
        for start in starts:
            counters = shown.buckets.get(start, {}).get(writer)
            row.append(
                (counters.events - counters.ok) / counters.events
                if counters is not None and counters.events
                else None
            )
        shares[writer] = row
    top = 1.0
    if relative:
        peak = max((v for row in shares.values() for v in row if v is not None), default=0.0)
        top = peak if peak > 0 else 1.0
    return {writer: sparkline(row, top) for writer, row in shares.items()}, top, shown.width_s
