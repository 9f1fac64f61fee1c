"""Pieces every gate renderer shares: the changes in order, directions, witnesses, verdicts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cdccheck.gate.compat import BACKWARD, FORWARD, Change
from cdccheck.gate.kinds import explain
from cdccheck.gate.run import GateResult, SchemaResult
from cdccheck.grouping import aggregate_path
from cdccheck.model import ABSENT

LINE_WIDTH = 120
"""What one text line per change aims at (a CI log, a terminal)."""


_WITNESS_CHARS = 160


def each_change(result: GateResult) -> Iterator[tuple[SchemaResult, Change]]:
    """Every change of the result with the schema it belongs to, in order."""
    for schema in result.schemas:
        for change in schema.changes:
            yield schema, change


def is_breaking(change: Change) -> bool:
    """Whether the change breaks at least one direction."""
    return change.backward or change.forward


def broken_directions(change: Change) -> str:
    """``backward and forward``, ``backward``, ... or ``nothing``."""
    broken = [d for d, flag in ((BACKWARD, change.backward), (FORWARD, change.forward)) if flag]
    return " and ".join(broken) if broken else "nothing"


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in ``...`` when cut."""
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def witness_text(change: Change, limit: int | None = _WITNESS_CHARS) -> str:
    """The whole witness instance, abridged (long strings shortened)."""
    if change.witness is None:
        return ""
    text = json.dumps(_abridged(change.witness.instance), ensure_ascii=False, sort_keys=True)
    return text if limit is None else clip(text, limit)


def _abridged(value: Any) -> Any:
    """Long strings shortened for display (the JSON output keeps the real witness)."""
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:8]}...({len(value)} chars)"
    if isinstance(value, list):
        return [_abridged(v) for v in value]
    if isinstance(value, dict):
        return {k: _abridged(v) for k, v in value.items()}
    return value


def witness_focus(change: Change, limit: int = 80) -> str:
    """The witness where it shows the change: ``/comment/score absent``, ``/op = "x"``.

    The whole instance only when the change is at its root.
    """
    witness = change.witness
    if witness is None:
        return ""
    if not witness.path:
        return witness_text(change, limit)
    focus = witness.focus
    shown = "absent" if focus is ABSENT else "= " + json.dumps(_abridged(focus), ensure_ascii=False)
    text = f"{witness.path} {shown}"
    if len(text) > limit and witness.path.count("/") > 1:
        # The value matters more than the whole path: keep its last step.
        text = f".../{witness.path.rsplit('/', 1)[1]} {shown}"
    return clip(text, limit)


def sides_of(result: GateResult, change: Change) -> str:
    """``new accepts, legacy rejects`` in the run's labels."""
    witness = change.witness
    if witness is None:
        return ""
    labels = result.labels
    return f"{labels[witness.accepted_by]} accepts, {labels[witness.rejected_by]} rejects"


def proof(result: GateResult, change: Change) -> str:
    """``proven: <sides> <witness>``, or that no witness was found."""
    if change.witness is None:
        return "suspected (no witness found)"
    return f"proven: {sides_of(result, change)} {witness_focus(change, _WITNESS_CHARS)}"


def as_sentence(text: str) -> str:
    """A sentence from an explanation: capitalised, with its full stop."""
    return text[:1].upper() + full_stop(text[1:])


def full_stop(text: str) -> str:
    """``text`` ending in a full stop (messages start with keywords: no capital)."""
    return text if text.endswith(".") else text + "."


def explanation_of(result: GateResult, change: Change) -> str:
    """The kind's explanation (cdccheck.gate.kinds) as a sentence in the run's labels."""
    return as_sentence(explain(change.kind, dict(result.labels)))


def verdict(result: GateResult) -> str:
    """The last line: PASS or FAIL, the mode, what failed and both directions."""
    compatible = result.compatible
    words = ", ".join(f"{d} {'yes' if compatible[d] else 'NO'}" for d in (BACKWARD, FORWARD))
    breaking = result.breaking
    proven = sum(1 for c in breaking if c.proven)
    if result.exit_code == 0:
        return f"PASS (mode {result.mode}): compatible {words}"
    parts = []
    if breaking:
        parts.append(f"{len(breaking)} breaking change(s), {proven} proven")
    if result.corpus_failures:
        parts.append(
            f"{result.corpus_failures} corpus event(s) counted by --fail-on {result.fail_on}"
        )
    return f"FAIL (mode {result.mode}): {'; '.join(parts)}; compatible {words}"


def corpus_line(result: GateResult) -> str | None:
    """One line of corpus totals, None without a corpus."""
    if result.corpus is None:
        return None
    totals = result.corpus.get("totals") or {}
    events = totals.get("events", 0)
    labels = result.labels
    return (
        f"corpus: {events:,} event(s): {totals.get('ok', 0):,} ok, "
        f"{totals.get('undecodable', 0):,} undecodable, "
        f"{totals.get('legacy_invalid', 0):,} invalid under {labels['legacy']}, "
        f"{totals.get('new_invalid', 0):,} invalid under {labels['new']} "
        f"({result.corpus_failures:,} counted by --fail-on {result.fail_on})"
    )


def corpus_hits(result: GateResult, change: Change) -> str | None:
    """What the corpus shows for a change: the events that already fail the way it would.

    Counted from the finding groups at the witness's place, under the schema
    the change breaks, of the finding kinds that kind of change can cause
    (cdccheck.gate.kinds), each group with its own count.
    """
    evidence = result.evidence(change)
    if evidence is None or result.corpus is None:
        return None
    labels = result.labels
    total = (result.corpus.get("totals") or {}).get("events", 0)
    where = aggregate_path(change.witness.path) if change.witness else ""
    if not evidence:
        schemas = " or ".join(labels[s] for s in _broken_schemas(change))
        return (
            f"corpus: no event of {total:,} fails at {where or '/'} under {schemas} "
            "the way this change would (could break, did not yet)"
        )
    parts = []
    for schema in dict.fromkeys(e.schema for e in evidence):
        counts = ", ".join(f"{e.events:,} {e.kind}" for e in evidence if e.schema == schema)
        parts.append(f"{counts} under {labels[schema]}")
    return f"corpus: did break at {where or '/'}: {'; '.join(parts)} (of {total:,} events)"


def _broken_schemas(change: Change) -> list[str]:
    return [s for s, flag in (("new", change.backward), ("legacy", change.forward)) if flag]


def shown_path(path: str) -> str:
    """A file as a reader should see it: relative to the working directory when inside it.

    An absolute path elsewhere is cut to its name (it says nothing to the
    reader of a pull request and exposes the machine's layout).
    """
    if path.split(":", 1)[0] in ("go", "py") or not Path(path).is_absolute():
        return path
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return Path(path).name


def header(result: GateResult, schema: SchemaResult) -> str:
    """Which schema files a block of changes compares, in the run's labels."""
    labels = result.labels
    if schema.legacy and schema.new:
        return (
            f"{labels['legacy']} {shown_path(schema.legacy)} -> "
            f"{labels['new']} {shown_path(schema.new)}"
        )
    side = "new" if schema.new else "legacy"
    return f"{shown_path(schema.file)} (only in {labels[side]})"
