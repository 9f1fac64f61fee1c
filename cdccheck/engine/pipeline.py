"""The loop every command shares: batches of entries -> verdicts -> Summary.

``check``, ``replay``, ``gate --corpus`` and the sidecar all run this; the
sidecar adds its own stop conditions and commits around it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cdccheck.engine.engine import Engine
from cdccheck.files import LinesWriter
from cdccheck.model import INTERNAL_ERROR, Entry, EventVerdict
from cdccheck.redaction import redact_finding
from cdccheck.summary import Summary

BatchCallback = Callable[[list[Entry], Summary], None]
VerdictSink = Callable[[EventVerdict], None]


def check_batch(
    engine: Engine, batch: list[Entry], summary: Summary, sink: VerdictSink | None = None
) -> None:
    """Check one batch into ``summary``; ``sink`` sees every verdict when given."""
    if sink is not None:
        for entry in batch:
            verdict = engine.check(entry)
            summary.add(verdict)
            sink(verdict)
        return
    if not batch:
        return
    healthy, verdicts = engine.check_batch(batch)
    summary.add_batch(batch, healthy, verdicts, engine.writer_field)


def run(
    batches: Iterable[list[Entry]],
    engine: Engine,
    summary: Summary,
    *,
    sink: VerdictSink | None = None,
    on_batch: BatchCallback | None = None,
) -> Summary:
    """Check every entry of every batch; returns ``summary`` for convenience."""
    for batch in batches:
        check_batch(engine, batch, summary, sink)
        if on_batch is not None:
            on_batch(batch, summary)
    return summary


def verdict_line(verdict: EventVerdict, show_values: bool) -> dict[str, Any]:
    """One ``--events-out`` record (docs/reports.md describes its keys)."""
    record: dict[str, Any] = {
        "id": verdict.id,
        "op": verdict.op,
        "writer": verdict.writer,
        "decodable": verdict.decodable,
    }
    for role, findings in (("legacy", verdict.legacy), ("new", verdict.new)):
        record[role] = (
            None
            if findings is None
            else {
                "valid": not findings,
                "findings": [redact_finding(finding, show_values) for finding in findings],
            }
        )
    if verdict.error is not None:
        record["error"] = {"kind": INTERNAL_ERROR, "message": verdict.error}
    elif not verdict.decodable:
        record["wire"] = {"message": verdict.wire_message}
    if verdict.warnings:
        record["warnings"] = [
            {"schema": schema, **redact_finding(warning, show_values)}
            for schema, warning in verdict.warnings
        ]
    return record


class EventsWriter(LinesWriter):
    """Writes one JSON line per event (``verdict_line``); the file appears complete or not at all.

    Kept, as far as written, when the run stops early: nothing is lost.
    """

    def __init__(self, path: str | Path, *, show_values: bool = False) -> None:
        super().__init__(path, _encode_line)
        self.show_values = show_values

    def __call__(self, verdict: EventVerdict) -> None:
        self.write(verdict_line(verdict, self.show_values))


def _encode_line(record: dict[str, Any]) -> bytes:
    try:
        return json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape: keep it escaped
        return json.dumps(record).encode("ascii")
