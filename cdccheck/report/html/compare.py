"""The sections of a compare report: totals, per-field differences and their samples."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cdccheck.compare.render import COLUMNS as COMPARE_TOTALS
from cdccheck.report.html.charts import writer_charts
from cdccheck.report.html.check import timeline_of
from cdccheck.report.html.pieces import (
    CHARTED_GROUPS,
    esc,
    html_table,
    json_text,
    key_values,
    num,
    pct,
    plural,
)


def compare_sections(report: Mapping[str, Any]) -> str:
    """The sections of one compare report."""
    totals = report.get("totals") or {}
    parts = []
    for role in ("primary", "candidate", "baseline"):
        value = report.get(role)
        if value is None:
            continue
        shown = key_values(value) if isinstance(value, Mapping) else f"<code>{esc(value)}</code>"
        parts.append(f'<p class="meta">{esc(role)} {shown}</p>')
    for label in ("key", "entity", "ignored"):
        value = report.get(label)
        if value:
            inline = json.dumps(value, ensure_ascii=False, default=str)
            parts.append(f'<p class="meta">{esc(label)} <code>{esc(inline)}</code></p>')
    parts.append('<h2 id="c-totals">Totals</h2><div class="cards">')
    pairs = int(totals.get("pairs", 0) or 0)
    for key in COMPARE_TOTALS:
        value = int(totals.get(key, 0) or 0)
        mood = "" if key in ("pairs", "equal") or not value else "bad"
        if key == "equal" and pairs and value == pairs:
            mood = "good"
        parts.append(
            f'<div class="card {mood}"><b>{num(value)}</b>{esc(key.replace("_", " "))}</div>'
        )
    parts.append("</div>")
    differing = int(totals.get("differing", 0) or 0)
    parts.append(
        f'<p class="verdict {"bad" if differing else "good"}">{num(differing)} of {num(pairs)} '
        f"pairs differ ({pct(differing, pairs)}).</p>"
    )
    by_op = report.get("by_op") or {}
    if by_op:
        headings = [("op", "name")] + [(esc(k.replace("_", " ")), "n") for k in COMPARE_TOTALS]
        rows = [
            [f"<code>{esc(op)}</code>"] + [num((counts or {}).get(k, 0)) for k in COMPARE_TOTALS]
            for op, counts in by_op.items()
        ]
        parts.append("<h3>By op</h3>" + html_table(headings, rows))
    timeline = timeline_of(report)
    if timeline is not None:
        parts.append('<h2 id="c-time">Over time</h2>' + writer_charts({}, timeline))
    diffs = list(report.get("diffs") or [])
    parts.append(f'<h2 id="c-diffs">Differences ({len(diffs)})</h2>')
    if not diffs:
        parts.append('<p class="verdict good">None.</p>')
    rows = []
    for index, diff in enumerate(diffs):
        noise = diff.get("noise")
        tag = ""
        if noise:
            tag = f'<span class="tag">{esc(noise if isinstance(noise, str) else "noise")}</span>'
        rows.append(
            [
                f'<a href="#c-d{index}"><code>{esc(diff.get("path") or "/")}</code></a>'
                if index < CHARTED_GROUPS
                else f"<code>{esc(diff.get('path') or '/')}</code>",
                esc(diff.get("kind", "")),
                num(diff.get("pairs", 0)),
                _share(diff.get("share")),
                tag,
                f"<code>{esc(diff.get('first_primary_id') or '')}</code>",
                f"<code>{esc(diff.get('first_candidate_id') or '')}</code>",
            ]
        )
    if rows:
        parts.append(
            html_table(
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
            f'<h3 id="c-d{index}">{esc(diff.get("kind", ""))} · '
            f"<code>{esc(diff.get('path') or '/')}</code></h3>"
            f"<details><summary>{plural(len(samples), 'sample')}</summary>"
            + "".join(f"<pre>{esc(json_text(sample))}</pre>" for sample in samples)
            + "</details>"
        )
    warnings = list(report.get("warnings") or [])
    if warnings:
        parts.append(
            '<h2 id="c-warnings">Warnings</h2><p class="muted">Equal values in '
            "different forms (numbers, timestamps).</p>"
        )
        parts.append(
            html_table(
                [("path", "path"), ("kind", "name"), ("pairs", "n")],
                [
                    [
                        f"<code>{esc(w.get('path') or '/')}</code>",
                        esc(w.get("kind", "")),
                        num(w.get("pairs", 0)),
                    ]
                    for w in warnings
                ],
            )
        )
    entities = report.get("entities")
    if isinstance(entities, Mapping) and entities:
        parts.append('<h2 id="c-entities">Entities</h2>')
        parts.append(
            html_table(
                [(esc(k), "n") for k in entities],
                [[num(v) for v in entities.values()]],
            )
        )
    timing = report.get("timing")
    if isinstance(timing, Mapping) and timing:
        parts.append(f'<p class="meta">timing {key_values(timing)}</p>')
    return "".join(parts)


def _share(value: Any) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{100 * value:.1f}%" if value <= 1 else num(value)
    return esc(value)
