"""The compare report as a console table (rich).

Only ``cdccheck.compare.render`` imports this module, and only for
``--format table``: the compare engine never loads rich. Readable at 80
columns; plain text without colour when not writing to a terminal.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from cdccheck.compare.render import (
    COLUMNS,
    TOP_GROUPS,
    describe_source,
    headline,
    unreadable_groups,
)
from cdccheck.report.console import text_console

_HEADINGS = ("pairs", "equal", "differ", "missing", "extra", "undecod.", "unkeyed")
WIDE = 100
"""From this width on, the diff table also shows the first primary id."""


def render_table(
    report: dict[str, Any], *, color: bool | None = None, width: int | None = None
) -> str:
    """The report as text tables."""
    console, buffer = text_console(color, width)
    console.print(_title(report))
    rows = {"all": report["totals"], **{f"op {op}": c for op, c in report["by_op"].items()}}
    console.print(_counters(rows))
    wide = console.width >= WIDE
    console.print(_groups("Differences", report["diffs"], wide, noise=True))
    if report["warnings"]:
        console.print(_groups("Warnings (equal in another form)", report["warnings"], wide))
    entities = report.get("entities")
    if entities:
        console.print(
            Text(
                f"Entities: {entities['total']:,} — {entities['converged']:,} converged "
                f"({entities['transient']:,} transient), {entities['diverged']:,} diverged, "
                f"{entities['reordered']:,} reordered",
                style="red" if entities["diverged"] else "green",
            )
        )
    for side, group in unreadable_groups(report):
        sample = group["samples"][0]["message"] if group["samples"] else ""
        console.print(
            Text(
                f"{side}: {group['events']:,} {group['kind']} {group['path']} — {sample}",
                style="yellow",
            )
        )
    clear, sentence = headline(report)
    console.print(Text(sentence, style="bold green" if clear else "bold red"))
    return buffer.getvalue()


def _title(report: dict[str, Any]) -> Group:
    # One short line per fact, so that the header does not wrap at 80 columns.
    timing = report["timing"]
    lines = [
        Text("cdccheck compare", style="bold"),
        Text(f"primary    {describe_source(report['primary']['source'])}"),
        Text(f"candidate  {describe_source(report['candidate']['source'])}"),
    ]
    if report.get("baseline"):
        lines.append(Text(f"baseline   {describe_source(report['baseline']['source'])}"))
    key = " + ".join(",".join(alternatives) for alternatives in report["key"])
    lines.append(Text(f"key        {key}", style="dim"))
    if report.get("entity"):
        lines.append(Text(f"entity     {','.join(report['entity'])}", style="dim"))
    if report.get("ignored"):
        shown = ", ".join(item["path"] for item in report["ignored"])
        lines.append(Text(f"ignored    {shown}", style="dim"))
    lines.append(
        Text(
            f"{timing['elapsed_s']:.2f} s, {timing['pairs_per_s']:,.0f} pairs/s",
            style="dim",
        )
    )
    return Group(*lines)


def _counters(rows: dict[str, dict[str, int]]) -> Table:
    table = Table(title="Totals", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("", overflow="ellipsis", max_width=14, no_wrap=True)
    for heading in _HEADINGS:
        table.add_column(heading, justify="right", no_wrap=True)
    for name, counters in rows.items():
        clean = counters["pairs"] == counters["equal"] and not any(
            counters[column] for column in COLUMNS[3:]
        )
        table.add_row(
            name, *(f"{counters[c]:,}" for c in COLUMNS), style="green" if clean else None
        )
    return table


def _groups(title: str, groups: list[dict[str, Any]], wide: bool, noise: bool = False) -> Any:
    if not groups:
        return Text(f"{title}: none", style="green")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("path", overflow="fold", ratio=1)
    table.add_column("kind", no_wrap=True)
    table.add_column("pairs", justify="right", no_wrap=True)
    table.add_column("share", justify="right", no_wrap=True)
    if noise:
        table.add_column("noise", no_wrap=True)
    if wide:
        table.add_column("first primary id", overflow="ellipsis", no_wrap=True, max_width=16)
    for group in groups[:TOP_GROUPS]:
        cells = [
            group["path"] or "(event)",
            group["kind"],
            f"{group['pairs']:,}",
            f"{100 * group['share']:.1f}%",
        ]
        if noise:
            cells.append(group["noise"] or "")
        if wide:
            cells.append(group["first_primary_id"])
        table.add_row(*cells, style="dim" if group.get("noise") else None)
    if len(groups) > TOP_GROUPS:
        table.caption = f"... and {len(groups) - TOP_GROUPS} more groups (see --format json)"
    return table
