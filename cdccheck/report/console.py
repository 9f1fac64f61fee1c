"""The console table (rich): totals, per-op and per-writer counters, top finding groups.

Readable at 80 columns; plain text without colour when not writing to a terminal.
"""

from __future__ import annotations

import io
import os
import textwrap
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from cdccheck.report.timeline_text import text_timeline
from cdccheck.summary import COUNTER_COLUMNS

_HEADINGS = ("events", "ok", "undecod.", "legacy ✗", "new ✗", "both ✗")
TOP_GROUPS = 25
_CLEAN = " ▁"
"""Sparkline characters of buckets without failing events (or without events)."""
WIDE = 100
"""From this width on, finding tables also show the first stream id."""


def render_table(
    report: dict[str, Any], *, color: bool | None = None, width: int | None = None
) -> str:
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
    console.print(_title(report))
    console.print(_counters_table("Totals", {"all events": report["totals"]}))
    if report["by_op"]:
        console.print(_counters_table("By op", report["by_op"]))
    if report["by_writer"]:
        console.print(_counters_table("By writer", report["by_writer"]))
    wide = console.width >= WIDE
    console.print(_groups_table("Findings", report["findings"], report["totals"]["events"], wide))
    if report["warnings"]:
        console.print(
            _groups_table(
                "Portability warnings (never change a verdict)",
                report["warnings"],
                report["totals"]["events"],
                wide,
            )
        )
    console.print(Group(*_timeline(report, console.width)))
    console.print(_verdict_line(report))
    return buffer.getvalue()


def _title(report: dict[str, Any]) -> Group:
    source = report["source"]
    where = source.get("stream") or ", ".join(source.get("files", [])) or source.get("kind", "")
    span = report["range"]
    timing = report["timing"]
    lines = [
        Text(f"cdccheck — {source.get('kind', '?')} {where}", style="bold"),
        Text(
            f"ids {span['first_id'] or '-'} .. {span['last_id'] or '-'}   "
            f"{timing['elapsed_s']:.2f} s, {timing['events_per_s']:,.0f} events/s",
            style="dim",
        ),
        Text(
            f"legacy {_short_path(report['schemas']['legacy']['path'])}   "
            f"new {_short_path(report['schemas']['new']['path'])}",
            style="dim",
        ),
    ]
    return Group(*lines)


def _short_path(path: str) -> str:
    """A schema path relative to the working directory when it lies below it."""
    relative = os.path.relpath(path) if os.path.isabs(path) else path
    return path if relative.startswith("..") else relative


def _counters_table(title: str, rows: dict[str, dict[str, int]]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("", overflow="ellipsis", max_width=16, no_wrap=True)
    for heading in _HEADINGS:
        table.add_column(heading, justify="right", no_wrap=True)
    for name, counters in rows.items():
        cells = [f"{counters[column]:,}" for column in COUNTER_COLUMNS]
        style = "green" if counters["ok"] == counters["events"] else None
        table.add_row(name, *cells, style=style)
    return table


def _groups_table(
    title: str, groups: list[dict[str, Any]], events: int, wide: bool
) -> Table | Text:
    if not groups:
        return Text(f"{title}: none", style="green")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("schema", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("path", overflow="fold", ratio=1)
    table.add_column("events", justify="right", no_wrap=True)
    table.add_column("share", justify="right", no_wrap=True)
    if wide:
        table.add_column("first id", overflow="ellipsis", no_wrap=True, max_width=15)
    for group in groups[:TOP_GROUPS]:
        share = f"{100 * group['events'] / events:.1f}%" if events else "-"
        cells = [group["schema"], group["kind"], group["path"] or "(payload)"]
        cells += [f"{group['events']:,}", share]
        table.add_row(*cells, *([group["first_id"]] if wide else []))
    if len(groups) > TOP_GROUPS:
        table.caption = f"... and {len(groups) - TOP_GROUPS} more groups (see --format json)"
    return table


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
    return Text(
        f"{bad:,} of {totals['events']:,} events need attention: "
        f"{totals['undecodable']:,} undecodable, {totals['legacy_invalid']:,} invalid under "
        f"legacy, {totals['new_invalid']:,} invalid under new",
        style="bold red",
    )
