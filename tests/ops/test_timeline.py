"""Timeline: exact buckets on a seeded multi-hour stream, merge laws, JSON shape, trends."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdccheck.errors import ConfigError
from cdccheck.grouping import OTHER_LABEL
from cdccheck.model import ABSENT, AscendingBatch, Entry, EventVerdict, Finding
from cdccheck.samples import mixed_stream
from cdccheck.summary import Counters, Summary
from cdccheck.timeline import (
    DEFAULT_MAX_BUCKETS,
    WIDTHS_S,
    Timeline,
    first_seen,
    format_width,
    horizon_cutoff,
    merge_timelines,
    parse_width,
    rising_since,
    sparkline,
    stream_ms,
    trend_line,
    writer_sparklines,
)
from tests.sidecar.support import engine

ROOT = Path(__file__).resolve().parents[2]
TIMELINE_SCHEMA = json.loads((ROOT / "schemas" / "timeline.schema.json").read_text())
HOUR_MS = 3_600_000
START_MS = 1_769_594_400_000  # 2026-01-28 10:00:00 UTC


def validate(value: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(
        TIMELINE_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(value)


# ---------------------------------------------------------------- widths


def test_every_width_divides_every_coarser_one() -> None:
    for index, fine in enumerate(WIDTHS_S):
        for coarse in WIDTHS_S[index:]:
            assert coarse % fine == 0
    assert WIDTHS_S[-1] == 86400


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1), ("30s", 30), ("60s", 60), ("5m", 300), ("3h", 10800), ("1d", 86400)],
)
def test_widths_parse_and_format(text: str, seconds: int) -> None:
    assert parse_width(text) == seconds
    assert parse_width(format_width(seconds)) == seconds


@pytest.mark.parametrize("text", ["7s", "2m", "90s", "1w", "5", "", "-1h"])
def test_widths_off_the_ladder_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="bucket width"):
        parse_width(text)


def test_stream_ms() -> None:
    assert stream_ms("1769601600036-0") == 1769601600036
    assert stream_ms("1769601600036-17") == 1769601600036
    assert stream_ms("event-7") is None
    assert stream_ms("12") is None


# ---------------------------------------------------------------- a seeded multi-hour stream


def hours_of_entries(n: int, hours: int, seed: int) -> list[Entry]:
    """The mixed sample stream, re-stamped at random times over ``hours`` hours, in id order."""
    rng = random.Random(seed)
    times = sorted(rng.randrange(START_MS, START_MS + hours * HOUR_MS) for _ in range(n))
    entries = list(mixed_stream(n, seed, defect_rate=0.2))
    ids: list[str] = []
    for ms in times:
        sequence = 0
        while f"{ms}-{sequence}" in ids[-3:]:
            sequence += 1
        ids.append(f"{ms}-{sequence}")
    return [Entry(stream_id, entry.fields) for stream_id, entry in zip(ids, entries, strict=True)]


def expected_width(times: list[int], limit: int = DEFAULT_MAX_BUCKETS) -> int:
    for width_s in WIDTHS_S:
        width_ms = width_s * 1000
        if max(times) // width_ms - min(times) // width_ms + 1 <= limit:
            return width_s
    return WIDTHS_S[-1]


def test_exact_counts_on_a_seeded_stream_spanning_hours() -> None:
    entries = hours_of_entries(3000, hours=6, seed=11)
    checker = engine()
    timeline, summary = Timeline(), Summary()
    for start in range(0, len(entries), 250):  # batches, as the pipeline reads them
        batch = entries[start : start + 250]
        healthy, verdicts = checker.check_batch(batch)
        summary.add_healthy(healthy, batch[0].id, batch[-1].id)
        for verdict in verdicts:
            summary.add(verdict)
        timeline.add_batch(batch, verdicts, checker.writer_field)

    # The width is the finest on the ladder that fits 6 hours in 200 buckets: 5 minutes.
    times = [stream_ms(entry.id) or 0 for entry in entries]
    width_s = expected_width(times)
    assert width_s == 300
    assert timeline.width_s == width_s
    assert len(timeline.starts()) <= DEFAULT_MAX_BUCKETS

    # Brute force: every event's full verdict, counted in its bucket by hand.
    buckets: dict[tuple[int, str], Counter[str]] = {}
    groups: Counter[tuple[tuple[str, str, str], int]] = Counter()
    width_ms = width_s * 1000
    for entry in entries:
        verdict = checker.check(entry)
        ms = stream_ms(entry.id)
        assert ms is not None
        start = ms - ms % width_ms
        tally = buckets.setdefault((start, verdict.writer), Counter())
        tally["events"] += 1
        if not verdict.decodable:
            tally["undecodable"] += 1
            groups[(("wire", "undecodable", ""), start)] += 1
            continue
        tally["ok"] += verdict.ok
        tally["legacy_invalid"] += bool(verdict.legacy)
        tally["new_invalid"] += bool(verdict.new)
        tally["both_invalid"] += bool(verdict.legacy) and bool(verdict.new)
        keys = set()
        for schema, findings in (("legacy", verdict.legacy), ("new", verdict.new)):
            for finding in findings or []:
                keys.add((schema, finding.kind, _star(finding.path)))
        for key in keys:
            groups[(key, start)] += 1

    got = {
        (start, writer): {k: v for k, v in counters.as_dict().items() if v}
        for start, writers in timeline.buckets.items()
        for writer, counters in writers.items()
    }
    assert got == {key: {k: v for k, v in tally.items() if v} for key, tally in buckets.items()}
    assert {
        (key, start): events
        for key, series in timeline.groups.items()
        for start, events in series.items()
    } == dict(groups)

    # And everything adds up to the Summary of the same batches.
    assert {w: c.as_dict() for w, c in timeline.writer_totals().items()} == {
        w: c.as_dict() for w, c in summary.by_writer.items()
    }
    assert {key: sum(series.values()) for key, series in timeline.groups.items()} == {
        key: group.events for key, group in summary.findings.items()
    }
    assert len(timeline.groups) > 5  # the defect classes really showed up
    validate(timeline.to_json())


def _star(path: str) -> str:
    return "/".join("*" if part.isdigit() else part for part in path.split("/"))


def test_a_timeline_split_over_batches_and_merged_equals_one_pass() -> None:
    entries = hours_of_entries(1200, hours=3, seed=5)
    checker = engine()

    def timeline_of(part: list[Entry]) -> Timeline:
        timeline = Timeline()
        _, verdicts = checker.check_batch(part)
        timeline.add_batch(part, verdicts, checker.writer_field)
        return timeline

    whole = timeline_of(entries)
    # Two "sidecars" taking every other batch of 100.
    odd = [e for i, e in enumerate(entries) if (i // 100) % 2]
    even = [e for i, e in enumerate(entries) if not (i // 100) % 2]
    assert timeline_of(odd).merge(timeline_of(even)) == whole


# ---------------------------------------------------------------- merge laws (Hypothesis)

WRITERS = ("py-monolith", "go-comments", "?")
GROUPS = (
    ("legacy", "format", "/comment/created_at"),
    ("new", "missing_required", "/comment/score"),
    ("legacy", "type_mismatch", "/comment/awards/*"),
)


@st.composite
def events(draw: st.DrawFn) -> EventVerdict:
    """One event at a time somewhere in a few hours (or untimed), with a random verdict."""
    timed = draw(st.sampled_from([True, True, True, False]))
    ms = draw(st.integers(START_MS, START_MS + 5 * HOUR_MS))
    sequence = draw(st.integers(0, 3))
    event_id = f"{ms}-{sequence}" if timed else f"event-{ms}"
    writer = draw(st.sampled_from(WRITERS))
    if draw(st.integers(0, 9)) == 0:
        return EventVerdict(event_id, "?", writer, False, None, None, wire_message="bad")
    legacy = [
        Finding(kind, path, "m", ABSENT)
        for schema, kind, path in draw(st.lists(st.sampled_from(GROUPS), max_size=2))
        if schema == "legacy"
    ]
    new = [
        Finding(kind, path, "m", ABSENT)
        for schema, kind, path in draw(st.lists(st.sampled_from(GROUPS), max_size=2))
        if schema == "new"
    ]
    return EventVerdict(event_id, "create", writer, True, legacy, new)


@st.composite
def timelines(draw: st.DrawFn) -> tuple[Timeline, list[EventVerdict]]:
    bound = draw(st.sampled_from([None, 5, 20, DEFAULT_MAX_BUCKETS]))
    width = draw(st.sampled_from(WIDTHS_S[:9]))
    timeline = Timeline(width, bound) if bound is None else Timeline(max_buckets=bound)
    verdicts = draw(st.lists(events(), max_size=25))
    for verdict in verdicts:
        timeline.add(verdict)
    return timeline, verdicts


@settings(max_examples=150, deadline=None)
@given(timelines(), timelines(), timelines())
def test_merge_is_associative_and_commutative(
    a: tuple[Timeline, list[EventVerdict]],
    b: tuple[Timeline, list[EventVerdict]],
    c: tuple[Timeline, list[EventVerdict]],
) -> None:
    x, y, z = a[0], b[0], c[0]
    assert x.merge(y) == y.merge(x)
    assert x.merge(y).merge(z) == x.merge(y.merge(z))
    assert x.merge(y).merge(z) == z.merge(x).merge(y)


@settings(max_examples=150, deadline=None)
@given(timelines(), timelines())
def test_merge_counts_exactly_what_both_counted(
    a: tuple[Timeline, list[EventVerdict]], b: tuple[Timeline, list[EventVerdict]]
) -> None:
    merged = a[0].merge(b[0])
    verdicts = a[1] + b[1]
    # Exact: the merge equals counting every event of both at the merge's width.
    direct = Timeline(merged.width_s, None)
    for verdict in verdicts:
        direct.add(verdict)
    assert merged.buckets == direct.buckets
    assert merged.groups == direct.groups
    assert merged.untimed == direct.untimed
    totals: dict[str, Counters] = {}
    for verdict in verdicts:
        totals.setdefault(verdict.writer, Counters()).count(verdict)
    assert merged.writer_totals() == totals
    if merged.max_buckets is not None:
        assert len(merged.starts()) <= merged.max_buckets or merged.width_s == WIDTHS_S[-1]


@settings(max_examples=100, deadline=None)
@given(timelines())
def test_json_round_trip_and_schema(a: tuple[Timeline, list[EventVerdict]]) -> None:
    timeline = a[0]
    value = timeline.to_json()
    validate(value)
    assert Timeline.from_json(json.loads(json.dumps(value))) == timeline


@settings(max_examples=100, deadline=None)
@given(timelines())
def test_flat_increments_round_trip(a: tuple[Timeline, list[EventVerdict]]) -> None:
    timeline = a[0]
    back = Timeline.from_increments(timeline.width_s, timeline.increments())
    assert back.buckets == timeline.buckets
    assert back.groups == timeline.groups


# ---------------------------------------------------------------- widths in practice


def test_a_growing_timeline_coarsens_and_a_given_width_stays() -> None:
    automatic, fixed = Timeline(), Timeline.with_width("1m")
    for minute in range(0, 24 * 60, 7):  # one day
        verdict = EventVerdict(f"{START_MS + minute * 60_000}-0", "create", "go", True, [], [])
        automatic.add(verdict)
        fixed.add(verdict)
    assert automatic.width_s == 600  # 144 buckets of 10 minutes (5 minutes would be 288)
    assert len(automatic.starts()) == 144
    assert fixed.width_s == 60
    assert fixed.max_buckets is None
    # Merging the two bounds the result by the automatic one.
    merged = automatic.merge(fixed)
    assert merged.width_s == 600
    assert merged.max_buckets == DEFAULT_MAX_BUCKETS


def test_merging_with_a_report_without_a_timeline_has_none() -> None:
    one = Timeline()
    one.add_ok("1769601600036-0", "go")
    assert merge_timelines([one, None, one]) is None
    merged = merge_timelines([one, one])
    assert merged is not None
    assert merged.writer_totals()["go"].events == 2
    assert merge_timelines([]) is None


def test_trim_keeps_the_totals_in_before_horizon() -> None:
    timeline = Timeline.with_width("1h")
    for hour in range(48):
        timeline.add_ok(f"{START_MS + hour * HOUR_MS + 5}-0", "go", events=hour + 1)
        timeline.add(
            EventVerdict(
                f"{START_MS + hour * HOUR_MS + 9}-0",
                "create",
                "py",
                True,
                [Finding("format", "/comment/created_at", "m", "x")],
                [],
            )
        )
    now = START_MS + 48 * HOUR_MS
    trimmed = timeline.trim(horizon_cutoff(now, 1))
    assert len(trimmed.buckets) == 24
    assert min(trimmed.buckets) == START_MS + 24 * HOUR_MS
    assert trimmed.writer_totals() == timeline.writer_totals()
    assert trimmed.before_horizon["go"].events == sum(range(1, 25))
    assert sum(trimmed.groups[("legacy", "format", "/comment/created_at")].values()) == 24
    validate(trimmed.to_json())
    with pytest.raises(ConfigError, match="horizon"):
        horizon_cutoff(now, 0)


def test_restrict_keeps_only_the_reports_groups() -> None:
    timeline = Timeline()
    for path in ("/a", "/b"):
        timeline.add(
            EventVerdict(
                "1769601600036-0", "create", "go", True, [Finding("format", path, "m")], []
            )
        )
    kept = timeline.restrict([("legacy", "format", "/a")])
    assert list(kept.groups) == [("legacy", "format", "/a")]
    assert kept.buckets == timeline.buckets


def test_the_ordered_shortcut_counts_the_same() -> None:
    entries = hours_of_entries(2000, hours=1, seed=3)
    checker = engine()
    plain, shortcut = Timeline.with_width("1m"), Timeline.with_width("1m")
    one_bucket = 0
    for start in range(0, len(entries), 40):
        batch = entries[start : start + 40]
        _, verdicts = checker.check_batch(batch)
        plain.add_batch(batch, verdicts, checker.writer_field)
        shortcut.add_batch(batch, verdicts, checker.writer_field, ordered=True)
        first, last = stream_ms(batch[0].id) or 0, stream_ms(batch[-1].id) or 0
        one_bucket += first // 60_000 == last // 60_000
    assert shortcut == plain
    assert 0 < one_bucket < len(entries) // 40  # both paths were taken


@pytest.mark.parametrize("width", ["1m", None])
def test_an_ascending_batch_over_many_buckets_counts_the_same(width: str | None) -> None:
    # Batches of 400 entries over an hour span several one-minute buckets; with
    # an automatic width bounded to 8 buckets the timeline coarsens mid-run.
    entries = hours_of_entries(3000, hours=1, seed=5)
    checker = engine()

    def fresh() -> Timeline:
        return Timeline.with_width(width) if width else Timeline(max_buckets=8)

    plain, ascending = fresh(), fresh()
    spanning = 0
    for start in range(0, len(entries), 400):
        batch = entries[start : start + 400]
        _, verdicts = checker.check_batch(batch)
        plain.add_batch(batch, verdicts, checker.writer_field)
        ascending.add_batch(AscendingBatch(batch), verdicts, checker.writer_field)
        first, last = stream_ms(batch[0].id) or 0, stream_ms(batch[-1].id) or 0
        spanning += first // 60_000 != last // 60_000
    assert spanning > 0
    assert ascending == plain
    assert sum(c.events for c in ascending.writer_totals().values()) == len(entries)


def test_a_summary_counts_an_ascending_batch_as_any_other() -> None:
    # Small caps, so groups fold and writers go to "(other)": the timeline's
    # tallies must follow the summary's own groups and labels.
    entries = hours_of_entries(3000, hours=2, seed=7)
    checker = engine()
    plain = Summary(timeline=Timeline(), max_names=2, max_parents=3, max_labels=1)
    ascending = Summary(timeline=Timeline(), max_names=2, max_parents=3, max_labels=1)
    for start in range(0, len(entries), 300):
        batch = entries[start : start + 300]
        healthy, verdicts = checker.check_batch(batch)
        plain.add_batch(batch, healthy, verdicts, checker.writer_field)
        ascending.add_batch(AscendingBatch(batch), healthy, verdicts, checker.writer_field)
    assert ascending.timeline == plain.timeline
    assert ascending == plain
    assert ascending.timeline is not None
    assert ascending.timeline.groups
    assert OTHER_LABEL in ascending.by_writer  # the caps did fold writers


def test_an_ascending_batch_with_a_stray_verdict_counts_nothing() -> None:
    entries = AscendingBatch(
        [Entry("1769601600036-0", {"writer": b"go"}), Entry("1769605200036-0", {"writer": b"go"})]
    )
    stray = EventVerdict("1769608800000-0", "create", "go", True, [], [])
    timeline = Timeline.with_width("1m")
    with pytest.raises(ValueError, match="matches no entry"):
        timeline.add_batch(entries, [stray])
    assert timeline.buckets == {}


def test_a_verdict_that_matches_no_entry_is_a_bug() -> None:
    entry = Entry("1769601600036-0", {"writer": b"go"})
    stray = EventVerdict("1769601600099-0", "create", "go", True, [], [])
    with pytest.raises(ValueError, match="matches no entry"):
        Timeline().add_batch([entry], [stray])
    with pytest.raises(ValueError, match="matches no entry"):
        Timeline().add_batch([], [stray])
    with pytest.raises(ValueError, match="matches no entry"):
        Timeline().add_batch([entry], [stray], ordered=True)
    wrong_writer = EventVerdict("1769601600036-0", "create", "py", True, [], [])
    with pytest.raises(ValueError, match="writers"):
        Timeline().add_batch([entry], [wrong_writer], ordered=True)


def test_healthy_writers_are_named_as_the_engine_names_them() -> None:
    entries = [
        Entry("1769601600001-0", {"payload": b"{}", "writer": b"go"}),
        Entry("1769601600002-0", {"payload": b"{}"}),
        Entry("1769601600003-0", {"payload": b"{}", "writer": b"\xff"}),
        Entry("1769601600004-0", {"payload": b"{}", "writer": b"\xfe"}),
        Entry("not-a-stream-id", {"payload": b"{}", "writer": b"go"}),
        Entry("1769601600005-0", {"payload": b"{}", "who": b"py"}),
    ]
    bad = EventVerdict("1769601600002-0", "c", "?", True, [Finding("format", "/a", "m")], [])
    timeline = Timeline()
    timeline.add_batch(entries, [bad])
    (bucket,) = timeline.buckets.values()
    assert {w: (c.events, c.ok) for w, c in bucket.items()} == {
        "go": (1, 1),
        "?": (2, 1),
        "\ufffd": (2, 2),  # two raw values that decode alike add up
    }
    assert timeline.untimed["go"].events == 1
    other = Timeline()
    other.add_batch(entries[-1:], [], writer_field="who")
    assert list(other.writer_totals()) == ["py"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.update(width_s=7), "width"),
        (lambda t: t["buckets"][0].update(start_ms=t["buckets"][0]["start_ms"] + 1), "aligned"),
        (lambda t: t["buckets"][0]["writers"]["go"].update(failing=99), "failing"),
        (lambda t: t["groups"][0]["buckets"][0].__setitem__(1, 99), "more events"),
        (lambda t: t["groups"][0]["buckets"][0].__setitem__(0, 0), "no events"),
        (lambda t: t.update(buckets="x"), "bad report timeline"),
    ],
)
def test_a_damaged_timeline_is_refused(change: Any, message: str) -> None:
    timeline = Timeline()
    timeline.add(
        EventVerdict("1769601600036-0", "create", "go", True, [Finding("format", "/a", "m")], [])
    )
    value = timeline.to_json()
    change(value)
    with pytest.raises(ConfigError, match=message):
        Timeline.from_json(value)


# ---------------------------------------------------------------- first seen, rising since


def shaped(shares: list[float], events: int = 200, width: str = "5m") -> Timeline:
    """A timeline whose group ("legacy", "format", "/x") has these shares, bucket by bucket."""
    timeline = Timeline.with_width(width)
    step = parse_width(width) * 1000
    for index, share in enumerate(shares):
        bad = round(share * events)
        base = START_MS + index * step
        timeline.add_ok(f"{base}-0", "go", events=events - bad)
        for n in range(bad):
            timeline.add(
                EventVerdict(f"{base}-{n + 1}", "c", "go", True, [Finding("format", "/x", "m")], [])
            )
    return timeline


KEY = ("legacy", "format", "/x")


def test_first_seen_is_the_first_bucket_with_the_group() -> None:
    timeline = shaped([0, 0, 0.01, 0, 0.02])
    assert first_seen(timeline, KEY) == START_MS + 2 * 300_000
    assert first_seen(timeline, ("new", "format", "/x")) is None


def test_rising_since_the_hinge_of_the_best_fit() -> None:
    # Flat at 2 %, then a rise that gathers pace: the line fits best from the sixth bucket.
    flat_then_rising = [0.02, 0.03, 0.02, 0.02, 0.02, 0.05, 0.08, 0.12, 0.2]
    assert rising_since(shaped(flat_then_rising), KEY) == START_MS + 6 * 300_000
    # Noise around a flat share starts nothing; one odd bucket (0.05) does not break a rise.
    noise = [0.02, 0.03, 0.01, 0.02, 0.03, 0.02, 0.01, 0.02]
    assert rising_since(shaped([*noise, 0.03, 0.02, 0.01, 0.02]), KEY) is None
    assert rising_since(shaped([*noise, 0.04, 0.06, 0.08, 0.05, 0.12, 0.14, 0.16]), KEY) == (
        START_MS + 8 * 300_000
    )
    # A plateau, then a rise: the trend is the rise after it.
    assert rising_since(shaped([0.0, 0.02, 0.02, 0.02, 0.02, 0.06, 0.1]), KEY) == (
        START_MS + 5 * 300_000
    )


@pytest.mark.parametrize(
    "shares",
    [
        [0.1, 0.1, 0.1, 0.1, 0.1],  # flat
        [0.3, 0.2, 0.1, 0.05, 0.0],  # falling
        [0.05, 0.05, 0.2, 0.2, 0.05, 0.05],  # a spike that went away (two buckets ago)
        [0.1, 0.105],  # too short
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 0.0],  # one bad bucket, then clean again
    ],
)
def test_not_rising(shares: list[float]) -> None:
    assert rising_since(shaped(shares), KEY) is None


def test_a_rise_never_starts_before_the_group_appears() -> None:
    # A jump at the deploy, then a slow climb: the hinge cannot sit before the jump.
    shares = [0.0] * 8 + [0.02 + 0.004 * i for i in range(20)]
    assert first_seen(shaped(shares), KEY) == START_MS + 8 * 300_000
    assert rising_since(shaped(shares), KEY) == START_MS + 8 * 300_000


def test_rising_looks_at_shares_not_counts() -> None:
    # Ten times the traffic, the same 1% failing: not a rise.
    timeline = Timeline.with_width("5m")
    for index, events in enumerate([100, 100, 300, 600, 1000]):
        base = START_MS + index * 300_000
        timeline.add_ok(f"{base}-0", "go", events=events - events // 100)
        for n in range(events // 100):
            timeline.add(
                EventVerdict(f"{base}-{n + 1}", "c", "go", True, [Finding("format", "/x", "m")], [])
            )
    assert rising_since(timeline, KEY) is None


def test_trend_line() -> None:
    timeline = shaped([0.0, 0.01, 0.01, 0.01, 0.05, 0.1, 0.2])
    group = {
        "schema": "legacy",
        "kind": "format",
        "path": "/x",
        "first_id": f"{START_MS + 300_000 + 10_000}-1",
    }
    line = trend_line(group, timeline)
    assert line == (
        f"legacy ✗ /x (format) first seen 2026-01-28 10:05:10 UTC (id {group['first_id']}), "
        "rising since 10:20"
    )
    assert trend_line(group, None).endswith(f"(id {group['first_id']})")
    assert trend_line({**group, "schema": "wire", "path": "", "first_id": "e1"}, None) == (
        "wire (payload) (format) first seen at id e1"
    )


# ---------------------------------------------------------------- sparklines


def test_sparkline_levels() -> None:
    assert sparkline([0.0, None, 0.001, 0.5, 1.0]) == "▁ ▂▅█"
    assert sparkline([0.0, 0.25, 0.5], top=0.5) == "▁▅█"
    assert sparkline([]) == ""


def test_writer_sparklines_fit_the_columns_exactly() -> None:
    timeline = Timeline.with_width("1m")
    for minute in range(180):
        base = START_MS + minute * 60_000
        timeline.add_ok(f"{base}-0", "py")
        if minute >= 120:
            timeline.add(
                EventVerdict(f"{base}-1", "c", "go", True, [Finding("format", "/x", "m")], [])
            )
        else:
            timeline.add_ok(f"{base}-1", "go")
    lines, top, width_s = writer_sparklines(timeline, columns=40)
    assert width_s == 300  # 36 columns of 5 minutes
    assert top == 1.0
    assert lines["py"] == "▁" * 36
    assert lines["go"] == "▁" * 24 + "█" * 12
    absolute, top, _ = writer_sparklines(shaped([0.0, 0.1]), relative=False)
    assert top == 1.0
    assert absolute["go"] == "▁▂"
