"""Rendering a compare report: table (rich), JSON, Markdown or JUnit XML.

Every format renders the same report dictionary (``build_compare_report``),
so they never disagree. Only ``table`` needs rich, and it is imported only
when asked for (cdccheck.compare.console): the compare engine never loads it.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from cdccheck.errors import ConfigError

FORMATS = ("table", "json", "markdown", "junit")
TOP_GROUPS = 25
COLUMNS = (
    "pairs",
    "equal",
    "differing",
    "missing_in_candidate",
    "extra_in_candidate",
    "undecodable",
    "unkeyed",
)


def render(
    report: dict[str, Any],
    format_name: str,
    *,
    color: bool | None = None,
    width: int | None = None,
) -> str:
    """The compare report in ``format_name`` (one of FORMATS)."""
    if format_name == "json":
        from cdccheck.compare.report import render_json

        return render_json(report)
    if format_name == "markdown":
        return render_markdown(report)
    if format_name == "junit":
        return render_junit(report)
    if format_name == "table":
        from cdccheck.compare.console import render_table

        return render_table(report, color=color, width=width)
    raise ConfigError(f"unknown format {format_name!r} (expected one of {', '.join(FORMATS)})")


def describe_source(source: dict[str, Any]) -> str:
    """A short human description of one side's source."""
    kind = source.get("kind", "?")
    if kind == "merged":
        return f"{len(source.get('parts', []))} merged sources"
    where = source.get("stream") or ", ".join(source.get("files", [])) or ""
    split = source.get("split")
    text = f"{kind} {where}".strip()
    return f"{text} ({split})" if split else text


def headline(report: dict[str, Any]) -> tuple[bool, str]:
    """(all clear, one sentence) for the top of every format."""
    totals = report["totals"]
    entities = report.get("entities")
    unpaired = totals["missing_in_candidate"] + totals["extra_in_candidate"]
    unreadable = totals["undecodable"] + totals["unkeyed"]
    diverged = entities["diverged"] if entities else 0
    real = [group for group in report["diffs"] if not group["noise"]]
    noise = len(report["diffs"]) - len(real)
    if not (totals["pairs"] or unpaired or unreadable):
        return True, "no events in range"
    if not real and not unpaired and not unreadable and not diverged:
        tail = f" ({noise} noise groups)" if noise else ""
        return True, f"all {totals['pairs']:,} pairs agree{tail}"
    parts = [f"{totals['differing']:,} of {totals['pairs']:,} pairs differ"]
    if noise:
        parts.append(f"{noise} of {len(report['diffs'])} diff groups are noise")
    if unpaired:
        parts.append(
            f"{totals['missing_in_candidate']:,} missing and "
            f"{totals['extra_in_candidate']:,} extra in the candidate"
        )
    if unreadable:
        parts.append(f"{totals['undecodable']:,} undecodable, {totals['unkeyed']:,} unkeyed")
    if entities:
        parts.append(f"{diverged:,} of {entities['total']:,} entities diverged")
    return False, "; ".join(parts)


def settings_line(report: dict[str, Any]) -> str:
    key = " + ".join(",".join(alternatives) for alternatives in report["key"])
    text = f"key {key}"
    if report.get("entity"):
        text += f"; entity {','.join(report['entity'])}"
    if report.get("ignored"):
        text += "; ignored " + ", ".join(item["path"] for item in report["ignored"])
    return text


# ---------------------------------------------------------------- Markdown


def render_markdown(report: dict[str, Any]) -> str:
    """For a pull-request comment or a CI step summary."""
    clear, sentence = headline(report)
    lines = [
        f"## cdccheck compare: {'✅' if clear else '❌'} {sentence}",
        "",
        f"Primary `{_cell(describe_source(report['primary']['source']))}`, candidate "
        f"`{_cell(describe_source(report['candidate']['source']))}`"
        + (
            f", baseline `{_cell(describe_source(report['baseline']['source']))}`"
            if report.get("baseline")
            else ""
        )
        + f"; {_cell(settings_line(report))}.",
        "",
        "| | " + " | ".join(COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
        _row("**all**", report["totals"]),
    ]
    lines += [_row(f"op `{_cell(op)}`", counters) for op, counters in report["by_op"].items()]
    for title, groups in (("Differences", report["diffs"]), ("Warnings", report["warnings"])):
        lines += ["", f"### {title}", ""]
        if not groups:
            lines.append("None.")
            continue
        lines += [
            "| path | kind | pairs | share | noise | first primary id |",
            "|---|---|---:|---:|---|---|",
        ]
        for group in groups[:TOP_GROUPS]:
            lines.append(
                f"| `{_cell(group['path']) or '(event)'}` | {group['kind']} | {group['pairs']:,} "
                f"| {100 * group['share']:.1f}% | {group['noise'] or ''} "
                f"| `{group['first_primary_id']}` |"
            )
        if len(groups) > TOP_GROUPS:
            lines.append(f"\n… and {len(groups) - TOP_GROUPS} more groups in the JSON report.")
    entities = report.get("entities")
    if entities:
        lines += [
            "",
            "### Entities",
            "",
            f"{entities['total']:,} entities: {entities['converged']:,} converged "
            f"({entities['transient']:,} after a transient difference), "
            f"{entities['diverged']:,} diverged, {entities['reordered']:,} reordered.",
        ]
    unreadable = unreadable_groups(report)
    if unreadable:
        lines += ["", "### Not paired", ""]
        lines += [
            f"- {side}: {group['kind']} {group['path'] or ''} x{group['events']:,} "
            f"(first `{group['first_id']}`)"
            for side, group in unreadable
        ]
    return "\n".join(lines) + "\n"


def unreadable_groups(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for side in ("primary", "candidate", "baseline"):
        body = report.get(side)
        if body:
            found += [(side, group) for group in body["findings"]]
    return found


def _row(name: str, counters: dict[str, int]) -> str:
    return f"| {name} | " + " | ".join(f"{counters[c]:,}" for c in COLUMNS) + " |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


# ---------------------------------------------------------------- JUnit


def render_junit(report: dict[str, Any]) -> str:
    """One testcase per diff group (noise groups skipped), plus pairing and entities."""
    totals = report["totals"]
    diffs = report["diffs"]
    suite = ET.Element("testsuite", name="cdccheck.compare", errors="0")
    properties = ET.SubElement(suite, "properties")
    for name, value in totals.items():
        ET.SubElement(properties, "property", name=name, value=str(value))
    for op, counters in report["by_op"].items():
        for name, value in counters.items():
            ET.SubElement(properties, "property", name=f"by_op.{op}.{name}", value=str(value))
    failures = skipped = tests = 0

    def case(name: str, classname: str) -> ET.Element:
        nonlocal tests
        tests += 1
        return ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")

    unpaired = totals["missing_in_candidate"] + totals["extra_in_candidate"]
    pairing = case("every event has a partner", "cdccheck.compare.pairing")
    if unpaired:
        failures += 1
        ET.SubElement(
            pairing,
            "failure",
            type="unpaired",
            message=f"{totals['missing_in_candidate']} missing in the candidate, "
            f"{totals['extra_in_candidate']} extra",
        )
    unreadable = totals["undecodable"] + totals["unkeyed"]
    readable = case("every event decodes and has its key", "cdccheck.compare.pairing")
    if unreadable:
        failures += 1
        failure = ET.SubElement(
            readable,
            "failure",
            type="unreadable",
            message=f"{totals['undecodable']} undecodable, {totals['unkeyed']} unkeyed",
        )
        failure.text = "\n".join(
            f"{side} {s['id']}: {s['message']}"
            for side, group in unreadable_groups(report)
            for s in group["samples"]
        )
    if not diffs:
        case(f"all {totals['pairs']} pairs agree", "cdccheck.compare.diffs")
    for group in diffs:
        testcase = case(f"{group['kind']} {group['path'] or '(event)'}", "cdccheck.compare.diffs")
        if group["noise"]:
            skipped += 1
            ET.SubElement(testcase, "skipped", message=f"{group['noise']}: {group['pairs']} pairs")
            continue
        failures += 1
        failure = ET.SubElement(
            testcase,
            "failure",
            type=group["kind"],
            message=f"{group['pairs']} pairs ({100 * group['share']:.1f}%), first primary id "
            f"{group['first_primary_id']}",
        )
        failure.text = "\n".join(
            f"{s['primary_id']} / {s['candidate_id']} {s['path']}: "
            f"{_described(s['primary'])} vs {_described(s['candidate'])}"
            for s in group["samples"]
        )
    for group in report["warnings"]:
        testcase = case(f"{group['kind']} {group['path']}", "cdccheck.compare.warnings")
        out = ET.SubElement(testcase, "system-out")
        out.text = f"equal in another form on {group['pairs']} pairs (does not fail the run)"
    entities = report.get("entities")
    if entities:
        testcase = case("every entity converges", "cdccheck.compare.entities")
        if entities["diverged"]:
            failures += 1
            ET.SubElement(
                testcase,
                "failure",
                type="diverged",
                message=f"{entities['diverged']} of {entities['total']} entities diverged",
            )
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("time", str(report["timing"]["elapsed_s"]))
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


def _described(value: dict[str, Any]) -> str:
    if "value" in value:
        return repr(value["value"])
    if "length" in value:
        return f"{value['type']}({value['length']})"
    return str(value["type"])
