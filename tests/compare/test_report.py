"""The compare report: its JSON Schema, redaction, formats, --fail-on, loading and merging."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdccheck.compare import (
    CompareSummary,
    load_compare_report,
    merge_compare_reports,
    run_compare,
)
from cdccheck.compare.render import FORMATS, render
from cdccheck.compare.report import counts_failures, is_compare_report
from cdccheck.errors import ConfigError
from cdccheck.model import Entry
from tests.compare.support import entries, entry, report_of, validate


def sample_run(**options: Any) -> CompareSummary:
    primary = [
        entry("1000-0", {"op": "create", "id": "a", "body": "secret text", "n": 5, "l": [1, 2]}),
        entry("1001-0", {"op": "update", "id": "a", "t": "2026-01-28T12:00:00+00:00"}),
        entry("1002-0", b"NaN"),
        entry("1003-0", {"op": "delete"}),
        entry("1004-0", {"op": "create", "id": "gone"}),
    ]
    candidate = [
        entry("1000-1", {"op": "create", "id": "a", "body": "other text", "n": 5.0, "l": [1]}),
        entry("1001-1", {"op": "update", "id": "a", "t": "2026-01-28T12:00:00Z"}),
        entry("1005-0", {"op": "create", "id": "new"}),
    ]
    return run_compare(primary, candidate, key=["/op", "/id"], entity="/id", **options)


def test_the_report_has_exactly_the_documented_keys() -> None:
    report = report_of(sample_run(), key=["/op", "/id"], entity="/id", ignore=["/x"])
    assert list(report) == [
        "cdccheck_compare_report",
        "primary",
        "candidate",
        "baseline",
        "key",
        "entity",
        "ignored",
        "totals",
        "by_op",
        "diffs",
        "warnings",
        "entities",
        "timing",
    ]
    assert report["cdccheck_compare_report"] == 1
    assert list(report["totals"]) == [
        "pairs",
        "equal",
        "differing",
        "missing_in_candidate",
        "extra_in_candidate",
        "undecodable",
        "unkeyed",
    ]
    assert all(list(counters) == list(report["totals"]) for counters in report["by_op"].values())
    assert report["totals"] == {
        "pairs": 2,
        "equal": 1,
        "differing": 1,
        "missing_in_candidate": 1,
        "extra_in_candidate": 1,
        "undecodable": 1,
        "unkeyed": 1,
    }
    assert report["key"] == [["/op"], ["/id"]]
    assert report["entity"] == ["/id"]
    assert report["ignored"] == [{"path": "/x", "reason": None}]
    assert list(report["diffs"][0]) == [
        "path",
        "kind",
        "pairs",
        "share",
        "noise",
        "first_primary_id",
        "first_candidate_id",
        "samples",
    ]
    assert {(d["path"], d["kind"]) for d in report["diffs"]} == {
        ("/body", "value_changed"),
        ("/l", "length_changed"),
    }
    assert {(w["path"], w["kind"]) for w in report["warnings"]} == {
        ("/n", "number_form"),
        ("/t", "timestamp_form"),
    }
    assert report["primary"]["events"] == 5
    assert report["primary"]["range"] == {"first_id": "1000-0", "last_id": "1004-0"}
    assert report["entities"] == {
        "total": 3,
        "converged": 1,
        "diverged": 2,
        "transient": 1,
        "reordered": 0,
    }


def test_counters_add_up() -> None:
    report = report_of(sample_run(), key=["/op", "/id"], entity="/id")
    for counters in (report["totals"], *report["by_op"].values()):
        assert counters["pairs"] == counters["equal"] + counters["differing"]
    for name, total in report["totals"].items():
        assert sum(c[name] for c in report["by_op"].values()) == total
    events = report["primary"]["events"] + report["candidate"]["events"]
    totals = report["totals"]
    assert events == (
        2 * totals["pairs"]
        + totals["missing_in_candidate"]
        + totals["extra_in_candidate"]
        + totals["undecodable"]
        + totals["unkeyed"]
    )


def test_values_are_redacted_unless_asked_for() -> None:
    hidden = json.dumps(report_of(sample_run(), key=["/op", "/id"], entity="/id"))
    assert "secret text" not in hidden
    assert '"length": 11' in hidden
    shown = report_of(sample_run(show_values=True), key=["/op", "/id"], entity="/id")
    (body,) = [d for d in shown["diffs"] if d["path"] == "/body"]
    assert body["samples"][0]["primary"] == {
        "type": "string",
        "length": 11,
        "shape": "<text, 11 chars>",
        "value": "secret text",
    }


def test_samples_keep_real_indices_and_groups_use_stars() -> None:
    primary = entries([(f"{i}-0", {"k": i, "a": [{"x": 1}, {"x": 2}, {"x": i}]}) for i in range(8)])
    candidate = entries(
        [(f"{i}-1", {"k": i, "a": [{"x": 1}, {"x": 3}, {"x": -1}]}) for i in range(8)]
    )
    summary = run_compare(primary, candidate, key=["/k"], samples=3)
    report = report_of(summary, key=["/k"])
    (group,) = report["diffs"]
    assert group["path"] == "/a/*/x"
    assert group["pairs"] == 8  # two differing elements, one pair each time
    assert [s["path"] for s in group["samples"]] == ["/a/1/x", "/a/1/x", "/a/1/x"]
    assert [s["primary_id"] for s in group["samples"]] == ["0-0", "1-0", "2-0"]
    assert group["first_primary_id"] == "0-0"
    assert group["first_candidate_id"] == "0-1"


@pytest.mark.parametrize("format_name", FORMATS)
def test_every_format_renders(format_name: str) -> None:
    report = report_of(sample_run(), key=["/op", "/id"], entity="/id")
    text = render(report, format_name, width=120)
    assert "/body" in text
    if format_name == "json":
        assert json.loads(text) == report
    if format_name == "junit":
        suite = ET.fromstring(text.split("\n", 1)[1])
        assert suite.get("failures") == "5"  # unpaired, unreadable, 2 diff groups, entities
        assert suite.get("tests") == str(len(suite.findall("testcase")))
    if format_name in ("table", "markdown"):
        assert "1 of 2 pairs differ" in text
        assert "2 of 3 entities diverged" in text


def test_render_refuses_an_unknown_format() -> None:
    with pytest.raises(ConfigError, match="unknown format 'html'"):
        render(report_of(CompareSummary()), "html")


def test_an_empty_compare_renders_and_validates() -> None:
    report = report_of(run_compare([], [], key=["/id"]))
    assert report["totals"]["pairs"] == 0
    assert report["primary"]["range"] == {"first_id": None, "last_id": None}
    for format_name in FORMATS:
        assert render(report, format_name)
    assert "no events in range" in render(report, "markdown")


def test_the_table_renderer_is_the_only_one_that_loads_rich() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from cdccheck.compare import run_compare, build_compare_report\n"
        "from cdccheck.compare.render import render\n"
        "from cdccheck.compare.demo import compare_demo\n"
        "assert 'rich' not in sys.modules and 'typer' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("none", 0), ("differing", 1), ("missing", 2), ("diverged", 2), ("any", 7)],
)
def test_fail_on(fail_on: str, expected: int) -> None:
    summary = sample_run()
    assert summary.counts_failures(fail_on) == expected
    assert (
        counts_failures(report_of(summary, key=["/op", "/id"], entity="/id"), fail_on) == expected
    )


def test_warnings_alone_do_not_fail() -> None:
    summary = run_compare(
        entries([("1-0", {"k": 1, "n": 5})]), entries([("1-0", {"k": 1, "n": 5.0})]), key=["/k"]
    )
    assert summary.counts_failures("any") == 0


def test_load_compare_report(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    report = report_of(sample_run(), key=["/op", "/id"], entity="/id")
    path.write_text(json.dumps(report))
    assert load_compare_report(path) == report
    assert is_compare_report(report)
    assert not is_compare_report({"cdccheck_report": 1})
    for text, says in (
        ("{", "invalid JSON"),
        ('{"cdccheck_report": 1}', 'no "cdccheck_compare_report": 1 key'),
        ('{"cdccheck_compare_report": 1}', "missing primary"),
    ):
        path.write_text(text)
        with pytest.raises(ConfigError, match=says):
            load_compare_report(path)
    with pytest.raises(ConfigError, match="cannot read report"):
        load_compare_report(tmp_path / "absent.json")


def test_merge_refuses_reports_of_different_settings() -> None:
    a = report_of(sample_run(), key=["/op", "/id"], entity="/id")
    b = report_of(sample_run(), key=["/op", "/id"])
    with pytest.raises(ConfigError, match="differ in 'entity'"):
        merge_compare_reports([a, b])
    with pytest.raises(ConfigError, match="nothing to merge"):
        merge_compare_reports([])
    with_baseline = report_of(
        run_compare([], [], baseline=[], key=["/op", "/id"], entity="/id"),
        key=["/op", "/id"],
        entity="/id",
    )
    with pytest.raises(ConfigError, match="baseline"):
        merge_compare_reports([a, with_baseline])


def test_merging_two_halves_gives_the_report_of_the_whole() -> None:
    def side(offset: int, lo: int, hi: int, tweak: bool) -> list[Entry]:
        return entries(
            [
                (
                    f"{1000 * i + offset}-0",
                    {
                        "k": i,
                        "event_id": f"{offset}-{i}",
                        "v": i % 3 if tweak else 0,
                        "n": 1.0 if tweak else 1,
                    },
                )
                for i in range(lo, hi)
            ]
        )

    def compare(lo: int, hi: int) -> CompareSummary:
        return run_compare(side(0, lo, hi, False), side(1, lo, hi, True), key=["/k"], window_ms=10)

    whole = report_of(compare(0, 40), key=["/k"])
    halves = merge_compare_reports(
        [report_of(compare(0, 17), key=["/k"]), report_of(compare(17, 40), key=["/k"])]
    )
    validate(halves)
    for name in ("totals", "by_op", "diffs", "warnings"):
        assert halves[name] == whole[name], name
    assert {d["path"]: d["noise"] for d in whole["diffs"]} == {
        "/event_id": "likely_noise",
        "/v": None,
    }
    assert compare(0, 17).merge(compare(17, 40)).to_dict() == compare(0, 40).to_dict()


# ---------------------------------------------------------------- merge laws

values = st.sampled_from(
    [
        0,
        1,
        1.0,
        "a",
        "b",
        None,
        [],
        [1],
        {"x": 1},
        True,
        "2026-01-28T12:00:00Z",
        "2026-01-28T12:00:00+00:00",
    ]
)
events = st.lists(
    st.tuples(
        st.integers(0, 5),  # key
        st.dictionaries(st.sampled_from(["p", "q", "r"]), values, max_size=3),
        st.sampled_from(["both", "both", "both", "primary", "candidate", "broken"]),
        st.sampled_from(["create", "update"]),
    ),
    max_size=12,
)


def summary_of(drawn: list[Any], offset: int, samples: int) -> CompareSummary:
    primary, candidate = [], []
    for index, (key, payload, where, op) in enumerate(drawn):
        ms = offset + 10 * index
        body = {"k": key, "op": op, **payload}
        if where in ("both", "primary"):
            primary.append(entry(f"{ms}-0", body))
        if where in ("both", "candidate"):
            changed = {**body, "p": payload.get("q")} if index % 2 else body
            candidate.append(entry(f"{ms}-1", changed))
        if where == "broken":
            primary.append(entry(f"{ms}-0", b"{"))
            candidate.append(entry(f"{ms}-1", {"op": op}))
    return run_compare(primary, candidate, key=["/k"], entity="/k", window_ms=15, samples=samples)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, events, events, st.integers(1, 3))
def test_merging_summaries_is_associative_and_commutative(
    a: list[Any], b: list[Any], c: list[Any], samples: int
) -> None:
    x, y, z = (summary_of(drawn, 10_000 * i, samples) for i, drawn in enumerate((a, b, c)))
    assert x.merge(y) == y.merge(x)
    assert x.merge(y).merge(z) == x.merge(y.merge(z))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, events, events, st.integers(1, 3))
def test_merging_reports_is_associative_and_commutative(
    a: list[Any], b: list[Any], c: list[Any], samples: int
) -> None:
    x, y, z = (
        report_of(
            summary_of(drawn, 10_000 * i, 3),
            key=["/k"],
            entity="/k",
            primary={"kind": "file", "files": [f"p{i}"]},
        )
        for i, drawn in enumerate((a, b, c))
    )

    def merge(*reports: dict[str, Any]) -> dict[str, Any]:
        return validate(merge_compare_reports(list(reports), samples=samples))

    assert merge(x, y) == merge(y, x)
    assert merge(merge(x, y), z) == merge(x, merge(y, z)) == merge(x, y, z)
