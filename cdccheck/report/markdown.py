"""Markdown: for a pull-request comment or a CI step summary."""

from __future__ import annotations

from typing import Any

from cdccheck.report.timeline_text import markdown_lines
from cdccheck.summary import COUNTER_COLUMNS

TOP_GROUPS = 25


def render_markdown(report: dict[str, Any]) -> str:
    totals = report["totals"]
    bad = totals["events"] - totals["ok"]
    source = report["source"]
    where = source.get("stream") or ", ".join(source.get("files", [])) or source.get("kind", "")
    status = (
        "✅ all events decodable and valid"
        if not bad
        else f"❌ {bad:,} of {totals['events']:,} events need attention"
    )
    lines = [
        f"## cdccheck: {status}",
        "",
        f"Source: {source.get('kind', '?')} `{where}`; ids `{report['range']['first_id']}` .. "
        f"`{report['range']['last_id']}`; legacy `{report['schemas']['legacy']['path']}`, "
        f"new `{report['schemas']['new']['path']}`.",
        "",
        "| | " + " | ".join(COUNTER_COLUMNS) + " |",
        "|---|" + "---:|" * len(COUNTER_COLUMNS),
        _row("**all**", totals),
    ]
    lines += [_row(f"op `{op}`", counters) for op, counters in report["by_op"].items()]
    lines += [_row(f"writer `{w}`", counters) for w, counters in report["by_writer"].items()]
    for title, groups in (
        ("Findings", report["findings"]),
        ("Portability warnings", report["warnings"]),
    ):
        lines += ["", f"### {title}", ""]
        if not groups:
            lines.append("None.")
            continue
        lines += [
            "| schema | kind | path | events | first id | last id |",
            "|---|---|---|---:|---|---|",
        ]
        for group in groups[:TOP_GROUPS]:
            lines.append(
                f"| {group['schema']} | {group['kind']} "
                f"| `{_cell(group['path']) or '(payload)'}` | "
                f"{group['events']:,} | `{group['first_id']}` | `{group['last_id']}` |"
            )
        if len(groups) > TOP_GROUPS:
            lines.append(f"\n… and {len(groups) - TOP_GROUPS} more groups in the JSON report.")
    lines += markdown_lines(report)
    return "\n".join(lines) + "\n"


def _row(name: str, counters: dict[str, int]) -> str:
    return f"| {name} | " + " | ".join(f"{counters[c]:,}" for c in COUNTER_COLUMNS) + " |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
