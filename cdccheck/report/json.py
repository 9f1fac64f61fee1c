"""The JSON report: the stable keys of docs/reports.md, built from a Summary.

``schemas/report.schema.json`` is this format's JSON Schema; the tests
validate every report they produce against it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdccheck.engine.schema import Schema
from cdccheck.errors import ConfigError
from cdccheck.hints import SchemaFacts, evidence_of, hint_for
from cdccheck.summary import DEFAULT_SAMPLES, Summary

REPORT_VERSION = 1


def schema_info(schema: Schema) -> dict[str, str]:
    return {"path": schema.path, "sha256": schema.sha256}


def build_report(
    summary: Summary,
    *,
    source: dict[str, Any],
    schemas: dict[str, dict[str, str]],
    started_at: datetime,
    elapsed_s: float,
    facts: SchemaFacts | None = None,
) -> dict[str, Any]:
    """The report dictionary, keys in the order docs/reports.md gives them.

    ``facts`` (what the schemas declare at a path) sharpen the cause hints;
    without them hints use only what the groups themselves show.
    ``timeline`` (docs/reports.md, "timeline") comes last, and only when the
    summary keeps one.
    """
    body = summary.to_dict()
    events = summary.totals.events
    add_hints(body, facts)
    report: dict[str, Any] = {
        "cdccheck_report": REPORT_VERSION,
        "source": source,
        "range": body["range"],
        "schemas": schemas,
        "totals": body["totals"],
        "by_op": body["by_op"],
        "by_writer": body["by_writer"],
        "findings": body["findings"],
        "warnings": body["warnings"],
        "timing": {
            "started_at": started_at.astimezone(UTC).isoformat(timespec="milliseconds"),
            "elapsed_s": round(elapsed_s, 6),
            "events_per_s": round(events / elapsed_s, 1) if elapsed_s > 0 else 0.0,
        },
    }
    if summary.timeline is not None:
        # Series of the report's finding groups only: the report bounds the timeline.
        report["timeline"] = summary.timeline.restrict(summary.findings).to_json()
    return report


def add_hints(report: dict[str, Any], facts: SchemaFacts | None) -> None:
    """Give every finding and warning group its cause hint, when one fits (cdccheck.hints).

    Hints are advice computed from the counted report; they never change a
    counter or a verdict (docs/reports.md, cause hints).
    """
    writer_events = {writer: c["events"] for writer, c in report["by_writer"].items()}
    for group in (*report["findings"], *report["warnings"]):
        group.pop("hint", None)
        hint = hint_for(evidence_of(group, writer_events=writer_events, facts=facts))
        if hint is not None:
            group["hint"] = hint


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def read_report_json(path: str | Path, what: str) -> Any:
    """The JSON document in the report file ``path``; ConfigError naming ``what`` it should be."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read report {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not {what}: invalid JSON ({exc.msg})") from None


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a report file written by cdccheck; ConfigError when it is not one."""
    report = read_report_json(path, "a cdccheck report")
    if not isinstance(report, dict) or report.get("cdccheck_report") != REPORT_VERSION:
        raise ConfigError(f'{path} is not a cdccheck report (no "cdccheck_report": 1 key)')
    missing = [
        key
        for key in ("totals", "by_op", "by_writer", "findings", "warnings", "range")
        if key not in report
    ]
    if missing:
        raise ConfigError(
            f"{path} is not a complete cdccheck report (missing {', '.join(missing)})"
        )
    return report


def merge_reports(
    reports: list[dict[str, Any]], *, samples: int = DEFAULT_SAMPLES
) -> dict[str, Any]:
    """One report counting every event of ``reports``, which must share their schemas.

    Timelines merge exactly (docs/reports.md, "timeline"); when one of the
    reports has none (an older cdccheck), the merged report has none.
    """
    if not reports:
        raise ConfigError("nothing to merge: pass at least one report")
    digests = {
        tuple(
            sorted((role, info.get("sha256")) for role, info in report.get("schemas", {}).items())
        )
        for report in reports
    }
    if len(digests) > 1:
        raise ConfigError(
            "these reports were made with different schemas (sha256 differ): merging them would "
            "add up verdicts that mean different things"
        )
    summary = Summary.from_dict(reports[0], samples=samples)
    for report in reports[1:]:
        summary = summary.merge(Summary.from_dict(report, samples=samples))
    sources = [report.get("source", {}) for report in reports]
    unique_sources = [s for i, s in enumerate(sources) if s not in sources[:i]]
    source = (
        unique_sources[0]
        if len(unique_sources) == 1
        else {"kind": "merged", "parts": unique_sources}
    )
    started = min(report["timing"]["started_at"] for report in reports)
    elapsed = max(report["timing"]["elapsed_s"] for report in reports)
    schemas = reports[0].get("schemas", {})
    return build_report(
        summary,
        source=source,
        schemas=schemas,
        started_at=datetime.fromisoformat(started),
        elapsed_s=elapsed,
        facts=SchemaFacts.from_report(schemas),
    )
