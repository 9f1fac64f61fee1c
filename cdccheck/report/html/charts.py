"""Inline SVG charts: stacked verdict bars per time bucket, share strips, axes, group timelines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cdccheck.report.html.pieces import (
    CHART_COLUMNS,
    CLASSES,
    esc,
    legend_html,
    moment_of,
    num,
    pct,
    verdict_classes,
)
from cdccheck.summary import Counters
from cdccheck.timeline import Timeline, format_width


def stacked_bars(columns: Sequence[Mapping[str, int]], css: str) -> str:
    """A stacked bar chart: one column per bucket, segments in CLASSES order.

    The SVG's coordinate system is one unit per column across and 1000 units
    up; ``preserveAspectRatio="none"`` stretches it to the box, so the chart
    fills any width while its labels stay HTML text at a readable size.
    """
    keys = [key for key, _, _ in CLASSES]
    peak = max((sum(column.get(key, 0) for key in keys) for column in columns), default=0) or 1
    rects = []
    for index, column in enumerate(columns):
        bottom = 1000.0
        for key, label, klass in CLASSES:
            value = column.get(key, 0)
            if not value:
                continue
            height = 1000.0 * value / peak
            bottom -= height
            rects.append(
                f'<rect class="{klass}" x="{index}" y="{bottom:.2f}" width="0.92" '
                f'height="{height:.2f}"><title>{esc(column.get("_label", ""))} {esc(label)}: '
                f"{num(value)}</title></rect>"
            )
    grid = "".join(
        f'<line class="grid" x1="0" x2="{len(columns)}" y1="{y}" y2="{y}" '
        'vector-effect="non-scaling-stroke"/>'
        for y in (250, 500, 750)
    )
    return (
        f'<svg class="{css}" viewBox="0 0 {max(len(columns), 1)} 1000" '
        f'preserveAspectRatio="none" role="img">{grid}{"".join(rects)}</svg>'
    )


def share_bar(classes: Mapping[str, int]) -> str:
    """One horizontal bar split by the exclusive verdict classes."""
    total = sum(classes.values()) or 1
    left = 0.0
    rects = []
    for key, label, klass in CLASSES:
        value = classes.get(key, 0)
        if not value:
            continue
        width = 1000.0 * value / total
        rects.append(
            f'<rect class="{klass}" x="{left:.2f}" y="0" width="{width:.2f}" height="1">'
            f"<title>{esc(label)}: {num(value)} ({pct(value, total)})</title></rect>"
        )
        left += width
    return (
        '<svg class="bar" viewBox="0 0 1000 1" preserveAspectRatio="none" role="img">'
        + "".join(rects)
        + "</svg>"
    )


def single_bars(values: Sequence[float], labels: Sequence[str], css: str, klass: str) -> str:
    """One series of bars (shares or counts), scaled to its peak."""
    peak = max(values, default=0) or 1
    rects = "".join(
        f'<rect class="{klass}" x="{index}" y="{1000 - 1000 * value / peak:.2f}" width="0.92" '
        f'height="{1000 * value / peak:.2f}"><title>{esc(label)}</title></rect>'
        for index, (value, label) in enumerate(zip(values, labels, strict=True))
        if value
    )
    return (
        f'<svg class="{css}" viewBox="0 0 {max(len(values), 1)} 1000" '
        f'preserveAspectRatio="none" role="img">{rects}</svg>'
    )


def time_axis(starts: Sequence[int], width_s: int) -> str:
    """The start, middle and end times under a chart, in UTC."""
    if not starts:
        return ""
    end = starts[-1] + width_s * 1000
    middle = starts[len(starts) // 2]
    return (
        f'<div class="axis"><span>{esc(moment_of(starts[0], width_s))}</span>'
        f"<span>{esc(moment_of(middle, width_s))}</span>"
        f"<span>{esc(moment_of(end, width_s))} UTC</span></div>"
    )


def writer_charts(by_writer: Mapping[str, Mapping[str, Any]], timeline: Timeline | None) -> str:
    """Per writer, a stacked chart of each bucket's verdicts (or a share bar without a timeline)."""
    if timeline is None or not timeline.buckets:
        # No timeline (an older report): one share bar per writer instead.
        if not by_writer:
            return ""
        rows = []
        for writer, counters in by_writer.items():
            classes = verdict_classes(counters)
            rows.append(
                f'<div class="chart"><div class="chart-head"><b>{esc(writer)}</b>'
                f"<span>{num(counters.get('events', 0))} events</span></div>"
                + share_bar(classes)
                + "</div>"
            )
        note = (
            '<p class="muted">This report has no timeline (made by an older cdccheck, or '
            "merged with one): verdict shares per writer only.</p>"
        )
        return note + legend_html() + "".join(rows)
    shown = timeline.fit_to(CHART_COLUMNS)
    starts = shown.starts()
    width = format_width(shown.width_s)
    parts = [
        f'<p class="muted">Events per {esc(width)} bucket of stream-id time, per writer; the red '
        "strip under each chart is the failing share of the bucket.</p>",
        legend_html([("failing share", "c-share")]),
    ]
    for writer in shown.writers():
        columns: list[dict[str, Any]] = []
        shares: list[float] = []
        labels: list[str] = []
        peak_events = 0
        for start in starts:
            tally = shown.buckets.get(start, {}).get(writer) or Counters()
            classes = verdict_classes(tally.as_dict())
            label = moment_of(start, shown.width_s)
            columns.append({**classes, "_label": label})
            failing = tally.events - tally.ok
            share = failing / tally.events if tally.events else 0.0
            shares.append(share)
            labels.append(f"{label}: {num(failing)} of {num(tally.events)} failing ({share:.1%})")
            peak_events = max(peak_events, tally.events)
        total = timeline.writer_totals().get(writer) or Counters()
        peak_share = max(shares, default=0.0)
        parts.append(
            f'<div class="chart"><div class="chart-head"><b>{esc(writer)}</b>'
            f"<span>{num(total.events)} events, {pct(total.events - total.ok, total.events)} "
            f"failing · peak {num(peak_events)} events per {esc(width)} · "
            f"failing share up to {peak_share:.1%}</span></div>"
            + stacked_bars(columns, "stack")
            + single_bars(shares, labels, "share", "c-share")
            + time_axis(starts, shown.width_s)
            + "</div>"
        )
    untimed = sum(c.events for c in timeline.untimed.values())
    dropped = sum(c.events for c in timeline.before_horizon.values())
    if untimed:
        parts.append(f'<p class="muted">{num(untimed)} events have ids without a time.</p>')
    if dropped:
        parts.append(
            f'<p class="muted">{num(dropped)} events are older than the timeline\'s horizon.</p>'
        )
    return "".join(parts)


def group_chart(timeline: Timeline, key: tuple[str, str, str]) -> str:
    """A small timeline of one finding group's events per bucket."""
    shown = timeline.fit_to(CHART_COLUMNS // 2)
    series = shown.groups.get(key, {})
    starts = shown.starts()
    values = [float(series.get(start, 0)) for start in starts]
    labels = [
        f"{moment_of(start, shown.width_s)}: {num(series.get(start, 0))} events" for start in starts
    ]
    return single_bars(values, labels, "mini", "c-group")
