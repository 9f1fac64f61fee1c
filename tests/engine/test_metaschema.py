"""The metaschema check, one pass per document, says what python-jsonschema's says (defect 12).

A schema of 80,000 properties took 77 s to load, 95% of it in the
metaschema check. ``cdccheck.engine.metaschema`` checks each subschema once
against the metaschema taken apart keyword by keyword; these tests hold its
verdict to python-jsonschema's whole-document check, on the official test
suite's schemas, on generated mutations of them, and on the bundled schemas.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator, Draft202012Validator

from cdccheck.engine.metaschema import first_error
from cdccheck.engine.schema import bundled_schema_path, load_schema_bytes
from cdccheck.errors import ConfigError
from tests.helpers import need_external

_VALIDATORS = {"2020-12": Draft202012Validator, "draft-07": Draft7Validator}
_SUITE_DIRS = {"2020-12": "draft2020-12", "draft-07": "draft7"}


def reference_valid(document: Any, draft: str) -> bool:
    """python-jsonschema's own check, as cdccheck did it before: the whole metaschema at once."""
    cls = _VALIDATORS[draft]
    meta = cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)
    return next(iter(meta.iter_errors(document)), None) is None


def suite_schemas(draft: str) -> Iterator[Any]:
    folder = need_external("json-schema-test-suite") / "tests" / _SUITE_DIRS[draft]
    for path in sorted(folder.glob("*.json")):
        for group in json.loads(path.read_text()):
            yield group["schema"]


@pytest.mark.parametrize("draft", ["2020-12", "draft-07"])
def test_the_suite_schemas_get_the_same_verdict(draft: str) -> None:
    schemas = list(suite_schemas(draft))
    assert len(schemas) > 200
    for schema in schemas:
        assert (first_error(schema, draft) is None) == reference_valid(schema, draft), schema


_BAD_VALUES = [
    -1,
    1.5,
    "x",
    "(",
    "ht tp://a b",
    [],
    ["a", "a"],
    [1],
    {},
    {"a": 1},
    None,
    True,
    5,
    ["string", "nope"],
    {"a": ["b", "b"]},
]


def _positions(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON document where a value sits."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _positions(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _positions(value, (*path, index))


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    changed = copy.deepcopy(document)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


@st.composite
def mutated(draw: st.DrawFn, draft: str) -> Any:
    schemas = [s for s in suite_schemas(draft) if isinstance(s, dict)]
    schema = draw(st.sampled_from(schemas))
    for _ in range(draw(st.integers(1, 2))):
        places = list(_positions(schema))
        place = draw(st.sampled_from(places))
        value = draw(st.sampled_from(_BAD_VALUES))
        if draw(st.booleans()) and places:
            # A keyword with a bad value, added where a schema may sit.
            keyword = draw(
                st.sampled_from(
                    ["type", "minLength", "pattern", "$ref", "allOf", "items", "required",
                     "properties", "enum", "not", "dependencies", "dependentRequired",
                     "prefixItems", "$defs", "definitions", "format", "if", "contains"]
                )
            )  # fmt: skip
            target = schema
            for key in place:
                target = target[key]
            if isinstance(target, dict):
                schema = _replaced(schema, (*place, keyword), value)
                continue
        schema = _replaced(schema, place, value)
    return schema


@pytest.mark.parametrize("draft", ["2020-12", "draft-07"])
def test_mutated_schemas_get_the_same_verdict(draft: str) -> None:
    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(mutated(draft))
    def same(schema: Any) -> None:
        assert (first_error(schema, draft) is None) == reference_valid(schema, draft), schema

    same()


def test_the_bundled_schemas_are_valid() -> None:
    for role in ("legacy", "new"):
        document = json.loads(bundled_schema_path(role).read_text())
        assert first_error(document, "2020-12") is None


def test_errors_name_the_place_the_value_and_the_keyword() -> None:
    document = {"properties": {"a": {"type": "object", "properties": {"b": {"minLength": -1}}}}}
    with pytest.raises(ConfigError) as caught:
        load_schema_bytes(json.dumps(document).encode(), name="new", origin="s.json")
    assert caught.value.message == (
        "invalid schema s.json: at /properties/a/properties/b/minLength: "
        "-1 is less than the minimum of 0 (keyword 'minLength')"
    )


def test_a_wide_schema_is_checked_to_its_last_property() -> None:
    # 20,000 properties, each with its own description (defect 12's schema had 80,000):
    # every subschema is visited, and an error in the last one is found.
    properties = {
        f"field_{i}": {"type": "string", "description": f"field {i}"} for i in range(20_000)
    }
    document = {"type": "object", "properties": properties}
    assert first_error(document, "2020-12") is None
    properties["field_19999"]["maxLength"] = -1  # type: ignore[index]
    assert first_error(document, "2020-12") == (
        "/properties/field_19999/maxLength",
        "-1 is less than the minimum of 0",
        "maxLength",
    )
