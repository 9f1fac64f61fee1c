"""The sections of a gate result: its verdict, the changes, and the corpus check report if any."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdccheck.report.html.check import check_sections
from cdccheck.report.html.pieces import esc, html_table, json_text


def gate_labels(result: Mapping[str, Any]) -> tuple[str, str]:
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


def gate_sections(result: Mapping[str, Any]) -> str:
    """The sections of one gate result (and its corpus check report, if any)."""
    compatible = result.get("compatible") or {}
    changes = list(result.get("changes") or [])
    legacy, new = gate_labels(result)
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
        rows.append([esc(direction), tag, esc(meaning)])
    parts.append(html_table([("direction", "name"), ("", "name"), ("meaning", "")], rows))
    parts.append(f'<h2 id="g-changes">Changes ({len(changes)})</h2>')
    if not changes:
        parts.append('<p class="verdict good">No changes.</p>')
    else:
        change_rows = []
        for change in changes:
            breaking = change.get("breaking") or {}
            broken = [d for d in ("backward", "forward") if breaking.get(d)]
            tag = (
                f'<span class="tag bad">breaks {esc(" and ".join(broken))}</span>'
                if broken
                else '<span class="tag good">compatible</span>'
            )
            witness = change.get("witness")
            shown = (
                f"<details><summary>witness</summary><pre>{esc(json_text(witness))}</pre></details>"
                if witness is not None
                else ""
            )
            where = esc(change.get("path") or "/")
            if change.get("file"):
                where = f"{esc(change['file'])}<br>{where}"
            change_rows.append(
                [
                    f"<code>{esc(change.get('kind', ''))}</code>",
                    f"<code>{where}</code>",
                    tag,
                    esc("proven" if change.get("proven") else ""),
                    esc(change.get("message", "")) + shown,
                ]
            )
        parts.append(
            html_table(
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
                f'<p class="meta">Checked under {esc(legacy)} (the report\'s legacy schema) '
                f"and {esc(new)} (its new schema).</p>"
            )
        parts.append(check_sections(corpus, "corpus-"))
    return "".join(parts)
