"""Markdown: for a pull-request comment or a CI step summary.

Findings come as one table (who, how many, an example message) followed by
the probable causes, one bullet per group that has a cause hint.
"""

from __future__ import annotations

from typing import Any

from cdccheck.report.describe import (
    counter_columns,
    group_example,
    group_name,
    schema_label,
    source_label,
    writers_text,
)
from cdccheck.report.timeline_text import markdown_lines

TOP_GROUPS = 25
_MAX_MESSAGE = 160


def render_markdown(report: dict[str, Any]) -> str:
    totals = report["totals"]
    bad = totals["events"] - totals["ok"]
    status = (
        "✅ all events decodable and valid"
        if not bad
        else f"❌ {bad:,} of {totals['events']:,} events need attention"
    )
    schemas = report["schemas"]
    columns = counter_columns(report)
    lines = [
        f"## cdccheck: {status}",
        "",
        f"Source: {_code(source_label(report['source']))}; ids "
        f"{_code(report['range']['first_id'] or '-')} .. "
        f"{_code(report['range']['last_id'] or '-')}; "
        f"legacy {_code(schema_label(schemas['legacy']['path']))}, "
        f"new {_code(schema_label(schemas['new']['path']))}.",
        "",
        "| | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
        _row("**all**", totals, columns),
    ]
    lines += [_row(f"op `{op}`", counters, columns) for op, counters in report["by_op"].items()]
    lines += [
        _row(f"writer `{w}`", counters, columns) for w, counters in report["by_writer"].items()
    ]
    for title, groups in (
        ("Findings", report["findings"]),
        ("Portability warnings", report["warnings"]),
    ):
        lines += ["", f"### {title}", ""]
        if not groups:
            lines.append("None.")
            continue
        lines += _groups(groups[:TOP_GROUPS])
        if len(groups) > TOP_GROUPS:
            lines.append(f"\n… and {len(groups) - TOP_GROUPS} more groups in the JSON report.")
    lines += markdown_lines(report)
    return "\n".join(lines) + "\n"


def _groups(groups: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| schema | kind | path | events | writers | example | ids |",
        "|---|---|---|---:|---|---|---|",
    ]
    for group in groups:
        example = group_example(group)
        if example is None:
            shown = ""
        else:
            message, value = example
            if len(message) > _MAX_MESSAGE:
                message = message[: _MAX_MESSAGE - 1] + "…"
            shown = _code(message) + (f" (sample {_code(value)})" if value else "")
        lines.append(
            f"| {group['schema']} | {group['kind']} | {_code(group['path'] or '(payload)')} "
            f"| {group['events']:,} | {_cell(writers_text(group))} | {shown} "
            f"| {_code(group['first_id'])} .. {_code(group['last_id'])} |"
        )
    hinted = [group for group in groups if "hint" in group]
    if hinted:
        lines += ["", "**Probable causes**", ""]
        for group in hinted:
            hint = group["hint"]
            lines.append(
                f"- {_code(group_name(group))}: {_cell(hint['cause'])}. "
                f"**Fix:** {_cell(hint['fix'])}. "
                f"*Evidence:* {_cell(hint['evidence'])}. (`{hint['name']}`)"
            )
    return lines


def _row(name: str, counters: dict[str, int], columns: tuple[str, ...]) -> str:
    return f"| {name} | " + " | ".join(f"{counters.get(c, 0):,}" for c in columns) + " |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """Inline code that survives backticks and pipes inside it (a table cell)."""
    text = _cell(text)
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"
