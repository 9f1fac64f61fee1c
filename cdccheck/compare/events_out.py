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

import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import msgspec

from cdccheck.compare.diff import Diff, sample_path
from cdccheck.compare.events import Event, UnkeyedEvent, Unreadable, key_values
from cdccheck.errors import ConfigError
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


class CompareEventsWriter:
    """Writes one JSON line per call; the file appears complete, by rename, on close."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle, self._temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
        except OSError as exc:
            raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
        self._stream: IO[bytes] = os.fdopen(handle, "wb", buffering=1 << 16)
        self._encode = msgspec.json.Encoder().encode
        self.lines = 0

    def __call__(self, line: dict[str, Any]) -> None:
        """Write one line."""
        self._stream.write(self._encode(line))
        self._stream.write(b"\n")
        self.lines += 1

    def close(self, *, keep: bool = True) -> None:
        """Finish the file (``keep``) or throw it away."""
        if self._stream.closed:
            return
        self._stream.close()
        if keep:
            os.replace(self._temporary, self.path)
        else:
            os.unlink(self._temporary)

    def __enter__(self) -> CompareEventsWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # Keep what was written even when the run stops early, as check does.
        self.close(keep=True)
