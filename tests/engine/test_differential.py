"""Differential tests: the engine's verdicts and findings equal the reference's.

The reference is python-jsonschema with the format checker, its errors mapped
by cdccheck.engine.reference (docs/semantics.md, rules 2 and 3), computed
here in the test. The engine under test is everything that may decide instead: the msgspec
fast path, the compiled schemas, and the fallback to the reference for what
they do not compile. Inputs are valid instances (hypothesis-jsonschema and
the sample writers) and mutations of them (drop a required key, add a key,
change a type, null a value, break a timestamp), for the bundled schemas and
for generated ones.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import Schema, bundled_schema_path, load_schema
from cdccheck.engine.wire import Decoded, decode
from cdccheck.model import Entry, EventVerdict
from cdccheck.samples import CLASSES, generate
from tests.helpers import finding_set, reference_set, same_findings, schema_from

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture(scope="module")
def bundled() -> tuple[Schema, Schema]:
    legacy = load_schema(bundled_schema_path("legacy"), name="legacy")
    new = load_schema(bundled_schema_path("new"), name="new")
    return legacy, new


def assert_matches_reference(
    engine: Engine, payload: bytes, slow_engine: Engine | None = None
) -> EventVerdict:
    """Check ``payload`` with the engine and hold every part of the verdict to the reference."""
    verdict = engine.check(Entry("1-1", {"payload": payload}))
    decoded = decode(payload)
    assert verdict.decodable == isinstance(decoded, Decoded)
    if not isinstance(decoded, Decoded):
        return verdict
    for schema, findings in ((engine.legacy, verdict.legacy), (engine.new, verdict.new)):
        expected_valid = schema.validator.is_valid(decoded.value)
        assert (not findings) == expected_valid, (schema.name, payload)
        assert same_findings(finding_set(findings), reference_set(schema, decoded.value)), (
            schema.name,
            payload,
            finding_set(findings),
            reference_set(schema, decoded.value),
        )
    # The fast path must not change anything, warnings included.
    slow = Engine(engine.legacy, engine.new, fast_path=False).check(
        Entry("1-1", {"payload": payload})
    )
    assert _comparable(verdict) == _comparable(slow), payload
    return verdict


def _comparable(verdict: EventVerdict) -> Any:
    return (
        verdict.op,
        verdict.decodable,
        finding_set(verdict.legacy),
        finding_set(verdict.new),
        {(schema, w.kind, w.path) for schema, w in verdict.warnings},
    )


# ---------------------------------------------------------------- mutations

BROKEN_TIMESTAMPS = [
    "2026-01-28 12:34:56.123456",
    "2026-01-28T12:34:56.123456789Z",
    "2026-02-30T00:00:00Z",
    "2026-02-29T00:00:00+00:00",
    "2024-02-29T00:00:00+00:00",
    "0001-01-01T00:00:00Z",
    "2026-01-28T12:34:56+0530",
    "2026-01-28t12:34:56z",
    "2026-01-28T23:59:60Z",
    "2026-01-28T12:34:56Z\n",
]
ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    5.0,
    1.5,
    2**53 + 1,
    2**64,
    "",
    "x",
    [],
    {},
    [None],
    {"a": 1},
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


def _drop(value: Any, path: tuple[Any, ...]) -> Any:
    if len(path) == 1:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != path[0]}
        return [v for i, v in enumerate(value) if i != path[0]]
    head = path[0]
    if isinstance(value, dict):
        return {**value, head: _drop(value[head], path[1:])}
    copy = list(value)
    copy[head] = _drop(copy[head], path[1:])
    return copy


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """Zero to three mutations of ``value``."""
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(value)
        path = draw(st.sampled_from(paths))
        target: Any = value
        for key in path:
            target = target[key]
        action = draw(st.sampled_from(["drop", "add", "type", "null", "timestamp", "odd"]))
        if action == "drop" and path:
            value = _drop(value, path)
        elif action == "add" and isinstance(target, dict):
            key = draw(st.sampled_from(["extra", "edited", "op", "score", "x-trace"]))
            value = _replace(value, path, {**target, key: draw(st.sampled_from(ODD_VALUES))})
        elif action == "type":
            value = _replace(value, path, draw(st.sampled_from(ODD_VALUES)))
        elif action == "null":
            value = _replace(value, path, None)
        elif action == "timestamp" and isinstance(target, str):
            value = _replace(value, path, draw(st.sampled_from(BROKEN_TIMESTAMPS)))
        elif action == "odd":
            value = _replace(value, path, draw(st.sampled_from(ODD_VALUES)))
    return value


def _json(value: Any, style: int) -> bytes:
    """Three real writers' spellings: Go compact, Python default, Python with sorted keys."""
    if style == 0:
        return json.dumps(value, separators=(",", ":")).encode()
    if style == 1:
        return json.dumps(value).encode()
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1).encode()


SAMPLE_VALUES = [
    json.loads(sample.entry.fields["payload"])
    for sample_class in CLASSES
    for sample in generate(sample_class, 3)
    if b"encoding" not in sample.entry.fields
    and isinstance(decode(sample.entry.fields["payload"]), Decoded)
]


# ---------------------------------------------------------------- bundled schemas


def test_every_sample_class_matches_the_reference(bundled: tuple[Schema, Schema]) -> None:
    engine = Engine(*bundled)
    for sample_class in CLASSES:
        for sample in generate(sample_class, 5):
            assert_matches_reference(engine, sample.entry.fields["payload"])


@SETTINGS
@given(data=st.data())
def test_mutated_samples_match_the_reference(bundled: tuple[Schema, Schema], data: Any) -> None:
    engine = Engine(*bundled)
    value = data.draw(mutated(data.draw(st.sampled_from(SAMPLE_VALUES))))
    style = data.draw(st.integers(0, 2))
    assert_matches_reference(engine, _json(value, style))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_one_engine_with_remembered_failures_matches_the_reference(
    bundled: tuple[Schema, Schema], data: Any
) -> None:
    """Failure shapes remembered from earlier events must explain later ones exactly."""
    engine = Engine(*bundled)
    slow_engine = Engine(*bundled, fast_path=False)
    values = data.draw(st.lists(st.sampled_from(SAMPLE_VALUES), min_size=5, max_size=25))
    for value in values:
        for _ in range(2):  # the second time, the first one's failure shape is remembered
            assert_matches_reference(engine, _json(data.draw(mutated(value)), 0), slow_engine)


def test_systematic_drift_is_explained_from_memory(bundled: tuple[Schema, Schema]) -> None:
    from cdccheck.samples import class_stream

    engine = Engine(*bundled)
    slow_engine = Engine(*bundled, fast_path=False)
    for entry in class_stream(60, ["go.rfc3339nano", "py.space_datetime", "go.zero_time"]):
        assert_matches_reference(engine, entry.fields["payload"], slow_engine)
    memory = engine.fast_path.memory
    assert memory is not None
    remembered = {
        point for points, known in memory._known.items() if known.decoder for point in points
    }
    # The legacy pattern (emitted_at) and the new format (created_at) drift both.
    assert ("loose", ("emitted_at",)) in remembered
    assert ("loose", ("comment", "created_at")) in remembered
    # And the memory explains later events of each class on its own.
    for sample_class in ("go.rfc3339nano", "py.space_datetime", "go.zero_time"):
        [sample] = generate(sample_class, 1, seed=99)
        assert engine.fast_path.answer(sample.entry.fields["payload"]).findings is not None


# ---------------------------------------------------------------- generated schemas

NAMES = ["a", "b", "op", "score", "created_at", "tags"]
PATTERNS = ["^t1_", "[0-9]$", "^[a-z]+$", "x"]
FORMATS = ["date-time", "uuid", "email", "ipv4", "not-a-known-format"]


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    string = st.fixed_dictionaries(
        {"type": st.sampled_from(["string", ["string", "null"]])},
        optional={
            "minLength": st.integers(0, 3),
            "maxLength": st.integers(2, 8),
            "pattern": st.sampled_from(PATTERNS),
            "format": st.sampled_from(FORMATS),
        },
    )
    integer = st.fixed_dictionaries(
        {"type": st.sampled_from(["integer", ["integer", "null"], "number"])},
        optional={
            "minimum": st.sampled_from([0, -5, 1.5]),
            "maximum": st.sampled_from([10, 2**63 - 1, 99.5]),
            "exclusiveMaximum": st.sampled_from([3, 2**53]),
            "multipleOf": st.sampled_from([2, 0.5]),
        },
    )
    enum = st.one_of(
        st.fixed_dictionaries({"enum": st.sampled_from([["x", "y"], ["x", None], [1, "1", True]])}),
        st.fixed_dictionaries({"const": st.sampled_from(["create", 1, None, [1]])}),
    )
    other = st.sampled_from(
        [{"type": "boolean"}, {"type": "null"}, {}, True, False, {"not": {"type": "string"}}]
    )
    return st.one_of(string, integer, enum, other)


def _schema_tree() -> st.SearchStrategy[Any]:
    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        properties = st.dictionaries(st.sampled_from(NAMES), children, max_size=4)
        obj = st.builds(
            lambda props, required, closed, extra: {
                "type": "object",
                "properties": props,
                "required": sorted(set(required) & set(props)) if required else [],
                **({"additionalProperties": closed} if closed is not None else {}),
                **extra,
            },
            properties,
            st.lists(st.sampled_from(NAMES), max_size=3),
            st.sampled_from([None, False, True, {"type": "integer"}]),
            st.sampled_from(
                [
                    {},
                    {"patternProperties": {"^x-": {"type": "string"}}},
                    {"minProperties": 1},
                    {"dependentRequired": {"a": ["b"]}},
                    {
                        "allOf": [
                            {
                                "if": {
                                    "properties": {"op": {"const": "create"}},
                                    "required": ["op"],
                                },
                                "then": {"required": ["score"]},
                            }
                        ]
                    },
                    {
                        "if": {"required": ["a"]},
                        "then": {"required": ["b"]},
                        "else": {"maxProperties": 2},
                    },
                ]
            ),
        )
        array = st.builds(
            lambda items, extra: {"type": "array", "items": items, **extra},
            children,
            st.sampled_from(
                [
                    {},
                    {"minItems": 1},
                    {"maxItems": 2},
                    {"uniqueItems": True},
                    {"prefixItems": [{"type": "string"}]},
                ]
            ),
        )
        combined = st.builds(
            lambda keyword, options: {keyword: options},
            st.sampled_from(["anyOf", "oneOf", "allOf"]),
            st.lists(children, min_size=1, max_size=3),
        )
        return st.one_of(obj, array, combined)

    return st.recursive(_leaf(), extend, max_leaves=8)


def _near_json() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-20, 20),
        st.sampled_from([2**53 + 1, 5.0, 1.5, -0.0, 1e300]),
        st.sampled_from(
            [
                "",
                "t1_a",
                "abc",
                "x9",
                *BROKEN_TIMESTAMPS,
                "2026-01-28T12:34:56Z",
                "0b9c6a52-3f0e-4e55-9a55-2f5f8b8e8f1a",
                "a@b.example",
                "10.0.0.1",
                "create",
                "x-1",
            ]
        ),
        st.text(max_size=5),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.sampled_from([*NAMES, "x-trace", "extra"]), children, max_size=5),
        ),
        max_leaves=12,
    )


@SETTINGS
@given(
    document=_schema_tree(),
    other=_schema_tree(),
    values=st.lists(_near_json(), min_size=1, max_size=4),
    style=st.integers(0, 2),
)
def test_generated_schemas_match_the_reference(
    document: Any, other: Any, values: list[Any], style: int
) -> None:
    assume(not any(isinstance(value, float) and math.isnan(value) for value in values))
    legacy = schema_from(document, "legacy")
    new = schema_from(other, "new")
    engine = Engine(legacy, new)
    slow_engine = Engine(legacy, new, fast_path=False)
    for value in values * 2:  # twice: failure shapes are remembered the first time
        assert_matches_reference(engine, _json(value, style), slow_engine)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=_schema_tree(), data=st.data())
def test_generated_schemas_valid_instances(document: Any, data: Any) -> None:
    from hypothesis.errors import Unsatisfiable
    from hypothesis_jsonschema import from_schema

    schema = schema_from(document, "legacy")
    try:
        value = data.draw(from_schema(document))
    except (Unsatisfiable, Exception) as error:  # an unsatisfiable or unsupported schema
        assume(False)
        raise AssertionError from error
    payload = _json(value, 0)
    assume(isinstance(decode(payload), Decoded))
    # hypothesis-jsonschema reads some 2020-12 keywords (prefixItems) the
    # draft-07 way, so its "valid" instances are not always valid: the
    # reference decides, inside assert_matches_reference.
    assert_matches_reference(Engine(schema, schema), payload)
