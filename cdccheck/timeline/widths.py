"""Bucket widths, durations and stream-id time for the timeline (see ``cdccheck.timeline``)."""

from __future__ import annotations

import itertools
import math
import re
from datetime import UTC, datetime

from cdccheck.errors import ConfigError

WIDTHS_S: tuple[int, ...] = (
    1,
    5,
    10,
    30,
    60,
    300,
    600,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86400,
)
"""The bucket widths, in seconds: 1s 5s 10s 30s 1m 5m 10m 30m 1h 3h 6h 12h 1d.

Each divides the next, so each divides every coarser one (checked at import).
"""
assert all(b % a == 0 for a, b in itertools.pairwise(WIDTHS_S))

DEFAULT_MAX_BUCKETS = 200
"""An automatic timeline keeps its span within this many buckets."""
DEFAULT_HORIZON_S = 7 * 86400
"""The sidecar fleet's rolling horizon (``--timeline-horizon``): a week."""
MAX_HORIZON_BUCKETS = 2048
"""The most buckets a rolling horizon may hold (a week of 5-minute buckets fits)."""

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")


def parse_width(text: str) -> int:
    """``"5m"`` -> 300. The width must be on the ladder (``WIDTHS_S``), so merges stay exact."""
    match = _DURATION.match(text)
    if match is None:
        raise ConfigError(
            f"bad bucket width {text!r}: expected a number and a unit, e.g. 30s, 5m, 1h, 1d"
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds not in WIDTHS_S:
        allowed = ", ".join(format_width(width) for width in WIDTHS_S)
        raise ConfigError(
            f"bad bucket width {text!r}: it must be one of {allowed} "
            "(each divides the coarser ones, so timelines of different widths merge exactly)"
        )
    return seconds


def format_width(seconds: int) -> str:
    """300 -> ``"5m"``: the largest unit that divides the width."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def stream_ms(stream_id: str) -> int | None:
    """The millisecond part of a Redis stream id, None when the id has none."""
    milliseconds, dash, sequence = stream_id.partition("-")
    if dash and milliseconds.isdigit() and sequence.isdigit():
        return int(milliseconds)
    return None


def horizon_cutoff(now_ms: int, days: float) -> int:
    """The first millisecond inside a horizon of ``days`` days ending at ``now_ms``."""
    if days <= 0:
        raise ConfigError(f"bad timeline horizon {days} days: it must be positive")
    return now_ms - int(days * 86_400_000)


def parse_duration(text: str, option: str = "--timeline-horizon") -> int:
    """``"7d"`` -> 604800: a positive whole number of seconds, minutes, hours or days."""
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(
            f"bad {option} {text!r}: expected a positive number and a unit, e.g. 12h or 7d"
        )
    return int(match.group(1)) * _UNITS[match.group(2)]


def horizon_width(horizon_s: int, width_s: int | None = None) -> int:
    """The bucket width of a timeline kept over a rolling horizon (the sidecar fleet's).

    ``width_s`` when given (``--bucket``), else the finest ladder width that
    keeps the horizon within ``DEFAULT_MAX_BUCKETS`` buckets (1h for 7
    days). Either way at most ``MAX_HORIZON_BUCKETS`` buckets, so the keys
    stay bounded: ConfigError otherwise.
    """
    if horizon_s <= 0:
        raise ConfigError(f"bad timeline horizon {horizon_s}s: it must be positive")
    if width_s is None:
        width_s = next(
            (w for w in WIDTHS_S if math.ceil(horizon_s / w) <= DEFAULT_MAX_BUCKETS), WIDTHS_S[-1]
        )
    if width_s > horizon_s:
        raise ConfigError(
            f"the timeline horizon ({format_width(horizon_s)}) is shorter than one bucket "
            f"({format_width(width_s)}): pass a longer --timeline-horizon or a finer --bucket"
        )
    if math.ceil(horizon_s / width_s) > MAX_HORIZON_BUCKETS:
        raise ConfigError(
            f"a {format_width(horizon_s)} timeline horizon in {format_width(width_s)} buckets "
            f"would keep {math.ceil(horizon_s / width_s):,} buckets in Redis (at most "
            f"{MAX_HORIZON_BUCKETS:,}): pass a coarser --bucket or a shorter --timeline-horizon"
        )
    return width_s


def utc(ms: int) -> datetime:
    """Milliseconds since the epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, UTC)


def iso(ms: int) -> str:
    """Milliseconds since the epoch as RFC 3339 UTC: seconds, or milliseconds when there are any."""
    moment = utc(ms)
    if ms % 1000:
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
