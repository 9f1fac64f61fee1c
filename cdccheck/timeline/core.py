"""The Timeline: counters per writer and group counts per bucket, and its JSON form."""

from __future__ import annotations

import bisect
import collections
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import msgspec

from cdccheck.errors import ConfigError
from cdccheck.grouping import GroupKey, group_path, group_role
from cdccheck.model import (
    ENGINE,
    INTERNAL_ERROR,
    LEGACY,
    NEW,
    UNDECODABLE,
    UNKNOWN,
    WIRE,
    AscendingBatch,
    Entry,
    EventVerdict,
)
from cdccheck.summary import COUNTER_COLUMNS, Counters
from cdccheck.timeline.widths import (
    DEFAULT_MAX_BUCKETS,
    WIDTHS_S,
    format_width,
    iso,
    parse_width,
    stream_ms,
)

GroupsOf = Callable[[EventVerdict], Iterable[GroupKey]]
"""The finding-group keys an event counts in (a Summary's own, see ``Timeline.add``)."""
WriterLabel = Callable[[str], str]
"""The label a writer is counted under (a Summary's writer label: clipped or ``(other)``)."""
GroupHome = Callable[[GroupKey], "GroupKey | None"]
"""The group a group key is counted in now (a Summary's, under its caps); None: not kept."""
FAILING = "failing"
"""Derived counter written to JSON next to the stored ones: ``events - ok``."""


def within_horizon(timeline: Timeline, horizon_s: int) -> Timeline:
    """``timeline`` without the buckets that end ``horizon_s`` or more before its newest ends.

    Stream-id time, not the clock: the horizon follows the newest event
    counted, so the result does not depend on when (or on which machine)
    it is computed.
    """
    if not timeline.buckets:
        return timeline
    newest_end = max(timeline.buckets) + timeline.width_ms
    cutoff = newest_end - horizon_s * 1000
    if min(timeline.buckets) + timeline.width_ms > cutoff:
        return timeline
    return timeline.trim(cutoff)


def _fits(starts: Iterable[int], width_ms: int, limit: int | None) -> bool:
    """Whether buckets starting at ``starts`` span at most ``limit`` buckets of ``width_ms``."""
    if limit is None:
        return True
    first = last = None
    for start in starts:
        index = start // width_ms
        first = index if first is None or index < first else first
        last = index if last is None or index > last else last
    return first is None or last is None or last - first + 1 <= limit


def _add_counters(table: dict[str, Counters], writer: str, counters: Counters) -> None:
    """Add ``counters`` into ``table[writer]``; the table owns its Counters, so in place."""
    current = table.get(writer)
    if current is None:
        table[writer] = msgspec.structs.replace(counters)
        return
    current.events += counters.events
    current.ok += counters.ok
    current.undecodable += counters.undecodable
    current.legacy_invalid += counters.legacy_invalid
    current.new_invalid += counters.new_invalid
    current.both_invalid += counters.both_invalid
    current.errors += counters.errors


def _copy_table(table: Mapping[str, Counters]) -> dict[str, Counters]:
    return {writer: msgspec.structs.replace(counters) for writer, counters in table.items()}


def _writer_name(raw: bytes | None) -> str:
    return UNKNOWN if raw is None else raw.decode("utf-8", "replace")


def _entry_ms(entry: Entry) -> int:
    # Only for ordered batches, whose ids are all Redis stream ids (-1 never happens there).
    ms = stream_ms(entry.id)
    return -1 if ms is None else ms


def _group_keys(verdict: EventVerdict) -> set[GroupKey]:
    """The finding groups an event counts in, as Summary files it (docs/semantics.md, rule 5)."""
    if verdict.error is not None:
        return {(ENGINE, INTERNAL_ERROR, "")}
    if not verdict.decodable:
        return {(WIRE, UNDECODABLE, "")}
    keys: set[GroupKey] = set()
    for schema, findings in ((LEGACY, verdict.legacy), (NEW, verdict.new)):
        for finding in findings or ():
            keys.add((schema, finding.kind, group_path(finding.path)))
    return keys


class Timeline(msgspec.Struct):
    """Verdict counters per writer and finding-group counts, per bucket of stream-id time.

    ``buckets`` maps a bucket's start (ms since the epoch) to {writer:
    Counters}; ``groups`` maps a finding group (schema, kind, path) to
    {bucket start: events}. Only non-empty buckets are stored.
    """

    width_s: int = WIDTHS_S[0]
    max_buckets: int | None = DEFAULT_MAX_BUCKETS
    """None: the width was given and the timeline never coarsens by itself."""
    buckets: dict[int, dict[str, Counters]] = msgspec.field(default_factory=dict)
    groups: dict[GroupKey, dict[int, int]] = msgspec.field(default_factory=dict)
    untimed: dict[str, Counters] = msgspec.field(default_factory=dict)
    """Per writer: events whose id carries no time (not a Redis stream id)."""
    before_horizon: dict[str, Counters] = msgspec.field(default_factory=dict)
    """Per writer: events of buckets dropped by ``trim`` (older than the horizon)."""

    def __post_init__(self) -> None:
        if self.width_s not in WIDTHS_S:
            raise ConfigError(
                f"bad timeline width {self.width_s}s: expected one of "
                f"{', '.join(format_width(width) for width in WIDTHS_S)}"
            )
        if self.max_buckets is not None and self.max_buckets < 1:
            raise ConfigError(f"bad timeline bound {self.max_buckets}: it must be at least 1")

    @classmethod
    def with_width(
        cls, width: str | int | None, max_buckets: int = DEFAULT_MAX_BUCKETS
    ) -> Timeline:
        """An empty timeline: automatic when ``width`` is None, else of that fixed width."""
        if width is None:
            return cls(max_buckets=max_buckets)
        seconds = parse_width(width) if isinstance(width, str) else width
        return cls(width_s=seconds, max_buckets=None)

    @property
    def width_ms(self) -> int:
        return self.width_s * 1000

    # ---------------------------------------------------------------- adding

    def add(
        self,
        verdict: EventVerdict,
        groups: Iterable[GroupKey] | None = None,
        *,
        writer: str | None = None,
    ) -> None:
        """Count one event with its full verdict, in its finding groups.

        ``groups``: the group keys to count it in, when the caller files
        findings itself (a Summary passes the keys of its own groups, a key
        once per event path it counts); by default those of the verdict's
        findings, as Summary files them. ``writer``: the label to count the
        event under (a Summary's writer label); the verdict's writer by default.
        """
        counters = Counters()
        counters.count(verdict)
        keys = _group_keys(verdict) if groups is None else groups
        self._count(verdict.id, verdict.writer if writer is None else writer, counters, keys)

    def add_ok(self, event_id: str, writer: str, events: int = 1) -> None:
        """Count ``events`` healthy events of ``writer`` at the time of ``event_id``."""
        self._count(event_id, writer, Counters(events=events, ok=events), ())

    def add_batch(
        self,
        entries: list[Entry],
        verdicts: list[EventVerdict],
        writer_field: str = "writer",
        *,
        ordered: bool = False,
        groups_of: GroupsOf | None = None,
        writer_label: WriterLabel | None = None,
    ) -> None:
        """Count a batch checked by ``Engine.check_batch``.

        ``verdicts`` are the full verdicts of the events that were not
        healthy, in entry order; every other entry is a healthy event of the
        writer named by its ``writer_field`` (``?`` without one, as the
        engine's ``writer_of`` says: docs/semantics.md, rule 7).

        ``ordered``: the caller knows the ids ascend (a Redis read does, and
        says so by handing an ``AscendingBatch``), so the batch is counted
        bucket by bucket with one pass over the writer fields and no parsing
        of the healthy events' ids.

        ``groups_of(verdict)``: the group keys of each verdict (see ``add``);
        ``writer_label(writer)``: the label each writer is counted under.
        """
        if not entries:
            if verdicts:
                raise ValueError(f"verdict for {verdicts[0].id} matches no entry of the batch")
            return
        ordered = ordered or isinstance(entries, AscendingBatch)
        if ordered and self._add_ordered(entries, verdicts, writer_field, groups_of, writer_label):
            return
        pending = iter(verdicts)
        following = next(pending, None)
        # This runs for every event of every command: healthy events are tallied
        # per (bucket, raw writer) and decoded and counted once per batch;
        # _count_at re-aligns a start should add() coarsen the timeline meanwhile.
        healthy: dict[tuple[int | None, bytes | None], int] = {}
        width_ms = self.width_ms
        for entry in entries:
            raw = entry.fields.get(writer_field)
            if (
                following is not None
                and following.id == entry.id
                and following.writer == _writer_name(raw)
            ):
                self.add(
                    following,
                    None if groups_of is None else groups_of(following),
                    writer=None if writer_label is None else writer_label(following.writer),
                )
                following = next(pending, None)
                continue
            head, dash, tail = entry.id.partition("-")
            key: tuple[int | None, bytes | None] = (None, raw)
            if dash and head.isdigit() and tail.isdigit():
                ms = int(head)
                key = (ms - ms % width_ms, raw)
            healthy[key] = healthy.get(key, 0) + 1
        if following is not None:
            raise ValueError(f"verdict for {following.id} matches no entry of the batch")
        named: dict[tuple[int | None, str], int] = {}
        for (start, raw), events in healthy.items():
            slot = (start, _writer_name(raw))  # two raw values may decode alike
            named[slot] = named.get(slot, 0) + events
        self._flush_healthy(named, writer_label)

    def _add_ordered(
        self,
        entries: list[Entry],
        verdicts: list[EventVerdict],
        writer_field: str,
        groups_of: GroupsOf | None,
        writer_label: WriterLabel | None,
    ) -> bool:
        """An ordered batch counted bucket by bucket; False (nothing counted) if it cannot be.

        The ids ascend, so the bucket boundaries are found by bisection and
        each bucket's slice is counted at once (``_add_one_bucket``): no id of
        a healthy event is parsed.
        """
        first, last = stream_ms(entries[0].id), stream_ms(entries[-1].id)
        if first is None or last is None or last < first:
            return False
        width_ms = self.width_ms
        if first // width_ms == last // width_ms:
            return self._add_one_bucket(entries, verdicts, writer_field, groups_of, writer_label)
        slices: list[tuple[list[Entry], list[EventVerdict]]] = []
        lo = taken = 0
        while lo < len(entries):
            start = stream_ms(entries[lo].id)
            if start is None:
                return False
            end = start - start % width_ms + width_ms
            hi = bisect.bisect_left(entries, end, lo, key=_entry_ms)
            until = taken
            while until < len(verdicts) and (stream_ms(verdicts[until].id) or 0) < end:
                until += 1
            slices.append((entries[lo:hi], verdicts[taken:until]))
            lo, taken = hi, until
        if taken != len(verdicts):
            raise ValueError(f"verdict for {verdicts[taken].id} matches no entry of the batch")
        for part, said in slices:
            counted = self._add_one_bucket(part, said, writer_field, groups_of, writer_label)
            assert counted, "a slice of one bucket stays in one bucket as the width coarsens"
        return True

    def _add_one_bucket(
        self,
        entries: list[Entry],
        verdicts: list[EventVerdict],
        writer_field: str,
        groups_of: GroupsOf | None,
        writer_label: WriterLabel | None,
    ) -> bool:
        first, last = stream_ms(entries[0].id), stream_ms(entries[-1].id)
        width_ms = self.width_ms
        if first is None or last is None or first // width_ms != last // width_ms:
            return False
        if verdicts:
            ids = {entry.id for entry in entries}
            for verdict in verdicts:
                if verdict.id not in ids:
                    raise ValueError(f"verdict for {verdict.id} matches no entry of the batch")
        by_raw = collections.Counter(entry.fields.get(writer_field) for entry in entries)
        healthy: dict[str, int] = {}
        for raw, events in by_raw.items():
            name = _writer_name(raw)
            healthy[name] = healthy.get(name, 0) + events
        # The batch's other events are tallied per writer and per group first,
        # then counted in the one bucket at once (as add() would, one by one).
        failing: dict[str, Counters] = {}
        in_groups: dict[GroupKey, int] = {}
        for verdict in verdicts:
            label = verdict.writer if writer_label is None else writer_label(verdict.writer)
            counters = failing.get(label)
            if counters is None:
                counters = failing[label] = Counters()
            counters.count(verdict)
            for key in _group_keys(verdict) if groups_of is None else groups_of(verdict):
                in_groups[key] = in_groups.get(key, 0) + 1
            healthy[verdict.writer] = healthy.get(verdict.writer, 0) - 1
        if any(events < 0 for events in healthy.values()):
            raise ValueError("verdicts name writers that the batch's entries do not have")
        for label, counters in failing.items():
            self._count_at(first, label, counters, ())
        if in_groups:
            # After the counts: a bucket they opened may have coarsened the timeline.
            start = first - first % self.width_ms
            for key, events in in_groups.items():
                series = self.groups.setdefault(key, {})
                series[start] = series.get(start, 0) + events
        self._flush_healthy(
            {(first, writer): events for writer, events in healthy.items() if events},
            writer_label,
        )
        return True

    def _flush_healthy(
        self, healthy: dict[tuple[int | None, str], int], writer_label: WriterLabel | None
    ) -> None:
        if writer_label is not None:
            labelled: dict[tuple[int | None, str], int] = {}
            for (start, writer), events in healthy.items():
                slot = (start, writer_label(writer))
                labelled[slot] = labelled.get(slot, 0) + events
            healthy = labelled
        for (start, writer), events in healthy.items():
            counters = Counters(events=events, ok=events)
            if start is None:
                _add_counters(self.untimed, writer, counters)
            else:
                self._count_at(start, writer, counters, ())

    def _count(
        self, event_id: str, writer: str, counters: Counters, groups: Iterable[GroupKey]
    ) -> None:
        ms = stream_ms(event_id)
        if ms is None:
            _add_counters(self.untimed, writer, counters)
            return
        self._count_at(ms - ms % self.width_ms, writer, counters, groups)

    def _count_at(
        self, start: int, writer: str, counters: Counters, groups: Iterable[GroupKey]
    ) -> None:
        start -= start % self.width_ms
        bucket = self.buckets.get(start)
        new_bucket = bucket is None
        if bucket is None:
            bucket = self.buckets[start] = {}
        _add_counters(bucket, writer, counters)
        for key in groups:
            series = self.groups.setdefault(key, {})
            series[start] = series.get(start, 0) + counters.events
        if new_bucket and not _fits(self.buckets, self.width_ms, self.max_buckets):
            self._become(self.fitted())

    def _become(self, other: Timeline) -> None:
        self.width_s = other.width_s
        self.buckets = other.buckets
        self.groups = other.groups

    # ---------------------------------------------------------------- re-bucketing

    def coarsen(self, width_s: int) -> Timeline:
        """The same counts in buckets of ``width_s`` (a ladder width not finer than this one)."""
        if width_s not in WIDTHS_S or width_s < self.width_s:
            raise ValueError(f"cannot re-bucket {self.width_s}s buckets into {width_s}s ones")
        width_ms = width_s * 1000
        buckets: dict[int, dict[str, Counters]] = {}
        for start, writers in self.buckets.items():
            target = buckets.setdefault(start - start % width_ms, {})
            for writer, counters in writers.items():
                _add_counters(target, writer, counters)
        groups: dict[GroupKey, dict[int, int]] = {}
        for key, series in self.groups.items():
            coarse = groups.setdefault(key, {})
            for start, events in series.items():
                slot = start - start % width_ms
                coarse[slot] = coarse.get(slot, 0) + events
        return Timeline(
            width_s,
            self.max_buckets,
            buckets,
            groups,
            _copy_table(self.untimed),
            _copy_table(self.before_horizon),
        )

    def fitted(self) -> Timeline:
        """Coarsened to the finest width at which the span fits ``max_buckets``."""
        return self.fit_to(self.max_buckets)

    def fit_to(self, columns: int | None) -> Timeline:
        """Coarsened to the finest width at which the span fits ``columns`` buckets.

        Renderers use it to draw a fixed-width timeline in a bounded space.
        When even a day is too fine, the result has day-wide buckets.
        """
        for width_s in WIDTHS_S:
            if width_s >= self.width_s and _fits(self.buckets, width_s * 1000, columns):
                return self.coarsen(width_s)
        return self.coarsen(max(self.width_s, WIDTHS_S[-1]))

    # ---------------------------------------------------------------- merging

    def merge(self, other: Timeline) -> Timeline:
        """A new Timeline counting both; exact, associative and commutative."""
        bounds = [bound for bound in (self.max_buckets, other.max_buckets) if bound is not None]
        width_s = max(self.width_s, other.width_s)
        width_ms = width_s * 1000
        merged = Timeline(width_s, min(bounds) if bounds else None)
        # The sidecar merges every batch into its own summary: both parts are
        # added bucket by bucket at the merged width (_add_counters copies on
        # first sight), never copied whole first.
        for part in (self, other):
            for start, writers in part.buckets.items():
                target = merged.buckets.setdefault(start - start % width_ms, {})
                for writer, counters in writers.items():
                    _add_counters(target, writer, counters)
            for key, series in part.groups.items():
                into = merged.groups.setdefault(key, {})
                for start, events in series.items():
                    slot = start - start % width_ms
                    into[slot] = into.get(slot, 0) + events
            for writer, counters in part.untimed.items():
                _add_counters(merged.untimed, writer, counters)
            for writer, counters in part.before_horizon.items():
                _add_counters(merged.before_horizon, writer, counters)
        if _fits(merged.buckets, width_ms, merged.max_buckets):
            return merged
        return merged.fitted()

    def absorb(
        self,
        other: Timeline,
        *,
        writer: WriterLabel | None = None,
        group: GroupHome | None = None,
    ) -> None:
        """Add ``other`` to this timeline, in place: ``self.merge(other)`` without copying self.

        The sidecar adds every committed batch to its own timeline: the cost
        is ``other``'s size, not this timeline's (unless the width changes).
        ``writer`` and ``group`` rename ``other``'s writers and group keys
        (a Summary's labels and groups under its caps; None from ``group``:
        the series is not kept).
        """
        bound = self.max_buckets
        bounds = [bound for bound in (self.max_buckets, other.max_buckets) if bound is not None]
        self.max_buckets = min(bounds) if bounds else None
        if other.width_s > self.width_s:
            self._become(self.coarsen(other.width_s))
        width_ms = self.width_ms
        new_bucket = False
        for start, writers in other.buckets.items():
            slot = start - start % width_ms
            target = self.buckets.get(slot)
            if target is None:
                target = self.buckets[slot] = {}
                new_bucket = True
            for name, counters in writers.items():
                _add_counters(target, name if writer is None else writer(name), counters)
        for key, series in other.groups.items():
            home = key if group is None else group(key)
            if home is None:
                continue
            into = self.groups.setdefault(home, {})
            for start, events in series.items():
                slot = start - start % width_ms
                into[slot] = into.get(slot, 0) + events
        for table, part in (
            (self.untimed, other.untimed),
            (self.before_horizon, other.before_horizon),
        ):
            for name, counters in part.items():
                _add_counters(table, name if writer is None else writer(name), counters)
        if (new_bucket or self.max_buckets != bound) and not _fits(
            self.buckets, width_ms, self.max_buckets
        ):
            self._become(self.fitted())

    def rename_writer(self, writer: str, into: str) -> None:
        """Count ``writer``'s events under ``into`` instead, in place.

        A Summary calls it when its caps push a writer label into ``(other)``.
        """
        for table in self._writer_tables():
            counters = table.pop(writer, None)
            if counters is not None:
                _add_counters(table, into, counters)

    def move_group(self, source: GroupKey, target: GroupKey) -> None:
        """Add group ``source``'s series to ``target``'s, in place (a Summary folds a group)."""
        series = self.groups.pop(source, None)
        if not series:
            return
        into = self.groups.setdefault(target, {})
        for start, events in series.items():
            into[start] = into.get(start, 0) + events

    def rename(self, *, writer: WriterLabel, group: GroupHome) -> None:
        """Rename every writer and group key, in place (see ``absorb``); counts are kept."""
        for name in {name for table in self._writer_tables() for name in table}:
            label = writer(name)
            if label != name:
                self.rename_writer(name, label)
        for key in list(self.groups):
            home = group(key)
            if home is None:
                del self.groups[key]
            elif home != key:
                self.move_group(key, home)

    def _writer_tables(self) -> Iterator[dict[str, Counters]]:
        yield from self.buckets.values()
        yield self.untimed
        yield self.before_horizon

    def restrict(self, keys: Iterable[GroupKey]) -> Timeline:
        """Keep only the series of these finding groups (the report's ``findings``)."""
        wanted = set(keys)
        return Timeline(
            self.width_s,
            self.max_buckets,
            {start: _copy_table(writers) for start, writers in self.buckets.items()},
            {key: dict(series) for key, series in self.groups.items() if key in wanted},
            _copy_table(self.untimed),
            _copy_table(self.before_horizon),
        )

    def trim(self, cutoff_ms: int) -> Timeline:
        """Drop the buckets that end at or before ``cutoff_ms`` (the fleet's rolling horizon).

        Their writer counters move to ``before_horizon``, so totals still add
        up; the group series lose those points.
        """
        kept: dict[int, dict[str, Counters]] = {}
        before = _copy_table(self.before_horizon)
        for start, writers in self.buckets.items():
            if start + self.width_ms <= cutoff_ms:
                for writer, counters in writers.items():
                    _add_counters(before, writer, counters)
            else:
                kept[start] = _copy_table(writers)
        groups = {
            key: {start: n for start, n in series.items() if start in kept}
            for key, series in self.groups.items()
        }
        return Timeline(
            self.width_s,
            self.max_buckets,
            kept,
            {key: series for key, series in groups.items() if series},
            _copy_table(self.untimed),
            before,
        )

    # ---------------------------------------------------------------- reading

    def starts(self) -> list[int]:
        """Every bucket start from the first non-empty bucket to the last, gaps included."""
        if not self.buckets:
            return []
        first, last = min(self.buckets), max(self.buckets)
        return list(range(first, last + self.width_ms, self.width_ms))

    def writers(self) -> list[str]:
        """Writers with at least one event in a bucket, sorted."""
        return sorted({writer for writers in self.buckets.values() for writer in writers})

    def writer_totals(self) -> dict[str, Counters]:
        """Per writer, the sum over buckets, ``untimed`` and ``before_horizon``."""
        totals: dict[str, Counters] = {}
        for table in (*self.buckets.values(), self.untimed, self.before_horizon):
            for writer, counters in table.items():
                _add_counters(totals, writer, counters)
        return totals

    def bucket_totals(self) -> dict[int, Counters]:
        """Per bucket start, the counters of all writers together."""
        totals: dict[int, Counters] = {}
        for start, writers in self.buckets.items():
            total = Counters()
            for counters in writers.values():
                total = total.plus(counters)
            totals[start] = total
        return totals

    def ranked_groups(self) -> list[GroupKey]:
        """Group keys, most events first (ties by schema, kind, path), as reports list them."""
        return sorted(self.groups, key=lambda key: (-sum(self.groups[key].values()), *key))

    # ---------------------------------------------------------------- JSON

    def to_json(self) -> dict[str, Any]:
        """The report's ``timeline`` value (schemas/timeline.schema.json)."""
        return {
            "width_s": self.width_s,
            "max_buckets": self.max_buckets,
            "buckets": [
                {
                    "start_ms": start,
                    "start": iso(start),
                    "writers": {
                        writer: _counters_json(writers[writer]) for writer in sorted(writers)
                    },
                }
                for start, writers in sorted(self.buckets.items())
            ],
            "groups": [
                {
                    "schema": key[0],
                    "kind": key[1],
                    "path": key[2],
                    "buckets": [
                        [start, events] for start, events in sorted(self.groups[key].items())
                    ],
                }
                for key in self.ranked_groups()
            ],
            "untimed": _table_json(self.untimed),
            "before_horizon": _table_json(self.before_horizon),
        }

    @classmethod
    def from_json(cls, value: Any) -> Timeline:
        """Rebuild a Timeline from a report's ``timeline``; ConfigError when it is not one."""
        try:
            raw = msgspec.convert(value, _TimelineJson)
            timeline = cls(raw.width_s, raw.max_buckets)
            for bucket in raw.buckets:
                if bucket.start_ms % timeline.width_ms:
                    raise ConfigError(
                        f"timeline bucket {bucket.start_ms} is not aligned to {raw.width_s}s"
                    )
                if bucket.start_ms in timeline.buckets:
                    raise ConfigError(f"timeline bucket {bucket.start_ms} appears twice")
                timeline.buckets[bucket.start_ms] = {
                    writer: _counters_from(counters) for writer, counters in bucket.writers.items()
                }
            for group in raw.groups:
                key = (group.schema, group.kind, group.path)
                series: dict[int, int] = {}
                for start, events in group.buckets:
                    if start not in timeline.buckets:
                        raise ConfigError(
                            f"timeline group {group.path!r} counts bucket {start}, "
                            "which has no events"
                        )
                    series[start] = series.get(start, 0) + events
                    # An overflow group counts an event once per path it stands
                    # for (cdccheck.summary): only a group of one path is bounded.
                    if group_role(group.path) == "group" and series[start] > sum(
                        c.events for c in timeline.buckets[start].values()
                    ):
                        raise ConfigError(
                            f"timeline group {group.path!r} counts more events in bucket "
                            f"{start} than the bucket has"
                        )
                timeline.groups[key] = series
            timeline.untimed = {w: _counters_from(c) for w, c in raw.untimed.items()}
            timeline.before_horizon = {w: _counters_from(c) for w, c in raw.before_horizon.items()}
        except msgspec.ValidationError as error:
            raise ConfigError(f"bad report timeline: {error}") from None
        return timeline

    # ---------------------------------------------------------------- flat counters

    def increments(self) -> Iterator[tuple[tuple[str, ...], int]]:
        """Every non-zero count as (field parts, value), for a store that only adds integers.

        The fleet summary in Redis keeps counters as HINCRBY fields;
        ``from_increments`` reads them back. Parts: ``("t", start_ms,
        writer, counter)`` and ``("tg", start_ms, schema, kind, path)``.
        """
        for start, writers in self.buckets.items():
            for writer, counters in writers.items():
                for column, count in counters.as_dict().items():
                    if count:
                        yield ("t", str(start), writer, column), count
        for (schema, kind, path), series in self.groups.items():
            for start, events in series.items():
                if events:
                    yield ("tg", str(start), schema, kind, path), events

    @classmethod
    def from_increments(
        cls, width_s: int, items: Iterable[tuple[tuple[str, ...], int]]
    ) -> Timeline:
        """The fixed-width Timeline whose ``increments()`` sum to ``items``."""
        timeline = cls(width_s, None)
        for parts, count in items:
            start = int(parts[1])
            if parts[0] == "t":
                counters = timeline.buckets.setdefault(start, {}).setdefault(parts[2], Counters())
                setattr(counters, parts[3], getattr(counters, parts[3]) + count)
            elif parts[0] == "tg":
                series = timeline.groups.setdefault((parts[2], parts[3], parts[4]), {})
                series[start] = series.get(start, 0) + count
        return timeline


class _CountersJson(msgspec.Struct, forbid_unknown_fields=True):
    events: int
    ok: int
    failing: int
    undecodable: int
    legacy_invalid: int
    new_invalid: int
    both_invalid: int
    errors: int = 0  # absent from timelines written before the counter existed


class _BucketJson(msgspec.Struct):
    start_ms: int
    writers: dict[str, _CountersJson]
    start: str = ""


class _GroupJson(msgspec.Struct):
    schema: str
    kind: str
    path: str
    buckets: list[tuple[int, int]]


class _TimelineJson(msgspec.Struct):
    width_s: int
    max_buckets: int | None
    buckets: list[_BucketJson]
    groups: list[_GroupJson]
    untimed: dict[str, _CountersJson] = msgspec.field(default_factory=dict)
    before_horizon: dict[str, _CountersJson] = msgspec.field(default_factory=dict)


def _counters_json(counters: Counters) -> dict[str, int]:
    stored = counters.as_dict()
    return {
        "events": stored["events"],
        "ok": stored["ok"],
        FAILING: stored["events"] - stored["ok"],
        **{column: stored[column] for column in COUNTER_COLUMNS[2:]},
    }


def _table_json(table: Mapping[str, Counters]) -> dict[str, dict[str, int]]:
    return {writer: _counters_json(table[writer]) for writer in sorted(table)}


def _counters_from(raw: _CountersJson) -> Counters:
    if raw.failing != raw.events - raw.ok:
        raise ConfigError(
            f"bad report timeline: failing {raw.failing} is not events {raw.events} - ok {raw.ok}"
        )
    values = msgspec.structs.asdict(raw)
    return Counters(**{column: values[column] for column in COUNTER_COLUMNS})


def merge_timelines(timelines: Iterable[Timeline | None]) -> Timeline | None:
    """The merge of every timeline; None when any is missing (an older report has none).

    A merged timeline must count every event the merged report counts, so
    one report without a timeline leaves the merge without one.
    """
    merged: Timeline | None = None
    for timeline in timelines:
        if timeline is None:
            return None
        merged = timeline if merged is None else merged.merge(timeline)
    return merged
