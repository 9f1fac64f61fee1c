"""The console table (rich): totals, per-op and per-writer counters, top finding groups.

Readable at 80 columns, where nothing is dropped: each finding group is a
line of counts and writers followed by its message, sample shape, ids and
cause hint, wrapped to the width. Plain text without colour when not
writing to a terminal.
"""

from __future__ import annotations

import io
import textwrap
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from cdccheck.report.describe import (
    counter_columns,
    group_example,
    schema_label,
    source_label,
    writers_text,
)
from cdccheck.report.timeline_text import text_timeline

_HEADINGS = {
    "events": "events",
    "ok": "ok",
    "undecodable": "undecod.",
    "legacy_invalid": "legacy ✗",
    "new_invalid": "new ✗",
    "both_invalid": "both ✗",
    "errors": "errors",
}
TOP_GROUPS = 25
_DETAIL_INDENT = 4
_MAX_MESSAGE = 160
"""Longer messages are cut in the table (with "..."); the JSON report has them whole."""
_LABEL_WIDTH = 8
_SCHEMA_STYLE = {"legacy": "magenta", "new": "blue", "wire": "red", "engine": "bold red"}


def text_console(color: bool | None, width: int | None) -> tuple[Console, io.StringIO]:
    """A console that renders into a string: ``width`` columns (80), colour only if asked."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or 80,
        force_terminal=bool(color),
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        soft_wrap=False,
    )
    return console, buffer


def render_table(
    report: dict[str, Any], *, color: bool | None = None, width: int | None = None
) -> str:
    console, buffer = text_console(color, width)
    console.print(_title(report))
    columns = counter_columns(report)
    console.print(_counters_table("Totals", {"all events": report["totals"]}, columns))
    if report["by_op"]:
        console.print(_counters_table("By op", report["by_op"], columns))
    if report["by_writer"]:
        console.print(_counters_table("By writer", report["by_writer"], columns))
    events = report["totals"]["events"]
    console.print(_groups_table("Findings", report["findings"], events, console.width))
    if report["warnings"]:
        console.print(
            _groups_table(
                "Portability warnings (never change a verdict)",
                report["warnings"],
                events,
                console.width,
            )
        )
    console.print(Group(*_timeline(report, console.width)))
    console.print(_verdict_line(report))
    return buffer.getvalue()


def _title(report: dict[str, Any]) -> Group:
    span = report["range"]
    timing = report["timing"]
    lines = [
        Text(f"cdccheck — {source_label(report['source'])}", style="bold"),
        Text(
            f"ids {span['first_id'] or '-'} .. {span['last_id'] or '-'}   "
            f"{timing['elapsed_s']:.2f} s, {timing['events_per_s']:,.0f} events/s",
            style="dim",
        ),
        Text(
            f"legacy {schema_label(report['schemas']['legacy']['path'])}   "
            f"new {schema_label(report['schemas']['new']['path'])}",
            style="dim",
        ),
    ]
    return Group(*lines)


def _counters_table(title: str, rows: dict[str, dict[str, int]], columns: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("", overflow="ellipsis", max_width=16, no_wrap=True)
    for column in columns:
        table.add_column(_HEADINGS.get(column, column), justify="right", no_wrap=True)
    for name, counters in rows.items():
        cells = [f"{counters.get(column, 0):,}" for column in columns]
        style = "green" if counters["ok"] == counters["events"] else None
        table.add_row(name, *cells, style=style)
    return table


def _groups_table(title: str, groups: list[dict[str, Any]], events: int, width: int) -> Group:
    """One block per group: a line of counts and writers, then message, ids and hint.

    Every group says the same things at any width: lines wrap, nothing is
    dropped (a pipe or a CI log is 80 columns wide).
    """
    if not groups:
        return Group(Text(f"{title}: none", style="green"), Text(""))
    shown = groups[:TOP_GROUPS]
    schema_w = max(len(g["schema"]) for g in shown)
    kind_w = max(len(g["kind"]) for g in shown)
    events_w = max(len(f"{g['events']:,}") for g in shown)
    # Paths line up when the longest line, writers included, still fits; else each line
    # is as long as it needs, so that the writers can stay on it.
    path_w = max(len(g["path"] or "(payload)") for g in shown)
    writers_w = max(len(writers_text(g)) for g in shown)
    longest = 1 + schema_w + 2 + kind_w + 2 + path_w + 2 + events_w + len(" (100.0%)")
    if longest + 3 + writers_w > width:
        path_w = 0
    lines: list[Text] = [Text(title, style="bold")]
    for group in shown:
        share = f"{100 * group['events'] / events:.1f}%" if events else "-"
        head = Text(" ")
        head.append(group["schema"].ljust(schema_w), style=_SCHEMA_STYLE.get(group["schema"]))
        head.append("  " + group["kind"].ljust(kind_w) + "  ")
        head.append((group["path"] or "(payload)").ljust(path_w), style="bold")
        head.append(f"  {group['events']:>{events_w},} ({share})")
        writers = writers_text(group)
        if writers and head.cell_len + 3 + len(writers) <= width:
            head.append(" — " + writers, style="cyan")
            writers = ""
        lines.append(head)
        details: list[tuple[str, str, str | None]] = []
        if writers:
            details.append(("writers", writers, "cyan"))
        example = group_example(group)
        if example is not None:
            message, value = example
            if len(message) > _MAX_MESSAGE:
                message = message[: _MAX_MESSAGE - 3] + "..."
            details.append(("message", message, None))
            if value:
                details.append(("sample", value, None))
        details.append(("ids", f"{group['first_id']} .. {group['last_id']}", "dim"))
        hint = group.get("hint")
        if hint is not None:
            details.append(("cause", f"{hint['cause']} [{hint['name']}]", "yellow"))
            details.append(("fix", hint["fix"], "yellow"))
            details.append(("evidence", hint["evidence"], "dim"))
        lines += [_detail(label, text, style, width) for label, text, style in details]
    if len(groups) > TOP_GROUPS:
        more = len(groups) - TOP_GROUPS
        lines.append(Text(f"... and {more} more groups (see --format json)", style="dim"))
    lines.append(Text(""))
    return Group(*lines)


def _detail(label: str, text: str, style: str | None, width: int) -> Text:
    """An indented ``label  text`` line, wrapped under its text at ``width``."""
    indent = " " * (_DETAIL_INDENT + _LABEL_WIDTH + 1)
    wrapped = textwrap.wrap(
        text,
        width=max(width - len(indent), 20),
        break_long_words=True,
        break_on_hyphens=False,
    ) or [""]
    line = Text(" " * _DETAIL_INDENT)
    line.append(label.ljust(_LABEL_WIDTH) + " ", style="dim")
    line.append(("\n" + indent).join(wrapped), style=style)
    return line


_CLEAN = " ▁"
"""Sparkline characters of buckets without failing events (or without events)."""


def _timeline(report: dict[str, Any], width: int) -> list[Text]:
    """Per writer a sparkline of the failing share, then the top groups' trends (or nothing)."""
    shown = text_timeline(report, width)
    if shown is None:
        return []
    lines = [Text("Over time", style="bold")]
    lines += [Text(part, style="dim") for part in textwrap.wrap(shown.caption, width)]
    for name, line in shown.rows:
        failing = line.strip(_CLEAN) != ""
        row = Text(f"  {name}  ")
        row.append(line, style="red" if failing else "green")
        lines.append(row)
    for trend in shown.trends:
        # Continuation lines indented, so each trend reads as one item.
        wrapped = textwrap.wrap(trend, width, initial_indent="  ", subsequent_indent="      ")
        lines += [Text(part) for part in wrapped]
    return [*lines, Text("")]


def _verdict_line(report: dict[str, Any]) -> Text:
    totals = report["totals"]
    bad = totals["events"] - totals["ok"]
    if not totals["events"]:
        return Text("no events in range", style="yellow")
    if not bad:
        return Text(
            f"all {totals['events']:,} events decodable and valid under both schemas",
            style="bold green",
        )
    errors = totals.get("errors", 0)
    return Text(
        f"{bad:,} of {totals['events']:,} events need attention: "
        f"{totals['undecodable']:,} undecodable, {totals['legacy_invalid']:,} invalid under "
        f"legacy, {totals['new_invalid']:,} invalid under new"
        + (f", {errors:,} could not be checked (internal error)" if errors else ""),
        style="bold red",
    )
