"""Property test: whenever the gate says "compatible" in a direction, it is.

Schema pairs come from mutating a small CDC-like base schema (types widened
and narrowed, required names added and removed, bounds moved, content models
opened and closed, enums and nullable unions changed). For a direction the
comparison calls compatible, instances hypothesis-jsonschema draws from the
source schema must all be accepted by the target schema.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdccheck.gate.compat import compare_documents
from tests.gate.support import validator_for_document

BASE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "op": {"enum": ["create", "update", "delete"]},
        "id": {"type": "integer", "minimum": 0},
        "body": {"type": "string", "maxLength": 5},
        "score": {"type": "number"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "meta": {
            "type": "object",
            "properties": {"a": {"type": "boolean"}},
            "additionalProperties": False,
        },
    },
    "required": ["op"],
}
PROPERTIES = ("op", "id", "body", "score", "tags", "meta", "extra")
TYPES = ("integer", "number", "string", "boolean", ["string", "null"], ["integer", "null"])


def _set_type(schema: dict[str, Any], name: str, type_: Any) -> None:
    schema["properties"][name] = {"type": type_}


def _required(schema: dict[str, Any], name: str, add: bool) -> None:
    names = [n for n in schema.get("required", []) if n != name]
    schema["required"] = [*names, name] if add else names


def _bound(schema: dict[str, Any], keyword: str, value: int | None) -> None:
    target = {
        "maxLength": "body",
        "minLength": "body",
        "minimum": "id",
        "maximum": "id",
        "maxItems": "tags",
        "minItems": "tags",
        "minProperties": None,
    }[keyword]
    node = schema if target is None else schema["properties"].get(target)
    if node is None:
        return
    if value is None:
        node.pop(keyword, None)
    else:
        node[keyword] = value


def _additional(schema: dict[str, Any], where: str, value: Any) -> None:
    node = schema if where == "root" else schema["properties"].get("meta")
    if node is None:
        return
    if value is None:
        node.pop("additionalProperties", None)
    else:
        node["additionalProperties"] = value


def _enum(schema: dict[str, Any], values: list[str]) -> None:
    schema["properties"]["op"] = {"enum": values}


def _nullable(schema: dict[str, Any], name: str, keyword: str) -> None:
    inner = schema["properties"].get(name, {})
    schema["properties"][name] = {keyword: [inner, {"type": "null"}]}


def _pattern(schema: dict[str, Any], value: Any) -> None:
    if value is None:
        schema.pop("patternProperties", None)
    else:
        schema["patternProperties"] = {"^x_": value}


def _unique(schema: dict[str, Any], on: bool) -> None:
    tags = schema["properties"].get("tags")
    if isinstance(tags, dict) and on:
        tags["uniqueItems"] = True
    elif isinstance(tags, dict):
        tags.pop("uniqueItems", None)


MUTATIONS = st.one_of(
    st.tuples(st.just(_set_type), st.sampled_from(PROPERTIES), st.sampled_from(TYPES)),
    st.tuples(st.just(_required), st.sampled_from(PROPERTIES), st.booleans()),
    st.tuples(
        st.just(_bound),
        st.sampled_from(["maxLength", "minLength", "minimum", "maximum", "maxItems", "minItems"]),
        st.sampled_from([None, 0, 1, 3, 5]),
    ),
    st.tuples(
        st.just(_additional),
        st.sampled_from(["root", "meta"]),
        st.sampled_from([None, False, True, {"type": "string"}, {"type": "integer"}]),
    ),
    st.tuples(
        st.just(_enum),
        st.lists(
            st.sampled_from(["create", "update", "delete", "undelete"]), min_size=1, unique=True
        ),
    ),
    st.tuples(
        st.just(_nullable), st.sampled_from(PROPERTIES[:5]), st.sampled_from(["anyOf", "oneOf"])
    ),
    st.tuples(st.just(_pattern), st.sampled_from([None, {"type": "integer"}, {"type": "string"}])),
    st.tuples(st.just(_unique), st.booleans()),
)


@st.composite
def schemas(draw: st.DrawFn) -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    for mutation, *args in draw(st.lists(MUTATIONS, max_size=3)):
        mutation(schema, *args)
    return schema


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
@given(legacy=schemas(), new=schemas(), data=st.data())
def test_compatible_verdicts_hold_on_generated_instances(
    legacy: dict[str, Any], new: dict[str, Any], data: st.DataObject
) -> None:
    from hypothesis_jsonschema import from_schema

    comparison = compare_documents(legacy, new, witnesses=False)
    validators = {"legacy": validator_for_document(legacy), "new": validator_for_document(new)}
    directions = []
    if comparison.backward:
        directions.append(("legacy", "new"))
    if comparison.forward:
        directions.append(("new", "legacy"))
    for source, target in directions:
        document = legacy if source == "legacy" else new
        with warnings.catch_warnings():
            # hypothesis-jsonschema still reaches for jsonschema's deprecated RefResolver.
            warnings.simplefilter("ignore", DeprecationWarning)
            instances = data.draw(st.lists(from_schema(document), min_size=1, max_size=3))
        for instance in instances:
            assert validators[source].is_valid(instance)
            assert validators[target].is_valid(instance), (
                f"cdccheck calls {source} -> {target} compatible, but {target} rejects {instance!r}"
            )


def test_identical_schemas_have_no_breaking_change() -> None:
    comparison = compare_documents(BASE, copy.deepcopy(BASE))
    assert comparison.changes == []
    assert comparison.backward
    assert comparison.forward


@pytest.mark.parametrize(
    "mutation",
    [
        (_set_type, "score", "integer"),
        (_required, "id", True),
        (_bound, "maxLength", 3),
        (_additional, "root", False),
        (_enum, ["create", "update"]),
        (_unique, True),
    ],
)
def test_narrowing_mutations_are_backward_breaks(mutation: tuple[Any, ...]) -> None:
    new = copy.deepcopy(BASE)
    function, *args = mutation
    function(new, *args)
    comparison = compare_documents(BASE, new)
    assert not comparison.backward
    assert comparison.forward
    assert any(c.proven for c in comparison.changes if c.backward)
