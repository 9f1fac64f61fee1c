"""Small HTML pieces every section uses: escaping, numbers, tables, legends, verdict classes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from cdccheck.timeline import stream_ms

CHART_COLUMNS = 200
"""A timeline is drawn with at most this many bars (merged exactly to fit)."""
CHARTED_GROUPS = 50
"""Groups beyond this many are listed without their own timeline and samples."""

# Exclusive verdict classes, bottom to top of a stacked bar: (key, label, CSS class).
CLASSES = (
    ("ok", "ok", "c-ok"),
    ("legacy_only", "legacy ✗ only", "c-legacy"),
    ("new_only", "new ✗ only", "c-new"),
    ("both", "both ✗", "c-both"),
    ("undecodable", "undecodable", "c-wire"),
    ("errors", "internal error", "c-wire"),
)
COUNTER_HEADINGS = (
    ("events", "events"),
    ("ok", "ok"),
    ("undecodable", "undecodable"),
    ("legacy_invalid", "legacy ✗"),
    ("new_invalid", "new ✗"),
    ("both_invalid", "both ✗"),
    ("errors", "errors"),
)


def esc(value: Any) -> str:
    """Escaped text of anything (None is an empty string)."""
    return "" if value is None else escape(str(value), quote=True)


def num(value: Any) -> str:
    """A number with thousands separators (two decimals for a float); anything else escaped."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return esc(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def pct(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole``, one decimal; '-' when whole is 0."""
    return f"{100 * part / whole:.1f}%" if whole else "-"


def plural(count: int, noun: str) -> str:
    """``3 groups``, ``1 group``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def when_of(stream_id: Any) -> str:
    """The UTC time of a stream id, or an empty string."""
    ms = stream_ms(stream_id) if isinstance(stream_id, str) else None
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def moment_of(ms: int, width_s: int) -> str:
    """The UTC start of a bucket: seconds shown only for buckets under a minute."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if width_s < 60 else "%Y-%m-%d %H:%M")


def html_table(
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


def json_text(value: Any) -> str:
    """Indented JSON of a value, keys sorted, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)


def verdict_classes(counters: Mapping[str, Any]) -> dict[str, int]:
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


def legend_html(extra: Sequence[tuple[str, str]] = ()) -> str:
    """The legend of the verdict classes (plus ``extra`` (label, CSS class) pairs)."""
    items = [(label, css) for _, label, css in CLASSES] + list(extra)
    return (
        '<div class="legend">'
        + "".join(f'<span><i class="{css}"></i>{esc(label)}</span>' for label, css in items)
        + "</div>"
    )


def key_values(mapping: Mapping[str, Any]) -> str:
    """A small description list of a mapping (source, primary, ...), values escaped."""
    parts = []
    for key, value in mapping.items():
        shown = value if isinstance(value, str | int | float) else json_text(value)
        parts.append(f"{esc(key)} <code>{esc(shown)}</code>")
    return " · ".join(parts)
