"""JUnit XML: one testcase per finding group, so CI systems list each drift."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from cdccheck.model import INTERNAL_ERROR
from cdccheck.report.describe import writers_text


def render_junit(report: dict[str, Any]) -> str:
    findings = report["findings"]
    warnings = report["warnings"]
    totals = report["totals"]
    # Events whose check raised are errors in JUnit's sense: nothing was asserted about them.
    broken = sum(1 for group in findings if group["kind"] == INTERNAL_ERROR)
    suite = ET.Element(
        "testsuite",
        name="cdccheck",
        tests=str(max(1, len(findings)) + len(warnings)),
        failures=str(len(findings) - broken),
        errors=str(broken),
        skipped="0",
        time=str(report["timing"]["elapsed_s"]),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in totals.items():
        ET.SubElement(properties, "property", name=name, value=str(value))
    # The per-op and per-writer breakdowns, as CI systems show suite properties.
    for table in ("by_op", "by_writer"):
        for key, counters in report[table].items():
            for name, value in counters.items():
                ET.SubElement(
                    properties, "property", name=f"{table}.{key}.{name}", value=str(value)
                )
    if not findings:
        ET.SubElement(
            suite,
            "testcase",
            classname="cdccheck",
            time="0",
            name=f"all {totals['events']} events decodable and valid under both schemas",
        )
    for group in findings:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"cdccheck.{group['schema']}",
            name=f"{group['kind']} {group['path'] or '(payload)'}",
            time="0",
        )
        failure = ET.SubElement(
            case,
            "error" if group["kind"] == INTERNAL_ERROR else "failure",
            type=group["kind"],
            message=f"{group['events']} events ({group['first_id']} .. {group['last_id']})"
            + (f" from {writers_text(group)}" if group.get("by_writer") else ""),
        )
        text = [f"{s['id']} {s['path']}: {s['message']}" for s in group["samples"]]
        if "hint" in group:
            hint = group["hint"]
            text += [
                f"probable cause: {hint['cause']} [{hint['name']}]",
                f"fix: {hint['fix']}",
                f"evidence: {hint['evidence']}",
            ]
        failure.text = "\n".join(text)
    for group in warnings:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"cdccheck.warnings.{group['schema']}",
            name=f"{group['kind']} {group['path'] or '(payload)'}",
            time="0",
        )
        out = ET.SubElement(case, "system-out")
        out.text = f"portability warning on {group['events']} events (does not fail the run)"
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )
