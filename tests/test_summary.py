"""Summary: counters, groups, samples, redaction, merge laws, and the report's JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdccheck.errors import ConfigError
from cdccheck.grouping import (
    MAX_LABEL,
    MAX_PATH,
    MAX_SEGMENT,
    OTHER_LABEL,
    OTHER_PATHS,
    aggregate_path,
    clip_path,
    group_path,
    id_order,
)
from cdccheck.model import ABSENT, Entry, EventVerdict, Finding
from cdccheck.report.json import build_report, load_report, merge_reports
from cdccheck.summary import Summary, describe_value, safe_message
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


def test_remembered_messages_keep_equal_values_of_other_types_apart() -> None:
    # safe_message remembers its answers for scalars; 1, 1.0 and True are equal
    # dict keys, but only the integer is redacted (booleans are shown as is).
    message = "1 is not of type 'string'"
    assert safe_message(message, 1, False) == "d is not of type 'string'"
    assert safe_message(message, True, False) == message
    assert safe_message(message, 1, False) == "d is not of type 'string'"
    assert safe_message(message, 1, True) == message
    long = "y" * 5000
    assert safe_message(f"{long!r} is too long", long, False) == "<text, 5,000 chars> is too long"


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


# The same laws under tiny caps, with paths and ops that overflow them: folding
# depends on which keys were seen, never on the order, so the laws still hold
# and every count stays exact.
CAPS = {"max_names": 2, "max_parents": 3, "max_labels": 2}
CAPPED_PATHS = ["", "/a", "/b", "/c", "/d", "/x/a", "/x/b", "/x/c", "/y/0/a", "/z/q", "/w/e"]
CAPPED_FINDINGS = st.builds(
    Finding,
    kind=st.sampled_from(["unknown_field", "type_mismatch"]),
    path=st.sampled_from(CAPPED_PATHS),
    message=st.sampled_from(["m1", "m2"]),
    value=st.sampled_from([ABSENT, "v", 3]),
)
CAPPED_VERDICTS = st.builds(
    verdict,
    st.builds(lambda ms, seq: f"{ms}-{seq}", st.integers(1, 50), st.integers(0, 3)),
    op=st.sampled_from(["create", "delete", "update", "?", "(other)", "x" * 100]),
    writer=st.sampled_from(["go", "py", "rust"]),
    legacy=st.lists(CAPPED_FINDINGS, max_size=3),
    new=st.lists(CAPPED_FINDINGS, max_size=2),
    decodable=st.booleans(),
    warnings=st.lists(st.tuples(st.sampled_from(["wire", "new"]), CAPPED_FINDINGS), max_size=3),
)


def capped_of(verdicts: list[EventVerdict], **caps: int) -> Summary:
    summary = Summary(samples=2, **(caps or CAPS))
    for item in verdicts:
        summary.add(item)
    return summary


def without_range(summary: Summary) -> Any:
    body = summary.to_dict()
    del body["range"]
    return json.dumps(body, sort_keys=True)


def events_per_schema_and_kind(table: dict[Any, Any]) -> dict[tuple[str, str], int]:
    sums: dict[tuple[str, str], int] = {}
    for (schema, kind, _), group in table.items():
        sums[schema, kind] = sums.get((schema, kind), 0) + group.events
    return sums


@settings(max_examples=200, deadline=None)
@given(
    # Stream ids are unique in a stream (two samples of one id would be one).
    st.lists(CAPPED_VERDICTS, max_size=24, unique_by=lambda v: v.id),
    st.integers(0, 24),
    st.integers(0, 24),
)
def test_capped_merge_is_associative_commutative_and_exact(
    verdicts: list[Any], cut: int, other_cut: int
) -> None:
    low, high = sorted((cut, other_cut))
    a, b, c = verdicts[:low], verdicts[low:high], verdicts[high:]
    sa, sb, sc = capped_of(a), capped_of(b), capped_of(c)
    assert canonical(sa.merge(sb)) == canonical(sb.merge(sa))
    assert canonical(sa.merge(sb).merge(sc)) == canonical(sa.merge(sb.merge(sc)))
    # The sidecar's in-place absorb gives what merge gives.
    absorbed = capped_of(a)
    absorbed.absorb(sb)
    absorbed.absorb(sc)
    merged = sa.merge(sb).merge(sc)
    assert canonical(absorbed) == canonical(merged)
    # Folding the parts then merging is folding everything at once: groups,
    # counts, ids and samples (only the range differs: "first read" vs min).
    whole = capped_of(a + b + c)
    assert without_range(merged) == without_range(whole)
    # Counters stay exact: the totals, and per (schema, kind) the events of
    # every group (overflow groups count one event per folded path).
    free = capped_of(a + b + c, max_names=100, max_parents=100, max_labels=100)
    assert merged.totals == free.totals
    assert sum(c.events for c in merged.by_op.values()) == free.totals.events
    for table in ("findings", "warnings"):
        assert events_per_schema_and_kind(getattr(merged, table)) == events_per_schema_and_kind(
            getattr(free, table)
        )
    for name, counters in merged.by_writer.items():
        if name != OTHER_LABEL:
            assert counters == free.by_writer[name]
    # ... and the caps hold.
    assert len([op for op in merged.by_op if op not in ("?", OTHER_LABEL)]) <= 2
    for table in (merged.findings, merged.warnings):
        families = {(s, k, p.rpartition("/")[0]) for s, k, p in table if p != OTHER_PATHS}
        assert len(families) <= 3
        for schema, kind, parent in families:
            names = [
                p
                for s, k, p in table
                if (s, k) == (schema, kind)
                and p.rpartition("/")[0] == parent
                and not p.endswith("/~other")
                and p != OTHER_PATHS
            ]
            assert len(names) <= 2
    validate_report(report_of(merged))
    assert canonical(Summary.from_dict(report_of(merged), samples=2).merge(capped_of([]))) == (
        canonical(merged)
    )


def test_distinct_unknown_keys_fold_into_one_group_per_parent() -> None:
    summary = Summary()
    for index in range(5000):
        key = f"k{index * 7919 % 5000:04d}"
        summary.add(
            verdict(
                f"{index + 1}-0",
                op=f"op{index}",
                writer=f"w{index}",
                legacy=[Finding("unknown_field", f"/{key}", f"{key!r} was unexpected", 1)],
            )
        )
    groups = summary.findings
    assert len(groups) == summary.max_names + 1
    other = groups["legacy", "unknown_field", "/~other"]
    assert other.events == 5000 - summary.max_names
    assert sorted(p for _, _, p in groups)[:3] == ["/k0000", "/k0001", "/k0002"]
    assert sum(g.events for g in groups.values()) == summary.totals.events == 5000
    assert len(summary.by_op) == len(summary.by_writer) == summary.max_labels + 1
    assert summary.by_op[OTHER_LABEL].events == 5000 - summary.max_labels
    assert len(json.dumps(report_of(summary))) < 200_000


def test_families_beyond_the_cap_share_the_catch_all() -> None:
    summary = Summary(max_parents=5)
    for index in range(100):
        path = f"/reactions/r{index:03d}/count"
        summary.add(verdict(f"{index + 1}-0", new=[Finding("type_mismatch", path, "m", "x")]))
    kept = sorted(p for _, _, p in summary.findings)
    assert kept[-1] == OTHER_PATHS
    assert kept[:-1] == [f"/reactions/r{index:03d}/count" for index in range(5)]
    assert summary.findings["new", "type_mismatch", OTHER_PATHS].events == 95


def test_long_keys_and_labels_are_clipped_with_a_hash() -> None:
    huge = "k" * 1_000_000
    summary = Summary(samples=1)
    for index, tail in enumerate(("a", "b")):
        path = f"/comment/{huge}{tail}/{index}"
        summary.add(
            verdict(
                f"{index + 1}-0",
                op=huge + tail,
                writer=huge,
                legacy=[Finding("unknown_field", path, f"{huge!r} was unexpected", 1)],
            )
        )
    paths = sorted(p for _, _, p in summary.findings)
    assert len(paths) == 2
    assert all(len(p) <= len("/comment/") + MAX_SEGMENT + 2 for p in paths)
    assert paths[0] != paths[1]
    assert all(p.endswith("/*") and "~h" in p for p in paths)
    assert all(len(op) <= MAX_LABEL for op in summary.by_op)
    assert len(summary.by_op) == 2
    assert len(summary.by_writer) == 1
    report = json.dumps(report_of(summary))
    assert len(report) < 10_000
    sample = summary.findings[next(iter(summary.findings))].samples[0]
    assert len(sample.path) <= MAX_SEGMENT * 2 + len("/comment//1")


def test_deep_paths_are_clipped_to_the_path_limit() -> None:
    path = "/" + "/".join(f"level{i}" for i in range(500))
    clipped = clip_path(path)
    assert len(clipped) <= MAX_PATH
    assert clipped.startswith("/level0/level1/")
    assert "~h" in clipped.rpartition("/")[2]
    assert clip_path(path + "x") != clipped
    assert group_path("/a/12/b") == "/a/*/b"
    assert clip_path("/short/path") == "/short/path"


def test_real_keys_never_collide_with_the_markers() -> None:
    # A key literally named "~other" is escaped as "~0other" by RFC 6901.
    summary = Summary(max_names=1)
    for index, path in enumerate(["/~0other", "/a", "/b"]):
        summary.add(verdict(f"{index + 1}-0", legacy=[Finding("unknown_field", path, "m", 1)]))
    assert {p for _, _, p in summary.findings} == {"/a", "/~other"}
    assert summary.findings["legacy", "unknown_field", "/~other"].events == 2


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


# The caps and the timeline together: writers beyond max_labels and paths
# beyond max_names/max_parents, every event timed, so each group's series adds
# up to its events.
CAPPED_TIMED_VERDICTS = st.builds(
    verdict,
    st.builds(
        lambda ms, seq: f"{ms}-{seq}",
        st.integers(START_MS, START_MS + 6 * HOUR_MS),
        st.integers(0, 3),
    ),
    op=st.sampled_from(["create", "delete", "update", "?"]),
    writer=st.sampled_from(["go", "py", "rust", "?", "w" * 100]),
    legacy=st.lists(CAPPED_FINDINGS, max_size=3),
    new=st.lists(CAPPED_FINDINGS, max_size=2),
    decodable=st.booleans(),
    warnings=st.lists(st.tuples(st.sampled_from(["wire", "new"]), CAPPED_FINDINGS), max_size=2),
)
CAPPED_TIMELINE_KINDS = st.sampled_from(["auto", "auto-5", "1m", "1h"])


def capped_timed(verdicts: list[EventVerdict], kind: str) -> Summary:
    summary = Summary(samples=2, **CAPS)
    summary.timeline = timed_summary([], kind).timeline
    for item in verdicts:
        summary.add(item)
    return summary


@settings(max_examples=150, deadline=None)
@given(
    st.lists(CAPPED_TIMED_VERDICTS, max_size=24, unique_by=lambda v: v.id),
    st.integers(0, 24),
    st.integers(0, 24),
    st.tuples(CAPPED_TIMELINE_KINDS, CAPPED_TIMELINE_KINDS, CAPPED_TIMELINE_KINDS),
)
def test_capped_writers_and_timelines_merge_exactly(
    verdicts: list[Any], cut: int, other_cut: int, kinds: tuple[str, str, str]
) -> None:
    low, high = sorted((cut, other_cut))
    parts = verdicts[:low], verdicts[low:high], verdicts[high:]
    sa, sb, sc = (capped_timed(part, kind) for part, kind in zip(parts, kinds, strict=True))
    assert canonical(sa.merge(sb)) == canonical(sb.merge(sa))
    assert timeline_json(sa.merge(sb)) == timeline_json(sb.merge(sa))
    merged = sa.merge(sb).merge(sc)
    right = sa.merge(sb.merge(sc))
    assert (canonical(merged), timeline_json(merged)) == (canonical(right), timeline_json(right))
    # The sidecar's in-place absorb: groups, writers and timeline as merge has them.
    absorbed = capped_timed(parts[0], kinds[0])
    absorbed.absorb(sb)
    absorbed.absorb(sc)
    assert (canonical(absorbed), timeline_json(absorbed)) == (
        canonical(merged),
        timeline_json(merged),
    )
    # One summary of everything folds the same groups and writers ...
    whole = capped_timed(verdicts, "auto")
    assert without_range(merged) == without_range(whole)
    assert merged.timeline is not None
    assert whole.timeline is not None
    width_s = max(whole.timeline.width_s, merged.timeline.width_s)
    direct, coarse = whole.timeline.coarsen(width_s), merged.timeline.coarsen(width_s)
    assert (direct.buckets, direct.groups) == (coarse.buckets, coarse.groups)
    # ... and every count agrees: the timeline's writers are the summary's
    # writer labels, its series the groups' events (overflow groups included),
    # and each group's writers are summary labels adding up to its events.
    assert {w: c.as_dict() for w, c in merged.timeline.writer_totals().items()} == {
        w: c.as_dict() for w, c in merged.by_writer.items()
    }
    assert {k: sum(series.values()) for k, series in merged.timeline.groups.items()} == {
        k: g.events for k, g in merged.findings.items()
    }
    for group in (*merged.findings.values(), *merged.warnings.values()):
        assert sum(group.by_writer.values()) == group.events
        assert set(group.by_writer) <= set(merged.by_writer)
    assert len([w for w in merged.by_writer if w not in ("?", OTHER_LABEL)]) <= CAPS["max_labels"]
    # Exact per writer: a kept writer's events in a group are its events there
    # without caps on writers.
    free = Summary(samples=2, max_names=2, max_parents=3, max_labels=100)
    for item in verdicts:
        free.add(item)
    for key, group in merged.findings.items():
        for writer, events in group.by_writer.items():
            if writer != OTHER_LABEL:
                assert events == free.findings[key].by_writer[writer]
    report = report_of(merged)
    validate_report(report)
    assert Summary.from_dict(report).timeline == merged.timeline.restrict(merged.findings)


def test_a_writer_pushed_out_moves_into_other_in_groups_and_timeline() -> None:
    summary = Summary(samples=1, max_labels=2, timeline=Timeline.with_width("1m"))
    for index, writer in enumerate(("zz", "yy", "xx", "a")):
        summary.add(
            verdict(
                f"{START_MS + index * 60_000}-0",
                writer=writer,
                legacy=[Finding("type_mismatch", "/a", "m", 1)],
            )
        )
    # "a" and "xx" are the smallest labels (shortest, then by bytes).
    assert set(summary.by_writer) == {"a", "xx", OTHER_LABEL}
    (group,) = summary.findings.values()
    assert group.by_writer == {"a": 1, "xx": 1, OTHER_LABEL: 2}
    assert summary.timeline is not None
    assert [sorted(writers) for _, writers in sorted(summary.timeline.buckets.items())] == [
        [OTHER_LABEL],
        [OTHER_LABEL],
        ["xx"],
        ["a"],
    ]


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
