"""Helpers of the compare tests: entries from values, reports built and validated."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdccheck.compare import (
    CompareSummary,
    build_compare_report,
    parse_entity,
    parse_ignores,
    parse_keys,
)
from cdccheck.model import Entry

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "compare-report.schema.json").read_text())


def entry(stream_id: str, payload: Any, **fields: bytes) -> Entry:
    """An entry whose payload is ``payload`` as JSON (bytes are taken as they are)."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Entry(stream_id, {"payload": raw, **fields})


def entries(items: Sequence[tuple[str, Any]]) -> list[Entry]:
    """Entries from (stream id, payload) pairs."""
    return [entry(stream_id, payload) for stream_id, payload in items]


@functools.cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(SCHEMA)
    return Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(report: dict[str, Any]) -> dict[str, Any]:
    """Fail unless ``report`` is valid under schemas/compare-report.schema.json; return it."""
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(report)]
    assert not errors, errors
    return report


def report_of(
    summary: CompareSummary,
    *,
    key: Sequence[str] = ("/id",),
    entity: str | None = None,
    ignore: Sequence[str] = (),
    primary: dict[str, Any] | None = None,
    candidate: dict[str, Any] | None = None,
    baseline: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The validated compare report of ``summary`` with fixed timing."""
    report = build_compare_report(
        summary,
        primary=primary or {"kind": "file", "files": ["primary.jsonl"]},
        candidate=candidate or {"kind": "file", "files": ["candidate.jsonl"]},
        baseline=(
            baseline
            if baseline is not None or summary.baseline is None
            else {"kind": "file", "files": ["baseline.jsonl"]}
        ),
        key=parse_keys(list(key)),
        entity=parse_entity(entity),
        ignored=parse_ignores(list(ignore)),
        started_at=datetime(2026, 1, 28, 12, tzinfo=UTC),
        elapsed_s=2.0,
    )
    return validate(report)
