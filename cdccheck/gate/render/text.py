"""The text output: one line per breaking change, its witness and explanation (a CI log)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cdccheck.gate.compat import Change
from cdccheck.gate.render.annotations import location_of
from cdccheck.gate.render.common import (
    LINE_WIDTH,
    broken_directions,
    clip,
    corpus_hits,
    corpus_line,
    explanation_of,
    header,
    is_breaking,
    verdict,
    witness_focus,
)
from cdccheck.gate.render.describe import CODE_WORDS, is_derived, named_sides
from cdccheck.gate.run import GateResult, SchemaResult


def _status(result: GateResult, change: Change) -> str:
    if not is_breaking(change):
        return "harmless"
    if change.breaks(result.mode):
        return f"breaks {broken_directions(change)}"
    return f"breaks {broken_directions(change)} (not gated in mode {result.mode})"


def _headline(result: GateResult, schema: SchemaResult, change: Change) -> tuple[str, str | None]:
    """``new.json:57 /pointer  KIND  breaks forward  witness: /comment/x = ""`` (about 120).

    Returns the line, and the witness for a line of its own when the place
    and kind leave it too little room.
    """
    file, line = location_of(schema, change)
    where = f"{_short_origin(file, line)} {change.path or '/'}"
    head = f"{where}  {change.kind}  {_status(result, change)}"
    if change.witness is None:
        return (f"{head}  no witness found (suspected)" if is_breaking(change) else head), None
    focus = witness_focus(change, LINE_WIDTH - len("    witness: "))
    if len(head) + len("  witness: ") + len(focus) <= LINE_WIDTH:
        return f"{head}  witness: {focus}", None
    return head, f"witness: {focus}"


def _short_origin(file: str, line: int) -> str:
    """``new.json:57`` for a file; the type's name (``Event``) for a schema derived from code."""
    if is_derived(file):
        return file.partition("?")[0].rpartition(":")[2]
    return f"{Path(file).name}:{line}"


def _text_change(result: GateResult, schema: SchemaResult, change: Change) -> list[str]:
    headline, witness = _headline(result, schema, change)
    details = [explanation_of(result, change), change.message]
    if witness:
        details.insert(0, witness)
    for side, described in named_sides(schema, change, result.labels):
        if side is not None:
            details.append(f"{side}: {described}")
        elif described.split(" ", 1)[0] in CODE_WORDS:
            details.append(described)  # "Go field ...", "Python attribute ...": the side is clear
        else:
            details.append(f"described as: {described}")
    hits = corpus_hits(result, change) if is_breaking(change) else None
    if hits:
        details.append(hits)
    return [headline] + [clip(f"    {detail}", LINE_WIDTH) for detail in details]


def render_text(result: GateResult, *, verbose: bool = False) -> str:
    """Plain text for a terminal or a CI log: breaking changes first, one line each.

    Harmless changes are only counted unless ``verbose`` (the CLI's ``--verbose``).
    """
    lines = []
    harmless: Counter[str] = Counter()
    for schema in result.schemas:
        lines.append(header(result, schema))
        gated = [c for c in schema.changes if c.breaks(result.mode)]
        ungated = [c for c in schema.changes if is_breaking(c) and not c.breaks(result.mode)]
        quiet = [c for c in schema.changes if not is_breaking(c)]
        if not schema.changes and not schema.suppressed:
            lines.append("  no changes")
        for change in [*gated, *ungated]:
            lines += _text_change(result, schema, change)
        if verbose:
            for change in quiet:
                lines += _text_change(result, schema, change)
        else:
            harmless.update(c.kind for c in quiet)
        for change, reason in schema.suppressed:
            lines.append(f"  ignored: {change.kind} at {change.path or '/'} ({reason})")
    if harmless:
        kinds = ", ".join(f"{kind} x{count}" for kind, count in sorted(harmless.items()))
        total = sum(harmless.values())
        lines.append(f"{total} harmless change(s) not shown ({kinds}); --verbose lists them")
    corpus = corpus_line(result)
    if corpus:
        lines.append(corpus)
    lines.append(verdict(result))
    return "\n".join(lines) + "\n"
