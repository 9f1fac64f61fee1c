"""The timeline's JSON form in a report (schemas/timeline.schema.json), read back strictly."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from cdccheck.errors import ConfigError
from cdccheck.summary import COUNTER_COLUMNS, Counters

FAILING = "failing"
"""Derived counter written to JSON next to the stored ones: ``events - ok``."""


class _CountersJson(msgspec.Struct, forbid_unknown_fields=True):
    events: int
    ok: int
    failing: int
    undecodable: int
    legacy_invalid: int
    new_invalid: int
    both_invalid: int


class _BucketJson(msgspec.Struct):
    start_ms: int
    writers: dict[str, _CountersJson]
    start: str = ""


class _GroupJson(msgspec.Struct):
    schema: str
    kind: str
    path: str
    buckets: list[tuple[int, int]]


class TimelineJson(msgspec.Struct):
    """A report's ``timeline`` value as read back (``Timeline.from_json`` checks the rest)."""

    width_s: int
    max_buckets: int | None
    buckets: list[_BucketJson]
    groups: list[_GroupJson]
    untimed: dict[str, _CountersJson] = msgspec.field(default_factory=dict)
    before_horizon: dict[str, _CountersJson] = msgspec.field(default_factory=dict)


def counters_json(counters: Counters) -> dict[str, int]:
    """One writer's counters as JSON, with the derived ``failing`` next to the stored ones."""
    stored = counters.as_dict()
    return {
        "events": stored["events"],
        "ok": stored["ok"],
        FAILING: stored["events"] - stored["ok"],
        **{column: stored[column] for column in COUNTER_COLUMNS[2:]},
    }


def table_json(table: Mapping[str, Counters]) -> dict[str, dict[str, int]]:
    """Counters per writer as JSON, writers sorted."""
    return {writer: counters_json(table[writer]) for writer in sorted(table)}


def counters_from(raw: _CountersJson) -> Counters:
    """Counters read back; ConfigError when ``failing`` disagrees with ``events - ok``."""
    if raw.failing != raw.events - raw.ok:
        raise ConfigError(
            f"bad report timeline: failing {raw.failing} is not events {raw.events} - ok {raw.ok}"
        )
    values = msgspec.structs.asdict(raw)
    return Counters(**{column: values[column] for column in COUNTER_COLUMNS})
