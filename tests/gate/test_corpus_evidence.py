"""`gate --corpus`: the evidence for a change counts the right events (issue 11, defect 1).

The demo corpus (`cdccheck demo`'s 20,000 seeded events, plus defects in
counts that differ per finding kind at one path) is checked by the
engine directly, and the gate's evidence for each change must be exactly the
finding groups of the kinds that change can cause, at its place, under the
schema it breaks. Before the fix the gate printed the largest group at the
path whatever its kind: 63 (type_mismatch) for a removed `required`, whose
missing_required group holds 53.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from cdccheck.engine.schema import Schema, bundled_schema_path
from cdccheck.gate import GateConfig, GateResult, resolve_request, run_gate
from cdccheck.gate.kinds import findings_caused
from cdccheck.gate.render import render
from cdccheck.grouping import aggregate_path


@cache
def _demo_report(legacy_path: str, new_path: str) -> Mapping[str, Any]:
    from cdccheck.engine.engine import Engine
    from cdccheck.engine.pipeline import check_batch
    from cdccheck.engine.schema import load_schema
    from cdccheck.report.json import build_report, schema_info
    from cdccheck.summary import Summary

    legacy = load_schema(legacy_path, name="legacy")
    new = load_schema(new_path, name="new")
    summary = Summary()
    check_batch(Engine(legacy, new), _corpus_entries(), summary)
    return build_report(
        summary,
        source={"kind": "file", "files": ["demo"]},
        schemas={"legacy": schema_info(legacy), "new": schema_info(new)},
        started_at=datetime.now(UTC),
        elapsed_s=0.0,
    )


# Defects added to the demo stream in counts that differ per finding kind at
# /comment/score, so a count taken from the wrong group cannot pass.
_ADDED = {"go.omitempty_score": 53, "py.bool_score": 63, "py.big_score": 62}


def _corpus_entries() -> list[Any]:
    """The demo stream plus the ``_ADDED`` defects, with ids that cannot collide."""
    from cdccheck.demo import demo_entries
    from cdccheck.model import Entry
    from cdccheck.samples import class_stream

    entries = list(demo_entries())
    for offset, (name, count) in enumerate(_ADDED.items(), start=1):
        for index, entry in enumerate(class_stream(count, [name], seed=offset)):
            entries.append(Entry(f"{offset}-{index}", entry.fields))
    return entries


def _engine(files: Sequence[str], legacy: Schema, new: Schema) -> Mapping[str, Any]:
    assert list(files) == ["demo"]
    return _demo_report(legacy.path, new.path)


def _gate() -> GateResult:
    legacy, new = str(bundled_schema_path("legacy")), str(bundled_schema_path("new"))
    request = resolve_request(GateConfig(), legacy=legacy, new=new, corpus=["demo"])
    return run_gate(request, corpus_check=_engine)


def _group(report: Mapping[str, Any], schema: str, kind: str, path: str) -> int:
    [group] = [
        g for g in report["findings"] if (g["schema"], g["kind"], g["path"]) == (schema, kind, path)
    ]
    return int(group["events"])


def test_evidence_is_the_matching_finding_groups() -> None:
    result = _gate()
    assert result.corpus is not None
    assert result.corpus["totals"]["events"] == 20_000 + sum(_ADDED.values())
    checked = 0
    for change in result.breaking:
        evidence = result.evidence(change)
        assert evidence is not None, f"{change.kind}: proven, so there is a place to look"
        assert change.witness is not None
        where = aggregate_path(change.witness.path)
        broken = {s for s, flag in (("new", change.backward), ("legacy", change.forward)) if flag}
        expected = {
            (g["schema"], g["kind"], g["events"])
            for g in result.corpus["findings"]
            if g["path"] == where
            and g["schema"] in broken
            and g["kind"] in findings_caused(change.kind)
        }
        assert {(e.schema, e.kind, e.events) for e in evidence} == expected, change.kind
        for item in evidence:
            assert item.path == where
            assert item.events == _group(result.corpus, item.schema, item.kind, where)
            checked += 1
    assert checked >= 9


def test_the_demo_numbers() -> None:
    """Each change counts its own kind: missing_required, constraint, never type_mismatch."""
    result = _gate()
    report = result.corpus or {}
    by_kind = {c.kind: result.evidence(c) for c in result.breaking}
    missing = _group(report, "legacy", "missing_required", "/comment/score")
    mismatched = _group(report, "legacy", "type_mismatch", "/comment/score")
    constrained = _group(report, "new", "constraint", "/comment/score")
    assert len({missing, mismatched, constrained}) == 3  # the counts tell the groups apart
    assert missing >= _ADDED["go.omitempty_score"]
    [removed] = by_kind["REQUIRED_ATTRIBUTE_REMOVED"] or []
    assert (removed.schema, removed.kind, removed.path, removed.events) == (
        "legacy",
        "missing_required",
        "/comment/score",
        missing,
    )
    for kind in ("MAXIMUM_ADDED", "MINIMUM_ADDED"):
        [bound] = by_kind[kind] or []
        assert (bound.schema, bound.kind, bound.path, bound.events) == (
            "new",
            "constraint",
            "/comment/score",
            constrained,
        )


def test_the_text_output_shows_the_right_counts() -> None:
    """The counts as a reader sees them: next to each change, in text and Markdown."""
    result = _gate()
    report = result.corpus or {}
    missing = _group(report, "legacy", "missing_required", "/comment/score")
    mismatched = _group(report, "legacy", "type_mismatch", "/comment/score")
    constrained = _group(report, "new", "constraint", "/comment/score")
    for fmt in ("text", "markdown"):
        output = render(result, fmt)
        blocks = _blocks_mentioning(output, "REQUIRED_ATTRIBUTE_REMOVED")
        assert any(f"{missing} missing_required under legacy" in b for b in blocks), output
        corpus_parts = [b.split("corpus:", 1)[-1] for b in blocks if "corpus:" in b]
        assert not any(f" {mismatched} " in part for part in corpus_parts)
        blocks = _blocks_mentioning(output, "MAXIMUM_ADDED")
        assert any(f"{constrained} constraint under new" in b for b in blocks), output


def _blocks_mentioning(output: str, kind: str) -> list[str]:
    """The text of each change that names ``kind``: its line and the indented lines after it."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in output.splitlines():
        if kind in line:
            current = [line]
            blocks.append("")
        elif current is not None and line.startswith(" ") and not line.lstrip().startswith("|"):
            current.append(line)
        else:
            current = None
        if current is not None:
            blocks[-1] = "\n".join(current)
    return blocks


def test_json_carries_the_evidence() -> None:
    result = _gate()
    document = json.loads(render(result, "json"))
    by_kind = {c["kind"]: c for c in document["changes"]}
    missing = _group(result.corpus or {}, "legacy", "missing_required", "/comment/score")
    assert by_kind["REQUIRED_ATTRIBUTE_REMOVED"]["evidence"] == [
        {
            "schema": "legacy",
            "kind": "missing_required",
            "path": "/comment/score",
            "events": missing,
        }
    ]
    assert "evidence" not in by_kind["DESCRIPTION_CHANGED"]  # harmless: nothing to show
