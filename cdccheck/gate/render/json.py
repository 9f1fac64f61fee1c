"""The JSON output, the contract of docs/gate.md."""

from __future__ import annotations

import json
from typing import Any

from cdccheck.gate.compat import BACKWARD, FORWARD
from cdccheck.gate.kinds import LABELS
from cdccheck.gate.render.common import each_change, is_breaking
from cdccheck.gate.run import GateResult


def to_json(result: GateResult) -> dict[str, Any]:
    """The JSON object of docs/gate.md; changes carry ``file`` when several files were compared.

    With a corpus, each change that was proven carries ``evidence``: the
    finding groups that show it breaking events (`cdccheck.gate.run.corpus_evidence`).
    When the sides are not named legacy and new (``--against``: base and
    head), ``labels`` says their names, so a page drawn from this JSON
    (``report render --format html``) names them as the other outputs do.
    """
    several = len(result.schemas) > 1
    changes = []
    for schema, change in each_change(result):
        entry: dict[str, Any] = {
            "kind": change.kind,
            "path": change.path,
            "breaking": {BACKWARD: change.backward, FORWARD: change.forward},
            "proven": change.proven,
            "witness": change.witness.instance if change.witness else None,
            "message": change.message,
        }
        if several:
            entry["file"] = schema.file
        evidence = result.evidence(change) if is_breaking(change) else None
        if evidence is not None:
            entry["evidence"] = [
                {"schema": e.schema, "kind": e.kind, "path": e.path, "events": e.events}
                for e in evidence
            ]
        changes.append(entry)
    document: dict[str, Any] = {
        "compatible": result.compatible,
        "changes": changes,
        "corpus": dict(result.corpus) if result.corpus is not None else None,
    }
    if dict(result.labels) != LABELS:
        document["labels"] = dict(result.labels)
    return document


def render_json(result: GateResult) -> str:
    """`to_json` as indented JSON text."""
    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"
