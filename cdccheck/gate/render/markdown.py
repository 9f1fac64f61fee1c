"""The Markdown output: a pull-request comment or a GitHub step summary."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cdccheck.gate.compat import BACKWARD, FORWARD, Change
from cdccheck.gate.render.annotations import location_of
from cdccheck.gate.render.common import (
    broken_directions,
    corpus_hits,
    corpus_line,
    each_change,
    explanation_of,
    full_stop,
    is_breaking,
    shown_path,
    sides_of,
    verdict,
    witness_focus,
    witness_text,
)
from cdccheck.gate.render.describe import is_derived, named_sides
from cdccheck.gate.run import GateResult, SchemaResult


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """Inline code that survives backticks in the text and sits in a table cell."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{_md(text)}{pad}{fence}"


def _md_where(result: GateResult, schema: SchemaResult, change: Change) -> str:
    file, line = location_of(schema, change)
    if is_derived(file):
        return f"{_code(file)} {_code(change.path or '/')}"  # a reference to code has no line
    shown = Path(file).name if len(result.schemas) == 1 else shown_path(file)
    return f"{_code(f'{shown}:{line}')} {_code(change.path or '/')}"


def _md_witness(result: GateResult, change: Change) -> str:
    if change.witness is None:
        return "suspected (no witness found)" if is_breaking(change) else ""
    return f"{_code(witness_focus(change, 100))} ({sides_of(result, change)})"


def _md_why(result: GateResult, schema: SchemaResult, change: Change) -> str:
    parts = [explanation_of(result, change), full_stop(change.message)]
    for side, described in named_sides(schema, change, result.labels):
        named = f" ({side})" if side is not None else ""
        parts.append(f"Described as{named}: {full_stop(described)}")
    hits = corpus_hits(result, change) if is_breaking(change) else None
    if hits:
        parts.append(f"**{hits}**")
    return _md(" ".join(parts))


def render_markdown(result: GateResult) -> str:
    """A Markdown summary for a pull request (also what goes to $GITHUB_STEP_SUMMARY).

    Breaking changes in a table, the witness focused on the place of the
    change; whole witness events and harmless changes folded away below.
    """
    compatible = result.compatible
    legacy, new = result.labels["legacy"], result.labels["new"]
    lines = [
        f"## cdccheck gate: {'PASS' if result.exit_code == 0 else 'FAIL'} (mode {result.mode})",
        "",
        "| direction | compatible |",
        "| --- | --- |",
        f"| backward ({new} reads {legacy} data) | {'yes' if compatible[BACKWARD] else '**no**'} |",
        f"| forward ({legacy} reads {new} data) | {'yes' if compatible[FORWARD] else '**no**'} |",
        "",
    ]
    entries = list(each_change(result))
    breaking = [(s, c) for s, c in entries if is_breaking(c)]
    breaking.sort(key=lambda sc: not sc[1].breaks(result.mode))
    quiet = [(s, c) for s, c in entries if not is_breaking(c)]
    if breaking:
        lines += [
            f"### Breaking changes ({len(breaking)})",
            "",
            "| breaks | where | kind | witness | why |",
            "| --- | --- | --- | --- | --- |",
        ]
        for schema, change in breaking:
            gated = "" if change.breaks(result.mode) else " (not gated)"
            lines.append(
                f"| {broken_directions(change)}{gated} | {_md_where(result, schema, change)} "
                f"| `{change.kind}` | {_md_witness(result, change)} "
                f"| {_md_why(result, schema, change)} |"
            )
        lines.append("")
        proven = [(s, c) for s, c in breaking if c.witness is not None]
        if proven:
            lines += [
                "<details><summary>Witness events (whole instances)</summary>",
                "",
                "Long strings are abridged here; `--format json` has the exact instances.",
                "",
            ]
            for _, change in proven:
                whole = witness_text(change, None)
                lines += [
                    f"`{change.kind}` at `{_md(change.path or '/')}`: {sides_of(result, change)}",
                    "",
                    "```json",
                    whole,
                    "```",
                    "",
                ]
            lines += ["</details>", ""]
    elif not entries:
        lines += ["No schema changes.", ""]
    if quiet:
        counts = Counter(c.kind for _, c in quiet)
        summary = ", ".join(f"{kind} x{count}" for kind, count in sorted(counts.items()))
        lines += [
            f"<details><summary>{len(quiet)} harmless change(s): {_md(summary)}</summary>",
            "",
        ]
        lines += [f"- `{c.kind}` at {_md_where(result, s, c)}: {_md(c.message)}" for s, c in quiet]
        lines += ["", "</details>", ""]
    suppressed = [(s, c, r) for s in result.schemas for c, r in s.suppressed]
    if suppressed:
        lines += ["Ignored by configuration:", ""]
        lines += [
            f"- `{c.kind}` at `{_md(c.path or '/')}` in `{_md(shown_path(s.file))}`: {_md(r)}"
            for s, c, r in suppressed
        ]
        lines.append("")
    corpus = corpus_line(result)
    if corpus:
        lines += [corpus, ""]
    lines.append(verdict(result))
    return "\n".join(lines) + "\n"


def append_step_summary(result: GateResult, path: str | Path) -> None:
    """Append the Markdown summary to a GitHub step summary file ($GITHUB_STEP_SUMMARY)."""
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(render_markdown(result))
