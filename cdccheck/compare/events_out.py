"""``--events-out`` for compare: one JSON line per pair, and per event that found no partner.

Every event of the primary and the candidate appears on exactly one line
(docs/compare.md, "--events-out")::

    {"result": "equal" | "differing", "op", "primary_id", "candidate_id",
     "diffs": [{"kind", "path", "primary", "candidate"}], "warnings": [{"kind", "path"}]}
    {"result": "missing_in_candidate", "op", "primary_id", "candidate_id": null, ...}
    {"result": "extra_in_candidate", "op", "primary_id": null, "candidate_id", ...}
    {"result": "undecodable" | "unkeyed", "side", "id", "op", "path", "message"}

Paths carry real array indices. Values are described by type and length
unless ``show_values``; then the values, and the pair's key, are written too.
Baseline pairs are not written: they only calibrate noise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from cdccheck.compare.diff import Diff, sample_path
from cdccheck.compare.events import Event, UnkeyedEvent, Unreadable, key_values
from cdccheck.files import LinesWriter
from cdccheck.redaction import describe_value

EQUAL = "equal"
DIFFERING = "differing"
MISSING_IN_CANDIDATE = "missing_in_candidate"
EXTRA_IN_CANDIDATE = "extra_in_candidate"


def pair_line(
    primary: Event | None,
    candidate: Event | None,
    diffs: list[Diff],
    warnings: list[Diff],
    *,
    show_values: bool = False,
) -> dict[str, Any]:
    """The line of one pair, or of an event without a partner (the other side None)."""
    if primary is not None and candidate is not None:
        result = DIFFERING if diffs else EQUAL
    else:
        result = MISSING_IN_CANDIDATE if candidate is None else EXTRA_IN_CANDIDATE
    event = primary if primary is not None else candidate
    assert event is not None
    line: dict[str, Any] = {
        "result": result,
        "op": event.op,
        "primary_id": None if primary is None else primary.id,
        "candidate_id": None if candidate is None else candidate.id,
    }
    if show_values and event.key is not None:
        line["key"] = key_values(event.key)
    line["diffs"] = [
        {
            "kind": diff.kind,
            "path": sample_path(diff.path),
            "primary": describe_value(diff.primary, show_values),
            "candidate": describe_value(diff.candidate, show_values),
        }
        for diff in diffs
    ]
    line["warnings"] = [{"kind": w.kind, "path": sample_path(w.path)} for w in warnings]
    return line


def unreadable_line(side: str, item: Unreadable | UnkeyedEvent) -> dict[str, Any]:
    """The line of an undecodable or unkeyed entry of ``side``."""
    if isinstance(item, UnkeyedEvent):
        return {
            "result": "unkeyed",
            "side": side,
            "id": item.id,
            "op": item.op,
            "path": item.missing_key,
            "message": f"none of {item.missing_key} is present",
        }
    return {
        "result": "undecodable",
        "side": side,
        "id": item.id,
        "op": item.op,
        "path": item.path,
        "message": item.message,
    }


class CompareEventsWriter(LinesWriter):
    """Writes one JSON line per call; the file appears complete, by rename, on close.

    Kept, as far as written, when the run stops early, as check's ``--events-out``.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, msgspec.json.Encoder().encode)

    def __call__(self, line: dict[str, Any]) -> None:
        """Write one line."""
        self.write(line)
