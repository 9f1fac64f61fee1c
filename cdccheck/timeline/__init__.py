"""The report's timeline: fixed-width buckets on stream-id time, mergeable exactly.

A migration team asks first "since when?". A ``Timeline`` answers it with
the verdict counters of each writer per time bucket, plus per-bucket event
counts of the finding groups (docs/reports.md, "timeline").

Time is the millisecond part of the stream id (``1769601600036-0`` ->
2026-01-28 12:00:00.036 UTC): when Redis assigned the id, which is when the
writer wrote the event. Entries whose id has no such part (hand-written
corpus ids) are counted under ``untimed``, so the counters of every bucket
plus ``untimed`` plus ``before_horizon`` always add up to the report's
``by_writer``.

Bucket widths come from one ladder, ``WIDTHS_S``, in which every width is a
multiple of every finer one, and buckets start at multiples of their width
since the Unix epoch (UTC midnight for a day). So a bucket of a coarse width
is exactly the union of the finer buckets inside it: re-bucketing never
splits a count, and two timelines of different widths merge exactly at the
coarser one.

Automatic width: a timeline with ``max_buckets`` (default 200) takes the
finest width at which its span fits in ``max_buckets`` buckets; it coarsens
as it grows. Consecutive ladder widths differ by a factor of 2 to 5, so a
span longer than 200 s ends up with 40 to 200 buckets. A width given by the
user (``--bucket``) comes with ``max_buckets=None``: never coarsened by
itself. Merging takes the coarser width, the smaller bound (``None`` is no
bound), then fits: the width of a merge is ``max(widths, fit(all events))``
whatever the order, which makes ``merge`` associative and commutative (a
Hypothesis test in tests/ops/test_timeline.py checks both laws).

Group series are bounded by the report: only the finding groups in the
report's ``findings`` are kept (``restrict``), warnings are not tracked.

The package: ``widths`` (the ladder, durations, stream-id time), ``core``
(the Timeline and its JSON form), ``analysis`` (shares, first sightings,
rising groups, sparklines, trend lines). Every name is importable from
``cdccheck.timeline``.
"""

from __future__ import annotations

from cdccheck.timeline.analysis import (
    first_seen,
    rising_since,
    share_series,
    sparkline,
    trend_line,
    writer_sparklines,
)
from cdccheck.timeline.core import (
    FAILING,
    GroupHome,
    GroupsOf,
    Timeline,
    WriterLabel,
    merge_timelines,
    within_horizon,
)
from cdccheck.timeline.widths import (
    DEFAULT_HORIZON_S,
    DEFAULT_MAX_BUCKETS,
    MAX_HORIZON_BUCKETS,
    WIDTHS_S,
    format_width,
    horizon_cutoff,
    horizon_width,
    parse_duration,
    parse_width,
    stream_ms,
)

__all__ = [
    "DEFAULT_HORIZON_S",
    "DEFAULT_MAX_BUCKETS",
    "FAILING",
    "MAX_HORIZON_BUCKETS",
    "WIDTHS_S",
    "GroupHome",
    "GroupsOf",
    "Timeline",
    "WriterLabel",
    "first_seen",
    "format_width",
    "horizon_cutoff",
    "horizon_width",
    "merge_timelines",
    "parse_duration",
    "parse_width",
    "rising_since",
    "share_series",
    "sparkline",
    "stream_ms",
    "trend_line",
    "within_horizon",
    "writer_sparklines",
]
