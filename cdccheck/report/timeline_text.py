"""The report's timeline as text: per-writer sparklines and trend lines.

The console table and Markdown both show it (docs/reports.md, "timeline"):
one line per writer with a block character per time bucket, as high as the
bucket's failing share (``cdccheck.timeline.writer_sparklines``; buckets are
merged exactly to fit the width), then the top finding groups' trends, e.g.
``legacy ✗ /comment/created_at (format) first seen 2026-01-28 10:43:08 UTC
(id …), rising since 10:40``. A report without a timeline (an older
cdccheck) shows none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from cdccheck.timeline import Timeline, format_width, trend_line, writer_sparklines

__all__ = ["TREND_GROUPS", "TextTimeline", "markdown_lines", "text_timeline"]

TREND_GROUPS = 3
"""Trend lines shown: the largest finding groups."""
_MAX_COLUMNS = 72
_MIN_COLUMNS = 12
_MAX_NAME = 16


class TextTimeline(NamedTuple):
    """What both text renderers print: a caption, (writer, sparkline) rows, trend lines."""

    caption: str
    rows: list[tuple[str, str]]
    trends: list[str]


def text_timeline(report: Mapping[str, Any], width: int = 80) -> TextTimeline | None:
    """The timeline of ``report`` for a text ``width`` columns wide; None without one."""
    raw = report.get("timeline")
    if raw is None:
        return None
    timeline = Timeline.from_json(raw)
    if not timeline.buckets:
        return None
    names = {writer: _name(writer) for writer in timeline.writers()}
    name_width = max(len(name) for name in names.values())
    columns = max(_MIN_COLUMNS, min(_MAX_COLUMNS, width - name_width - 4))
    lines, top, width_s = writer_sparklines(timeline, columns)
    starts = timeline.fit_to(columns).starts()
    first, last = starts[0], starts[-1] + width_s * 1000
    seconds = width_s < 60
    caption = (
        f"Failing share over time, one column per {format_width(width_s)} "
        f"({_moment(first, seconds)} .. {_moment(last, seconds, since=first)} UTC); "
        f"a full block is {top:.1%} failing"
    )
    rows = [(names[writer].ljust(name_width), line) for writer, line in lines.items()]
    trends = [trend_line(group, timeline) for group in report["findings"][:TREND_GROUPS]]
    return TextTimeline(caption, rows, trends)


def markdown_lines(report: Mapping[str, Any]) -> list[str]:
    """A small text timeline for a pull-request comment: a code block and the trends."""
    shown = text_timeline(report, width=60)
    if shown is None:
        return []
    lines = ["", "### Over time", "", shown.caption + ":", "", "```text"]
    lines += [f"{name}  {line}" for name, line in shown.rows]
    lines.append("```")
    if shown.trends:
        lines.append("")
        lines += [f"- {trend}" for trend in shown.trends]
    return lines


def _name(writer: str) -> str:
    """A writer name cut to the width the counter tables give it."""
    return writer if len(writer) <= _MAX_NAME else writer[: _MAX_NAME - 1] + "…"


def _moment(ms: int, seconds: bool, since: int | None = None) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    if since is not None and datetime.fromtimestamp(since / 1000, UTC).date() == moment.date():
        return moment.strftime(clock)
    return moment.strftime("%Y-%m-%d " + clock)
