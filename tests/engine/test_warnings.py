"""Integral floats warn where a schema can say integer (docs/semantics.md, rule 6)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdccheck.engine.engine import Engine
from cdccheck.model import INTEGRAL_FLOAT, LEGACY, NEW, Entry
from tests.helpers import schema_from

INTEGER = {"type": "integer"}
STRING = {"type": "string"}


@pytest.mark.parametrize(
    ("document", "value", "warned"),
    [
        ({"properties": {"n": INTEGER}}, {"n": 5.0}, ["/n"]),
        ({"properties": {"n": STRING}}, {"n": 5.0}, []),
        ({"patternProperties": {"^n": INTEGER}}, {"n1": 5.0, "m": 5.0}, ["/n1"]),
        ({"properties": {"a": STRING}, "additionalProperties": INTEGER}, {"a": 1.0, "x": 2.0},
         ["/x"]),
        ({"properties": {"a": INTEGER}, "additionalProperties": STRING}, {"a": 1.0, "x": 2.0},
         ["/a"]),
        ({"prefixItems": [INTEGER, STRING], "items": STRING}, [1.0, 2.0, 3.0], ["/0"]),
        ({"prefixItems": [STRING], "items": INTEGER}, [1.0, 2.0, 3.0], ["/1", "/2"]),
        ({"items": INTEGER}, [1.0, 2.5], ["/0"]),
        ({"$defs": {"i": INTEGER}, "properties": {"n": {"$ref": "#/$defs/i"}}}, {"n": 7.0}, ["/n"]),
        ({"properties": {"n": {"anyOf": [STRING, INTEGER]}}}, {"n": 7.0}, ["/n"]),
        ({"properties": {"n": {"type": ["integer", "number"]}}}, {"n": 7.0}, []),
        ({"properties": {"n": {"type": ["integer", "null"]}}}, {"n": 7.0}, ["/n"]),
    ],
)  # fmt: skip
def test_integral_floats_warn_where_the_schema_says_integer(
    document: dict[str, Any], value: Any, warned: list[str]
) -> None:
    legacy = schema_from(document, "legacy")
    new = schema_from({}, "new")
    for fast_path in (True, False):
        verdict = Engine(legacy, new, fast_path=fast_path).check(
            Entry("1-1", {"payload": json.dumps(value).encode()})
        )
        found = sorted(w.path for role, w in verdict.warnings if w.kind == INTEGRAL_FLOAT)
        assert found == warned, fast_path
        assert all(role == LEGACY for role, w in verdict.warnings if w.kind == INTEGRAL_FLOAT)
    both = Engine(legacy, schema_from(document, "new")).check(
        Entry("1-1", {"payload": json.dumps(value).encode()})
    )
    roles = sorted((w.path, role) for role, w in both.warnings if w.kind == INTEGRAL_FLOAT)
    assert roles == sorted((path, role) for path in warned for role in (LEGACY, NEW))


def test_draft7_tuple_items_warn_by_position() -> None:
    legacy = schema_from(
        {"$schema": "http://json-schema.org/draft-07/schema#", "items": [INTEGER, STRING],
         "additionalItems": INTEGER},
    )  # fmt: skip
    verdict = Engine(legacy, schema_from({}, "new")).check(
        Entry("1-1", {"payload": b"[1.0, 2.0, 3.0]"})
    )
    assert sorted(w.path for _, w in verdict.warnings if w.kind == INTEGRAL_FLOAT) == ["/0", "/2"]
