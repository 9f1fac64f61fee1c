"""The compiled schemas: what they compile themselves, and corners the generators rarely reach.

tests/engine/test_differential.py holds whole verdicts to the reference; here,
specific keyword shapes and the hand-off to python-jsonschema.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdccheck.engine.compiled import CompiledSchema
from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import bundled_schema_path, load_schema
from cdccheck.model import CONSTRAINT, ENUM_VALUE, MISSING_REQUIRED, Entry
from cdccheck.samples import CLASSES, generate
from tests.helpers import finding_set, reference_set, schema_from


def test_the_bundled_schemas_compile_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """No event of any sample class is handed to python-jsonschema: its messages and speed
    are the compiled checks' own (docs/architecture.md)."""
    schemas = [load_schema(bundled_schema_path(role), name=role) for role in ("legacy", "new")]
    engine = Engine(*schemas, fast_path=False)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("handed to python-jsonschema")

    for schema in schemas:  # validators are frozen: patch their class for this test
        monkeypatch.setattr(type(schema.validator), "descend", refuse)
        monkeypatch.setattr(type(schema.validator), "iter_errors", refuse)
    failing = 0
    for sample_class in CLASSES:
        for sample in generate(sample_class, 3):
            verdict = engine.check(sample.entry)
            failing += bool(verdict.legacy or verdict.new)
    assert failing >= 3 * 8


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": 1, "b": 2}, {(MISSING_REQUIRED, "/c")}),
        ({"a": 1, "b": 3}, set()),
        ({"a": 1}, {(MISSING_REQUIRED, "/c")}),
        ({"b": 2, "c": 0}, set()),
        ("not an object", set()),
    ],
)
def test_an_if_on_two_properties_is_decided_whole(value: Any, expected: set[Any]) -> None:
    document = {
        "if": {"properties": {"a": {"const": 1}, "b": {"const": 2}}},
        "then": {"required": ["c"]},
    }
    schema = schema_from(document)
    verdict = Engine(schema, schema).check(Entry("1-1", {"payload": json.dumps(value).encode()}))
    assert finding_set(verdict.legacy) == expected == reference_set(schema, value)


def test_long_messages_from_python_jsonschema_are_clipped() -> None:
    """A schema object left to python-jsonschema (anyOf) gives its message, clipped to 300."""
    options = [f"option-{index:03d}" for index in range(80)]
    schema = schema_from({"anyOf": [{"enum": options}, {"enum": options[::-1]}]})
    [finding] = CompiledSchema(schema).findings("x")
    assert (finding.kind, finding.path) == (ENUM_VALUE, "")
    assert len(finding.message) == 300
    assert finding.message.endswith("...")
    assert finding.message.startswith("'x' is not one of ['option-000'")


def test_a_false_subschema_is_a_constraint_at_the_value() -> None:
    schema = schema_from({"properties": {"legacy_id": False}})
    [finding] = CompiledSchema(schema).findings({"legacy_id": 1})
    assert (finding.kind, finding.path) == (CONSTRAINT, "/legacy_id")
    assert finding.message == "1 is not allowed by a false schema"
