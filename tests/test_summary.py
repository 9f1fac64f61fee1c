"""Summary: counters, groups, samples, redaction, merge laws, and the report's JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdccheck.errors import ConfigError
from cdccheck.model import ABSENT, Entry, EventVerdict, Finding
from cdccheck.report.json import build_report, load_report, merge_reports
from cdccheck.summary import Summary, aggregate_path, describe_value, id_order, safe_message
from cdccheck.timeline import Timeline, stream_ms
from tests.helpers import validate_report

SCHEMAS = {
    "legacy": {"path": "l.json", "sha256": "a" * 64},
    "new": {"path": "n.json", "sha256": "b" * 64},
}


def report_of(summary: Summary, **source: Any) -> dict[str, Any]:
    return build_report(
        summary,
        source=source or {"kind": "file", "files": ["x.jsonl"]},
        schemas=SCHEMAS,
        started_at=datetime(2026, 1, 28, tzinfo=UTC),
        elapsed_s=1.5,
    )


def verdict(
    event_id: str,
    *,
    op: str = "create",
    writer: str = "go",
    legacy: list[Finding] | None = None,
    new: list[Finding] | None = None,
    decodable: bool = True,
    warnings: list[tuple[str, Finding]] | None = None,
) -> EventVerdict:
    if not decodable:
        return EventVerdict(
            event_id, "?", writer, False, None, None, wire_message="NaN is not JSON", warnings=[]
        )
    return EventVerdict(
        event_id, op, writer, True, legacy or [], new or [], warnings=warnings or []
    )


def test_counters_obey_the_identity() -> None:
    summary = Summary()
    missing = Finding(
        "missing_required", "/comment/score", "'score' is a required property", ABSENT
    )
    mismatch = Finding("type_mismatch", "/comment/score", "True is not of type 'integer'", True)
    summary.add(verdict("1-0"))
    summary.add(verdict("1-1", legacy=[missing]))
    summary.add(verdict("1-2", new=[mismatch]))
    summary.add(verdict("1-3", legacy=[mismatch], new=[mismatch]))
    summary.add(verdict("1-4", decodable=False, writer="py"))
    t = summary.totals
    assert (t.events, t.ok, t.undecodable, t.legacy_invalid, t.new_invalid, t.both_invalid) == (
        5,
        1,
        1,
        2,
        2,
        1,
    )
    assert t.events == t.ok + t.undecodable + t.legacy_invalid + t.new_invalid - t.both_invalid
    assert summary.by_writer["py"].undecodable == 1
    assert summary.by_op["?"].events == 1
    report = report_of(summary)
    validate_report(report)
    kinds = {(f["schema"], f["kind"], f["path"]): f["events"] for f in report["findings"]}
    assert kinds == {
        ("legacy", "missing_required", "/comment/score"): 1,
        ("legacy", "type_mismatch", "/comment/score"): 1,
        ("new", "type_mismatch", "/comment/score"): 2,
        ("wire", "undecodable", ""): 1,
    }


def test_a_group_counts_its_events_per_writer() -> None:
    summary = Summary()
    missing = Finding(
        "missing_required", "/comment/score", "'score' is a required property", ABSENT
    )
    for index in range(3):
        summary.add(verdict(f"1-{index}", writer="go-comments", legacy=[missing]))
    summary.add(verdict("2-0", writer="py-monolith", legacy=[missing]))
    summary.add(verdict("2-1", writer="py-monolith", decodable=False))
    report = report_of(summary)
    validate_report(report)
    groups = {(g["schema"], g["kind"], g["path"]): g["by_writer"] for g in report["findings"]}
    assert groups == {
        ("legacy", "missing_required", "/comment/score"): {"go-comments": 3, "py-monolith": 1},
        ("wire", "undecodable", ""): {"py-monolith": 1},
    }
    # A report written before groups named their writers reads back as writer "?".
    older = json.loads(json.dumps(report))
    for group in older["findings"]:
        del group["by_writer"]
    assert Summary.from_dict(older).findings[("wire", "undecodable", "")].by_writer == {"?": 1}


def test_a_group_counts_events_not_errors_and_arrays_aggregate() -> None:
    summary = Summary(samples=2)
    for index in range(4):
        findings = [
            Finding("constraint", f"/comment/awards/{i}/count", "0 is less than 1", 0)
            for i in range(3)
        ]
        summary.add(verdict(f"5-{index}", legacy=findings))
    [group] = summary.finding_groups()
    assert (group.path, group.events, group.first_id, group.last_id) == (
        "/comment/awards/*/count",
        4,
        "5-0",
        "5-3",
    )
    assert [s.id for s in group.samples] == ["5-0", "5-1"]
    assert group.samples[0].path == "/comment/awards/0/count"


def test_samples_are_redacted_unless_values_are_asked_for() -> None:
    body = "my secret comment body"
    finding = Finding("type_mismatch", "/comment/body", f"{body!r} is not of type 'integer'", body)
    hidden, shown = Summary(), Summary(show_values=True)
    for summary in (hidden, shown):
        summary.add(verdict("1-0", legacy=[finding]))
    hidden_sample = hidden.finding_groups()[0].samples[0]
    assert body not in json.dumps(report_of(hidden))
    assert hidden_sample.value == {
        "type": "string",
        "length": len(body),
        "shape": "<text, 22 chars>",
    }
    assert hidden_sample.message == "<text, 22 chars> is not of type 'integer'"
    shown_sample = shown.finding_groups()[0].samples[0]
    assert shown_sample.value["value"] == body
    assert body in shown_sample.message


def test_describe_and_redact_edge_values() -> None:
    assert describe_value(ABSENT, False) == {"type": "absent", "shape": "absent"}
    assert describe_value(10**5000, True)["type"] == "integer"
    assert describe_value(10**1000, False)["shape"] == "<integer, 1,001 digits>"
    assert describe_value(-(10**5000), False)["shape"] == "<-integer, 16,610 bits>"
    assert describe_value({"a": 1}, False) == {
        "type": "object",
        "length": 1,
        "shape": "<object, 1 key>",
    }
    assert safe_message("10 is too big", 10, False) == "dd is too big"
    # A number is replaced where it stands alone, not inside another number.
    assert safe_message("5 is less than the minimum of 50", 5, False) == (
        "d is less than the minimum of 50"
    )
    assert len(safe_message("x" * 10_000, None, True)) <= 300


def test_a_sample_shows_the_shape_of_its_value() -> None:
    timestamp = "2026-01-28T12:34:56.123456789Z"
    findings = [
        Finding("format", "/emitted_at", f"{timestamp!r} is not a 'date-time'", timestamp),
        Finding(
            "enum_value", "/reason", "'removed_by_admin' is not one of ['spam']", "removed_by_admin"
        ),
        Finding("type_mismatch", "/comment/score", "True is not of type 'integer'", True),
        Finding("null_not_allowed", "/comment/awards", "None is not of type 'array'", None),
    ]
    summary = Summary()
    summary.add(verdict("1-0", legacy=findings))
    shown = {
        g.path: (g.samples[0].value["shape"], g.samples[0].message)
        for g in summary.finding_groups()
    }
    assert shown == {
        "/emitted_at": (
            "dddd-dd-ddTdd:dd:dd.dddddddddZ",
            "dddd-dd-ddTdd:dd:dd.dddddddddZ is not a 'date-time'",
        ),
        # enum closes /reason to a set of codes: the value is a code, shown as it is.
        "/reason": ('"removed_by_admin"', "'removed_by_admin' is not one of ['spam']"),
        "/comment/score": ("true", "True is not of type 'integer'"),
        "/comment/awards": ("null", "None is not of type 'array'"),
    }


def test_id_order_and_aggregate_path() -> None:
    assert sorted(["10-0", "9-5", "9-10", "line:3"], key=id_order) == [
        "9-5",
        "9-10",
        "10-0",
        "line:3",
    ]
    assert aggregate_path("/a/0/b/12") == "/a/*/b/*"
    assert aggregate_path("/a/0x/1") == "/a/0x/*"


def test_fail_on() -> None:
    summary = Summary()
    missing = Finding("missing_required", "/a", "'a' is a required property", ABSENT)
    summary.add(verdict("1-0", legacy=[missing]))
    assert summary.counts_failures("any") == 1
    assert summary.counts_failures("legacy") == 1
    assert summary.counts_failures("new") == 0
    assert summary.counts_failures("none") == 0


# ------------------------------------------------------------------ merge laws

FINDINGS = st.builds(
    Finding,
    kind=st.sampled_from(["missing_required", "format", "constraint", "type_mismatch"]),
    path=st.sampled_from(["/a", "/b/0", "/b/1", "/c"]),
    message=st.sampled_from(["m1", "m2"]),
    value=st.sampled_from([ABSENT, "v", 3, None]),
)
VERDICTS = st.builds(
    verdict,
    st.builds(lambda ms, seq: f"{ms}-{seq}", st.integers(1, 50), st.integers(0, 3)),
    op=st.sampled_from(["create", "delete", "?"]),
    writer=st.sampled_from(["go", "py", "?"]),
    legacy=st.lists(FINDINGS, max_size=2),
    new=st.lists(FINDINGS, max_size=2),
    decodable=st.booleans(),
    warnings=st.lists(st.tuples(st.sampled_from(["wire", "legacy"]), FINDINGS), max_size=2),
)


def summary_of(verdicts: list[EventVerdict], samples: int = 3) -> Summary:
    summary = Summary(samples=samples)
    for item in verdicts:
        summary.add(item)
    return summary


def canonical(summary: Summary) -> Any:
    return json.dumps(summary.to_dict(), sort_keys=True)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(VERDICTS, max_size=6), st.lists(VERDICTS, max_size=6), st.lists(VERDICTS, max_size=6)
)
def test_merge_is_associative_and_commutative(a: list[Any], b: list[Any], c: list[Any]) -> None:
    sa, sb, sc = summary_of(a), summary_of(b), summary_of(c)
    assert canonical(sa.merge(sb)) == canonical(sb.merge(sa))
    assert canonical(sa.merge(sb).merge(sc)) == canonical(sa.merge(sb.merge(sc)))
    # Merging the parts counts what one summary of everything counts.
    whole = summary_of(a + b + c)
    merged = sa.merge(sb).merge(sc)
    assert merged.totals == whole.totals
    assert merged.by_op == whole.by_op
    assert {k: g.events for k, g in merged.findings.items()} == {
        k: g.events for k, g in whole.findings.items()
    }
    assert {k: (g.first_id, g.last_id) for k, g in merged.findings.items()} == {
        k: (g.first_id, g.last_id) for k, g in whole.findings.items()
    }
    # Who has to fix it stays exact through merges, and a group's writers sum to its events.
    for table in ("findings", "warnings"):
        merged_groups, whole_groups = getattr(merged, table), getattr(whole, table)
        assert {k: g.by_writer for k, g in merged_groups.items()} == {
            k: g.by_writer for k, g in whole_groups.items()
        }
        assert all(sum(g.by_writer.values()) == g.events for g in merged_groups.values())
    validate_report(report_of(merged))


@settings(max_examples=60, deadline=None)
@given(st.lists(VERDICTS, max_size=8))
def test_report_round_trip(verdicts: list[Any]) -> None:
    summary = summary_of(verdicts, samples=5)
    report = report_of(summary)
    validate_report(report)
    assert canonical(Summary.from_dict(report)) == canonical(summary)


# ------------------------------------------------------------------ the timeline in the summary

HOUR_MS = 3_600_000
START_MS = 1_769_594_400_000  # 2026-01-28 10:00:00 UTC
TIMED_VERDICTS = st.builds(
    verdict,
    st.one_of(
        st.builds(
            lambda ms, seq: f"{ms}-{seq}",
            st.integers(START_MS, START_MS + 6 * HOUR_MS),
            st.integers(0, 3),
        ),
        st.sampled_from(["corpus-line-1", "corpus-line-2"]),  # ids without a time
    ),
    op=st.sampled_from(["create", "delete", "?"]),
    writer=st.sampled_from(["go", "py", "?"]),
    legacy=st.lists(FINDINGS, max_size=2),
    new=st.lists(FINDINGS, max_size=2),
    decodable=st.booleans(),
)
TIMELINE_KINDS = st.sampled_from(["auto", "auto-5", "1m", "1h", None])


def timed_summary(verdicts: list[EventVerdict], kind: str | None) -> Summary:
    """A summary with a timeline of ``kind``: automatic, bounded to 5, a fixed width, or none."""
    summary = Summary(samples=3)
    if kind == "auto":
        summary.timeline = Timeline()
    elif kind == "auto-5":
        summary.timeline = Timeline(max_buckets=5)
    elif kind is not None:
        summary.timeline = Timeline.with_width(kind)
    for item in verdicts:
        summary.add(item)
    return summary


def timeline_json(summary: Summary) -> Any:
    return None if summary.timeline is None else json.dumps(summary.timeline.to_json())


@settings(max_examples=150, deadline=None)
@given(
    st.lists(TIMED_VERDICTS, max_size=8),
    st.lists(TIMED_VERDICTS, max_size=8),
    st.lists(TIMED_VERDICTS, max_size=8),
    st.tuples(TIMELINE_KINDS, TIMELINE_KINDS, TIMELINE_KINDS),
)
def test_timelines_merge_associatively_and_commutatively_in_the_summary(
    a: list[Any], b: list[Any], c: list[Any], kinds: tuple[str | None, ...]
) -> None:
    sa, sb, sc = (timed_summary(part, kind) for part, kind in zip((a, b, c), kinds, strict=True))
    assert timeline_json(sa.merge(sb)) == timeline_json(sb.merge(sa))
    left, right = sa.merge(sb).merge(sc), sa.merge(sb.merge(sc))
    assert timeline_json(left) == timeline_json(right)
    assert canonical(left) == canonical(right)
    if None in kinds:
        assert left.timeline is None  # a part without a timeline (an older report)
        return
    assert left.timeline is not None
    # Exact: the merged timeline counts what the merged summary counts, per writer and group.
    assert {w: c.as_dict() for w, c in left.timeline.writer_totals().items()} == {
        w: c.as_dict() for w, c in left.by_writer.items()
    }
    # Group series count timed events only: an id without a time has no bucket.
    timed = timed_summary([v for v in a + b + c if stream_ms(v.id) is not None], None)
    assert {k: sum(series.values()) for k, series in left.timeline.groups.items()} == {
        k: g.events for k, g in timed.findings.items()
    }
    # And it is the timeline of one summary of everything, at the merge's width.
    whole = timed_summary(a + b + c, "auto")
    assert whole.timeline is not None
    width_s = max(whole.timeline.width_s, left.timeline.width_s)
    direct, merged = whole.timeline.coarsen(width_s), left.timeline.coarsen(width_s)
    assert (direct.buckets, direct.groups) == (merged.buckets, merged.groups)
    report = report_of(left)
    validate_report(report)
    assert Summary.from_dict(report).timeline == left.timeline.restrict(left.findings)


def test_a_batch_counts_the_timeline_with_every_entry() -> None:
    """add_batch: healthy events come without verdicts, yet each lands in its own bucket."""
    summary = Summary(timeline=Timeline.with_width("1m"))
    entries = [
        Entry(f"{START_MS + minute * 60_000 + 5}-0", {"writer": writer.encode()})
        for minute, writer in ((0, "go"), (0, "py"), (1, "go"), (3, "go"))
    ]
    broken = verdict(entries[2].id, writer="go", decodable=False)
    healthy = {("create", b"go"): 2, ("create", b"py"): 1}
    summary.add_batch(entries, healthy, [broken])
    assert summary.timeline is not None
    minute = 60_000
    assert {
        start - START_MS: {w: (c.events, c.ok) for w, c in writers.items()}
        for start, writers in summary.timeline.buckets.items()
    } == {0: {"go": (1, 1), "py": (1, 1)}, minute: {"go": (1, 0)}, 3 * minute: {"go": (1, 1)}}
    assert summary.timeline.groups == {("wire", "undecodable", ""): {START_MS + minute: 1}}
    assert (summary.first_id, summary.last_id) == (entries[0].id, entries[-1].id)
    assert summary.totals.events == 4


def test_merge_reports_refuses_different_schemas(tmp_path: Any) -> None:
    one = report_of(summary_of([verdict("1-0")]))
    other = json.loads(json.dumps(one))
    other["schemas"]["new"]["sha256"] = "c" * 64
    with pytest.raises(ConfigError, match="different schemas"):
        merge_reports([one, other])
    merged = merge_reports([one, report_of(summary_of([verdict("2-0")]), kind="redis", stream="s")])
    validate_report(merged)
    assert merged["totals"]["events"] == 2
    assert merged["source"]["kind"] == "merged"


def test_load_report_refuses_other_files(tmp_path: Any) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(ConfigError, match="not a cdccheck report"):
        load_report(bad)
    bad.write_text("{nope")
    with pytest.raises(ConfigError, match="invalid JSON"):
        load_report(bad)
