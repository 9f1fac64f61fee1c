"""The HTML report as text: every part present, everything escaped, nothing from outside."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cdccheck.errors import ConfigError
from cdccheck.gate import GateConfig, resolve_request, run_gate
from cdccheck.gate.render import to_json
from cdccheck.report.html import render_html
from tests.helpers import validate_report
from tests.ops.support import ROOT, Page, outside_references, story_report

HOSTILE = '<script>alert("x")</script>"><img src=x onerror=alert(1)>&amp;</style></svg>'


def test_a_report_with_a_timeline_has_every_part() -> None:
    report = story_report()
    page = Page(render_html(report))
    writers = sorted(report["by_writer"])
    assert page.count("svg", "stack") == len(writers)
    assert page.count("svg", "share") == len(writers)
    assert page.count("table", "groups") == 1
    assert page.count("svg", "mini") == len(report["findings"])
    # One stacked bar segment per non-empty class of each writer's buckets, at most.
    assert page.count("rect", "c-ok") > 50
    assert page.count("rect", "c-legacy") > 10
    text = " ".join(page.text)
    for group in report["findings"]:
        assert group["path"] in text or group["path"] == ""
    assert "rising since 10:40" in text  # the story's Go deploy at 10:42
    assert "first seen 2026-01-28 10:43:08 UTC" in text
    assert outside_references(render_html(report)) == []


def test_exactly_one_script_and_it_is_ours() -> None:
    page = Page(render_html(story_report()))
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts == [{}]
    assert not [
        (tag, name) for tag, attrs in page.tags for name in attrs if name.lower().startswith("on")
    ]


def test_user_content_is_escaped_everywhere() -> None:
    report = story_report()
    report["by_writer"][HOSTILE] = report["by_writer"].pop("go-comments")
    report["source"]["stream"] = HOSTILE
    group = report["findings"][0]
    group["path"] = "/comment/" + HOSTILE
    group["samples"][0]["message"] = HOSTILE
    group["samples"][0]["value"] = {"type": "string", "length": 9, "value": HOSTILE}
    group["samples"][1]["id"] = HOSTILE
    timeline = report["timeline"]
    for bucket in timeline["buckets"]:
        if "go-comments" in bucket["writers"]:
            bucket["writers"][HOSTILE] = bucket["writers"].pop("go-comments")
    timeline["groups"][0]["path"] = group["path"]
    text = render_html(report)
    page = Page(text)
    assert page.count("script") == 1
    assert page.count("img") == 0
    assert "alert(1)>" not in text.replace("&gt;", "")
    assert "<script>alert" not in text
    assert "onerror=alert(1)" not in text.replace("onerror=alert(1)&gt;", "")
    # The hostile strings are there, as text.
    assert " ".join(page.text).count(HOSTILE) >= 5
    assert outside_references(text) == []


def test_a_report_without_a_timeline_still_renders() -> None:
    report = story_report()
    del report["timeline"]
    validate_report(report)  # an older report
    page = Page(render_html(report))
    assert page.count("svg", "stack") == 0
    assert page.count("svg", "bar") == len(report["by_writer"])
    assert page.count("table", "groups") == 1
    assert "has no timeline" in " ".join(page.text)


def test_an_empty_report_renders() -> None:
    report = story_report()
    report.update(
        totals=dict.fromkeys(report["totals"], 0),
        by_op={},
        by_writer={},
        findings=[],
        warnings=[],
        range={"first_id": None, "last_id": None},
    )
    report["timeline"] = {
        "width_s": 1,
        "max_buckets": 200,
        "buckets": [],
        "groups": [],
        "untimed": {},
        "before_horizon": {},
    }
    text = " ".join(Page(render_html(report)).text)
    assert "No events in range." in text


def test_a_gate_result_with_its_corpus() -> None:
    data = ROOT / "tests" / "data" / "gate"
    result = run_gate(
        resolve_request(GateConfig(), legacy=str(data / "legacy.json"), new=str(data / "new.json")),
        witnesses=True,
    )
    document = json.loads(json.dumps(to_json(result)))
    assert document["changes"], "the test pair is meant to differ"
    document["corpus"] = story_report()
    page = Page(render_html(document))
    text = " ".join(page.text)
    assert "Compatibility" in text
    for change in document["changes"]:
        assert change["kind"] in text
    assert page.count("svg", "stack") == 2  # the corpus report's charts
    assert page.count("table", "groups") == 1
    # Anchors of the nested report do not collide with the page's own.
    ids = [attrs["id"] for _, attrs in page.tags if attrs.get("id")]
    assert len(ids) == len(set(ids))


def compare_report() -> dict[str, Any]:
    """A compare report shaped as issue 13 item 6 describes it."""
    return {
        "cdccheck_compare_report": 1,
        "primary": {"kind": "redis", "stream": "comments:py"},
        "candidate": {"kind": "redis", "stream": "comments:go"},
        "baseline": None,
        "key": [["/op"], ["/comment/id", "/comment_id"]],
        "entity": ["/comment/id"],
        "ignored": ["/event_id", "/emitted_at"],
        "totals": {
            "pairs": 1000,
            "equal": 940,
            "differing": 60,
            "missing_in_candidate": 3,
            "extra_in_candidate": 1,
            "undecodable": 2,
            "unkeyed": 0,
        },
        "by_op": {
            "create": {
                "pairs": 600,
                "equal": 560,
                "differing": 40,
                "missing_in_candidate": 3,
                "extra_in_candidate": 1,
                "undecodable": 0,
                "unkeyed": 0,
            }
        },
        "diffs": [
            {
                "path": "/comment/score",
                "kind": "missing",
                "pairs": 41,
                "share": 0.041,
                "noise": False,
                "first_primary_id": "1769594401362-0",
                "first_candidate_id": "1769594401370-0",
                "samples": [{"primary": {"type": "integer"}, "candidate": {"type": "absent"}}],
            },
            {
                "path": "/comment/body",
                "kind": "value_changed",
                "pairs": 19,
                "share": 0.019,
                "noise": "likely_noise",
                "first_primary_id": "1769594401400-0",
                "first_candidate_id": "1769594401401-0",
                "samples": [{"primary": {"type": "string"}, "message": HOSTILE}],
            },
        ],
        "warnings": [{"path": "/comment/created_at", "kind": "timestamp_form", "pairs": 1000}],
        "entities": {
            "total": 300,
            "converged": 290,
            "diverged": 10,
            "transient": 4,
            "reordered": 2,
        },
        "timing": {"started_at": "2026-01-28T16:05:00.000+00:00", "elapsed_s": 0.4},
    }


def test_a_compare_report() -> None:
    text = render_html(compare_report())
    page = Page(text)
    words = " ".join(page.text)
    assert "60 of 1,000 pairs differ" in words
    assert "/comment/score" in words
    assert "likely_noise" in words
    assert "converged" in words
    assert "<script>alert" not in text
    assert page.count("table", "groups") == 1
    assert outside_references(text) == []


def test_a_compare_report_with_a_timeline_draws_it() -> None:
    document = compare_report()
    document["timeline"] = copy.deepcopy(story_report()["timeline"])
    page = Page(render_html(document))
    assert page.count("svg", "stack") == 2


@pytest.mark.parametrize(
    "document",
    [{}, {"cdccheck_report": 2}, {"changes": []}, [1, 2]],
)
def test_something_else_is_refused(document: Any) -> None:
    with pytest.raises(ConfigError, match="cannot render HTML"):
        render_html(document)


def test_a_damaged_timeline_is_a_config_error() -> None:
    report = story_report()
    report["timeline"]["width_s"] = 7
    with pytest.raises(ConfigError, match="timeline"):
        render_html(report)


def test_the_fragment_extends_the_report_schema(tmp_path: Path) -> None:
    """schemas/timeline.schema.json plugged into the report schema accepts the story report."""
    import jsonschema

    report_schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    fragment = json.loads((ROOT / "schemas" / "timeline.schema.json").read_text())
    fragment.pop("$schema")
    report_schema["properties"]["timeline"] = fragment
    validator = jsonschema.Draft202012Validator(
        report_schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    report = story_report()
    validator.validate(report)
    report["timeline"]["buckets"][0]["writers"]["go-comments"]["bogus"] = 1
    assert not validator.is_valid(report)
