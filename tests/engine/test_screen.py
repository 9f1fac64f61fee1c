"""Patterns checked after decoding (DecoderBuilder.screen) keep the fast tier exact.

The fast tier's msgspec types leave ``pattern`` out and check it on the
decoded value, wherever the string sits: a property, a nullable property,
an array item, an object in an array, a variant of a tagged union. A decoder
plus its screen must accept only what the reference accepts, and the key
count it returns must be the decoded value's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdccheck.engine.decoders import DecoderBuilder
from cdccheck.engine.fastpath import FastAcceptor
from cdccheck.engine.shapes import ITEMS, PatternMismatch, shape_of
from tests.helpers import schema_from

PATTERNED = [
    {"type": "string", "pattern": "^[a-c]+$"},
    {"type": ["string", "null"], "pattern": "^b"},
    {"type": "string", "pattern": "x$", "maxLength": 4},
    {"type": "array", "items": {"type": "string", "pattern": "^[0-9]+$"}},
    {"type": ["array", "null"], "items": {"type": "string", "pattern": "^a"}},
    {"type": "string", "format": "uuid"},
]


@st.composite
def _schemas(draw: st.DrawFn) -> dict[str, Any]:
    leaf = st.sampled_from(PATTERNED)
    item = st.fixed_dictionaries(
        {
            "type": st.just("object"),
            "properties": st.dictionaries(st.sampled_from("pq"), leaf, min_size=1, max_size=2),
            "additionalProperties": st.just(False),
        }
    )
    member = st.one_of(
        leaf,
        item,
        st.builds(lambda node: {"type": "array", "items": node}, item),
    )
    properties = draw(st.dictionaries(st.sampled_from("abc"), member, min_size=1, max_size=3))
    document: dict[str, Any] = {
        "type": "object",
        "properties": {**properties, "op": {"enum": ["x", "y"]}},
        "required": ["op"],
        "additionalProperties": False,
    }
    if draw(st.booleans()):
        name = sorted(properties)[0]
        document["allOf"] = [
            {
                "if": {"properties": {"op": {"const": "x"}}, "required": ["op"]},
                "then": {"required": [name]},
            },
            {"if": {"properties": {"op": {"const": "y"}}, "required": ["op"]}, "then": {}},
        ]
    return document


_STRINGS = st.sampled_from(
    [
        "a",
        "abc",
        "b",
        "bx",
        "x",
        "ax",
        "abcx",
        "12",
        "1a",
        "",
        "0d9a4c4e-3c51-4f1b-9a57-5f0e5a1c2b3d",
    ]
)
_VALUES = st.recursive(
    st.one_of(st.none(), _STRINGS, st.integers(0, 3)),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from("abcpq"), children, max_size=3),
    ),
    max_leaves=10,
)


def _count_keys(value: Any) -> int:
    if isinstance(value, dict):
        return len(value) + sum(map(_count_keys, value.values()))
    if isinstance(value, list):
        return sum(map(_count_keys, value))
    return 0


def _instance(draw: st.DrawFn, node: dict[str, Any]) -> Any:
    """A value of the schema's structure with strings drawn at random: the patterns decide."""
    if "enum" in node:
        return draw(st.sampled_from(node["enum"]))
    kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
    kind = draw(st.sampled_from(kinds))
    if kind == "null":
        return None
    if kind == "string":
        return draw(_STRINGS)
    if kind == "array":
        return [_instance(draw, node["items"]) for _ in range(draw(st.integers(0, 3)))]
    return {
        name: _instance(draw, sub)
        for name, sub in node["properties"].items()
        if name in node.get("required", []) or draw(st.booleans())
    }


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(_schemas(), st.sampled_from(["x", "y"]), st.data())
def test_a_decoder_and_its_screen_accept_only_what_the_reference_accepts(
    document: dict[str, Any], op: str, data: Any
) -> None:
    value = {**_instance(data.draw, document), "op": op}
    if data.draw(st.integers(0, 4)) == 0:
        value.update(data.draw(st.dictionaries(st.sampled_from("abc"), _VALUES, max_size=1)))
    schema = schema_from(document)
    fast = FastAcceptor.build(schema, schema)
    assert fast is not None
    assert fast.builder is not None
    payload = json.dumps(value).encode()
    accepted = fast.valid(fast.both, payload)
    valid = schema.validator.is_valid(value)
    if accepted is not None:
        assert valid, (document, value)
        assert fast.builder.screen(accepted) == _count_keys(value)
    elif valid:
        # The only refusals of a valid value here: strings the uuid subset refuses.
        assert "uuid" in json.dumps(document), (document, value)


def test_a_mismatch_names_the_string() -> None:
    schema = schema_from(
        {
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"id": {"type": "string", "pattern": "^t1_"}},
                        "additionalProperties": False,
                    },
                }
            },
            "additionalProperties": False,
        }
    )
    builder = DecoderBuilder("op")
    shape = shape_of(schema)
    decoder = builder.decoder(shape)
    assert decoder is not None
    event = decoder.decode(b'{"items": [{"id": "t1_a"}, {"id": "t3_b"}]}')
    with pytest.raises(PatternMismatch) as raised:
        builder.screen(event)
    assert raised.value.path == ("items", ITEMS, "id")
    assert builder.screen(decoder.decode(b'{"items": [{"id": "t1_a"}]}')) == 2


# ---------------------------------------------------------------- integral floats

INTEGERS = [
    {"type": "integer"},
    {"type": "integer", "minimum": 1},
    {"type": "integer", "maximum": 9, "exclusiveMinimum": -3},
    {"type": ["integer", "null"]},
    {"type": "array", "items": {"type": "integer", "minimum": 0}},
    {"type": "number", "maximum": 2.5},
]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(st.sampled_from("abc"), st.sampled_from(INTEGERS), min_size=1),
    st.data(),
)
def test_integral_floats_are_proven_valid_only_when_they_are(
    properties: dict[str, Any], data: Any
) -> None:
    """5.0 where a schema says integer: valid (with a warning), never 5.5, never out of bounds."""
    import msgspec

    from cdccheck.engine.engine import Engine
    from cdccheck.model import Entry

    document = {"type": "object", "properties": properties, "additionalProperties": False}
    schema = schema_from(document)
    fast = FastAcceptor.build(schema, schema)
    assert fast is not None
    numbers = st.sampled_from(
        [0, 1, 5, -4, 9, 10, 0.0, 1.0, 5.0, -4.0, 9.0, 10.0, 5.5, 2.0**53, None]
    )
    value = {
        name: data.draw(st.lists(numbers, max_size=3))
        if node.get("type") == "array"
        else data.draw(numbers)
        for name, node in properties.items()
    }
    valid = schema.validator.is_valid(value)
    for payload, msgpack in (
        (json.dumps(value).encode(), False),
        (msgspec.msgpack.encode(value), True),
    ):
        if fast._integral(payload, msgpack=msgpack):
            assert valid, (document, value)
        fields = {"payload": payload, **({"encoding": b"msgpack"} if msgpack else {})}
        entry = Entry("1-0", fields)
        verdict = Engine(schema, schema).check(entry)
        expected = Engine(schema, schema, fast_path=False).check(entry)
        assert (verdict.legacy, verdict.new, verdict.warnings) == (
            expected.legacy,
            expected.new,
            expected.warnings,
        )


@pytest.mark.parametrize(
    ("document", "instance"),
    [
        ({"type": "string", "pattern": "^a"}, "b"),
        ({"type": "string", "format": "uuid"}, "not-a-uuid"),
        ({"type": "array", "items": {"type": "string", "pattern": "^a"}}, ["a", "b"]),
        ({"type": "integer"}, 1.5),
        ({"type": ["integer", "null"]}, 2.5),
        ({"type": "integer", "minimum": 1}, 0.0),
    ],
)
def test_a_root_that_is_not_an_object_is_screened_too(document: Any, instance: Any) -> None:
    """Patterns (and integral floats) at the root: the decoder's own screen checks them."""
    from cdccheck.engine.engine import Engine
    from cdccheck.model import Entry

    schema = schema_from(document)
    fast = FastAcceptor.build(schema, schema)
    assert fast is not None
    payload = json.dumps(instance).encode()
    assert not schema.validator.is_valid(instance)
    assert fast.valid(fast.both, payload) is None
    answer = fast.answer(payload)
    assert not answer.accepted
    assert answer.proven == ()
    entry = Entry("1-0", {"payload": payload})
    verdict = Engine(schema, schema).check(entry)
    expected = Engine(schema, schema, fast_path=False).check(entry)
    assert (verdict.legacy, verdict.new) == (expected.legacy, expected.new)
    assert verdict.legacy
