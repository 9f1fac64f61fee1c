"""The compare report: a JSON document with stable keys, and merging such documents.

Keys, in order (docs/compare.md, "Compare report"; the JSON Schema is
``schemas/compare-report.schema.json``)::

    {"cdccheck_compare_report": 1, "primary", "candidate", "baseline", "key",
     "entity", "ignored", "totals", "by_op", "diffs", "warnings", "entities", "timing"}

``primary``, ``candidate`` and ``baseline`` (null without one) each say where
the events came from (``source``), which ids were read (``range``), how many
entries (``events``) and which could not be paired and why (``findings``:
undecodable with the wire message, unkeyed with the key that did not
resolve). The baseline also carries its own counters and diff counts, so that
a merged report can recompute the noise marks.

Two compare reports merge (``cdccheck report merge``) when they were made
with the same key, entity, ignores and baseline setting; merging is
associative and commutative.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdccheck.compare.options import Alternatives, Ignore, format_pointer
from cdccheck.compare.summary import BASELINE, CANDIDATE, PRIMARY, CompareSummary
from cdccheck.errors import ConfigError
from cdccheck.report.json import read_report_json
from cdccheck.summary import DEFAULT_SAMPLES

REPORT_KEY = "cdccheck_compare_report"
REPORT_VERSION = 1
SCHEMA_FILE = "compare-report.schema.json"
_SETTINGS = ("key", "entity", "ignored")


def key_document(keys: Sequence[Alternatives]) -> list[list[str]]:
    """The report's ``key``: one list of pointer alternatives per key option."""
    return [[format_pointer(pointer) for pointer in alternatives] for alternatives in keys]


def build_compare_report(
    summary: CompareSummary,
    *,
    primary: dict[str, Any],
    candidate: dict[str, Any],
    baseline: dict[str, Any] | None = None,
    key: Sequence[Alternatives],
    entity: Alternatives | None = None,
    ignored: Sequence[Ignore] = (),
    started_at: datetime,
    elapsed_s: float,
) -> dict[str, Any]:
    """The report dictionary; ``primary``/``candidate``/``baseline`` describe the sources.

    A source description is what check reports say under ``source``, e.g.
    ``{"kind": "redis", "url": ..., "stream": ...}`` or
    ``{"kind": "file", "files": [...]}``; with ``--split`` add ``"split"``.
    """
    if (baseline is None) != (summary.baseline is None):
        raise ValueError("describe the baseline source exactly when the summary has one")
    body = summary.to_dict()
    pairs = summary.totals.pairs
    return {
        REPORT_KEY: REPORT_VERSION,
        "primary": {"source": primary, **summary.side_dict(PRIMARY)},
        "candidate": {"source": candidate, **summary.side_dict(CANDIDATE)},
        "baseline": (
            None if baseline is None else {"source": baseline, **summary.side_dict(BASELINE)}
        ),
        "key": key_document(key),
        "entity": None if entity is None else [format_pointer(p) for p in entity],
        "ignored": [{"path": ignore.pointer, "reason": ignore.reason} for ignore in ignored],
        "totals": body["totals"],
        "by_op": body["by_op"],
        "diffs": body["diffs"],
        "warnings": body["warnings"],
        "entities": body["entities"],
        "timing": {
            "started_at": started_at.astimezone(UTC).isoformat(timespec="milliseconds"),
            "elapsed_s": round(elapsed_s, 6),
            "pairs_per_s": round(pairs / elapsed_s, 1) if elapsed_s > 0 else 0.0,
        },
    }


def render_json(report: dict[str, Any]) -> str:
    """The report as indented JSON text."""
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def is_compare_report(document: Any) -> bool:
    """Whether a parsed JSON document is a compare report (not a check report)."""
    return isinstance(document, dict) and REPORT_KEY in document


def load_compare_report(path: str | Path) -> dict[str, Any]:
    """Read a compare report file; ConfigError when it is not one."""
    report = read_report_json(path, "a compare report")
    if not is_compare_report(report) or report[REPORT_KEY] != REPORT_VERSION:
        raise ConfigError(f'{path} is not a compare report (no "{REPORT_KEY}": 1 key)')
    missing = [
        name
        for name in ("primary", "candidate", "key", "totals", "by_op", "diffs", "warnings")
        if name not in report
    ]
    if missing:
        raise ConfigError(f"{path} is not a complete compare report (missing {', '.join(missing)})")
    return report


def counts_failures(report: dict[str, Any], fail_on: str) -> int:
    """What ``--fail-on`` counts in a report (see ``CompareSummary.counts_failures``)."""
    return CompareSummary.from_report(report).counts_failures(fail_on)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _merged_source(sources: list[Any]) -> Any:
    """One description for several: itself when all agree, else the sorted distinct parts."""
    parts: dict[str, Any] = {}
    for source in sources:
        if source is None:
            continue
        flat = source["parts"] if source.get("kind") == "merged" else [source]
        for part in flat:
            parts.setdefault(_canonical(part), part)
    if len(parts) == 1:
        return next(iter(parts.values()))
    return {"kind": "merged", "parts": [parts[name] for name in sorted(parts)]}


def merge_compare_reports(
    reports: Sequence[dict[str, Any]], *, samples: int = DEFAULT_SAMPLES
) -> dict[str, Any]:
    """One report counting everything ``reports`` count; ConfigError when they do not fit.

    They must share key, entity, ignores (as sets) and the baseline setting.
    """
    if not reports:
        raise ConfigError("nothing to merge: pass at least one compare report")
    for setting in _SETTINGS:
        seen = {
            _canonical(
                sorted(report.get(setting) or [], key=_canonical)
                if setting == "ignored"
                else report.get(setting)
            )
            for report in reports
        }
        if len(seen) > 1:
            raise ConfigError(
                f"these compare reports differ in {setting!r}: merging them would add up "
                "pairs that mean different things"
            )
    summary = CompareSummary.from_report(reports[0], samples=samples)
    for report in reports[1:]:
        summary = summary.merge(CompareSummary.from_report(report, samples=samples))
    first = reports[0]
    sides: dict[str, Any] = {
        side: _merged_source([report[side]["source"] for report in reports])
        for side in (PRIMARY, CANDIDATE)
    }
    has_baseline = first.get("baseline") is not None
    baseline_source = (
        _merged_source([report["baseline"]["source"] for report in reports])
        if has_baseline
        else None
    )
    ignored = sorted(first.get("ignored") or [], key=_canonical)
    started = min(report["timing"]["started_at"] for report in reports)
    elapsed = max(report["timing"]["elapsed_s"] for report in reports)
    return build_compare_report(
        summary,
        primary=sides[PRIMARY],
        candidate=sides[CANDIDATE],
        baseline=baseline_source,
        key=[tuple(_tokens(p) for p in alternatives) for alternatives in first["key"]],
        entity=None if first.get("entity") is None else tuple(_tokens(p) for p in first["entity"]),
        ignored=[Ignore(item["path"], item.get("reason")) for item in ignored],
        started_at=datetime.fromisoformat(started),
        elapsed_s=elapsed,
    )


def _tokens(pointer: str) -> tuple[str, ...]:
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/"))
