"""Bounded work per event: the decoding limits (issue 10, defect 2; docs/security.md, "Limits").

Beyond a limit a payload is undecodable and its message names the limit
and its option. Every tier agrees: the fast tier never accepts what
decoding refuses.
"""

from __future__ import annotations

import json

import msgspec
import pytest

from cdccheck.engine.engine import Engine
from cdccheck.engine.wire import Decoded, Limits, Undecodable, decode
from cdccheck.errors import ConfigError
from cdccheck.model import Entry
from tests.helpers import schema_from

OPEN = {"type": "object"}
CLOSED = {
    "type": "object",
    "properties": {"op": {"type": "string"}, "n": {"type": "integer"}},
    "additionalProperties": False,
}


def verdicts(payload: bytes, limits: Limits, document: object = OPEN) -> list[str | None]:
    """The wire message of ``payload`` through Engine.check and check_batch (fast tier on)."""
    schema = schema_from(document)
    engine = Engine(schema, schema, limits=limits)
    assert (engine.fast_path is not None) == (document == CLOSED)
    entry = Entry("1-1", {"payload": payload})
    one = engine.check(entry)
    healthy, batch = engine.check_batch([entry])
    batched = batch[0].wire_message if batch else None
    assert one.error is None
    assert (one.wire_message, sum(healthy.values())) in ((batched, 0), (None, 1))
    return [one.wire_message, batched]


def test_the_defaults_are_the_documented_ones() -> None:
    assert Limits() == Limits(8 * 1024 * 1024, 4300, 64 * 1024, 100_000)


@pytest.mark.parametrize("encoding", ["json", "msgpack"])
def test_a_payload_beyond_max_payload_bytes_is_undecodable(encoding: str) -> None:
    limits = Limits(max_payload_bytes=100)
    value = {"op": "create", "body": "x" * 200}
    payload = json.dumps(value).encode() if encoding == "json" else msgspec.msgpack.encode(value)
    result = decode(payload, encoding, limits)
    assert isinstance(result, Undecodable)
    assert result.message == (
        f"payload of {len(payload)} bytes exceeds the limit of 100 bytes (--max-payload-bytes)"
    )
    assert isinstance(decode(payload, encoding, Limits(max_payload_bytes=len(payload))), Decoded)


def test_every_tier_refuses_a_payload_beyond_max_payload_bytes() -> None:
    payload = b'{"op": "create", "n": 1}'
    assert verdicts(payload, Limits(max_payload_bytes=len(payload)), CLOSED) == [None, None]
    messages = verdicts(payload, Limits(max_payload_bytes=len(payload) - 1), CLOSED)
    assert messages[0] == messages[1]
    assert messages[0] is not None
    assert "(--max-payload-bytes)" in messages[0]


@pytest.mark.parametrize("digits", [4301, 5000, 100_000, 500_000])
def test_an_integer_literal_beyond_max_int_digits_is_undecodable(digits: int) -> None:
    # 500,000 digits took 17 s to decode: int() is quadratic in the digits.
    for payload in (b"9" * digits, b"[" + b"9" * digits + b"]", b'{"n": -' + b"9" * digits + b"}"):
        result = decode(payload)
        assert isinstance(result, Undecodable)
        assert result.message == (
            f"integer literal of {digits:,} digits exceeds the limit of 4,300 digits "
            "(--max-int-digits)"
        )


def test_a_lower_max_int_digits_applies_where_msgspec_decodes() -> None:
    limits = Limits(max_int_digits=20)
    assert isinstance(decode(b"[" + b"9" * 20 + b"]", "json", limits), Decoded)
    result = decode(b"[" + b"9" * 21 + b"]", "json", limits)
    assert isinstance(result, Undecodable)
    assert "21 digits exceeds the limit of 20 digits (--max-int-digits)" in result.message
    # A power of ten is where counting digits from the bit length needs its correction.
    for literal in (b"1" + b"0" * 20, b"-1" + b"0" * 20):
        power = decode(b"[" + literal + b"]", "json", limits)
        assert isinstance(power, Undecodable)
        assert "21 digits exceeds the limit of 20 digits" in power.message
    assert verdicts(b'{"op": "create", "n": ' + b"9" * 21 + b"}", limits, CLOSED)[0] == (
        result.message
    )


def test_max_int_digits_cannot_go_below_what_the_fast_tier_accepts() -> None:
    schema = schema_from(OPEN)
    with pytest.raises(ConfigError, match="max_int_digits must be at least 16"):
        Engine(schema, schema, limits=Limits(max_int_digits=15))


@pytest.mark.parametrize("encoding", ["json", "msgpack"])
def test_a_key_beyond_max_key_bytes_is_undecodable(encoding: str) -> None:
    limits = Limits(max_key_bytes=100)
    for key, size in (("k" * 101, 101), ("é" * 51, 102)):
        value = {"op": "create", "nested": {key: 1}}
        payload = (
            json.dumps(value).encode() if encoding == "json" else msgspec.msgpack.encode(value)
        )
        result = decode(payload, encoding, limits)
        assert isinstance(result, Undecodable)
        assert result.message == (
            f"key of {size} bytes in the object at /nested exceeds the limit of 100 bytes "
            "(--max-key-bytes)"
        )
    assert isinstance(decode(json.dumps({"k" * 100: 1}).encode(), "json", limits), Decoded)


def test_the_fast_tier_stays_off_when_a_declared_key_is_beyond_the_limit() -> None:
    document = {
        "type": "object",
        "properties": {"k" * 40: {"type": "integer"}},
        "additionalProperties": False,
    }
    schema = schema_from(document)
    assert Engine(schema, schema).fast_path is not None
    engine = Engine(schema, schema, limits=Limits(max_key_bytes=39))
    assert engine.fast_path is None
    payload = json.dumps({"k" * 40: 1}).encode()
    [verdict] = engine.check_batch([Entry("1-1", {"payload": payload})])[1]
    assert verdict.wire_message is not None
    assert "(--max-key-bytes)" in verdict.wire_message


@pytest.mark.parametrize("encoding", ["json", "msgpack"])
def test_an_object_beyond_max_object_keys_is_undecodable(encoding: str) -> None:
    limits = Limits(max_object_keys=1000)
    value = {"op": "create", "bag": {f"k{i}": i for i in range(1001)}}
    payload = json.dumps(value).encode() if encoding == "json" else msgspec.msgpack.encode(value)
    result = decode(payload, encoding, limits)
    assert isinstance(result, Undecodable)
    assert result.message == (
        "object at /bag has 1,001 keys, beyond the limit of 1,000 (--max-object-keys)"
    )
    del value["bag"]["k0"]  # type: ignore[attr-defined]
    payload = json.dumps(value).encode() if encoding == "json" else msgspec.msgpack.encode(value)
    assert isinstance(decode(payload, encoding, limits), Decoded)


def test_limits_apply_on_the_slow_path_too() -> None:
    # msgspec refuses an integer of 4,400 digits; the json module then decodes the payload
    # (a raised --max-int-digits allows it), and the other limits still apply.
    big = b"9" * 4400
    keys = b", ".join(b'"k%d": 1' % i for i in range(11))
    payload = b'{"n": ' + big + b', "bag": {' + keys + b"}}"
    assert isinstance(decode(payload, "json", Limits(max_int_digits=5000)), Decoded)
    result = decode(payload, "json", Limits(max_int_digits=5000, max_object_keys=10))
    assert isinstance(result, Undecodable)
    assert "(--max-object-keys)" in result.message


def test_compare_decodes_with_the_same_limits() -> None:
    from cdccheck.compare.events import decode_payload

    limits = Limits(max_key_bytes=100, max_object_keys=10)
    short = json.dumps({"k" * 20: 1}).encode()
    assert decode_payload(short, "json", limits) == ({"k" * 20: 1}, None)
    for payload, option in (
        (json.dumps({"k" * 101: 1}).encode(), "--max-key-bytes"),
        (json.dumps({f"k{i}": i for i in range(11)}).encode(), "--max-object-keys"),
        (b"[" + b"9" * 5000 + b"]", "--max-int-digits"),
        (b"[" + b"1," * 60 + b"1]", "--max-payload-bytes"),
    ):
        chosen = (
            limits._replace(max_payload_bytes=100) if option == "--max-payload-bytes" else limits
        )
        value, message = decode_payload(payload, "json", chosen)
        expected = decode(payload, "json", chosen)
        assert isinstance(expected, Undecodable)
        assert (value, message) == (None, expected.message)
        assert f"({option})" in message


@pytest.mark.parametrize("encoding", ["json", "msgpack"])
@pytest.mark.parametrize(
    ("limits", "beyond", "option"),
    [
        (Limits(max_object_keys=4), {"x_a": 1, "x_b": 2, "x_c": 3}, "--max-object-keys"),
        (Limits(max_key_bytes=16), {"x_" + "k" * 20: 1}, "--max-key-bytes"),
    ],
)
def test_a_remembered_open_shape_explains_no_payload_beyond_the_key_limits(
    encoding: str, limits: Limits, beyond: dict[str, int], option: str
) -> None:
    # Unknown properties with ever new names become one remembered shape whose
    # decoder skips what no schema declares: it must not skip past the limits.
    schema = schema_from(CLOSED)
    engine = Engine(schema, schema, limits=limits)
    slow = Engine(schema, schema, limits=limits, fast_path=False)
    fast = engine.fast_path
    assert fast is not None

    def entry(value: dict[str, object]) -> Entry:
        if encoding == "json":
            return Entry("1-1", {"payload": json.dumps(value).encode()})
        return Entry("1-1", {"payload": msgspec.msgpack.encode(value), "encoding": b"msgpack"})

    for index in range(8):  # learnt after a few sightings
        drifting = entry({"op": "create", "n": index, f"x_{index}": index})
        assert engine.check(drifting) == slow.check(drifting)
    answer = fast.answer_msgpack if encoding == "msgpack" else fast.answer
    learnt = entry({"op": "create", "n": 9, "x_9": 9}).fields["payload"]
    assert answer(learnt).findings is not None  # the remembered shape explains these
    hostile = entry({"op": "create", "n": 1, **beyond})
    assert answer(hostile.fields["payload"]).findings is None
    for verdict in (engine.check(hostile), engine.check_batch([hostile])[1][0]):
        assert verdict == slow.check(hostile)
        assert verdict.wire_message is not None
        assert f"({option})" in verdict.wire_message
