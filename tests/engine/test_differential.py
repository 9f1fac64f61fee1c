"""Differential tests: the engine's verdicts and findings equal the reference's.

The reference is python-jsonschema with the format checker, its errors mapped
by the tests' own oracle (tests/oracle.py, from docs/semantics.md, rules 2
and 3; never by the engine's mapping, or everything the compiled checks leave
to that mapping would be checked against itself). The engine under test is
everything that may decide instead: the msgspec fast path, remembered failure
shapes, the compiled schemas, and the fallback to python-jsonschema for what
they do not compile; it must also agree with itself without its fast path,
warnings included. Inputs are valid instances (hypothesis-jsonschema and the
sample writers) and mutations of them (drop a required key, add a key, change
a type, null a value, break a timestamp, put a number at a bound, at 2**53 or
at the int64 limits), in JSON and in MessagePack, for the bundled schemas and
for generated ones.

Each check says whether the payload decoded, i.e. whether anything beyond
decodability was compared; the tests assert that it did wherever it must, so
no test can pass by never reaching the comparison.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import Schema, bundled_schema_path, load_schema
from cdccheck.engine.wire import Decoded, decode
from cdccheck.model import (
    BIG_INTEGER,
    CONSTRAINT,
    MISSING_REQUIRED,
    NULL_NOT_ALLOWED,
    TYPE_MISMATCH,
    UNDECODABLE,
    WIRE,
    Entry,
    EventVerdict,
)
from cdccheck.samples import (
    CLASSES,
    DEFECT_CLASSES,
    EXPECTED,
    GO_HEALTHY,
    PY_HEALTHY,
    generate,
    samples,
)
from tests.helpers import finding_set, same_findings, schema_from
from tests.oracle import big_integers, oracle_findings

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


def entry_of(payload: bytes, encoding: str = "json") -> Entry:
    """A stream entry as a writer adds it: MessagePack says so in its ``encoding`` field."""
    if encoding == "json":
        return Entry("1-1", {"payload": payload})
    return Entry("1-1", {"payload": payload, "encoding": encoding.encode()})


def assert_matches_reference(
    engine: Engine, payload: bytes, slow_engine: Engine | None = None, encoding: str = "json"
) -> bool:
    """Check ``payload`` with the engine and hold every part of the verdict to the reference.

    Returns whether the payload decoded, i.e. whether the findings and
    warnings were compared too (an undecodable payload only compares its
    decodability and the slow engine's verdict).
    """
    entry = entry_of(payload, encoding)
    verdict = engine.check(entry)
    # The fast path must not change anything, warnings included.
    slow = (slow_engine or Engine(engine.legacy, engine.new, fast_path=False)).check(entry)
    assert _comparable(verdict) == _comparable(slow), (encoding, payload)
    decoded = decode(payload, encoding)
    assert verdict.decodable == isinstance(decoded, Decoded), (encoding, payload)
    if not isinstance(decoded, Decoded):
        return False
    value = decoded.value
    for schema, findings in ((engine.legacy, verdict.legacy), (engine.new, verdict.new)):
        expected = oracle_findings(schema.validator, value)
        assert (not findings) == schema.validator.is_valid(value), (schema.name, payload)
        assert same_findings(finding_set(findings), expected), (
            schema.name,
            encoding,
            payload,
            finding_set(findings),
            expected,
        )
    warned = {warning.path for role, warning in verdict.warnings if warning.kind == BIG_INTEGER}
    assert warned == big_integers(value), (encoding, payload)
    assert all(role == WIRE for role, w in verdict.warnings if w.kind == BIG_INTEGER)
    return True


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
LIMITS = [
    2**53 - 1,
    2**53,
    2**53 + 1,
    -(2**53),
    -(2**53) - 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64,
    5.0,
    1e2,
    -0.0,
    0.5,
]
"""Where integers stop being exact in float64 (2**53), int64's ends, and integral floats."""


def _bounds(node: Any) -> set[int | float]:
    """Every numeric bound a schema document states (minimum, maximum, exclusive...)."""
    found: set[int | float] = set()
    if isinstance(node, dict):
        for key, child in node.items():
            if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if isinstance(child, int | float) and not isinstance(child, bool):
                    found.add(child)
            else:
                found |= _bounds(child)
    elif isinstance(node, list):
        for child in node:
            found |= _bounds(child)
    return found


def edges(bounds: set[int | float]) -> list[int | float]:
    """Each bound, one below and one above it, as integers and as integral floats; then LIMITS."""
    values: list[int | float] = []
    for bound in sorted(bounds):
        for step in (-1, 0, 1):
            number = bound + step
            values.append(number)
            if isinstance(number, int) and float(number) == number:
                values.append(float(number))
    # Distinct by repr, not by ==: 1 == 1.0 and 0 == -0.0, but a writer tells them apart.
    distinct: dict[str, int | float] = {}
    for number in [*values, *LIMITS]:
        distinct.setdefault(repr(number), number)
    return list(distinct.values())


BUNDLED_NUMBERS = edges(
    _bounds(json.loads(bundled_schema_path("legacy").read_text()))
    | _bounds(json.loads(bundled_schema_path("new").read_text()))
)
ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    *LIMITS,
    "",
    "x",
    [],
    {},
    [None],
    {"a": 1},
]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """Zero to three mutations of ``value``."""
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(value)
        action = draw(st.sampled_from(["drop", "add", "type", "null", "timestamp", "odd", "bound"]))
        numbers = [path for path in paths if _is_number(_at(value, path))]
        if action == "bound" and numbers:
            # A number at, just inside or just outside a bound the schemas state.
            path = draw(st.sampled_from(numbers))
            value = _replace(value, path, draw(st.sampled_from(BUNDLED_NUMBERS)))
            continue
        path = draw(st.sampled_from(paths))
        target = _at(value, path)
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


STYLES = 4
"""Writers' spellings: 0 Go compact JSON, 1 Python default, 2 Python sorted keys, 3 MessagePack."""


def _json(value: Any, style: int) -> bytes:
    """Three real writers' JSON spellings: Go compact, Python default, Python with sorted keys."""
    if style == 0:
        return json.dumps(value, separators=(",", ":")).encode()
    if style == 1:
        return json.dumps(value).encode()
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1).encode()


def render(value: Any, style: int) -> tuple[bytes, str]:
    """(payload, encoding) for ``value`` in one of STYLES.

    MessagePack holds integers from -2**63 to 2**64 - 1; a value with a larger
    one is written as Go compact JSON instead, as a real writer would have to.
    """
    if style == 3:
        try:
            return msgspec.msgpack.encode(value), "msgpack"
        except OverflowError:
            style = 0
    return _json(value, style), "json"


def _sample_value(fields: dict[str, bytes]) -> Any:
    encoding = fields.get("encoding", b"json").decode()
    decoded = decode(fields["payload"], encoding)
    return decoded.value if isinstance(decoded, Decoded) else None


SAMPLE_VALUES = [
    value
    for sample_class in CLASSES
    for sample in generate(sample_class, 3)
    if (value := _sample_value(sample.entry.fields)) is not None
]


# ---------------------------------------------------------------- bundled schemas


def test_every_sample_class_matches_the_reference(bundled: tuple[Schema, Schema]) -> None:
    engine = Engine(*bundled)
    slow_engine = Engine(*bundled, fast_path=False)
    compared: Counter[str] = Counter()
    for sample_class in CLASSES:
        for sample in generate(sample_class, 5):
            fields = sample.entry.fields
            encoding = fields.get("encoding", b"json").decode()
            if assert_matches_reference(engine, fields["payload"], slow_engine, encoding):
                compared[encoding] += 1
    decodable = [name for name in CLASSES if (WIRE, UNDECODABLE, "") not in EXPECTED[name].findings]
    # Every decodable class reached the comparison, MessagePack ones included.
    assert sum(compared.values()) == 5 * len(decodable)
    assert compared["msgpack"] >= 5


@SETTINGS
@given(data=st.data())
def test_mutated_samples_match_the_reference(bundled: tuple[Schema, Schema], data: Any) -> None:
    engine = Engine(*bundled)
    value = data.draw(mutated(data.draw(st.sampled_from(SAMPLE_VALUES))))
    payload, encoding = render(value, data.draw(st.integers(0, STYLES - 1)))
    assert assert_matches_reference(engine, payload, encoding=encoding), "never compared"


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
            style = data.draw(st.sampled_from([0, 0, 0, 3]))
            payload, encoding = render(data.draw(mutated(value)), style)
            assert assert_matches_reference(engine, payload, slow_engine, encoding)


def _numeric_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if _is_number(value):
        yield path
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _numeric_paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _numeric_paths(child, (*path, index))


def test_numbers_at_the_bounds_of_the_bundled_schemas_match_the_reference(
    bundled: tuple[Schema, Schema],
) -> None:
    """Every numeric field of every op, at each bound the schemas state, +-1, 2**53 and int64.

    Deterministic, so a fast path that accepts ``maximum + 1`` (comment.toxicity
    = 2 under ``maximum: 1``) or loses its +-2**53 limit under a wide maximum
    (``delta`` = 2**53 + 1 under int64) cannot slip through an unlucky draw.
    """
    engine = Engine(*bundled)
    slow_engine = Engine(*bundled, fast_path=False)
    cases: dict[tuple[Any, ...], Any] = {}
    for sample_class in (PY_HEALTHY, GO_HEALTHY):
        for sample in generate(sample_class, 40):
            value = json.loads(sample.entry.fields["payload"])
            for path in _numeric_paths(value):
                pattern = (value["op"], *(k if isinstance(k, str) else 0 for k in path))
                cases.setdefault(pattern, (value, path))
    ops = {pattern[0] for pattern in cases}
    assert ops == {"create", "update", "increment"}, ops  # delete carries no number
    fields = {pattern[-1] for pattern in cases}
    assert {"toxicity", "depth", "score", "count", "delta"} <= fields, fields
    compared = 0
    for value, path in cases.values():
        for number in BUNDLED_NUMBERS:
            for style in (0, 3):
                payload, encoding = render(_replace(value, path, number), style)
                compared += assert_matches_reference(engine, payload, slow_engine, encoding)
    assert compared == len(cases) * len(BUNDLED_NUMBERS) * 2


@pytest.mark.parametrize(
    ("document", "value", "expected"),
    [
        # docs/semantics.md, rule 3: the branch holding the most relevant error.
        (
            {
                "oneOf": [
                    {"required": ["a"]},
                    {"properties": {"b": {"type": "string"}}, "required": ["b"]},
                ]
            },
            {"b": 1},
            {(TYPE_MISMATCH, "/b")},
        ),
        (
            {
                "anyOf": [
                    {"required": ["a"]},
                    {"properties": {"b": {"type": "string"}}, "required": ["b"]},
                ]
            },
            {"b": 1},
            {(TYPE_MISMATCH, "/b")},
        ),
        (
            {
                "anyOf": [
                    {"properties": {"b": {"properties": {"c": {"type": "integer"}}}}},
                    {"required": ["x", "y"]},
                ]
            },
            {"b": {"c": "s"}},
            {(TYPE_MISMATCH, "/b/c")},
        ),
        (
            {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            None,
            {(NULL_NOT_ALLOWED, "")},
        ),
        (
            {
                "properties": {
                    "a": {
                        "anyOf": [
                            {"type": "string", "minLength": 3},
                            {"type": "object", "required": ["z"]},
                        ]
                    }
                }
            },
            {"a": "x"},
            {(CONSTRAINT, "/a")},
        ),
        (
            {"oneOf": [{"type": "integer"}, {"minimum": 0}]},
            3,
            {(CONSTRAINT, "")},
        ),
        (
            {"anyOf": [{"required": ["a", "b"]}, {"required": ["c"]}]},
            {},
            {(MISSING_REQUIRED, "/a"), (MISSING_REQUIRED, "/b")},
        ),
    ],
)
def test_any_of_and_one_of_report_the_best_branch(
    document: dict[str, Any], value: Any, expected: set[tuple[str, str]]
) -> None:
    """Stated outright: the findings of python-jsonschema's best branch, not another one."""
    schema = schema_from(document)
    assert oracle_findings(schema.validator, value) == expected
    verdict = Engine(schema, schema).check(entry_of(json.dumps(value).encode()))
    assert finding_set(verdict.legacy) == expected
    assert finding_set(verdict.new) == expected


@pytest.mark.parametrize(
    "document",
    [
        {"properties": {"a": {"type": "array"}}},
        {"properties": {"a": {"type": ["integer", "string"]}}},
        {"properties": {"a": {"anyOf": [{"type": "array"}, {"type": "object"}]}}},
        {"properties": {"a": {"type": "array"}}, "unevaluatedProperties": False},
    ],
)
def test_null_for_a_typed_value_is_null_not_allowed(document: dict[str, Any]) -> None:
    """docs/semantics.md, rule 3: a ``type`` failing on null is null_not_allowed."""
    schema = schema_from(document)
    engine = Engine(schema, schema)
    assert finding_set(engine.check(entry_of(b'{"a": null}')).legacy) == {(NULL_NOT_ALLOWED, "/a")}
    assert finding_set(engine.check(entry_of(b'{"a": true}')).legacy) == {(TYPE_MISMATCH, "/a")}


def test_check_batch_agrees_with_check(bundled: tuple[Schema, Schema]) -> None:
    """The hot loop (healthy events only counted) gives what checking one by one gives."""
    entries = [sample.entry for sample in samples(per_class=6, extra_healthy=60)]
    batch_engine, one_engine = Engine(*bundled), Engine(*bundled)
    healthy, verdicts = batch_engine.check_batch(entries)
    one_by_one = {entry.id: one_engine.check(entry) for entry in entries}
    explained = {verdict.id for verdict in verdicts}
    for verdict in verdicts:
        assert _comparable(verdict) == _comparable(one_by_one[verdict.id]), verdict.id
    counted: Counter[tuple[str, bytes | None]] = Counter()
    for entry in entries:
        if entry.id not in explained:
            verdict = one_by_one[entry.id]
            assert verdict.ok, entry
            assert not verdict.warnings, entry
            counted[(verdict.op, entry.fields.get("writer"))] += 1
    assert dict(counted) == healthy
    assert sum(healthy.values()) >= 60
    assert len(verdicts) >= 6 * len(DEFECT_CLASSES)


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
GENERATED_MINIMA = [0, -5, 1.5, -(2**63), -(2**63) - 1, -(2**53), 1e2]
GENERATED_MAXIMA = [10, 10.0, 1, 2**63 - 1, 2**53, 2**53 + 1, 99.5]
GENERATED_NUMBERS = edges(
    {*GENERATED_MINIMA, *GENERATED_MAXIMA, -1, -(2**53), 0.5, 3, 2**53, 2**64}
)
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
            "minimum": st.sampled_from(GENERATED_MINIMA),
            "maximum": st.sampled_from(GENERATED_MAXIMA),
            "exclusiveMinimum": st.sampled_from([-1, -(2**53), 0.5]),
            "exclusiveMaximum": st.sampled_from([3, 3.0, 2**53, 2**64]),
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
        st.sampled_from([*GENERATED_NUMBERS, 1.5, 1e300]),
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
    style=st.integers(0, STYLES - 1),
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
        payload, encoding = render(value, style)
        assert assert_matches_reference(engine, payload, slow_engine, encoding), "never compared"


def _bounded(keyword: str, bound: int | float, kind: str) -> dict[str, Any]:
    """A closed object whose one property ``n`` is a ``kind`` with one bound."""
    return {
        "type": "object",
        "properties": {"n": {"type": kind, keyword: bound}},
        "additionalProperties": False,
    }


@pytest.mark.parametrize("kind", ["integer", "number"])
@pytest.mark.parametrize("keyword", ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"])
def test_numbers_at_generated_bounds_match_the_reference(keyword: str, kind: str) -> None:
    """Each bound +-1, 2**53 +-1, the int64 ends and integral floats, under one and both schemas.

    Both schemas closed and bounded is where the fast path decides alone; the
    unbounded other schema makes the intersection take one side's bound.
    """
    compared = fast_decoders = 0
    bounds = [0, 1, 10, 10.0, 1e2, 2.5, 2**53 - 1, 2**53, 2**53 + 1, 2**63 - 1, -(2**63),
              -(2**63) - 1, 2**64]  # fmt: skip
    for bound in bounds:
        legacy = schema_from(_bounded(keyword, bound, kind), "legacy")
        for new in (legacy, schema_from(_bounded("minimum", -(2**64), "number"), "new")):
            engine = Engine(legacy, new)
            slow_engine = Engine(legacy, new, fast_path=False)
            fast_decoders += engine.fast_path is not None and engine.fast_path.both is not None
            for number in edges({bound}):
                for style in (0, 3):
                    payload, encoding = render({"n": number}, style)
                    compared += assert_matches_reference(engine, payload, slow_engine, encoding)
    assert compared == sum(len(edges({bound})) for bound in bounds) * 2 * 2
    # The fast path decided alone for many pairs (not where a double cannot hold the
    # bound exactly, nor where msgspec cannot state both bounds at once).
    assert fast_decoders >= len(bounds) // 2


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
