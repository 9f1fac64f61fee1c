"""The bundled schemas and the sample generator, judged by the reference directly.

Findings here come straight from python-jsonschema (DESIGN.md rule 2) mapped to
kinds by the table in rule 3, and from cdccheck.wire for decodability and
warnings; the engine is not involved, so these tests pin the samples down.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cdccheck.engine.schema import Schema, bundled_schema_path, load_schema
from cdccheck.engine.wire import Undecodable, decode
from cdccheck.model import (
    CONSTRAINT,
    ENUM_VALUE,
    FORMAT,
    INTEGRAL_FLOAT,
    LEGACY,
    MISSING_REQUIRED,
    NEW,
    NULL_NOT_ALLOWED,
    TYPE_MISMATCH,
    UNDECODABLE,
    UNKNOWN_FIELD,
    WIRE,
    Entry,
    json_pointer,
)
from cdccheck.samples import (
    CLASSES,
    CLEAN_CLASSES,
    DEFECT_CLASSES,
    EXPECTED,
    GO_HEALTHY,
    GO_HTML_ESCAPE,
    GO_MSGPACK,
    PY_HEALTHY,
    SAMPLE_CORPUS,
    Sample,
    generate,
    healthy_entries,
    mixed_samples,
    mixed_stream,
    samples,
)
from cdccheck.sources.corpus import read_corpus

Findings = set[tuple[str, str, str]]
Warnings = set[tuple[str, str]]


@pytest.fixture(scope="module")
def schemas() -> dict[str, Schema]:
    return {role: load_schema(bundled_schema_path(role), name=role) for role in (LEGACY, NEW)}


def reference_findings(schema: Schema, value: Any) -> set[tuple[str, str]]:
    """(kind, path) for every python-jsonschema error, per DESIGN.md rule 3."""
    found: set[tuple[str, str]] = set()
    for error in schema.validator.iter_errors(value):
        path = tuple(error.absolute_path)
        keyword = error.validator
        if keyword == "required":
            for name in error.validator_value:  # type: ignore[union-attr]
                if name not in error.instance:
                    found.add((MISSING_REQUIRED, json_pointer((*path, name))))
        elif keyword == "additionalProperties" and error.validator_value is False:
            declared = error.schema.get("properties", {})  # type: ignore[union-attr]
            for name in error.instance:
                if name not in declared:
                    found.add((UNKNOWN_FIELD, json_pointer((*path, name))))
        elif keyword == "type":
            kind = NULL_NOT_ALLOWED if error.instance is None else TYPE_MISMATCH
            found.add((kind, json_pointer(path)))
        elif keyword in ("enum", "const"):
            found.add((ENUM_VALUE, json_pointer(path)))
        elif keyword == "format":
            found.add((FORMAT, json_pointer(path)))
        else:
            found.add((CONSTRAINT, json_pointer(path)))
    return found


def check(entry: Entry, schemas: dict[str, Schema]) -> tuple[Findings, Warnings]:
    """Reference findings (schema, kind, path) and warnings (kind, path) for one entry."""
    encoding = entry.fields.get("encoding", b"json").decode()
    decoded = decode(entry.fields["payload"], encoding)
    if isinstance(decoded, Undecodable):
        return {(WIRE, UNDECODABLE, "")}, set()
    findings = {
        (role, kind, path)
        for role, schema in schemas.items()
        for kind, path in reference_findings(schema, decoded.value)
    }
    warnings = {(warning.kind, warning.path) for warning in decoded.warnings}
    # Every integer in the bundled schemas is typed integer, and no sample
    # float is integral elsewhere (toxicity stays inside (0, 1)).
    warnings |= {(INTEGRAL_FLOAT, json_pointer(path)) for path, _ in decoded.integral_floats}
    return findings, warnings


# ---------------------------------------------------------------- schemas


@pytest.mark.parametrize("role", [LEGACY, NEW])
def test_bundled_schema_loads_and_passes_its_metaschema(role: str) -> None:
    from jsonschema import Draft202012Validator

    schema = load_schema(bundled_schema_path(role), name=role)
    assert schema.draft == "2020-12"
    Draft202012Validator.check_schema(schema.document)
    assert "$id" not in schema.document
    for example in schema.document["examples"]:
        assert list(schema.validator.iter_errors(example)) == []


ALLOWED_KEYWORDS = {
    "$schema", "$defs", "$ref", "title", "description", "examples", "type", "properties",
    "required", "additionalProperties", "enum", "const", "pattern", "format", "minimum",
    "maximum", "minLength", "maxLength", "items", "minItems", "maxItems", "allOf", "if", "then",
}  # fmt: skip


def _keywords(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key in ("properties", "$defs"):
                for child in value.values():
                    found |= _keywords(child)
            elif key not in ("examples", "enum", "const", "required"):
                found |= _keywords(value)
    elif isinstance(node, list):
        for child in node:
            found |= _keywords(child)
    return found


@pytest.mark.parametrize("role", [LEGACY, NEW])
def test_bundled_schema_uses_only_the_fast_engine_keywords(role: str) -> None:
    document = json.loads(bundled_schema_path(role).read_text("utf-8"))
    assert _keywords(document) <= ALLOWED_KEYWORDS
    assert document["additionalProperties"] is False
    assert set(document["properties"]) >= {"op", "event_id", "emitted_at", "reason"}


@pytest.mark.parametrize(
    ("timestamp", "legacy_ok", "new_ok"),
    [
        ("2026-01-28T12:34:56.123456+00:00", True, True),
        ("2026-01-28T12:34:56+00:00", True, True),
        ("2026-01-28T12:34:56.123-05:30", True, True),
        ("2026-01-28 12:34:56.123456+00:00", True, False),
        ("2026-01-28T12:34:56.123456", True, False),
        ("2026-01-28T12:34:56.123456789Z", False, True),
        ("2026-01-28T12:34:56Z", False, True),
        ("2026-01-28T12:34:56.1234+00:00", False, True),
        ("0001-01-01T00:00:00+00:00", False, True),
        ("2026-13-28T12:34:56+00:00", False, False),
    ],
)
def test_timestamp_drift(
    schemas: dict[str, Schema], timestamp: str, legacy_ok: bool, new_ok: bool
) -> None:
    event = {
        "op": "increment",
        "event_id": "0d9a4c4e-3c51-4f1b-9a57-5f0e5a1c2b3d",
        "emitted_at": timestamp,
        "comment_id": "t1_abc",
        "field": "score",
        "delta": 1,
    }
    assert schemas[LEGACY].validator.is_valid(event) is legacy_ok
    assert schemas[NEW].validator.is_valid(event) is new_ok


# ---------------------------------------------------------------- sample classes


@pytest.mark.parametrize("sample_class", CLASSES)
def test_every_entry_of_a_class_gets_exactly_the_expected_findings(
    schemas: dict[str, Schema], sample_class: str
) -> None:
    expected = EXPECTED[sample_class]
    for sample in generate(sample_class, 30, seed=7):
        findings, warnings = check(sample.entry, schemas)
        assert (findings, warnings) == (set(expected.findings), set(expected.warnings)), sample
        assert sample.entry.fields["writer"] == expected.writer


def test_class_lists_are_consistent() -> None:
    assert set(CLEAN_CLASSES) == {PY_HEALTHY, GO_HEALTHY, GO_HTML_ESCAPE, GO_MSGPACK}
    assert set(CLEAN_CLASSES) | set(DEFECT_CLASSES) == set(CLASSES) == set(EXPECTED)
    assert not set(CLEAN_CLASSES) & set(DEFECT_CLASSES)


def test_html_escape_control_really_escapes() -> None:
    for sample in generate(GO_HTML_ESCAPE, 10):
        payload = sample.entry.fields["payload"]
        assert b"\\u003c" in payload or b"\\u0026" in payload or b"\\u003e" in payload
        assert not {b"<", b">", b"&"} & {bytes([byte]) for byte in payload}


def test_generation_is_deterministic_and_seeded() -> None:
    assert samples(3) == samples(3)
    assert samples(3) != samples(4)
    assert list(mixed_samples(500, 3)) == list(mixed_samples(500, 3))


def test_healthy_entries_are_clean_and_unique(schemas: dict[str, Schema]) -> None:
    entries = list(healthy_entries(400, seed=11))
    assert len(entries) == 400
    assert len({entry.id for entry in entries}) == 400
    event_ids = set()
    for entry in entries:
        assert check(entry, schemas) == (set(), set()), entry
        encoding = entry.fields.get("encoding", b"json").decode()
        value = decode(entry.fields["payload"], encoding).value  # type: ignore[union-attr]
        event_ids.add(value["event_id"])
    assert len(event_ids) == 400
    writers = {entry.fields["writer"] for entry in entries}
    assert writers == {b"py-monolith", b"go-comments"}
    assert any(entry.fields.get("encoding") == b"msgpack" for entry in entries)


def test_mixed_stream_tags_match_the_reference(schemas: dict[str, Schema]) -> None:
    tagged = list(mixed_samples(3000, seed=5, defect_rate=0.2))
    assert [sample.entry for sample in tagged] == list(mixed_stream(3000, seed=5, defect_rate=0.2))
    assert {sample.sample_class for sample in tagged} == set(CLASSES)
    defects = sum(sample.sample_class in DEFECT_CLASSES for sample in tagged)
    assert 450 < defects < 750
    for sample in tagged[:600]:
        expected = EXPECTED[sample.sample_class]
        assert check(sample.entry, schemas) == (
            set(expected.findings),
            set(expected.warnings),
        ), sample


def test_mixed_stream_rejects_a_bad_rate() -> None:
    with pytest.raises(ValueError, match="defect_rate"):
        mixed_stream(1, defect_rate=1.5)


@pytest.mark.parametrize("count", [0, 1, 5_000])
def test_healthy_entries_yield_as_many_as_asked_in_stream_order(count: int) -> None:
    # Its speed (a benchmark writes a million of them) is a budget in benchmarks/micro.py.
    entries = list(healthy_entries(count))
    assert len(entries) == count
    ids = [tuple(int(part) for part in entry.id.split("-")) for entry in entries]
    assert ids == sorted(set(ids))


# ---------------------------------------------------------------- the bundled corpus


def _corpus_entries(path: Path) -> list[Entry]:
    return [entry for batch in read_corpus(path) for entry in batch]


def test_bundled_corpus_is_up_to_date_and_covers_every_class(
    schemas: dict[str, Schema],
) -> None:
    generated: list[Sample] = samples()
    assert _corpus_entries(SAMPLE_CORPUS) == [sample.entry for sample in generated], (
        "regenerate it: python -m cdccheck.samples"
    )
    assert 200 <= len(generated) <= 600
    assert {sample.sample_class for sample in generated} == set(CLASSES)
    for sample in generated:
        expected = EXPECTED[sample.sample_class]
        assert check(sample.entry, schemas) == (set(expected.findings), set(expected.warnings))


def test_samples_entry_point_writes_a_corpus(tmp_path: Path) -> None:
    from cdccheck.samples.__main__ import main

    out = tmp_path / "corpus.jsonl"
    assert main(["--out", str(out)]) == 0
    assert out.read_bytes() == SAMPLE_CORPUS.read_bytes()
    assert main(["--out", str(out), "--events", "50", "--seed", "9"]) == 0
    assert _corpus_entries(out) == list(mixed_stream(50, 9))
    assert main(["--out", str(tmp_path / "no" / "such.jsonl")]) == 2
