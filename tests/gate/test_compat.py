"""Static comparison: one case per keyword family, every witness checked by the reference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cdccheck.engine.schema import load_schema
from cdccheck.gate.compat import Comparison, compare, compare_documents
from cdccheck.gate.compat.keywords import CHECKS, HANDLED
from tests.gate.support import GATE_DATA, assert_witnesses_verified, validator_for_document

OBJ: dict[str, Any] = {"type": "object"}


def _compare(legacy: Any, new: Any, draft: str | None = None) -> Comparison:
    comparison = compare_documents(legacy, new, draft=draft)
    assert_witnesses_verified(
        comparison, validator_for_document(legacy, draft), validator_for_document(new, draft)
    )
    return comparison


# (legacy, new, kind, breaks backward, breaks forward, proven)
CASES: dict[str, tuple[Any, Any, str, bool, bool, bool]] = {
    "number narrowed to integer": (
        {"type": "number"}, {"type": "integer"}, "TYPE_NARROWED", True, False, True),
    "integer widened to number": (
        {"type": "integer"}, {"type": "number"}, "TYPE_EXTENDED", False, True, True),
    "null no longer allowed": (
        {"type": ["string", "null"]}, {"type": "string"}, "SUM_TYPE_NARROWED", True, False, True),
    "null allowed through anyOf": (
        {"type": "string"}, {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "SUM_TYPE_EXTENDED", False, True, True),
    "maxLength decreased": (
        {"type": "string", "maxLength": 12}, {"type": "string", "maxLength": 10},
        "MAX_LENGTH_DECREASED", True, False, True),
    "minLength increased": (
        {"type": "string", "minLength": 1}, {"type": "string", "minLength": 3},
        "MIN_LENGTH_INCREASED", True, False, True),
    "pattern added": (
        {"type": "string"}, {"type": "string", "pattern": "^[a-z]{3}$"},
        "PATTERN_ADDED", True, False, True),
    "format added": (
        {"type": "string"}, {"type": "string", "format": "date-time"},
        "FORMAT_ADDED", True, False, True),
    "exclusive minimum": (
        {"type": "number", "minimum": 0}, {"type": "number", "exclusiveMinimum": 0},
        "EXCLUSIVE_MINIMUM_CHANGED", True, False, True),
    "maximum increased": (
        {"type": "integer", "maximum": 5}, {"type": "integer", "maximum": 9},
        "MAXIMUM_INCREASED", False, True, True),
    "multipleOf expanded": (
        {"type": "number", "multipleOf": 0.5}, {"type": "number", "multipleOf": 1},
        "MULTIPLE_OF_EXPANDED", True, False, True),
    "enum extended": (
        {"enum": ["a", "b"]}, {"enum": ["a", "b", "c"]}, "ENUM_ARRAY_EXTENDED", False, True, True),
    "const changed": (
        {"const": "red"}, {"const": "blue"}, "ENUM_ARRAY_CHANGED", True, True, True),
    "required added": (
        {**OBJ, "properties": {"a": {"type": "string"}}},
        {**OBJ, "properties": {"a": {"type": "string"}}, "required": ["a"]},
        "REQUIRED_ATTRIBUTE_ADDED", True, False, True),
    "required property added to a closed model": (
        {**OBJ, "additionalProperties": False},
        {**OBJ, "properties": {"v": {"type": "integer"}}, "required": ["v"],
         "additionalProperties": False},
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", True, False, True),
    "property removed from a closed model": (
        {**OBJ, "properties": {"a": {"type": "string"}}, "additionalProperties": False},
        {**OBJ, "additionalProperties": False},
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", True, False, True),
    "property added to an open model": (
        {**OBJ}, {**OBJ, "properties": {"a": {"type": "string"}}},
        "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", True, False, True),
    "additionalProperties closed": (
        {**OBJ}, {**OBJ, "additionalProperties": False},
        "ADDITIONAL_PROPERTIES_REMOVED", True, False, True),
    "additionalProperties narrowed": (
        {**OBJ, "additionalProperties": {"type": "number"}},
        {**OBJ, "additionalProperties": {"type": "integer"}},
        "TYPE_NARROWED", True, False, True),
    "patternProperties changed": (
        {**OBJ, "patternProperties": {"^x_": {"type": "integer"}}},
        {**OBJ, "patternProperties": {"^x_": {"type": "string"}}},
        "TYPE_CHANGED", True, True, True),
    "patternProperties added to a closed model": (
        {**OBJ, "additionalProperties": False},
        {**OBJ, "patternProperties": {"^x_": {"type": "string"}}, "additionalProperties": False},
        "PATTERN_PROPERTY_ADDED", False, True, True),
    "unevaluatedProperties": (
        {**OBJ, "properties": {"a": {"type": "string"}}, "unevaluatedProperties": False},
        {**OBJ, "unevaluatedProperties": False},
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", True, False, True),
    "dependentRequired added": (
        {**OBJ}, {**OBJ, "dependentRequired": {"a": ["b"]}},
        "DEPENDENCY_ARRAY_ADDED", True, False, True),
    "propertyNames added": (
        {**OBJ}, {**OBJ, "propertyNames": {"pattern": "^[a-z]+$"}},
        "PROPERTY_NAMES_ADDED", True, False, True),
    "maxProperties added": (
        {**OBJ}, {**OBJ, "maxProperties": 1}, "MAX_PROPERTIES_ADDED", True, False, True),
    "items narrowed": (
        {"type": "array", "items": {"type": "number"}},
        {"type": "array", "items": {"type": "integer"}}, "TYPE_NARROWED", True, False, True),
    "prefixItems changed": (
        {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
        {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}], "items": False},
        "TYPE_CHANGED", True, True, True),
    "tuple closed": (
        {"type": "array", "prefixItems": [{"type": "string"}]},
        {"type": "array", "prefixItems": [{"type": "string"}], "items": False},
        "ADDITIONAL_ITEMS_REMOVED", True, False, True),
    "maxItems decreased": (
        {"type": "array", "maxItems": 5}, {"type": "array", "maxItems": 2},
        "MAX_ITEMS_DECREASED", True, False, True),
    "uniqueItems added": (
        {"type": "array", "items": {"type": "integer"}},
        {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
        "UNIQUE_ITEMS_ADDED", True, False, True),
    "contains added": (
        {"type": "array"}, {"type": "array", "contains": {"type": "integer"}},
        "CONTAINS_ADDED", True, False, True),
    "minContains increased": (
        {"type": "array", "contains": {"type": "integer"}},
        {"type": "array", "contains": {"type": "integer"}, "minContains": 2},
        "MIN_CONTAINS_INCREASED", True, False, True),
    "not added": (
        {"type": "string"}, {"type": "string", "not": {"const": "x"}},
        "NOT_ADDED", True, False, True),
    "if/then added": (
        {**OBJ},
        {**OBJ, "if": {"properties": {"k": {"const": "a"}}, "required": ["k"]},
         "then": {"required": ["v"]}},
        "CONDITIONAL_CHANGED", True, False, True),
    "oneOf branch added": (
        {"oneOf": [{"type": "string"}]}, {"oneOf": [{"type": "number"}, {"type": "string"}]},
        "SUM_TYPE_EXTENDED", False, True, True),
    "oneOf branches overlap": (
        {"type": "integer"}, {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]},
        "ONE_OF_AMBIGUOUS", True, False, True),
    "$ref target narrowed": (
        {"$defs": {"t": {"type": "string", "maxLength": 5}}, **OBJ,
         "properties": {"a": {"$ref": "#/$defs/t"}}},
        {"$defs": {"t": {"type": "string", "maxLength": 3}}, **OBJ,
         "properties": {"a": {"$ref": "#/$defs/t"}}},
        "MAX_LENGTH_DECREASED", True, False, True),
    "$anchor target changed": (
        {"$defs": {"t": {"$anchor": "T", "type": "integer"}}, "properties": {"a": {"$ref": "#T"}}},
        {"$defs": {"t": {"$anchor": "T", "type": "string"}}, "properties": {"a": {"$ref": "#T"}}},
        "TYPE_CHANGED", True, True, True),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_change_is_found_named_and_proven(name: str) -> None:
    legacy, new, kind, backward, forward, proven = CASES[name]
    comparison = _compare(legacy, new)
    found = [c for c in comparison.changes if c.kind == kind]
    assert found, f"{name}: no {kind} in {[(c.kind, c.path) for c in comparison.changes]}"
    change = found[0]
    assert (change.backward, change.forward) == (backward, forward)
    assert change.proven == proven
    assert comparison.backward == (not any(c.backward for c in comparison.changes))
    assert comparison.backward is not backward or not comparison.backward


@pytest.mark.parametrize(
    ("legacy", "new"),
    [
        # A tagged union gets a new branch: old events still match exactly one branch.
        (
            {"oneOf": [
                {**OBJ, "properties": {"op": {"const": "create"}}, "required": ["op"]},
                {**OBJ, "properties": {"op": {"const": "delete"}}, "required": ["op"]},
            ]},
            {"oneOf": [
                {**OBJ, "properties": {"op": {"const": "create"}}, "required": ["op"]},
                {**OBJ, "properties": {"op": {"const": "delete"}}, "required": ["op"]},
                {**OBJ, "properties": {"op": {"const": "undelete"}}, "required": ["op"]},
            ]},
        ),
        ({"type": "integer"}, {"type": "number", "multipleOf": 1}),
        ({"allOf": [{"type": "string"}, {"maxLength": 5}]}, {"type": "string", "maxLength": 5}),
        (
            {"allOf": [{"properties": {"a": {"type": "string"}}}],
             "properties": {"b": {"type": "integer"}}, "unevaluatedProperties": False},
            {"allOf": [{"properties": {"a": {"type": "string"}}}],
             "properties": {"b": {"type": "integer"}}, "unevaluatedProperties": False},
        ),
        ({"type": "string"}, {"$ref": "#/$defs/s", "$defs": {"s": {"type": "string"}}}),
    ],
)  # fmt: skip
def test_equivalent_rewrites_are_backward_compatible(legacy: Any, new: Any) -> None:
    comparison = _compare(legacy, new)
    assert comparison.backward, [(c.kind, c.path, c.message) for c in comparison.changes]


def test_annotations_never_break() -> None:
    comparison = _compare(
        {"title": "a", "description": "x", "type": "string"},
        {"title": "b", "description": "y", "type": "string"},
    )
    assert {c.kind for c in comparison.changes} == {"TITLE_CHANGED", "DESCRIPTION_CHANGED"}
    assert comparison.compatible()


def test_draft_07_items_array_and_additional_items() -> None:
    legacy = {"type": "array", "items": [{"type": "string"}], "additionalItems": True}
    new = {"type": "array", "items": [{"type": "string"}], "additionalItems": False}
    comparison = _compare(legacy, new, draft="draft-07")
    [change] = [c for c in comparison.changes if c.backward]
    assert change.kind == "ADDITIONAL_ITEMS_REMOVED"
    assert change.path == "/additionalItems"
    assert change.proven


def test_draft_07_dependencies() -> None:
    schema = "http://json-schema.org/draft-07/schema#"
    legacy = {"$schema": schema, "type": "object"}
    new = {"$schema": schema, "type": "object", "dependencies": {"a": ["b"]}}
    comparison = _compare(legacy, new)
    assert [c.kind for c in comparison.changes if c.backward] == ["DEPENDENCY_ARRAY_ADDED"]


def test_unknown_assertion_is_a_suspected_break() -> None:
    legacy = {"type": "object"}
    new = {"type": "object", "dependentSchemas": {"a": {"required": ["b"]}}}
    comparison = _compare(legacy, new)
    assert not comparison.backward


def test_keyword_table_covers_what_the_reference_asserts() -> None:
    """Every keyword in the table is one python-jsonschema asserts (a typo would turn
    its comparisons into UNSUPPORTED_KEYWORD_CHANGED), and only `$dynamicRef` is left out."""
    from jsonschema import Draft7Validator, Draft202012Validator

    asserted = set(Draft7Validator.VALIDATORS) | set(Draft202012Validator.VALIDATORS)
    assert set(HANDLED) - asserted == set()
    assert asserted - set(HANDLED) == {"$dynamicRef"}
    assert frozenset().union(*(keywords for _, keywords in CHECKS)) == HANDLED
    assert len({check for check, _ in CHECKS}) == len(CHECKS)


def test_refs_to_other_files_are_followed(tmp_path: Path) -> None:
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "types.json").write_text(
        json.dumps({"$defs": {"body": {"type": "string", "maxLength": 10}}}), encoding="utf-8"
    )
    event = {"type": "object", "properties": {"body": {"$ref": "common/types.json#/$defs/body"}}}
    (tmp_path / "legacy.json").write_text(json.dumps(event), encoding="utf-8")
    (tmp_path / "new.json").write_text(
        json.dumps({"type": "object", "properties": {"body": {"type": "string", "maxLength": 4}}}),
        encoding="utf-8",
    )
    legacy = load_schema(tmp_path / "legacy.json", name="legacy")
    new = load_schema(tmp_path / "new.json", name="new")
    comparison = compare(legacy, new)
    assert_witnesses_verified(comparison, legacy.validator, new.validator)
    [change] = [c for c in comparison.changes if c.backward]
    assert change.kind == "MAX_LENGTH_DECREASED"
    assert change.legacy is not None
    assert change.legacy.file.endswith("common/types.json")
    assert change.legacy.pointer == "/$defs/body/maxLength"
    assert change.proven


def test_bundled_style_pair_explains_every_break_with_a_witness() -> None:
    legacy = load_schema(GATE_DATA / "legacy.json", name="legacy")
    new = load_schema(GATE_DATA / "new.json", name="new")
    comparison = compare(legacy, new)
    assert_witnesses_verified(comparison, legacy.validator, new.validator)
    breaking = {(c.kind, c.path) for c in comparison.changes if c.backward or c.forward}
    assert breaking == {
        ("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "/$defs/comment/properties/edited_at"),
        ("MAX_LENGTH_DECREASED", "/$defs/comment/properties/body/maxLength"),
        ("SUM_TYPE_NARROWED", "/$defs/comment/properties/parent_id"),
        ("TYPE_NARROWED", "/$defs/comment/properties/score"),
        ("SUM_TYPE_EXTENDED", "/$defs/comment/properties/tags"),
        ("ENUM_ARRAY_EXTENDED", "/properties/op/enum"),
        ("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "/properties/version"),
        ("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "/required"),
    }
    assert all(c.proven for c in comparison.changes if c.backward or c.forward)


def test_self_referencing_schema_terminates() -> None:
    node = {
        "type": "object",
        "properties": {
            "children": {"type": "array", "items": {"$ref": "#"}},
            "n": {"type": "integer"},
        },
    }
    changed = json.loads(json.dumps(node))
    changed["properties"]["n"] = {"type": "integer", "minimum": 0}
    assert _compare(node, json.loads(json.dumps(node))).changes == []
    comparison = _compare(node, changed)
    [change] = [c for c in comparison.changes if c.backward]
    assert change.kind == "MINIMUM_ADDED"
    assert change.proven


def test_bundled_comment_pair_explains_every_break_with_a_witness() -> None:
    """The bundled domain (schemas/comment/): every break proven (issue 4, "done when")."""
    directory = GATE_DATA.parent.parent.parent / "schemas" / "comment"
    if not (directory / "legacy.json").is_file() or not (directory / "new.json").is_file():
        pytest.skip(f"bundled comment schemas not in this checkout ({directory})")
    legacy = load_schema(directory / "legacy.json", name="legacy")
    new = load_schema(directory / "new.json", name="new")
    comparison = compare(legacy, new)
    assert_witnesses_verified(comparison, legacy.validator, new.validator)
    breaking = [c for c in comparison.changes if c.backward or c.forward]
    assert breaking
    assert [c.kind for c in breaking if not c.proven] == []
