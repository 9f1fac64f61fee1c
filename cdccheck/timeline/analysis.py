"""Reading a timeline: shares, first sightings, rising groups, sparklines, trend lines."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from cdccheck.grouping import GroupKey
from cdccheck.model import WIRE
from cdccheck.timeline.core import Timeline
from cdccheck.timeline.widths import DEFAULT_MAX_BUCKETS, stream_ms, utc

_BLOCKS = "▁▂▃▄▅▆▇█"
_NO_EVENTS = " "


def share_series(timeline: Timeline, key: GroupKey) -> list[tuple[int, float | None]]:
    """Per bucket start (gaps included): the share of the bucket's events in group ``key``."""
    totals = timeline.bucket_totals()
    series = timeline.groups.get(key, {})
    shares: list[tuple[int, float | None]] = []
    for start in timeline.starts():
        total = totals.get(start)
        events = total.events if total is not None else 0
        shares.append((start, series.get(start, 0) / events if events else None))
    return shares


def first_seen(timeline: Timeline, key: GroupKey) -> int | None:
    """Start of the first bucket in which group ``key`` has events."""
    series = timeline.groups.get(key)
    hits = [start for start, events in (series or {}).items() if events]
    return min(hits) if hits else None


def rising_since(
    timeline: Timeline,
    key: GroupKey,
    *,
    min_points: int = 3,
    min_rise: float = 0.01,
    columns: int = DEFAULT_MAX_BUCKETS,
) -> int | None:
    """Start of the current rising trend of group ``key``'s share of events; None if not rising.

    Shares (group events / bucket events), not counts: more traffic alone is
    no rise. The timeline is first merged to at most ``columns`` buckets.
    A hinge is fitted by least squares to the shares of the buckets with
    events: flat at a baseline up to bucket k, a straight line from k on (k
    not before the group's first bucket, the later one on a tie). It is a
    rise when the line goes up, the rising part has at least ``min_points``
    buckets, and both the fitted rise and the latest share (median of the
    last three) are at least ``min_rise`` above the baseline (absolute: 0.01
    is one percentage point), so a spike that went away is not a rise.

    Returned: the start of the bucket after k, the first one on the line.
    """
    shown = timeline.fit_to(columns)
    width_ms = shown.width_ms
    points = [(start, share) for start, share in share_series(shown, key) if share is not None]
    if len(points) < min_points:
        return None
    times = [start // width_ms for start, _ in points]
    shares = [share for _, share in points]
    first = next((i for i, share in enumerate(shares) if share > 0), None)
    if first is None:
        return None
    latest = sorted(shares[-3:])[len(shares[-3:]) // 2]
    best: tuple[float, int, float, float] | None = None  # (error, k, baseline, slope)
    for k in range(max(first - 1, 0), len(points) - min_points + 1):
        xs = [max(0, t - times[k]) for t in times]
        mean_x, mean_y = sum(xs) / len(xs), sum(shares) / len(shares)
        spread = sum((x - mean_x) ** 2 for x in xs)
        if spread == 0:
            continue
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, shares, strict=True)) / spread
        baseline = mean_y - slope * mean_x
        error = sum((y - baseline - slope * x) ** 2 for x, y in zip(xs, shares, strict=True))
        if best is None or error <= best[0] + 1e-15:
            best = (error, k, baseline, slope)
    if best is None:
        return None
    _, k, baseline, slope = best
    rise = slope * (times[-1] - times[k])
    if slope <= 0 or rise < min_rise or latest - baseline < min_rise:
        return None
    return points[k + 1][0]


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


def _moment(ms: int, *, seconds: bool) -> str:
    return utc(ms).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def trend_line(group: Mapping[str, Any], timeline: Timeline | None) -> str:
    """``legacy ✗ /comment/awards first seen 2026-01-28 10:42:10 UTC (id …), rising since 11:05``.

    ``group`` is a report finding group: its ``first_id`` gives the exact
    first moment; the timeline gives the trend (omitted without one).
    """
    path = group["path"] or "(payload)"
    label = "wire" if group["schema"] == WIRE else f"{group['schema']} ✗"
    line = f"{label} {path} ({group['kind']})"
    first_ms = stream_ms(group.get("first_id") or "")
    if first_ms is not None:
        line += f" first seen {_moment(first_ms, seconds=True)} UTC (id {group['first_id']})"
    elif group.get("first_id"):
        line += f" first seen at id {group['first_id']}"
    if timeline is None:
        return line
    key = (group["schema"], group["kind"], group["path"])
    since = rising_since(timeline, key)
    if since is not None:
        same_day = first_ms is not None and utc(first_ms).date() == utc(since).date()
        fine = timeline.width_s < 60
        moment = utc(since).strftime(
            ("%H:%M:%S" if fine else "%H:%M") if same_day else ("%Y-%m-%d %H:%M")
        )
        line += f", rising since {moment}"
    return line
