"""The msgspec fast path only ever accepts what the reference accepts.

The shapes the fast path introduces are tested here one by one (format
subsets, joined patterns, schema intersection, the duplicate-key screen);
tests/engine/test_differential.py holds whole verdicts to the reference.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdccheck.engine.engine import Engine
from cdccheck.engine.fastpath import FastAcceptor
from cdccheck.engine.remembered import RememberedShapes
from cdccheck.engine.schema import Schema, bundled_schema_path, load_schema
from cdccheck.engine.shapes import FORMAT_SUBSETS, joined_pattern
from cdccheck.model import LEGACY, NEW, UNKNOWN, Entry, Finding
from cdccheck.samples import CLASSES, generate
from tests.helpers import finding_set, reference_set, schema_from

DIGIT = st.sampled_from("0123456789")


@st.composite
def near_date_times(draw: st.DrawFn) -> str:
    """Strings shaped like RFC 3339 date-times, often slightly wrong."""

    def number(width: int) -> str:
        return "".join(draw(st.lists(DIGIT, min_size=width, max_size=width)))

    date = f"{number(4)}-{number(2)}-{number(2)}"
    separator = draw(st.sampled_from(["T", "t", " ", "_", "TT"]))
    time = f"{number(2)}:{number(2)}:{number(2)}"
    fraction = draw(st.sampled_from(["", ".", ".5", ".123456", ".123456789", ",5"]))
    offset = draw(
        st.sampled_from(["Z", "z", "", "+00:00", "-05:30", "+0530", "+24:00", "+23:59", " Z"])
    )
    tail = draw(st.sampled_from(["", "", "", "\n", " ", "x"]))
    return date + separator + time + fraction + offset + tail


@st.composite
def plausible_date_times(draw: st.DrawFn) -> str:
    year = draw(st.integers(0, 9999))
    month = draw(st.integers(0, 13))
    day = draw(st.integers(0, 32))
    hour, minute, second = (
        draw(st.integers(0, 25)),
        draw(st.integers(0, 61)),
        draw(st.integers(0, 61)),
    )
    offset = draw(st.sampled_from(["Z", "+00:00", "-23:59", "+12:45", "z"]))
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{offset}"


def _format_conforms(name: str, value: str) -> bool:
    from jsonschema import Draft202012Validator

    return bool(Draft202012Validator.FORMAT_CHECKER.conforms(value, name))


@settings(max_examples=1500, deadline=None)
@given(st.one_of(near_date_times(), plausible_date_times(), st.text(max_size=40)))
def test_date_time_subset_is_inside_the_format_checker(value: str) -> None:
    if re.search(FORMAT_SUBSETS["date-time"], value):
        assert _format_conforms("date-time", value), value


def test_date_time_subset_accepts_the_usual_writers() -> None:
    for value in ("2026-01-28T12:34:56.123456+00:00", "2026-01-28T12:34:56.123456789Z",
                  "2024-12-31t23:59:59z", "2026-04-30T00:00:00-05:30"):  # fmt: skip
        assert re.search(FORMAT_SUBSETS["date-time"], value), value
    # Refused here, decided by the full path: leap day, leap second, space, no offset.
    for value in ("2024-02-29T00:00:00Z", "2026-01-28T23:59:60Z", "2026-01-28 12:34:56Z",
                  "2026-01-28T12:34:56", "0000-01-01T00:00:00Z",
                  "2026-01-28T12:34:56Z\n"):  # fmt: skip
        assert not re.search(FORMAT_SUBSETS["date-time"], value), value


@settings(max_examples=800, deadline=None)
@given(
    st.one_of(
        st.uuids().map(str),
        st.uuids().map(lambda u: str(u).upper()),
        st.uuids().map(lambda u: u.hex),
        st.uuids().map(lambda u: "{" + str(u) + "}"),
        st.uuids().map(lambda u: str(u) + "-"),
        st.text(alphabet="0123456789abcdefABCDEF-_২", min_size=30, max_size=40),
    )
)
def test_uuid_subset_is_inside_the_format_checker(value: str) -> None:
    if re.search(FORMAT_SUBSETS["uuid"], value):
        assert _format_conforms("uuid", value), value


POOL = [
    "^t1_",
    "[0-9]$",
    "^[a-z0-9_]+$",
    "x",
    "^(19|20)[0-9]{2}-",
    "a|b",
    r"\d{3}",
    "(?=.*z)",
    "^$",
]


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.sampled_from(POOL), min_size=1, max_size=3),
    st.text(alphabet="t1_xz0239ab-\n", max_size=12),
)
def test_joined_pattern_matches_when_every_pattern_matches(patterns: list[str], value: str) -> None:
    joined = joined_pattern(tuple(patterns))
    assert bool(re.search(joined, value)) == all(re.search(p, value) for p in patterns)


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?P<x>a)(?P=x)", "(?i)abc", "(a)?(?(1)b|c)"])
def test_patterns_that_cannot_be_joined_are_refused(pattern: str) -> None:
    from cdccheck.engine.shapes import Unsupported

    with pytest.raises(Unsupported):
        joined_pattern((pattern, "x"))


def test_the_bundled_schemas_take_the_fast_path() -> None:
    legacy = load_schema(bundled_schema_path("legacy"), name="legacy")
    new = load_schema(bundled_schema_path("new"), name="new")
    fast = FastAcceptor.build(legacy, new)
    assert fast is not None
    assert fast.both is not None
    assert fast.legacy is not None
    assert fast.new is not None
    healthy = b'{"op":"increment","event_id":"0b9c6a52-3f0e-4e55-9a55-2f5f8b8e8f1a",' \
              b'"emitted_at":"2026-01-28T12:34:56.123456+00:00","comment_id":"t1_abc",' \
              b'"field":"score","delta":1}'  # fmt: skip
    assert fast.accepts(healthy) == "increment"


@pytest.mark.parametrize(
    "payload",
    [
        b'{"op":"increment","op":"increment","event_id":"0b9c6a52-3f0e-4e55-9a55-2f5f8b8e8f1a",'
        b'"emitted_at":"2026-01-28T12:34:56.123456+00:00","comment_id":"t1_abc","field":"score","delta":1}',
        b'{"op":"increment","event_id":"0b9c6a52-3f0e-4e55-9a55-2f5f8b8e8f1a","delta" :1,'
        b'"emitted_at":"2026-01-28T12:34:56.123456+00:00","comment_id":"t1_abc","field":"score","delta":2}',
        b'{"op":"increment","event_id":"0b9c6a52-3f0e-4e55-9a55-2f5f8b8e8f1a","delta":1,"comment_id":"t1_a\\u0022:",'
        b'"emitted_at":"2026-01-28T12:34:56.123456+00:00","comment_id":"t1_abc","field":"score"}',
        '{"op":"increment","event_id":"0b9c6a52-3f0e-4e55-9a55-2f5f8b8e8f1a","delta":1,"comment_id":"t1_\ufffd",'
        '"emitted_at":"2026-01-28T12:34:56.123456+00:00","field":"score"}'.encode(),
    ],
)
def test_payloads_with_warnings_never_take_the_fast_path(payload: bytes) -> None:
    legacy = load_schema(bundled_schema_path("legacy"), name="legacy")
    new = load_schema(bundled_schema_path("new"), name="new")
    fast = FastAcceptor.build(legacy, new)
    assert fast is not None
    assert fast.accepts(payload) is None
    verdict = Engine(legacy, new).check(Entry("1-1", {"payload": payload}))
    assert verdict.warnings


# ---------------------------------------------------------------- intersections

LEAVES = [
    {"type": "string"},
    {"type": "string", "maxLength": 4},
    {"type": "string", "pattern": "^[a-c]+$"},
    {"type": "string", "format": "date-time"},
    {"type": ["string", "null"], "minLength": 1},
    {"enum": ["a", "b", "cc"]},
    {"enum": ["a", None]},
    {"const": "b"},
    {"type": "integer", "minimum": 0},
    {"type": "integer", "maximum": 9, "exclusiveMinimum": -3},
    {"type": "number", "maximum": 2.5},
    {"type": ["integer", "null"]},
    {"type": "boolean"},
    {"type": "null"},
    {"type": "array", "items": {"type": "integer"}, "maxItems": 2},
]


def closed_schemas() -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.sampled_from(LEAVES)
    names = st.sampled_from(["a", "b", "c", "d"])

    def objects(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.builds(
            lambda props, required: {
                "type": "object",
                "properties": props,
                "required": sorted(set(required) & set(props)),
                "additionalProperties": False,
            },
            st.dictionaries(names, children, max_size=4),
            st.lists(names, max_size=3),
        )

    tagged = st.builds(
        lambda base, extra: {
            **base,
            "properties": {**base["properties"], "op": {"enum": ["create", "delete"]}},
            "allOf": [
                {
                    "if": {"properties": {"op": {"const": "create"}}, "required": ["op"]},
                    "then": {"required": sorted(set(extra) & set(base["properties"]))},
                },
                {
                    "if": {"properties": {"op": {"const": "delete"}}, "required": ["op"]},
                    "then": {"required": []},
                },
            ],
        },
        objects(leaf),
        st.lists(names, max_size=2),
    )
    return st.one_of(st.recursive(objects(leaf), objects, max_leaves=6), tagged)


def _values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    samples = st.sampled_from(
        [None, True, 0, 3, -3, 2.5, 5.0, "a", "cc", "b", "abcdef", "2026-01-28T12:34:56Z",
         "2026-01-28 12:34:56", [1, 2], [1, 2, 3]]
    )  # fmt: skip
    keys = st.sampled_from(["a", "b", "c", "d", "op", "e"])
    ops = st.sampled_from(["create", "delete", "update"])
    return st.recursive(
        samples,
        lambda children: st.builds(
            lambda d, op: {**d, **({"op": op} if op else {})},
            st.dictionaries(keys, children, max_size=5),
            st.one_of(st.none(), ops),
        ),
        max_leaves=10,
    )


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(closed_schemas(), closed_schemas(), st.data())
def test_intersection_accepts_only_what_both_references_accept(
    first: dict[str, Any], second: dict[str, Any], data: Any
) -> None:
    legacy, new = schema_from(first, "legacy"), schema_from(second, "new")
    fast = FastAcceptor.build(legacy, new)
    value = data.draw(_values(first))
    payload = json.dumps(value, separators=(",", ":")).encode()
    if fast is not None:
        for decoder, schemas in (
            (fast.both, (legacy, new)),
            (fast.legacy, (legacy,)),
            (fast.new, (new,)),
        ):
            if fast.valid(decoder, payload) is not None:
                for schema in schemas:
                    assert schema.validator.is_valid(value), (schema.name, value)
    engine = Engine(legacy, new)
    others = [data.draw(_values(first)) for _ in range(3)]
    # Twice through one engine: the second pass uses remembered failure shapes.
    for item in [value, *others] * 2:
        encoded = json.dumps(item, separators=(",", ":")).encode()
        verdict = engine.check(Entry("1-1", {"payload": encoded}))
        for schema, findings in ((legacy, verdict.legacy), (new, verdict.new)):
            assert finding_set(findings) == reference_set(schema, item), (schema.name, item)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(closed_schemas(), st.data())
def test_valid_instances_of_closed_schemas_mostly_take_the_fast_path(
    document: dict[str, Any], data: Any
) -> None:
    from hypothesis_jsonschema import from_schema

    schema: Schema = schema_from(document, "legacy")
    fast = FastAcceptor.build(schema, schema)
    assert fast is not None, document
    value = data.draw(from_schema(document))
    payload = json.dumps(value, separators=(",", ":")).encode()
    if schema.validator.is_valid(value) and fast.valid(fast.both, payload) is None:
        # Refusals must come from the documented conservative corners only.
        text = payload.decode()
        untagged = "allOf" in document and value.get("op") not in ("create", "delete")
        corner = re.search(r"\.0\b|\d{16}|\\u|02-29", text) or "date-time" in json.dumps(document)
        assert corner or untagged, (document, value)


# ---------------------------------------------------------------- the one call: answer


@pytest.fixture(scope="module")
def bundled() -> tuple[Schema, Schema]:
    return (
        load_schema(bundled_schema_path("legacy"), name="legacy"),
        load_schema(bundled_schema_path("new"), name="new"),
    )


def _payloads(sample_class: str, count: int) -> list[bytes]:
    return [sample.entry.fields["payload"] for sample in generate(sample_class, count)]


def _in_order(findings: tuple[list[Finding] | None, ...]) -> tuple[list[Finding], ...]:
    """Findings per side, by path: remembered shapes list them by path, the schemas in order."""
    return tuple(sorted(side or [], key=lambda finding: finding.path) for side in findings)


def test_answer_accepts_a_healthy_event_once_per_op(bundled: tuple[Schema, Schema]) -> None:
    fast = FastAcceptor.build(*bundled)
    assert fast is not None
    answers = [fast.answer(payload) for payload in _payloads("py.healthy", 40)]
    assert all(answer.accepted for answer in answers)
    assert all(answer.proven == (LEGACY, NEW) and answer.findings is None for answer in answers)
    ops = {answer.op for answer in answers}
    assert ops <= {"create", "update", "increment", "delete"}
    assert len(ops) > 1
    # Accepted answers are alike: one object per op, so the hot loop allocates nothing.
    assert len({id(answer) for answer in answers}) == len(ops)


def test_answer_leaves_warnings_to_the_strict_decoder(bundled: tuple[Schema, Schema]) -> None:
    """Valid under both but a key repeats: both sides proven, the decoder finds the warning."""
    fast = FastAcceptor.build(*bundled)
    assert fast is not None
    [payload] = _payloads("py.duplicate_key", 1)
    answer = fast.answer(payload)
    assert (answer.accepted, answer.findings, answer.proven) == (False, None, (LEGACY, NEW))
    verdict = Engine(*bundled).check(Entry("1-1", {"payload": payload}))
    assert verdict.ok
    assert [warning.kind for _, warning in verdict.warnings] == ["duplicate_key"]


def test_answer_proves_no_side_of_an_undecodable_payload(bundled: tuple[Schema, Schema]) -> None:
    fast = FastAcceptor.build(*bundled)
    assert fast is not None
    for payload in (b"{", b"", b'{"op": NaN}', b"\xff"):
        answer = fast.answer(payload)
        assert (answer.accepted, answer.op, answer.findings, answer.proven) == (
            False,
            UNKNOWN,
            None,
            (),
        )


def test_answer_explains_drift_it_learned_exactly_as_the_full_path(
    bundled: tuple[Schema, Schema],
) -> None:
    """Go timestamps: the new schema is proven at once; once learned, both sides are explained."""
    fast = FastAcceptor.build(*bundled)
    assert fast is not None
    slow = Engine(*bundled, fast_path=False)
    first, *later = _payloads("go.rfc3339nano", 12)
    answer = fast.answer(first)
    assert (answer.accepted, answer.findings, answer.proven) == (False, None, (NEW,))
    verdict = slow.check(Entry("1-1", {"payload": first}))
    assert verdict.legacy
    assert verdict.new == []
    # A failure shape is remembered once seen often enough (rare shapes never repay a build).
    for _ in range(RememberedShapes.REMEMBER_AFTER):
        fast.learn(verdict.legacy, verdict.new or [])
    for payload in later:
        answer = fast.answer(payload)
        expected = slow.check(Entry("1-1", {"payload": payload}))
        assert not answer.accepted
        assert answer.findings is not None, payload
        assert _in_order(answer.findings) == _in_order((expected.legacy, expected.new))
        assert answer.op == expected.op


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(CLASSES), min_size=1, max_size=30), st.integers(0, 2**16))
def test_every_answer_is_what_the_reference_says(
    bundled: tuple[Schema, Schema], classes: list[str], seed: int
) -> None:
    """Whatever it learned before: accepted, explained and proven all agree with the reference."""
    fast = FastAcceptor.build(*bundled)
    assert fast is not None
    slow = Engine(*bundled, fast_path=False)
    for index, sample_class in enumerate(classes):
        [sample] = generate(sample_class, 1, seed=seed + index)
        payload = sample.entry.fields.get("payload")
        if payload is None or sample.entry.fields.get("encoding") not in (None, b"json"):
            continue
        answer = fast.answer(payload)
        expected = slow.check(Entry("1-1", {"payload": payload}))
        if answer.accepted:
            assert expected.ok, sample_class
            assert not expected.warnings, sample_class
            assert answer.op == expected.op
        elif answer.findings is not None:
            assert not expected.warnings, sample_class
            explained = _in_order(answer.findings)
            assert explained == _in_order((expected.legacy, expected.new)), sample_class
            assert answer.op == expected.op
        else:
            for role, findings in ((LEGACY, expected.legacy), (NEW, expected.new)):
                if role in answer.proven:
                    assert findings == [], (sample_class, role)
            if expected.decodable:
                fast.learn(expected.legacy or [], expected.new or [])
