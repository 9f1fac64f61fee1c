"""Pairing: FIFO per key in time order, window expiry, range ends, unkeyed and undecodable."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from cdccheck.compare import entries_of, parse_keys, run_compare, split_entries
from cdccheck.compare.events import Decoding, Event, SideReader
from cdccheck.compare.pairing import Pairing, pair_sources
from cdccheck.model import Entry
from cdccheck.sources.corpus import read_corpus, write_corpus
from tests.compare.support import entries, entry


def lines_of(primary: list[Entry], candidate: list[Entry], **options: Any) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    run_compare(primary, candidate, events_out=lines.append, **{"key": ["/k"], **options})
    return lines


def pairs_of(lines: list[dict[str, Any]]) -> list[tuple[str | None, str | None, str]]:
    return [(line.get("primary_id"), line.get("candidate_id"), line["result"]) for line in lines]


def test_the_nth_event_of_a_key_pairs_with_the_nth() -> None:
    primary = entries(
        [
            ("1-0", {"k": "a", "n": 1}),
            ("2-0", {"k": "b", "n": 1}),
            ("3-0", {"k": "a", "n": 2}),
            ("4-0", {"k": "a", "n": 3}),
        ]
    )
    candidate = entries(
        [
            ("1-1", {"k": "a", "n": 1}),
            ("2-1", {"k": "a", "n": 2}),
            ("3-1", {"k": "b", "n": 1}),
            ("5-0", {"k": "a", "n": 3}),
        ]
    )
    lines = lines_of(primary, candidate)
    assert sorted(pairs_of(lines)) == [
        ("1-0", "1-1", "equal"),
        ("2-0", "3-1", "equal"),
        ("3-0", "2-1", "equal"),
        ("4-0", "5-0", "equal"),
    ]


def test_order_of_appearance_decides_even_when_values_say_otherwise() -> None:
    primary = entries([("1-0", {"k": "a", "n": 1}), ("2-0", {"k": "a", "n": 2})])
    candidate = entries([("1-0", {"k": "a", "n": 2}), ("2-0", {"k": "a", "n": 1})])
    summary = run_compare(primary, candidate, key=["/k"])
    assert summary.totals.pairs == 2
    assert summary.totals.differing == 2


def test_an_event_expires_once_the_other_side_reads_past_the_window() -> None:
    # Window 100 ms. The candidate's "a" comes 101 ms after the primary's: too late.
    primary = entries([("1000-0", {"k": "a"}), ("1200-0", {"k": "z"})])
    candidate = entries([("1050-0", {"k": "b"}), ("1101-0", {"k": "a"}), ("1200-0", {"k": "z"})])
    lines = lines_of(primary, candidate, window_ms=100)
    assert pairs_of(lines) == [
        # When b is read the primary has already read 1200, more than 100 ms later.
        (None, "1050-0", "extra_in_candidate"),
        # The candidate reads 1101, 101 ms after the primary's a.
        ("1000-0", None, "missing_in_candidate"),
        # The candidate's a waits until the primary's range ends.
        (None, "1101-0", "extra_in_candidate"),
        ("1200-0", "1200-0", "equal"),
    ]


def test_exactly_the_window_apart_still_pairs() -> None:
    primary = entries([("1000-0", {"k": "a"})])
    candidate = entries([("1100-0", {"k": "a"})])
    assert run_compare(primary, candidate, key=["/k"], window_ms=100).totals.pairs == 1
    assert run_compare(primary, candidate, key=["/k"], window_ms=99).totals.pairs == 0


def test_a_zero_window_pairs_only_events_of_the_same_millisecond() -> None:
    primary = entries([("1000-0", {"k": "a"}), ("1001-0", {"k": "b"})])
    candidate = entries([("1000-5", {"k": "a"}), ("1002-0", {"k": "b"})])
    summary = run_compare(primary, candidate, key=["/k"], window_ms=0)
    assert (
        summary.totals.pairs,
        summary.totals.missing_in_candidate,
        summary.totals.extra_in_candidate,
    ) == (1, 1, 1)


def test_unpaired_events_at_both_ends_of_the_ranges() -> None:
    # The primary starts earlier and the candidate ends later than the other.
    primary = entries([("100-0", {"k": "early"}), ("500-0", {"k": "x"}), ("600-0", {"k": "y"})])
    candidate = entries([("500-1", {"k": "x"}), ("600-1", {"k": "y"}), ("900-0", {"k": "late"})])
    lines = lines_of(primary, candidate, window_ms=60_000)
    assert pairs_of(lines)[:2] == [("500-0", "500-1", "equal"), ("600-0", "600-1", "equal")]
    # With a window of a minute, only the ends of the ranges expire these.
    assert set(pairs_of(lines)[2:]) == {
        ("100-0", None, "missing_in_candidate"),
        (None, "900-0", "extra_in_candidate"),
    }


def test_a_side_that_ends_early_leaves_the_rest_unpaired_at_once() -> None:
    primary = entries([(f"{1000 + i}-0", {"k": i}) for i in range(5)])
    candidate = entries([("1000-0", {"k": 0})])
    lines = lines_of(primary, candidate, window_ms=60_000)
    assert pairs_of(lines) == [("1000-0", "1000-0", "equal")] + [
        (f"{1000 + i}-0", None, "missing_in_candidate") for i in range(1, 5)
    ]


def test_pairing_across_batches_of_corpus_files(tmp_path: Path) -> None:
    primary = entries([(f"{1000 + 10 * i}-0", {"k": i % 7, "n": i}) for i in range(40)])
    candidate = entries([(f"{1003 + 10 * i}-0", {"k": i % 7, "n": i}) for i in range(40)])
    write_corpus(tmp_path / "p.jsonl", primary)
    write_corpus(tmp_path / "c.jsonl", candidate)
    for batch_size in (1, 3, 1000):
        summary = run_compare(
            entries_of(read_corpus(tmp_path / "p.jsonl", batch_size=batch_size)),
            entries_of(read_corpus(tmp_path / "c.jsonl", batch_size=batch_size)),
            key=["/k"],
            window_ms=100,
        )
        assert summary.totals.pairs == 40
        assert summary.totals.equal == 40


def test_windows_longer_than_a_gap_pair_across_it() -> None:
    primary = entries([("1000-0", {"k": "a"}), ("9000-0", {"k": "b"})])
    candidate = entries([("8000-0", {"k": "a"}), ("9000-1", {"k": "b"})])
    assert run_compare(primary, candidate, key=["/k"], window_ms=7_000).totals.pairs == 2
    short = run_compare(primary, candidate, key=["/k"], window_ms=6_999).totals
    assert (short.pairs, short.missing_in_candidate, short.extra_in_candidate) == (1, 1, 1)


def test_undecodable_and_unkeyed_events_are_counted_never_paired() -> None:
    primary = [
        entry("1-0", b"NaN"),
        entry("2-0", {"op": "create", "no_key": 1}),
        entry("3-0", {"op": "create", "k": "a"}),
        Entry("4-0", {"other": b"x"}),
    ]
    candidate = [
        entry("1-0", b'{"k": "a", "op": "create"'),
        entry("3-0", {"op": "create", "k": "a"}),
    ]
    lines = lines_of(primary, candidate)
    summary = run_compare(primary, candidate, key=["/k"])
    totals = summary.totals
    assert (totals.pairs, totals.undecodable, totals.unkeyed) == (1, 3, 1)
    assert totals.missing_in_candidate == totals.extra_in_candidate == 0
    assert summary.by_op["?"].undecodable == 3
    assert summary.by_op["create"].unkeyed == 1
    assert summary.by_op["create"].pairs == 1
    results = {(line.get("side"), line.get("id"), line["result"]) for line in lines}
    assert ("primary", "1-0", "undecodable") in results
    assert ("primary", "2-0", "unkeyed") in results
    assert ("primary", "4-0", "undecodable") in results
    assert ("candidate", "1-0", "undecodable") in results
    messages = {group.kind: group.samples[0].message for group in summary.primary.findings.values()}
    assert "NaN" in messages["undecodable"]
    assert messages["unkeyed"] == "none of /k is present"
    assert (
        summary.candidate.findings[("undecodable", "")]
        .samples[0]
        .message.startswith("invalid JSON")
    )


def test_every_event_is_on_exactly_one_events_out_line() -> None:
    primary = [*entries([(f"{i}-0", {"k": i % 3}) for i in range(10)]), entry("20-0", b"[")]
    candidate = entries([(f"{i}-1", {"k": i % 3}) for i in range(2, 12)])
    lines = lines_of(primary, candidate, window_ms=3)
    seen_primary = [line["primary_id"] for line in lines if line.get("primary_id")]
    seen_primary += [line["id"] for line in lines if line.get("side") == "primary"]
    seen_candidate = [line["candidate_id"] for line in lines if line.get("candidate_id")]
    assert sorted(seen_primary) == sorted(e.id for e in primary)
    assert sorted(seen_candidate) == sorted(e.id for e in candidate)


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        ({"comment": {"id": "t1"}}, ["t1"]),
        ({"comment_id": "t1"}, ["t1"]),
        # a step through null does not resolve: the alternative is tried
        ({"comment": None, "comment_id": "t1"}, ["t1"]),
        # but a null value at the end is a value
        ({"comment": {"id": None}, "comment_id": "t1"}, [None]),
        ({"comment": [], "comment_id": "t1"}, ["t1"]),
    ],
)
def test_key_alternatives_resolve_only_when_every_step_exists(
    payload: dict[str, Any], key: list[Any]
) -> None:
    reader = SideReader([entry("1-0", payload)], parse_keys(["/comment/id,/comment_id"]))
    (event,) = list(reader)
    assert type(event) is Event
    lines: list[dict[str, Any]] = []
    run_compare(
        [entry("1-0", payload)],
        [entry("1-0", payload)],
        key=["/comment/id,/comment_id"],
        events_out=lines.append,
        show_values=True,
    )
    assert lines[0]["key"] == key


def test_array_index_steps_and_typed_key_values() -> None:
    primary = entries([("1-0", {"ids": [7, 8]}), ("2-0", {"ids": [True]}), ("3-0", {"ids": []})])
    candidate = entries([("1-0", {"ids": [7.0, 9]}), ("2-0", {"ids": [1]})])
    summary = run_compare(primary, candidate, key=["/ids/0"])
    # 7 and 7.0 are one key; true is not 1; an index past the end does not resolve
    assert (
        summary.totals.pairs,
        summary.totals.missing_in_candidate,
        summary.totals.extra_in_candidate,
        summary.totals.unkeyed,
    ) == (1, 1, 1, 1)


def test_a_key_of_several_options_needs_every_option_to_resolve() -> None:
    primary = entries([("1-0", {"op": "update", "id": "a"}), ("2-0", {"op": "update"})])
    candidate = entries([("1-0", {"op": "update", "id": "a"}), ("2-0", {"op": "update"})])
    summary = run_compare(primary, candidate, key=["/op", "/id"])
    assert (summary.totals.pairs, summary.totals.unkeyed) == (1, 2)
    assert set(summary.primary.findings) == {("unkeyed", "/id")}


def test_ids_going_backwards_or_without_time_keep_the_side_clock_monotonic() -> None:
    items = entries([("5000-0", {"k": 1}), ("1000-0", {"k": 2}), ("line-3", {"k": 3})])
    reader = SideReader(items, parse_keys(["/k"]))
    assert [event.time for event in reader] == [5000, 5000, 5000]


def test_waiting_events_stay_bounded_by_the_window() -> None:
    """A candidate that misses every other event: memory follows the window, not the range."""
    window = 50

    def side(skip_odd: bool) -> Any:
        for i in range(20_000):
            if skip_odd and i % 2:
                continue
            yield Entry(f"{10_000 + i}-0", {"payload": b'{"k": %d}' % i})

    keys = parse_keys(["/k"])
    counts = {"pairs": 0, "unpaired": 0}
    pairing = Pairing(
        window,
        lambda a, b: counts.__setitem__("pairs", counts["pairs"] + 1),
        lambda e, s: counts.__setitem__("unpaired", counts["unpaired"] + 1),
    )
    most = 0

    def watch(times: Any) -> None:
        nonlocal most
        most = max(most, pairing.waiting())

    pair_sources(
        [SideReader(side(False), keys), SideReader(side(True), keys)],
        [[(pairing, 0)], [(pairing, 1)]],
        on_unreadable=lambda i, item: None,
        on_progress=watch,
    )
    assert counts == {"pairs": 10_000, "unpaired": 10_000}
    assert most <= window + 2


def test_split_one_stream_by_writer() -> None:
    stream = [
        entry("1-0", {"k": "a"}, writer=b"py"),
        entry("1-1", {"k": "a"}, writer=b"go"),
        entry("2-0", {"k": "b"}, writer=b"other"),
        entry("3-0", {"k": "c"}),
        entry("4-0", {"k": "b"}, writer=b"go"),
        entry("5-0", {"k": "b"}, writer=b"py"),
    ]
    primary, candidate, counts = split_entries(stream, "writer", "py", "go")
    summary = run_compare(primary, candidate, key=["/k"])
    assert (summary.totals.pairs, summary.totals.equal) == (2, 2)
    assert counts == {"other": 2}
    assert (summary.primary.events, summary.candidate.events) == (2, 2)


def test_split_iterators_can_be_drained_one_after_the_other() -> None:
    stream = [entry(f"{i}-0", {"k": i}, writer=b"py" if i % 3 else b"go") for i in range(30)]
    primary, candidate, _ = split_entries(stream, "writer", "py", "go")
    assert [e.id for e in candidate] == [f"{i}-0" for i in range(0, 30, 3)]
    assert len(list(primary)) == 20


def test_debezium_layout_and_per_entry_encoding() -> None:
    import msgspec

    primary = [Entry("1-0", {"dbserver.comments": json.dumps({"k": 1, "v": 2}).encode()})]
    candidate = [Entry("1-0", {"dbserver.comments": b'{"k": 1, "v": 2.0}'})]
    summary = run_compare(primary, candidate, key=["/k"], decoding=Decoding(layout="debezium"))
    assert summary.totals.equal == 1
    assert ("/v", "number_form") in summary.warnings
    packed = [
        Entry("1-0", {"payload": msgspec.msgpack.encode({"k": 1, "v": 2}), "encoding": b"msgpack"})
    ]
    summary = run_compare(packed, [entry("1-0", {"k": 1, "v": 2})], key=["/k"])
    assert summary.totals.equal == 1


def test_three_sources_read_in_time_order_with_a_baseline() -> None:
    primary = entries([(f"{i * 10}-0", {"k": i}) for i in range(1, 6)])
    baseline = entries([(f"{i * 10 + 1}-0", {"k": i}) for i in range(2, 7)])
    candidate = entries([(f"{i * 10 + 2}-0", {"k": i}) for i in itertools.chain(range(1, 6))])
    summary = run_compare(primary, candidate, baseline=baseline, key=["/k"], window_ms=5)
    assert summary.totals.pairs == 5
    assert summary.baseline_totals is not None
    assert (
        summary.baseline_totals.pairs,
        summary.baseline_totals.missing_in_candidate,
        summary.baseline_totals.extra_in_candidate,
    ) == (4, 1, 1)


def test_a_split_stays_bounded_while_one_writer_is_silent() -> None:
    """The primary writes nothing for a long stretch: the candidate must not pile up."""
    from cdccheck.compare.run import SPLIT_READ_AHEAD

    produced = 0

    def stream() -> Any:
        nonlocal produced
        items = [entry("1000-0", {"k": "first"}, writer=b"py")]
        items.append(entry("1000-1", {"k": "first"}, writer=b"go"))
        items += [entry(f"{2000 + i}-0", {"k": i}, writer=b"go") for i in range(20_000)]
        items.append(entry("99999-0", {"k": "last"}, writer=b"py"))
        for item in items:
            produced += 1
            yield item

    primary, candidate, _ = split_entries(stream(), "writer", "py", "go")
    keys = parse_keys(["/k"])
    readers = [SideReader(primary, keys), SideReader(candidate, keys)]
    pairing = Pairing(100, lambda a, b: None, lambda e, s: None)
    most_waiting = most_read_ahead = 0

    def watch(times: Any) -> None:
        nonlocal most_waiting, most_read_ahead
        most_waiting = max(most_waiting, pairing.waiting())
        most_read_ahead = max(most_read_ahead, produced - readers[0].events - readers[1].events)

    pair_sources(
        readers,
        [[(pairing, 0)], [(pairing, 1)]],
        on_unreadable=lambda i, item: None,
        on_progress=watch,
    )
    assert readers[1].events == 20_001
    assert most_read_ahead <= SPLIT_READ_AHEAD + 2 < 20_000
    assert most_waiting <= 150
    primary, candidate, _ = split_entries(stream(), "writer", "py", "go")
    totals = run_compare(primary, candidate, key=["/k"], window_ms=100).totals
    assert (totals.pairs, totals.missing_in_candidate, totals.extra_in_candidate) == (1, 1, 20_000)
