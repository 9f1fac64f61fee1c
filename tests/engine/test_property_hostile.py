"""Arbitrary bytes and arbitrary JSON never make the engine raise (issue 10).

Engine.check and Engine.check_batch get random bytes, truncations, and JSON
values of every kind (deep nesting, huge integer literals, floats, NaN,
unicode, lone surrogates, long keys, duplicate keys), under the bundled
schemas and under a schema that uses most keywords (patterns that backtrack
included). Every entry gets a verdict, and no verdict is an internal error.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdccheck.engine import patterns
from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import bundled_schema_path, load_schema
from cdccheck.engine.wire import Limits
from cdccheck.model import Entry, EventVerdict
from tests.helpers import schema_from

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

KITCHEN_SINK = {
    "type": "object",
    "properties": {
        "op": {"enum": ["create", "update", "delete"]},
        "id": {"type": "integer", "minimum": 0, "maximum": 2**63},
        "name": {"type": "string", "pattern": r"^(a+)+b$", "maxLength": 100},
        "email": {"type": "string", "format": "email"},
        "at": {"type": "string", "format": "date-time"},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "score": {"type": "number", "multipleOf": 0.5},
        "nested": {"$ref": "#"},
        "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "any": {"anyOf": [{"type": "null"}, {"pattern": r"^(?=a)(a|a)*$"}]},
    },
    "patternProperties": {r"^x-(\w+\s?)*$": {"type": "string"}},
    "propertyNames": {"maxLength": 64},
    "if": {"properties": {"op": {"const": "delete"}}, "required": ["op"]},
    "then": {"required": ["id"]},
    "else": {"not": {"required": ["gone"]}},
    "unevaluatedProperties": {"type": ["string", "integer", "object", "array", "null"]},
}


@pytest.fixture(scope="module")
def engines() -> list[Engine]:
    patterns.set_timeout(5)  # the hostile patterns may run out of time: that is a verdict too
    bundled = [load_schema(bundled_schema_path(role), name=role) for role in ("legacy", "new")]
    sink = schema_from(KITCHEN_SINK)
    return [
        Engine(bundled[0], bundled[1]),
        Engine(sink, bundled[1]),
        Engine(sink, sink, limits=Limits(max_int_digits=6000, max_object_keys=50)),
        Engine(bundled[0], bundled[1], fast_path=False),
    ]


@pytest.fixture(scope="module", autouse=True)
def _budget() -> Iterator[None]:
    before = patterns.timeout_ms()
    yield
    patterns.set_timeout(before)


class Raw:
    """A piece of JSON text written as is: literals json.dumps would not write."""

    def __init__(self, text: str) -> None:
        self.text = text


def dump(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)


_RAW = st.one_of(
    st.integers(1, 6000).map(lambda n: Raw("9" * n)),
    st.integers(1, 600).map(lambda n: Raw("-1" + "0" * n + ".5e" + str(n))),
    st.sampled_from([Raw("NaN"), Raw("Infinity"), Raw("1e400"), Raw('"\\ud800"'), Raw("-0")]),
    st.sampled_from([Raw('{"op":"create","op":"update"}'), Raw('"\\u0000"'), Raw('"\\ufffd"')]),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=50),
    st.sampled_from(["create", "update", "delete", "a" * 40 + "!", "aab", "x@y.z"]),
    _RAW,
)
_KEYS = st.one_of(
    st.sampled_from(["op", "id", "name", "email", "at", "tags", "nested", "any", "x-a b"]),
    st.text(max_size=20),
    st.integers(100, 3000).map(lambda n: "k" * n),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.dictionaries(_KEYS, inner, max_size=8),
    ),
    max_leaves=30,
)


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def verdicts_of(engine: Engine, entries: list[Entry]) -> list[EventVerdict]:
    one_by_one = [engine.check(entry) for entry in entries]
    healthy, batched = engine.check_batch(entries)
    assert sum(healthy.values()) + len(batched) == len(entries)
    for verdict in (*one_by_one, *batched):
        assert verdict.error is None, verdict.error
        assert verdict.decodable == (verdict.legacy is not None) == (verdict.new is not None)
        assert verdict.decodable or verdict.wire_message
    return one_by_one


def entry(payload: bytes, encoding: str | None = None) -> Entry:
    fields = {"payload": payload, "writer": b"w"}
    if encoding is not None:
        fields["encoding"] = encoding.encode()
    return Entry("1-1", fields)


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_get_a_verdict(engines: list[Engine], payload: bytes) -> None:
    for engine in engines:
        verdicts_of(engine, [entry(payload), entry(payload, "msgpack")])


@SETTINGS
@given(_VALUES, st.booleans(), st.integers(0, 40))
def test_arbitrary_json_gets_a_verdict(
    engines: list[Engine], value: Any, ascii_only: bool, cut: int
) -> None:
    text = dump(value)
    payload = text.encode("utf-8", "surrogatepass")
    if not ascii_only:
        payload = b"\xef\xbb\xbf" + payload  # a byte order mark
    entries = [entry(payload), entry(payload[: max(len(payload) - cut, 0)])]
    # Not every JSON text is a msgpack value (big integers, NaN).
    with contextlib.suppress(ValueError, OverflowError, TypeError):
        entries.append(entry(msgspec.msgpack.encode(json.loads(text)), "msgpack"))
    for engine in engines:
        verdicts_of(engine, entries)


@pytest.mark.parametrize("levels", [1, 511, 512, 513, 5000])
def test_deep_nesting_gets_a_verdict(engines: list[Engine], levels: int) -> None:
    nested = deep(levels).encode()
    as_object = ('{"nested":' * levels + "{}" + "}" * levels).encode()
    for engine in engines:
        verdicts_of(engine, [entry(nested), entry(as_object)])
