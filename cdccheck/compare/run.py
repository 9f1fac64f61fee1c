"""``run_compare``: two (or three) sources of entries in, one CompareSummary out.

The data flow of docs/architecture.md, for two writers at once::

    entries of each side -> decode, op, key, entity (events)
      -> pairing per key within the window (pairing)
      -> diff of each pair (diff) -> CompareSummary (summary), entities, --events-out

The function takes plain iterables of ``cdccheck.model.Entry``: a corpus
(``entries_of(read_corpus(path))``), a ``RedisRange`` (iterating one yields
entries), or a list in a test. ``split_entries`` turns one stream that both
writers share into the two sides.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from cdccheck.compare.diff import Differ
from cdccheck.compare.entities import EntityTracker
from cdccheck.compare.events import (
    Decoding,
    Event,
    SideReader,
    Tick,
    UnkeyedEvent,
    Unreadable,
)
from cdccheck.compare.events_out import pair_line, unreadable_line
from cdccheck.compare.options import (
    DEFAULT_NOISE_RATIO,
    DEFAULT_WINDOW_MS,
    Alternatives,
    Ignore,
    parse_entity,
    parse_keys,
)
from cdccheck.compare.pairing import Pairing, Route, pair_sources
from cdccheck.compare.summary import (
    BASELINE,
    CANDIDATE,
    PRIMARY,
    UNDECODABLE,
    UNKEYED,
    CompareSummary,
)
from cdccheck.errors import ConfigError
from cdccheck.model import Entry
from cdccheck.summary import DEFAULT_SAMPLES

LineSink = Callable[[dict[str, Any]], None]
"""Receives each ``--events-out`` line (a ``CompareEventsWriter`` is one)."""

_SIDES = (PRIMARY, CANDIDATE, BASELINE)


def entries_of(batches: Iterable[list[Entry]]) -> Iterator[Entry]:
    """Entries one by one from a source that yields batches (``read_corpus``)."""
    return itertools.chain.from_iterable(batches)


def run_compare(
    primary: Iterable[Entry | Tick],
    candidate: Iterable[Entry | Tick],
    *,
    key: Sequence[str] | Sequence[Alternatives],
    entity: str | Alternatives | None = None,
    ignore: Sequence[str | Ignore] = (),
    window_ms: int = DEFAULT_WINDOW_MS,
    baseline: Iterable[Entry | Tick] | None = None,
    time_tolerance_ms: int = 0,
    noise_ratio: float = DEFAULT_NOISE_RATIO,
    decoding: Decoding | None = None,
    samples: int = DEFAULT_SAMPLES,
    show_values: bool = False,
    events_out: LineSink | None = None,
) -> CompareSummary:
    """Pair and diff the primary (legacy writer) and candidate (new writer) entries.

    ``key``: one ``"PTR[,ALT...]"`` per key option (or parsed alternatives);
    ``entity``: the same for ``--entity``; ``ignore``: pointers (``*`` for any
    one step) left out of every comparison; ``window_ms``: how long an event
    waits for its partner, in stream-id time; ``baseline``: a second source
    of the legacy writer, to mark noise; ``time_tolerance_ms``: RFC 3339
    instants this close are equal. Raises ConfigError for bad options;
    source errors propagate from the iterables.
    """
    keys: tuple[Alternatives, ...] = (
        parse_keys(key) if _are_texts(key) else tuple(key)  # type: ignore[arg-type]
    )
    entity_pointers = parse_entity(entity) if isinstance(entity, str) else entity
    if window_ms < 0:
        raise ConfigError(f"bad --window {window_ms} ms: it cannot be negative")
    if time_tolerance_ms < 0:
        raise ConfigError(f"bad --time-tolerance {time_tolerance_ms} ms: it cannot be negative")
    if samples < 0:
        raise ConfigError(f"bad --samples {samples}: it cannot be negative")
    differ = Differ(ignore, time_tolerance_ms=time_tolerance_ms)
    summary = CompareSummary(samples=samples, show_values=show_values, noise_ratio=noise_ratio)
    tracker = EntityTracker(differ, window_ms) if entity_pointers is not None else None
    readers = [
        SideReader(source, keys, entity=entity_pointers, decoding=decoding)
        for source in ((primary, candidate) if baseline is None else (primary, candidate, baseline))
    ]
    compare = differ.compare

    def on_pair(first: Event, second: Event) -> None:
        diffs, warnings = compare(first.value, second.value)
        summary.add_pair(first.op, first.id, second.id, diffs, warnings)
        if tracker is not None:
            tracker.pair(first, second, not diffs)
        if events_out is not None:
            events_out(pair_line(first, second, diffs, warnings, show_values=show_values))

    def on_unpaired(event: Event, side: int) -> None:
        if side == 0:
            summary.add_missing(event.op)
        else:
            summary.add_extra(event.op)
        if events_out is not None:
            if side == 0:
                events_out(pair_line(event, None, [], [], show_values=show_values))
            else:
                events_out(pair_line(None, event, [], [], show_values=show_values))

    def on_baseline_pair(first: Event, second: Event) -> None:
        summary.add_baseline_pair(compare(first.value, second.value)[0])

    def on_baseline_unpaired(event: Event, side: int) -> None:
        summary.add_baseline_unpaired(missing=side == 0)

    def on_unreadable(index: int, item: Event | Unreadable) -> None:
        side = _SIDES[index]
        if isinstance(item, UnkeyedEvent):
            summary.add_unreadable(
                side,
                UNKEYED,
                item.op,
                item.missing_key,
                item.id,
                f"none of {item.missing_key} is present",
            )
            if tracker is not None and index < 2:
                tracker.read(index, item)
        else:
            assert isinstance(item, Unreadable)
            summary.add_unreadable(side, UNDECODABLE, item.op, item.path, item.id, item.message)
        if events_out is not None and index < 2:
            events_out(unreadable_line(side, item))

    candidate_pairing = Pairing(window_ms, on_pair, on_unpaired)
    routes: list[list[Route]] = [[(candidate_pairing, 0)], [(candidate_pairing, 1)]]
    if baseline is not None:
        summary.start_baseline()
        baseline_pairing = Pairing(window_ms, on_baseline_pair, on_baseline_unpaired)
        routes[0].append((baseline_pairing, 0))
        routes.append([(baseline_pairing, 1)])
    on_read = None
    on_progress = None
    if tracker is not None:
        track = tracker.read

        def on_read(index: int, event: Event) -> None:
            if index < 2:
                track(index, event)

        on_progress = tracker.progress
    pair_sources(
        readers, routes, on_unreadable=on_unreadable, on_read=on_read, on_progress=on_progress
    )
    stats = [summary.primary, summary.candidate, summary.baseline]
    for reader, side_stats in zip(readers, stats, strict=False):
        assert side_stats is not None
        side_stats.span(reader.first_id, reader.last_id, reader.events)
    if tracker is not None:
        summary.entities = tracker.finish()
    return summary


def _are_texts(values: Any) -> bool:
    return isinstance(values, str) or all(isinstance(value, str) for value in values)


SPLIT_READ_AHEAD = 1_000
"""Entries one side of a split may hold for the other before it says how far it has read."""


def split_entries(
    entries: Iterable[Entry], field: str, primary_value: str, candidate_value: str
) -> tuple[Iterator[Entry | Tick], Iterator[Entry | Tick], dict[str, int]]:
    """One stream both writers share, as two sides by the value of ``field``.

    Returns (primary entries, candidate entries, counts) where ``counts``
    (filled while reading) says how many entries had another value or no
    such field: they belong to neither side. The two iterators share one
    reader; what one has read ahead for the other waits in a queue. When
    that queue is long, the reading side yields a ``Tick`` (how far the
    stream has been read) so that ``run_compare`` can go on with the other
    side: memory stays bounded even while one writer is silent.
    """
    source = iter(entries)
    wanted = {primary_value.encode(): 0, candidate_value.encode(): 1}
    queues: tuple[deque[Entry], deque[Entry]] = (deque(), deque())
    counts = {"other": 0}

    def side(index: int) -> Iterator[Entry | Tick]:
        own, other = queues[index], queues[1 - index]
        while True:
            if own:
                yield own.popleft()
                continue
            for entry in source:
                raw = entry.fields.get(field)
                target = wanted.get(raw) if raw is not None else None
                if target is None:
                    counts["other"] += 1
                    continue
                if target == index:
                    yield entry
                    break
                other.append(entry)
                if len(other) >= SPLIT_READ_AHEAD:
                    ms = entry.id.partition("-")[0]
                    if ms.isdigit():
                        yield Tick(int(ms))
                        break
            else:
                if not own:
                    return

    return side(0), side(1), counts
