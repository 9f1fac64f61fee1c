"""One self-contained HTML page for a check report, a gate result or a compare report.

The page makes no network request of any kind: styles are inline, charts are
inline SVG drawn here, and the only script is a one-line handler that opens
every ``<details>`` before printing. No URL is ever emitted as a ``src`` or
``href`` (links are ``#anchors`` within the page). It reads at 1280 px, on a
phone (tables scroll sideways inside their box, charts stretch to the width,
their labels are HTML text so they never shrink) and on paper.

Everything taken from the document is escaped: sample values, messages,
paths and writer names are user content (docs/security.md).

What is drawn (docs/reports.md): the totals; per writer, a stacked chart of
each time bucket's events (ok, legacy only, new only, both invalid,
undecodable) with a strip of the failing share under it; the finding groups,
each with a small timeline of its own, its trend ("first seen ..., rising
since ...") and its samples. A report without a ``timeline`` (an older
cdccheck) still renders, with a share bar per writer instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from cdccheck.errors import ConfigError
from cdccheck.summary import Counters
from cdccheck.timeline import Timeline, format_width, stream_ms, trend_line

__all__ = ["load_document", "render_html"]

CHART_COLUMNS = 200
"""A timeline is drawn with at most this many bars (merged exactly to fit)."""
CHARTED_GROUPS = 50
"""Groups beyond this many are listed without their own timeline and samples."""

# Exclusive verdict classes, bottom to top of a stacked bar: (key, label, CSS class).
_CLASSES = (
    ("ok", "ok", "c-ok"),
    ("legacy_only", "legacy ✗ only", "c-legacy"),
    ("new_only", "new ✗ only", "c-new"),
    ("both", "both ✗", "c-both"),
    ("undecodable", "undecodable", "c-wire"),
    ("errors", "internal error", "c-wire"),
)
_COUNTER_HEADINGS = (
    ("events", "events"),
    ("ok", "ok"),
    ("undecodable", "undecodable"),
    ("legacy_invalid", "legacy ✗"),
    ("new_invalid", "new ✗"),
    ("both_invalid", "both ✗"),
    ("errors", "errors"),
)
_COMPARE_TOTALS = (
    "pairs",
    "equal",
    "differing",
    "missing_in_candidate",
    "extra_in_candidate",
    "undecodable",
    "unkeyed",
)

_CSS = """
:root{--fg:#1d2330;--muted:#5d6678;--bg:#fff;--panel:#f5f7fa;--line:#d9dee7;
--ok:#3d9a5b;--legacy:#e08a1e;--new:#7b52c7;--both:#c8323b;--wire:#4a4f5a;--bad:#c8323b}
@media (prefers-color-scheme:dark){:root{--fg:#e4e8ef;--muted:#9aa3b5;--bg:#14171d;
--panel:#1d222b;--line:#343b48;--wire:#aab1bf}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--fg);background:var(--bg)}
main{max-width:1240px;margin:0 auto;padding:16px}
h1{font-size:1.45em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .5em;
border-bottom:1px solid var(--line);padding-bottom:.2em}h3{font-size:1.02em;margin:1.1em 0 .3em}
.muted,.meta{color:var(--muted)}.meta{font-size:.9em;margin:.1em 0}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.meta code,td.path code{overflow-wrap:anywhere}
pre{background:var(--panel);padding:8px;border-radius:4px;white-space:pre-wrap;
overflow-wrap:anywhere;margin:.3em 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:8px;margin:.6em 0}
.card{background:var(--panel);border-radius:6px;padding:8px 10px;border-left:4px solid var(--line)}
.card b{display:block;font-size:1.35em}.card span{color:var(--muted);font-size:.85em}
.card.good{border-left-color:var(--ok)}.card.bad{border-left-color:var(--bad)}
.verdict{font-weight:600;margin:.6em 0}.verdict.good{color:var(--ok)}.verdict.bad{color:var(--bad)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;margin:.3em 0 .8em;font-size:.92em}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}
td.name,th.name{white-space:nowrap}td.path{min-width:12em;overflow-wrap:anywhere}
td.spark{width:180px;min-width:120px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.85em;margin:.3em 0}
.legend i{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:4px;
vertical-align:-1px}
.c-ok{fill:var(--ok);background:var(--ok)}.c-legacy{fill:var(--legacy);background:var(--legacy)}
.c-new{fill:var(--new);background:var(--new)}.c-both{fill:var(--both);background:var(--both)}
.c-wire{fill:var(--wire);background:var(--wire)}.c-share{fill:var(--bad);background:var(--bad)}
.c-group{fill:var(--legacy)}
.chart{margin:.4em 0 1.2em}.chart svg{display:block;width:100%;background:var(--panel);
border-radius:4px}
svg.stack{height:150px}svg.share{height:34px;margin-top:3px}
svg.mini{display:block;width:100%;height:26px;min-width:110px}
svg.bar{height:18px}
.axis{display:flex;justify-content:space-between;font-size:.78em;color:var(--muted);gap:8px}
.axis span:last-child{text-align:right}
.chart-head{display:flex;flex-wrap:wrap;justify-content:space-between;gap:4px 12px;
font-size:.88em}
.grid{stroke:var(--line);stroke-width:1}
details{margin:.2em 0}summary{cursor:pointer;color:var(--muted);font-size:.9em}
.samples td{font-size:.92em}.tag{display:inline-block;padding:0 6px;border-radius:8px;
font-size:.8em;background:var(--panel);border:1px solid var(--line)}
.tag.bad{border-color:var(--bad);color:var(--bad)}.tag.good{border-color:var(--ok);color:var(--ok)}
.trend{font-size:.85em;color:var(--muted)}
nav{font-size:.9em;display:flex;flex-wrap:wrap;gap:4px 14px;margin:.4em 0}
nav a{color:inherit}
@media (max-width:640px){main{padding:10px}body{font-size:14px}th,td{padding:3px 5px}
svg.stack{height:110px}td.spark{min-width:90px}}
@media print{:root{--fg:#000;--muted:#444;--bg:#fff;--panel:#f3f3f3;--line:#bbb}
main{max-width:none;padding:0}nav,summary{display:none}.scroll{overflow:visible}
h2{break-after:avoid}.chart,tr,.card{break-inside:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

# Chromium and Firefox print a closed <details> without its body: open them first.
_SCRIPT = (
    "addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(d){d.open=true})})"
)


def render_html(document: Mapping[str, Any], *, title: str | None = None) -> str:
    """The page for a check report, a gate result or a compare report (by its keys)."""
    if not isinstance(document, Mapping):
        raise ConfigError("cannot render HTML: the document is not a JSON object")
    if document.get("cdccheck_compare_report") == 1:
        heading, body = "cdccheck compare", _compare(document)
    elif document.get("cdccheck_report") == 1:
        heading, body = "cdccheck report", _check(document, "")
    elif "compatible" in document and "changes" in document:
        heading, body = "cdccheck gate", _gate(document)
    else:
        raise ConfigError(
            "cannot render HTML: not a cdccheck report, gate result or compare report "
            '(no "cdccheck_report": 1, "cdccheck_compare_report": 1 or "compatible" key)'
        )
    page_title = title or heading
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width,initial-scale=1">',
            # Belt and braces: even a future bug that emitted a URL could not load it.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
            f"<title>{_e(page_title)}</title><style>{_CSS}</style>",
            f"<script>{_SCRIPT}</script></head><body><main>",
            f"<h1>{_e(page_title)}</h1>",
            body,
            '<p class="meta">Rendered by cdccheck. This page is self-contained: '
            "no network request, no external file.</p>",
            "</main></body></html>\n",
        ]
    )


def load_document(path: str | Path) -> dict[str, Any]:
    """A JSON file ``render_html`` can draw: a check report, a gate result or a compare report.

    ConfigError (one line, exit 2) when the file is none of them.
    """
    from cdccheck.report.json import load_report

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not a cdccheck report: invalid JSON ({exc})") from None
    if isinstance(document, dict) and "cdccheck_report" in document:
        return load_report(path)  # the same checks as every other format
    if isinstance(document, dict) and (
        document.get("cdccheck_compare_report") == 1
        or ("compatible" in document and "changes" in document)
    ):
        return document
    raise ConfigError(
        f"{path} is not a cdccheck report, gate result (--format json) or compare report"
    )


# ---------------------------------------------------------------- small pieces


def _e(value: Any) -> str:
    """Escaped text of anything (None is an empty string)."""
    return "" if value is None else escape(str(value), quote=True)


def _n(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _e(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _when(stream_id: Any) -> str:
    """The UTC time of a stream id, or an empty string."""
    ms = stream_ms(stream_id) if isinstance(stream_id, str) else None
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _moment(ms: int, width_s: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if width_s < 60 else "%Y-%m-%d %H:%M")


def _table(
    headings: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]], css: str = ""
) -> str:
    """A table in a sideways-scrolling box; cells are HTML already.

    Each heading comes with its column's class: ``n`` (a number, right
    aligned), ``name`` (never wrapped), ``path`` (wraps anywhere), ``spark``
    (a small chart) or ``""``.
    """
    head = "".join(
        f'<th class="{column}">{heading}</th>' if column else f"<th>{heading}</th>"
        for heading, column in headings
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{column}">{cell}</td>' if column else f"<td>{cell}</td>"
            for cell, (_, column) in zip(row, headings, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    klass = f' class="{css}"' if css else ""
    return (
        f'<div class="scroll"><table{klass}><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)


def _classes(counters: Mapping[str, Any]) -> dict[str, int]:
    """Report counters (legacy_invalid and new_invalid overlap) as exclusive classes."""

    def get(key: str) -> int:
        value = counters.get(key, 0)
        return value if isinstance(value, int) else 0

    both = get("both_invalid")
    return {
        "ok": get("ok"),
        "legacy_only": get("legacy_invalid") - both,
        "new_only": get("new_invalid") - both,
        "both": both,
        "undecodable": get("undecodable"),
        "errors": get("errors"),
    }


def _legend(extra: Sequence[tuple[str, str]] = ()) -> str:
    items = [(label, css) for _, label, css in _CLASSES] + list(extra)
    return (
        '<div class="legend">'
        + "".join(f'<span><i class="{css}"></i>{_e(label)}</span>' for label, css in items)
        + "</div>"
    )


def _kv(mapping: Mapping[str, Any]) -> str:
    """A small description list of a mapping (source, primary, ...), values escaped."""
    parts = []
    for key, value in mapping.items():
        shown = value if isinstance(value, str | int | float) else _json_text(value)
        parts.append(f"{_e(key)} <code>{_e(shown)}</code>")
    return " · ".join(parts)


# ---------------------------------------------------------------- check reports


def _check(report: Mapping[str, Any], prefix: str) -> str:
    """The sections of one check report; ``prefix`` keeps anchors unique when nested."""
    timeline = _timeline_of(report)
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
        "<nav>" + "".join(f'<a href="#{prefix}{a}">{_e(t)}</a>' for a, t in nav) + "</nav>"
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
    parts.append(_writer_charts(by_writer, timeline))
    parts.append(f'<h2 id="{prefix}findings">Findings</h2>')
    parts.append(_groups(findings, events, timeline, prefix + "f", charts=True))
    if warnings:
        parts.append(
            f'<h2 id="{prefix}warnings">Portability warnings</h2>'
            '<p class="muted">Warnings never change a verdict.</p>'
        )
        parts.append(_groups(warnings, events, None, prefix + "w", charts=False))
    return "".join(parts)


def _timeline_of(document: Mapping[str, Any]) -> Timeline | None:
    raw = document.get("timeline")
    if raw is None:
        return None
    return Timeline.from_json(raw)


def _check_header(report: Mapping[str, Any]) -> str:
    source = report.get("source") or {}
    span = report.get("range") or {}
    timing = report.get("timing") or {}
    schemas = report.get("schemas") or {}
    lines = [f'<p class="meta">source {_kv(source)}</p>']
    first, last = span.get("first_id"), span.get("last_id")
    if first or last:
        when = " – ".join(w for w in (_when(first), _when(last)) if w)
        lines.append(
            f'<p class="meta">ids <code>{_e(first or "-")}</code> .. <code>{_e(last or "-")}'
            f"</code>{' (' + _e(when) + ')' if when else ''}</p>"
        )
    if schemas:
        described = " · ".join(
            f"{_e(role)} <code>{_e((info or {}).get('path', ''))}</code>"
            f' <span class="muted">sha256 {_e(str((info or {}).get("sha256", ""))[:12])}</span>'
            for role, info in schemas.items()
        )
        lines.append(f'<p class="meta">schemas {described}</p>')
    if timing:
        lines.append(
            f'<p class="meta">started {_e(timing.get("started_at", ""))} · '
            f"{_n(timing.get('elapsed_s', 0))} s · {_n(timing.get('events_per_s', 0))} events/s</p>"
        )
    return "".join(lines)


def _cards(totals: Mapping[str, Any]) -> str:
    events = int(totals.get("events", 0) or 0)
    cells = []
    for key, label in _COUNTER_HEADINGS:
        value = int(totals.get(key, 0) or 0)
        mood = "good" if key == "ok" and value == events else "bad" if key != "ok" and value else ""
        if key == "events":
            mood = ""
        share = f"<span>{_pct(value, events)}</span>" if key != "events" else "<span>total</span>"
        cells.append(f'<div class="card {mood}"><b>{_n(value)}</b>{_e(label)} {share}</div>')
    return '<div class="cards">' + "".join(cells) + "</div>"


def _verdict(totals: Mapping[str, Any]) -> str:
    events = int(totals.get("events", 0) or 0)
    bad = events - int(totals.get("ok", 0) or 0)
    if not events:
        return '<p class="verdict">No events in range.</p>'
    if not bad:
        return (
            f'<p class="verdict good">All {_n(events)} events decodable and valid '
            "under both schemas.</p>"
        )
    return (
        f'<p class="verdict bad">{_n(bad)} of {_n(events)} events need attention '
        f"({_pct(bad, events)}): {_n(totals.get('undecodable', 0))} undecodable, "
        f"{_n(totals.get('legacy_invalid', 0))} invalid under legacy, "
        f"{_n(totals.get('new_invalid', 0))} invalid under new.</p>"
    )


def _counters_table(rows: Mapping[str, Mapping[str, Any]]) -> str:
    headings = [("", "name")] + [(_e(label), "n") for _, label in _COUNTER_HEADINGS]
    headings.append(("failing", "n"))
    body = []
    for name, counters in rows.items():
        events = int(counters.get("events", 0) or 0)
        bad = events - int(counters.get("ok", 0) or 0)
        body.append(
            [f"<code>{_e(name)}</code>"]
            + [_n(counters.get(key, 0)) for key, _ in _COUNTER_HEADINGS]
            + [_pct(bad, events)]
        )
    return _table(headings, body)


# ---------------------------------------------------------------- charts


def _bars(columns: Sequence[Mapping[str, int]], css: str) -> str:
    """A stacked bar chart: one column per bucket, segments in _CLASSES order.

    The SVG's coordinate system is one unit per column across and 1000 units
    up; ``preserveAspectRatio="none"`` stretches it to the box, so the chart
    fills any width while its labels stay HTML text at a readable size.
    """
    keys = [key for key, _, _ in _CLASSES]
    peak = max((sum(column.get(key, 0) for key in keys) for column in columns), default=0) or 1
    rects = []
    for index, column in enumerate(columns):
        bottom = 1000.0
        for key, label, klass in _CLASSES:
            value = column.get(key, 0)
            if not value:
                continue
            height = 1000.0 * value / peak
            bottom -= height
            rects.append(
                f'<rect class="{klass}" x="{index}" y="{bottom:.2f}" width="0.92" '
                f'height="{height:.2f}"><title>{_e(column.get("_label", ""))} {_e(label)}: '
                f"{_n(value)}</title></rect>"
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


def _share_bar(classes: Mapping[str, int]) -> str:
    """One horizontal bar split by the exclusive verdict classes."""
    total = sum(classes.values()) or 1
    left = 0.0
    rects = []
    for key, label, klass in _CLASSES:
        value = classes.get(key, 0)
        if not value:
            continue
        width = 1000.0 * value / total
        rects.append(
            f'<rect class="{klass}" x="{left:.2f}" y="0" width="{width:.2f}" height="1">'
            f"<title>{_e(label)}: {_n(value)} ({_pct(value, total)})</title></rect>"
        )
        left += width
    return (
        '<svg class="bar" viewBox="0 0 1000 1" preserveAspectRatio="none" role="img">'
        + "".join(rects)
        + "</svg>"
    )


def _single_bars(values: Sequence[float], labels: Sequence[str], css: str, klass: str) -> str:
    """One series of bars (shares or counts), scaled to its peak."""
    peak = max(values, default=0) or 1
    rects = "".join(
        f'<rect class="{klass}" x="{index}" y="{1000 - 1000 * value / peak:.2f}" width="0.92" '
        f'height="{1000 * value / peak:.2f}"><title>{_e(label)}</title></rect>'
        for index, (value, label) in enumerate(zip(values, labels, strict=True))
        if value
    )
    return (
        f'<svg class="{css}" viewBox="0 0 {max(len(values), 1)} 1000" '
        f'preserveAspectRatio="none" role="img">{rects}</svg>'
    )


def _axis(starts: Sequence[int], width_s: int) -> str:
    if not starts:
        return ""
    end = starts[-1] + width_s * 1000
    middle = starts[len(starts) // 2]
    return (
        f'<div class="axis"><span>{_e(_moment(starts[0], width_s))}</span>'
        f"<span>{_e(_moment(middle, width_s))}</span>"
        f"<span>{_e(_moment(end, width_s))} UTC</span></div>"
    )


def _writer_charts(by_writer: Mapping[str, Mapping[str, Any]], timeline: Timeline | None) -> str:
    if timeline is None or not timeline.buckets:
        # No timeline (an older report): one share bar per writer instead.
        if not by_writer:
            return ""
        rows = []
        for writer, counters in by_writer.items():
            classes = _classes(counters)
            rows.append(
                f'<div class="chart"><div class="chart-head"><b>{_e(writer)}</b>'
                f"<span>{_n(counters.get('events', 0))} events</span></div>"
                + _share_bar(classes)
                + "</div>"
            )
        note = (
            '<p class="muted">This report has no timeline (made by an older cdccheck, or '
            "merged with one): verdict shares per writer only.</p>"
        )
        return note + _legend() + "".join(rows)
    shown = timeline.fit_to(CHART_COLUMNS)
    starts = shown.starts()
    width = format_width(shown.width_s)
    parts = [
        f'<p class="muted">Events per {_e(width)} bucket of stream-id time, per writer; the red '
        "strip under each chart is the failing share of the bucket.</p>",
        _legend([("failing share", "c-share")]),
    ]
    for writer in shown.writers():
        columns: list[dict[str, Any]] = []
        shares: list[float] = []
        labels: list[str] = []
        peak_events = 0
        for start in starts:
            tally = shown.buckets.get(start, {}).get(writer) or Counters()
            classes = _classes(tally.as_dict())
            label = _moment(start, shown.width_s)
            columns.append({**classes, "_label": label})
            failing = tally.events - tally.ok
            share = failing / tally.events if tally.events else 0.0
            shares.append(share)
            labels.append(f"{label}: {_n(failing)} of {_n(tally.events)} failing ({share:.1%})")
            peak_events = max(peak_events, tally.events)
        total = timeline.writer_totals().get(writer) or Counters()
        peak_share = max(shares, default=0.0)
        parts.append(
            f'<div class="chart"><div class="chart-head"><b>{_e(writer)}</b>'
            f"<span>{_n(total.events)} events, {_pct(total.events - total.ok, total.events)} "
            f"failing · peak {_n(peak_events)} events per {_e(width)} · "
            f"failing share up to {peak_share:.1%}</span></div>"
            + _bars(columns, "stack")
            + _single_bars(shares, labels, "share", "c-share")
            + _axis(starts, shown.width_s)
            + "</div>"
        )
    untimed = sum(c.events for c in timeline.untimed.values())
    dropped = sum(c.events for c in timeline.before_horizon.values())
    if untimed:
        parts.append(f'<p class="muted">{_n(untimed)} events have ids without a time.</p>')
    if dropped:
        parts.append(
            f'<p class="muted">{_n(dropped)} events are older than the timeline\'s horizon.</p>'
        )
    return "".join(parts)


# ---------------------------------------------------------------- finding groups


def _group_chart(timeline: Timeline, key: tuple[str, str, str]) -> str:
    shown = timeline.fit_to(CHART_COLUMNS // 2)
    series = shown.groups.get(key, {})
    starts = shown.starts()
    values = [float(series.get(start, 0)) for start in starts]
    labels = [
        f"{_moment(start, shown.width_s)}: {_n(series.get(start, 0))} events" for start in starts
    ]
    return _single_bars(values, labels, "mini", "c-group")


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
        name = f'<a href="#{anchor}{index}"><code>{_e(key[2] or "(payload)")}</code></a>'
        if index >= CHARTED_GROUPS:
            name = f"<code>{_e(key[2] or '(payload)')}</code>"
        row = [
            _e(key[0]),
            _e(key[1]),
            name,
            _n(group.get("events", 0)),
            _pct(int(group.get("events", 0) or 0), events),
            f'<code>{_e(first)}</code><br><span class="muted">{_e(_when(first))}</span>',
        ]
        if with_chart:
            assert timeline is not None
            row.append(_group_chart(timeline, key) if index < CHARTED_GROUPS else "")
        rows.append(row)
    parts = [_table(headings, rows, "groups")]
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
        f'<h3 id="{anchor}{index}">{_e(group.get("schema", ""))} · {_e(group.get("kind", ""))} · '
        f"<code>{_e(path)}</code></h3>"
    ]
    if {"schema", "kind", "path"} <= group.keys():
        parts.append(f'<p class="trend">{_e(trend_line(group, timeline))}</p>')
    last = group.get("last_id") or ""
    parts.append(
        f'<p class="meta">{_n(group.get("events", 0))} events · last '
        f"<code>{_e(last)}</code> {_e(_when(last))}</p>"
    )
    samples = group.get("samples") or []
    if samples:
        rows = [
            [
                f"<code>{_e(sample.get('id', ''))}</code>",
                f"<code>{_e(sample.get('path', ''))}</code>",
                _value(sample.get("value")),
                _e(sample.get("message", "")),
            ]
            for sample in samples
            if isinstance(sample, Mapping)
        ]
        parts.append(
            f"<details><summary>{_plural(len(rows), 'sample')}</summary>"
            + _table(
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
        return f"<code>{_e(_json_text(value))}</code>"
    described = _e(value.get("type", "?"))
    if "length" in value:
        described += f" of length {_n(value['length'])}"
    if "value" in value:
        described += f"<pre>{_e(_json_text(value['value']))}</pre>"
    return described


# ---------------------------------------------------------------- gate results


def _gate_labels(result: Mapping[str, Any]) -> tuple[str, str]:
    """How the gate result names its sides: ``labels`` (base/head with --against), else legacy/new.

    The gate JSON carries ``labels`` only when they differ from the default
    (docs/gate.md, the JSON output).
    """
    labels = result.get("labels")
    if isinstance(labels, Mapping):
        legacy, new = labels.get("legacy"), labels.get("new")
        if isinstance(legacy, str) and isinstance(new, str):
            return legacy, new
    return "legacy", "new"


def _gate(result: Mapping[str, Any]) -> str:
    compatible = result.get("compatible") or {}
    changes = list(result.get("changes") or [])
    legacy, new = _gate_labels(result)
    parts = ['<h2 id="g-compat">Compatibility</h2>']
    rows = []
    for direction, meaning in (
        ("backward", f"{new} readers read {legacy} data: {new} accepts all {legacy} accepts"),
        ("forward", f"{legacy} readers read {new} data: {legacy} accepts all {new} accepts"),
    ):
        flag = compatible.get(direction)
        tag = (
            '<span class="tag good">compatible</span>'
            if flag
            else '<span class="tag bad">breaks</span>'
            if flag is False
            else '<span class="tag">?</span>'
        )
        rows.append([_e(direction), tag, _e(meaning)])
    parts.append(_table([("direction", "name"), ("", "name"), ("meaning", "")], rows))
    parts.append(f'<h2 id="g-changes">Changes ({len(changes)})</h2>')
    if not changes:
        parts.append('<p class="verdict good">No changes.</p>')
    else:
        change_rows = []
        for change in changes:
            breaking = change.get("breaking") or {}
            broken = [d for d in ("backward", "forward") if breaking.get(d)]
            tag = (
                f'<span class="tag bad">breaks {_e(" and ".join(broken))}</span>'
                if broken
                else '<span class="tag good">compatible</span>'
            )
            witness = change.get("witness")
            shown = (
                f"<details><summary>witness</summary><pre>{_e(_json_text(witness))}</pre></details>"
                if witness is not None
                else ""
            )
            where = _e(change.get("path") or "/")
            if change.get("file"):
                where = f"{_e(change['file'])}<br>{where}"
            change_rows.append(
                [
                    f"<code>{_e(change.get('kind', ''))}</code>",
                    f"<code>{where}</code>",
                    tag,
                    _e("proven" if change.get("proven") else ""),
                    _e(change.get("message", "")) + shown,
                ]
            )
        parts.append(
            _table(
                [
                    ("kind", "name"),
                    ("path", "path"),
                    ("breaking", "name"),
                    ("", ""),
                    ("message", ""),
                ],
                change_rows,
            )
        )
    corpus = result.get("corpus")
    if isinstance(corpus, Mapping) and corpus.get("cdccheck_report") == 1:
        parts.append('<h2 id="g-corpus">Corpus</h2>')
        if (legacy, new) != ("legacy", "new"):
            # The corpus is a check report, whose schemas are always named legacy and new.
            parts.append(
                f'<p class="meta">Checked under {_e(legacy)} (the report\'s legacy schema) '
                f"and {_e(new)} (its new schema).</p>"
            )
        parts.append(_check(corpus, "corpus-"))
    return "".join(parts)


# ---------------------------------------------------------------- compare reports


def _compare(report: Mapping[str, Any]) -> str:
    totals = report.get("totals") or {}
    parts = []
    for role in ("primary", "candidate", "baseline"):
        value = report.get(role)
        if value is None:
            continue
        shown = _kv(value) if isinstance(value, Mapping) else f"<code>{_e(value)}</code>"
        parts.append(f'<p class="meta">{_e(role)} {shown}</p>')
    for label in ("key", "entity", "ignored"):
        value = report.get(label)
        if value:
            inline = json.dumps(value, ensure_ascii=False, default=str)
            parts.append(f'<p class="meta">{_e(label)} <code>{_e(inline)}</code></p>')
    parts.append('<h2 id="c-totals">Totals</h2><div class="cards">')
    pairs = int(totals.get("pairs", 0) or 0)
    for key in _COMPARE_TOTALS:
        value = int(totals.get(key, 0) or 0)
        mood = "" if key in ("pairs", "equal") or not value else "bad"
        if key == "equal" and pairs and value == pairs:
            mood = "good"
        parts.append(
            f'<div class="card {mood}"><b>{_n(value)}</b>{_e(key.replace("_", " "))}</div>'
        )
    parts.append("</div>")
    differing = int(totals.get("differing", 0) or 0)
    parts.append(
        f'<p class="verdict {"bad" if differing else "good"}">{_n(differing)} of {_n(pairs)} '
        f"pairs differ ({_pct(differing, pairs)}).</p>"
    )
    by_op = report.get("by_op") or {}
    if by_op:
        headings = [("op", "name")] + [(_e(k.replace("_", " ")), "n") for k in _COMPARE_TOTALS]
        rows = [
            [f"<code>{_e(op)}</code>"] + [_n((counts or {}).get(k, 0)) for k in _COMPARE_TOTALS]
            for op, counts in by_op.items()
        ]
        parts.append("<h3>By op</h3>" + _table(headings, rows))
    timeline = _timeline_of(report)
    if timeline is not None:
        parts.append('<h2 id="c-time">Over time</h2>' + _writer_charts({}, timeline))
    diffs = list(report.get("diffs") or [])
    parts.append(f'<h2 id="c-diffs">Differences ({len(diffs)})</h2>')
    if not diffs:
        parts.append('<p class="verdict good">None.</p>')
    rows = []
    for index, diff in enumerate(diffs):
        noise = diff.get("noise")
        tag = ""
        if noise:
            tag = f'<span class="tag">{_e(noise if isinstance(noise, str) else "noise")}</span>'
        rows.append(
            [
                f'<a href="#c-d{index}"><code>{_e(diff.get("path") or "/")}</code></a>'
                if index < CHARTED_GROUPS
                else f"<code>{_e(diff.get('path') or '/')}</code>",
                _e(diff.get("kind", "")),
                _n(diff.get("pairs", 0)),
                _share(diff.get("share")),
                tag,
                f"<code>{_e(diff.get('first_primary_id') or '')}</code>",
                f"<code>{_e(diff.get('first_candidate_id') or '')}</code>",
            ]
        )
    if rows:
        parts.append(
            _table(
                [
                    ("path", "path"),
                    ("kind", "name"),
                    ("pairs", "n"),
                    ("share", "n"),
                    ("", "name"),
                    ("first primary id", "name"),
                    ("first candidate id", "name"),
                ],
                rows,
                "groups",
            )
        )
    for index, diff in enumerate(diffs[:CHARTED_GROUPS]):
        samples = diff.get("samples") or []
        if not samples:
            continue
        parts.append(
            f'<h3 id="c-d{index}">{_e(diff.get("kind", ""))} · '
            f"<code>{_e(diff.get('path') or '/')}</code></h3>"
            f"<details><summary>{_plural(len(samples), 'sample')}</summary>"
            + "".join(f"<pre>{_e(_json_text(sample))}</pre>" for sample in samples)
            + "</details>"
        )
    warnings = list(report.get("warnings") or [])
    if warnings:
        parts.append(
            '<h2 id="c-warnings">Warnings</h2><p class="muted">Equal values in '
            "different forms (numbers, timestamps).</p>"
        )
        parts.append(
            _table(
                [("path", "path"), ("kind", "name"), ("pairs", "n")],
                [
                    [
                        f"<code>{_e(w.get('path') or '/')}</code>",
                        _e(w.get("kind", "")),
                        _n(w.get("pairs", 0)),
                    ]
                    for w in warnings
                ],
            )
        )
    entities = report.get("entities")
    if isinstance(entities, Mapping) and entities:
        parts.append('<h2 id="c-entities">Entities</h2>')
        parts.append(
            _table(
                [(_e(k), "n") for k in entities],
                [[_n(v) for v in entities.values()]],
            )
        )
    timing = report.get("timing")
    if isinstance(timing, Mapping) and timing:
        parts.append(f'<p class="meta">timing {_kv(timing)}</p>')
    return "".join(parts)


def _share(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{100 * value:.1f}%" if value <= 1 else _n(value)
    return _e(value)
