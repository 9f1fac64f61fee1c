"""What the table, Markdown and JUnit say about a finding group: writers, message, ids, hint.

Regression tests for issue 11: the first id vanished below 100 columns, a
wrong --payload-field showed no reason, merged reports were titled "merged
merged", Markdown printed absolute schema paths.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import bundled_schema_path, load_schema
from cdccheck.report import render
from cdccheck.report.json import merge_reports
from cdccheck.report.run import check_run
from cdccheck.samples import GO_HEALTHY, GO_OMITEMPTY_SCORE, PY_SPACE_DATETIME, generate
from tests.helpers import validate_report


@cache
def engine() -> Engine:
    return Engine(
        load_schema(bundled_schema_path("legacy"), name="legacy"),
        load_schema(bundled_schema_path("new"), name="new"),
    )


def report_of(*classes: tuple[str, int], source: dict[str, Any] | None = None) -> dict[str, Any]:
    entries = [sample.entry for name, count in classes for sample in generate(name, count)]
    renumbered = [type(e)(f"{1769601600000 + i}-0", e.fields) for i, e in enumerate(entries)]
    report = check_run(
        [renumbered], engine(), source=source or {"kind": "file", "files": ["c.jsonl"]}
    ).report
    validate_report(report)
    return report


def flat(text: str) -> str:
    """The text with every run of whitespace as one space: wrapped lines read as one."""
    return " ".join(text.split())


@pytest.mark.parametrize("width", [80, 120])
def test_the_table_keeps_every_part_of_a_group_at_any_width(width: int) -> None:
    report = report_of((GO_OMITEMPTY_SCORE, 3), (GO_HEALTHY, 4))
    [group] = report["findings"]
    table = render(report, "table", width=width)
    assert max(len(line) for line in table.splitlines()) <= width
    # Nothing dropped at 80 columns: writers, first and last id, message, cause.
    assert re.search(r"legacy +missing_required +/comment/score +3 \(", table)
    assert "— go-comments 3" in table
    assert f"{group['first_id']} .. {group['last_id']}" in table
    assert "'score' is a required property" in table
    assert "omitempty" in flat(table)
    assert "missing from go-comments 3 of its 7 events" in flat(table)


def test_the_table_shows_value_shapes_not_values() -> None:
    report = report_of((PY_SPACE_DATETIME, 2))
    table = render(report, "table", width=80)
    assert "dddd-dd-dd dd:dd:dd.dddddd+dd:dd is not a 'date-time'" in table
    # The timeline after the findings names stream times ("first seen 2026-01-28 12:00:00
    # UTC", from the entry ids), which are not sample values: look at the findings only.
    findings, over_time = table.split("Findings", 1)[1].split("\nOver time\n", 1)
    assert "first seen" in over_time
    assert not re.search(r"20\d\d-\d\d-\d\d", findings)


def test_the_table_says_why_a_payload_is_missing(tmp_path: Path) -> None:
    from cdccheck.model import Entry

    entries = [Entry("1-0", {"data": b"{}", "source": b"orders"})]
    report = check_run([entries], engine(), source={"kind": "file", "files": ["x"]}).report
    table = render(report, "table", width=80)
    assert "wire" in table
    assert "undecodable" in table
    assert "entry has no 'payload' field (fields: data, source)" in table


def test_a_merged_report_names_its_parts_once() -> None:
    one = report_of((GO_HEALTHY, 2))
    other = report_of((GO_HEALTHY, 2), source={"kind": "redis", "stream": "comments:cdc"})
    merged = merge_reports([one, other])
    validate_report(merged)
    title = render(merged, "table", width=80).splitlines()[0]
    assert "merged merged" not in title
    assert title == "cdccheck — merged from 2 sources: file c.jsonl; redis comments:cdc"
    assert "merged from 2 sources" in render(merged, "markdown")


def test_markdown_shows_schema_paths_relative_or_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = report_of((GO_OMITEMPTY_SCORE, 1))
    inside = tmp_path / "repo" / "schemas" / "legacy.json"
    report["schemas"]["legacy"]["path"] = str(inside)
    report["schemas"]["new"]["path"] = "/elsewhere/site-packages/cdccheck/new.json"
    (tmp_path / "repo").mkdir()
    monkeypatch.chdir(tmp_path / "repo")
    markdown = render(report, "markdown")
    assert "legacy `schemas/legacy.json`, new `new.json`" in markdown
    assert str(tmp_path) not in markdown
    assert "/elsewhere" not in markdown
    assert os.sep + "elsewhere" not in render(report, "table", width=120)


def test_markdown_shows_writers_messages_and_causes() -> None:
    report = report_of((GO_OMITEMPTY_SCORE, 2), (GO_HEALTHY, 2), (PY_SPACE_DATETIME, 1))
    markdown = render(report, "markdown")
    assert (
        "| legacy | missing_required | `/comment/score` | 2 | go-comments 2 "
        "| `'score' is a required property` |"
    ) in markdown
    assert "**Probable causes**" in markdown
    assert "- `legacy missing_required /comment/score`: the Go field has" in markdown
    assert "(`go_omitempty`)" in markdown
    assert "`dddd-dd-dd dd:dd:dd.dddddd+dd:dd is not a 'date-time'`" in markdown


def test_junit_names_writers_and_the_cause() -> None:
    report = report_of((GO_OMITEMPTY_SCORE, 2), (GO_HEALTHY, 2))
    junit = render(report, "junit")
    assert "from go-comments 2" in junit
    assert "probable cause: the Go field has" in junit


def test_merged_reports_work_hints_out_again_from_the_schema_files() -> None:
    one = report_of((GO_OMITEMPTY_SCORE, 2), (GO_HEALTHY, 2))
    merged = merge_reports([one, one])
    [group] = merged["findings"]
    assert group["by_writer"] == {"go-comments": 4}
    assert group["hint"]["evidence"] == (
        "missing from go-comments 4 of its 8 events; the legacy schema declares integer"
    )
    # Without the schema files (or with other bytes in them) a declared type is unknown:
    # the hints that need one stay silent rather than guess.
    moved = json.loads(json.dumps(one))
    for info in moved["schemas"].values():
        info["path"] = "/nowhere/" + Path(info["path"]).name
    assert "hint" not in merge_reports([moved, moved])["findings"][0]
