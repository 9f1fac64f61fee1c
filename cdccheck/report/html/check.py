"""The sections of a check report: header, cards, verdict, counters, charts, finding groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdccheck.report.html.charts import group_chart, writer_charts
from cdccheck.report.html.pieces import (
    CHARTED_GROUPS,
    COUNTER_HEADINGS,
    esc,
    html_table,
    json_text,
    key_values,
    num,
    pct,
    plural,
    when_of,
)
from cdccheck.timeline import Timeline, trend_line


def check_sections(report: Mapping[str, Any], prefix: str) -> str:
    """The sections of one check report; ``prefix`` keeps anchors unique when nested."""
    timeline = timeline_of(report)
    totals = report.get("totals") or {}
    events = int(totals.get("events", 0) or 0)
    findings = list(report.get("findings") or [])
    warnings = list(report.get("warnings") or [])
    parts = [_check_header(report)]
    nav = [("totals", "Totals"), ("writers", "By writer")]
    if findings:
        nav.append(("findings", f"Findings ({len(findings)})"))
    if warnings:
        nav.append(("warnings", f"Warnings ({len(warnings)})"))
    parts.append(
        "<nav>" + "".join(f'<a href="#{prefix}{a}">{esc(t)}</a>' for a, t in nav) + "</nav>"
    )
    parts.append(f'<h2 id="{prefix}totals">Totals</h2>')
    parts.append(_cards(totals))
    parts.append(_verdict(totals))
    by_op = report.get("by_op") or {}
    if by_op:
        parts.append("<h3>By op</h3>" + _counters_table(by_op))
    parts.append(f'<h2 id="{prefix}writers">By writer</h2>')
    by_writer = report.get("by_writer") or {}
    if by_writer:
        parts.append(_counters_table(by_writer))
    parts.append(writer_charts(by_writer, timeline))
    parts.append(f'<h2 id="{prefix}findings">Findings</h2>')
    parts.append(_groups(findings, events, timeline, prefix + "f", charts=True))
    if warnings:
        parts.append(
            f'<h2 id="{prefix}warnings">Portability warnings</h2>'
            '<p class="muted">Warnings never change a verdict.</p>'
        )
        parts.append(_groups(warnings, events, None, prefix + "w", charts=False))
    return "".join(parts)


def timeline_of(document: Mapping[str, Any]) -> Timeline | None:
    """The document's timeline, None when it has none (an older cdccheck)."""
    raw = document.get("timeline")
    if raw is None:
        return None
    return Timeline.from_json(raw)


def _check_header(report: Mapping[str, Any]) -> str:
    source = report.get("source") or {}
    span = report.get("range") or {}
    timing = report.get("timing") or {}
    schemas = report.get("schemas") or {}
    lines = [f'<p class="meta">source {key_values(source)}</p>']
    first, last = span.get("first_id"), span.get("last_id")
    if first or last:
        when = " – ".join(w for w in (when_of(first), when_of(last)) if w)
        lines.append(
            f'<p class="meta">ids <code>{esc(first or "-")}</code> .. <code>{esc(last or "-")}'
            f"</code>{' (' + esc(when) + ')' if when else ''}</p>"
        )
    if schemas:
        described = " · ".join(
            f"{esc(role)} <code>{esc((info or {}).get('path', ''))}</code>"
            f' <span class="muted">sha256 {esc(str((info or {}).get("sha256", ""))[:12])}</span>'
            for role, info in schemas.items()
        )
        lines.append(f'<p class="meta">schemas {described}</p>')
    if timing:
        lines.append(
            f'<p class="meta">started {esc(timing.get("started_at", ""))} · '
            f"{num(timing.get('elapsed_s', 0))} s · "
            f"{num(timing.get('events_per_s', 0))} events/s</p>"
        )
    return "".join(lines)


def _cards(totals: Mapping[str, Any]) -> str:
    events = int(totals.get("events", 0) or 0)
    cells = []
    for key, label in COUNTER_HEADINGS:
        value = int(totals.get(key, 0) or 0)
        mood = "good" if key == "ok" and value == events else "bad" if key != "ok" and value else ""
        if key == "events":
            mood = ""
        share = f"<span>{pct(value, events)}</span>" if key != "events" else "<span>total</span>"
        cells.append(f'<div class="card {mood}"><b>{num(value)}</b>{esc(label)} {share}</div>')
    return '<div class="cards">' + "".join(cells) + "</div>"


def _verdict(totals: Mapping[str, Any]) -> str:
    events = int(totals.get("events", 0) or 0)
    bad = events - int(totals.get("ok", 0) or 0)
    if not events:
        return '<p class="verdict">No events in range.</p>'
    if not bad:
        return (
            f'<p class="verdict good">All {num(events)} events decodable and valid '
            "under both schemas.</p>"
        )
    return (
        f'<p class="verdict bad">{num(bad)} of {num(events)} events need attention '
        f"({pct(bad, events)}): {num(totals.get('undecodable', 0))} undecodable, "
        f"{num(totals.get('legacy_invalid', 0))} invalid under legacy, "
        f"{num(totals.get('new_invalid', 0))} invalid under new.</p>"
    )


def _counters_table(rows: Mapping[str, Mapping[str, Any]]) -> str:
    headings = [("", "name")] + [(esc(label), "n") for _, label in COUNTER_HEADINGS]
    headings.append(("failing", "n"))
    body = []
    for name, counters in rows.items():
        events = int(counters.get("events", 0) or 0)
        bad = events - int(counters.get("ok", 0) or 0)
        body.append(
            [f"<code>{esc(name)}</code>"]
            + [num(counters.get(key, 0)) for key, _ in COUNTER_HEADINGS]
            + [pct(bad, events)]
        )
    return html_table(headings, body)


def _groups(
    groups: list[Mapping[str, Any]],
    events: int,
    timeline: Timeline | None,
    anchor: str,
    *,
    charts: bool,
) -> str:
    if not groups:
        return '<p class="verdict good">None.</p>'
    with_chart = charts and timeline is not None and bool(timeline.buckets)
    headings = [
        ("schema", "name"),
        ("kind", "name"),
        ("path", "path"),
        ("events", "n"),
        ("share", "n"),
        ("first seen", "name"),
    ]
    if with_chart:
        headings.append(("over time", "spark"))
    rows = []
    for index, group in enumerate(groups):
        key = (str(group.get("schema", "")), str(group.get("kind", "")), str(group.get("path", "")))
        first = group.get("first_id") or ""
        name = f'<a href="#{anchor}{index}"><code>{esc(key[2] or "(payload)")}</code></a>'
        if index >= CHARTED_GROUPS:
            name = f"<code>{esc(key[2] or '(payload)')}</code>"
        row = [
            esc(key[0]),
            esc(key[1]),
            name,
            num(group.get("events", 0)),
            pct(int(group.get("events", 0) or 0), events),
            f'<code>{esc(first)}</code><br><span class="muted">{esc(when_of(first))}</span>',
        ]
        if with_chart:
            assert timeline is not None
            row.append(group_chart(timeline, key) if index < CHARTED_GROUPS else "")
        rows.append(row)
    parts = [html_table(headings, rows, "groups")]
    if len(groups) > CHARTED_GROUPS:
        parts.append(
            f'<p class="muted">Details for the first {CHARTED_GROUPS} groups; '
            "every group is in the JSON report.</p>"
        )
    for index, group in enumerate(groups[:CHARTED_GROUPS]):
        parts.append(_group_detail(group, index, anchor, timeline if with_chart else None))
    return "".join(parts)


def _group_detail(
    group: Mapping[str, Any], index: int, anchor: str, timeline: Timeline | None
) -> str:
    path = group.get("path") or "(payload)"
    parts = [
        f'<h3 id="{anchor}{index}">{esc(group.get("schema", ""))} · {esc(group.get("kind", ""))} · '
        f"<code>{esc(path)}</code></h3>"
    ]
    if {"schema", "kind", "path"} <= group.keys():
        parts.append(f'<p class="trend">{esc(trend_line(group, timeline))}</p>')
    last = group.get("last_id") or ""
    parts.append(
        f'<p class="meta">{num(group.get("events", 0))} events · last '
        f"<code>{esc(last)}</code> {esc(when_of(last))}</p>"
    )
    samples = group.get("samples") or []
    if samples:
        rows = [
            [
                f"<code>{esc(sample.get('id', ''))}</code>",
                f"<code>{esc(sample.get('path', ''))}</code>",
                _value(sample.get("value")),
                esc(sample.get("message", "")),
            ]
            for sample in samples
            if isinstance(sample, Mapping)
        ]
        parts.append(
            f"<details><summary>{plural(len(rows), 'sample')}</summary>"
            + html_table(
                [("id", "name"), ("path", "path"), ("value", ""), ("message", "")],
                rows,
                "samples",
            )
            + "</details>"
        )
    return "".join(parts)


def _value(value: Any) -> str:
    """A sample's value description: type and length, and the value with --show-values."""
    if not isinstance(value, Mapping):
        return f"<code>{esc(json_text(value))}</code>"
    described = esc(value.get("type", "?"))
    if "length" in value:
        described += f" of length {num(value['length'])}"
    if "value" in value:
        described += f"<pre>{esc(json_text(value['value']))}</pre>"
    return described
