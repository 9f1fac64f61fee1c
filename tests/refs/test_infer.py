"""Inferring a schema from traffic, then checking traffic against it with the real engine."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from cdccheck import samples, wire
from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import load_schema_bytes
from cdccheck.errors import ConfigError
from cdccheck.model import Entry
from cdccheck.refs.infer import Inferred, infer_schema

HEALTHY_PER_CLASS = 150


def _decoded(entries: Iterable[Entry]) -> Iterator[tuple[str, str, Any]]:
    for entry in entries:
        encoding = entry.fields.get("encoding", b"json").decode()
        decoded = wire.decode(entry.fields["payload"], encoding)
        assert isinstance(decoded, wire.Decoded)
        yield entry.id, entry.fields["writer"].decode(), decoded.value


def _engine(inferred: Inferred) -> Engine:
    raw = json.dumps(inferred.document).encode()
    return Engine(
        load_schema_bytes(raw, name="legacy", origin="inferred.json"),
        load_schema_bytes(raw, name="new", origin="inferred.json"),
    )


def _findings(engine: Engine, entries: Iterable[Entry]) -> set[tuple[str, str, str]]:
    out = set()
    for entry in entries:
        verdict = engine.check(entry)
        out |= {(entry.id, f.kind, f.path) for f in verdict.legacy or []}
    return out


@pytest.fixture(scope="module")
def healthy() -> list[Entry]:
    return [
        sample.entry
        for name in samples.CLEAN_CLASSES
        for sample in samples.generate(name, HEALTHY_PER_CLASS)
    ]


def test_inferring_a_stream_then_checking_it_finds_nothing(healthy: list[Entry]) -> None:
    inferred = infer_schema(_decoded(healthy))
    assert inferred.events == len(healthy)
    assert set(inferred.ops) == {"create", "update", "increment", "delete"}
    assert _findings(_engine(inferred), healthy) == set()


def _with(entry: Entry, change: Any) -> Entry:
    value = json.loads(entry.fields["payload"])
    changed = copy.deepcopy(value)
    change(changed)
    return Entry(entry.id, {**entry.fields, "payload": json.dumps(changed).encode()})


def test_a_drifted_stream_shows_exactly_the_injected_drift(healthy: list[Entry]) -> None:
    python = [e for e in healthy if e.fields["writer"] == samples.PY_WRITER]
    inferred = infer_schema(_decoded(python), writer="py-monolith")
    assert inferred.skipped == 0
    engine = _engine(inferred)
    creates = [e for e in python if json.loads(e.fields["payload"])["op"] == "create"]
    deletes = [e for e in python if json.loads(e.fields["payload"])["op"] == "delete"]
    increments = [e for e in python if json.loads(e.fields["payload"])["op"] == "increment"]

    def set_at(path: tuple[str, ...], new: Any) -> Any:
        def change(value: Any) -> None:
            for key in path[:-1]:
                value = value[key]
            value[path[-1]] = new

        return change

    def drop(path: tuple[str, ...]) -> Any:
        def change(value: Any) -> None:
            for key in path[:-1]:
                value = value[key]
            del value[path[-1]]

        return change

    injected = [
        (_with(creates[0], drop(("comment", "score"))), "missing_required", "/comment/score"),
        (
            _with(creates[1], set_at(("comment", "awards"), None)),
            "null_not_allowed",
            "/comment/awards",
        ),
        (
            _with(creates[2], set_at(("comment", "collapsed_reason_code"), "LOW_SCORE")),
            "unknown_field",
            "/comment/collapsed_reason_code",
        ),
        (
            _with(creates[3], set_at(("emitted_at",), "2026-01-28T12:00:00.123456789Z")),
            "constraint",
            "/emitted_at",
        ),
        (_with(deletes[0], set_at(("reason",), "removed_by_admin")), "enum_value", "/reason"),
        (_with(increments[0], set_at(("delta",), 1000)), "constraint", "/delta"),
        (_with(increments[1], set_at(("delta",), "1")), "type_mismatch", "/delta"),
    ]
    drifted_ids = {entry.id for entry, _, _ in injected}
    stream = [entry for entry, _, _ in injected] + [e for e in python if e.id not in drifted_ids]
    expected = {(entry.id, kind, path) for entry, kind, path in injected}
    assert _findings(engine, stream) == expected


@pytest.mark.parametrize(
    "sample_class",
    [
        samples.GO_RFC3339NANO,
        samples.GO_OMITEMPTY_SCORE,
        samples.GO_NIL_AWARDS,
        samples.GO_NEW_FIELD,
        samples.GO_NEW_DELETE_REASON,
    ],
)
def test_the_go_writer_drifts_where_the_bundled_legacy_schema_says(
    healthy: list[Entry], sample_class: str
) -> None:
    # Inferred from healthy traffic only, the schema flags each Go defect class
    # exactly where the hand-written legacy schema does.
    engine = _engine(infer_schema(_decoded(healthy), bounds="type"))
    expected = {
        (kind, path)
        for role, kind, path in samples.EXPECTED[sample_class].findings
        if role == "legacy"
    }
    found = {(kind, path) for _, kind, path in _findings(engine, _entries(sample_class))}
    assert found == expected


def _entries(sample_class: str) -> list[Entry]:
    return [sample.entry for sample in samples.generate(sample_class, 20)]


def test_evidence_without_raw_values(healthy: list[Entry]) -> None:
    document = infer_schema(_decoded(healthy)).document
    text = json.dumps(document)
    create = next(
        branch["then"] for branch in document["allOf"] if "create" in branch["description"]
    )
    created_at = create["properties"]["comment"]["properties"]["created_at"]
    assert created_at["format"] == "date-time"
    assert "a 6-digit fraction, always +00:00, never Z" in created_at["description"]
    assert created_at["pattern"].endswith(r"\.[0-9]{6}[+-][0-9]{2}:[0-9]{2}$")
    assert create["properties"]["event_id"]["format"] == "uuid"
    assert create["properties"]["comment"]["properties"]["score"]["type"] == "integer"
    assert create["properties"]["comment"]["properties"]["toxicity"]["type"] == "number"
    edited = create["properties"]["comment"]["properties"]["edited_at"]
    assert edited["type"] == "null"
    # Ids and bodies are not enums and their values are not in the document.
    first = json.loads(healthy[0].fields["payload"])
    assert first["event_id"] not in text
    with_values = json.dumps(infer_schema(_decoded(healthy), show_values=True).document)
    assert "values " in with_values


def test_options_and_empty_sources(healthy: list[Entry]) -> None:
    flat = infer_schema(_decoded(healthy[:50]), op_field=None, additional_properties=True)
    assert "allOf" not in flat.document
    assert "additionalProperties" not in flat.document
    with pytest.raises(ConfigError, match="no events from writer 'nobody'"):
        infer_schema(_decoded(healthy), writer="nobody")
    with pytest.raises(ConfigError, match="unknown bounds"):
        infer_schema([], bounds="wide")
