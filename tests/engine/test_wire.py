"""Strict payload decoding and the wire-level warnings (docs/semantics.md, rules 1 and 6)."""

from __future__ import annotations

import struct

import msgspec
import pytest

from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import bundled_schema_path, load_schema
from cdccheck.engine.wire import MAX_DEPTH, Decoded, Limits, Undecodable, decode
from cdccheck.model import BIG_INTEGER, DUPLICATE_KEY, UNSAFE_STRING, Entry
from cdccheck.summary import Summary

# (payload, words the message must contain)
UNDECODABLE_JSON = [
    (b"", "empty payload"),
    (b" \n\t", "only whitespace"),
    (b'\xef\xbb\xbf{"op":"create"}', "byte order mark"),
    (b'{"toxicity": NaN}', "NaN is not JSON"),
    (b'{"toxicity": Infinity}', "Infinity is not JSON"),
    (b'{"toxicity": -Infinity}', "-Infinity is not JSON"),
    (b'{"score": 1e400}', "overflows a double"),
    (b'{"score": -2.5E+309}', "overflows a double"),
    (b'{"body": "\\ud800"}', "lone surrogate"),
    (b'{"body": "x\\udc00y"}', "lone surrogate"),
    (b'{"\\ud83d": 1}', "lone surrogate"),
    (b'{"op": "create"} {"op": "delete"}', "trailing data"),
    (b'{"op": "create"}x', "trailing data"),
    (b'{"body": "\xff\xfe"}', "invalid UTF-8 at byte 10 (0xff)"),
    (b'{"body": "\xed\xa0\x80"}', "invalid UTF-8"),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nesting deeper than 512"),
    (b"[" * 100_000 + b"]" * 100_000, "nesting deeper than 512"),
    (b'{"a": [1, 2,]}', "invalid JSON at line 1"),
    (b"{'a': 1}", "invalid JSON"),
    (b'{"a": 01}', "invalid JSON"),
    (b'{"a": "tab\there"}', "invalid JSON"),
]


@pytest.mark.parametrize(("payload", "words"), UNDECODABLE_JSON)
def test_malformed_json_is_undecodable_with_a_precise_message(payload: bytes, words: str) -> None:
    result = decode(payload, "json")
    assert isinstance(result, Undecodable)
    assert words in result.message


def test_exactly_512_levels_decode() -> None:
    deepest = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert isinstance(decode(deepest), Decoded)


def test_integers_up_to_the_digit_limit_decode_and_warn_beyond_2_53() -> None:
    safe = decode(b'{"score": 9007199254740992}')
    assert isinstance(safe, Decoded)
    assert safe.warnings == []
    longest = b"1" + b"0" * (Limits().max_int_digits - 1)
    for literal in (b"9007199254740993", b"-9007199254740993", longest, b"-" + longest):
        result = decode(b'{"score": ' + literal + b"}")
        assert isinstance(result, Decoded), literal[:20]
        assert [(w.kind, w.path) for w in result.warnings] == [(BIG_INTEGER, "/score")]
    # Beyond --max-int-digits only when the user raised it (docs/security.md, "Limits").
    raised = Limits(max_int_digits=6000)
    result = decode(b'{"score": 1' + b"0" * 5000 + b"}", "json", raised)
    assert isinstance(result, Decoded)
    assert result.value["score"] == 10**5000


def test_tiny_exponents_underflow_to_zero_and_decode() -> None:
    result = decode(b'{"x": 1e-400}')
    assert isinstance(result, Decoded)
    assert result.value == {"x": 0.0}


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        (b'{"op":"update","op":"create"}', "/op"),
        (b'{"op" : "update", "op" : "create"}', "/op"),
        (b'{"c":{"a":1,"b":2,"a":3}}', "/c/a"),
        (b'[{"a":1},{"a":2,"a":2}]', "/1/a"),
        (b'{"a\\u0062":1,"ab":2}', "/ab"),
    ],
)
def test_duplicate_keys_warn_with_their_path(payload: bytes, path: str) -> None:
    result = decode(payload)
    assert isinstance(result, Decoded)
    assert [(w.kind, w.path) for w in result.warnings] == [(DUPLICATE_KEY, path)]


@pytest.mark.parametrize(
    "payload",
    [
        b'{"a":"x\\":y","b":1}',
        b'{"a": "\\":\\":", "b": {"c": "d"}}',
        b'{"a":1,"b":[{"a":1},{"a":1}]}',
    ],
)
def test_no_duplicate_warning_without_duplicates(payload: bytes) -> None:
    result = decode(payload)
    assert isinstance(result, Decoded)
    assert result.warnings == []


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ('{"body": "caf\ufffd"}'.encode(), "/body"),
        (b'{"body": "caf\\ufffd"}', "/body"),
        (b'{"body": "nul\\u0000"}', "/body"),
        (b'{"tags": ["ok", "\\uFFFD"]}', "/tags/1"),
    ],
)
def test_unsafe_strings_warn(payload: bytes, path: str) -> None:
    result = decode(payload)
    assert isinstance(result, Decoded)
    assert [(w.kind, w.path) for w in result.warnings] == [(UNSAFE_STRING, path)]


def test_integral_floats_are_noted_for_the_schema_check() -> None:
    result = decode(b'{"score": 5.0, "ratio": 0.5, "list": [2.0]}')
    assert isinstance(result, Decoded)
    assert sorted(path for path, _ in result.integral_floats) == [("list", 0), ("score",)]


UNDECODABLE_MSGPACK = [
    (b"", "empty payload"),
    (msgspec.msgpack.encode({"body": b"raw bytes"}), "bin value at /body"),
    (msgspec.msgpack.encode({1: "x"}), "not a string"),
    (b"\x81\xa1x\xcb" + struct.pack(">d", float("nan")), "is not a JSON number"),
    (b"\x81\xa1x\xcb" + struct.pack(">d", float("inf")), "is not a JSON number"),
    (b"\x81\xa1t\xd6\xff\x00\x00\x00\x01", "outside the JSON data model"),
    (b"\x81\xa1e\xc7\x01\x05a", "ext type 5"),
    (msgspec.msgpack.encode({"a": 1}) + b"\x00", "invalid MessagePack"),
    (b"\xc1", "invalid MessagePack"),
    (b"\x91" * 600 + b"\xc0", "nesting deeper than 512"),
    (b"\x91" * 100_000 + b"\xc0", "nesting deeper than 512"),
]


@pytest.mark.parametrize(("payload", "words"), UNDECODABLE_MSGPACK)
def test_msgpack_outside_the_json_data_model_is_undecodable(payload: bytes, words: str) -> None:
    result = decode(payload, "msgpack")
    assert isinstance(result, Undecodable)
    assert words in result.message


def test_msgpack_inside_the_json_data_model_decodes() -> None:
    value = {"op": "create", "score": 2**60, "awards": [], "x": None, "r": 0.5, "b": True}
    result = decode(msgspec.msgpack.encode(value), "msgpack")
    assert isinstance(result, Decoded)
    assert result.value == value
    assert [(w.kind, w.path) for w in result.warnings] == [(BIG_INTEGER, "/score")]


def test_msgpack_duplicate_keys_warn() -> None:
    payload = b"\x82\xa2op\xa6create\xa2op\xa6delete"  # {"op": "create", "op": "delete"}
    result = decode(payload, "msgpack")
    assert isinstance(result, Decoded)
    assert [(w.kind, w.path) for w in result.warnings] == [(DUPLICATE_KEY, "/op")]


def test_unknown_encoding_is_undecodable() -> None:
    result = decode(b"{}", "yaml")
    assert isinstance(result, Undecodable)
    assert "unknown encoding 'yaml'" in result.message


def test_every_malformed_payload_gets_a_verdict_and_the_run_continues() -> None:
    engine = Engine(
        load_schema(bundled_schema_path("legacy"), name="legacy"),
        load_schema(bundled_schema_path("new"), name="new"),
    )
    entries = [
        Entry(f"1-{i}", {"payload": payload}) for i, (payload, _) in enumerate(UNDECODABLE_JSON)
    ]
    entries += [
        Entry(f"2-{i}", {"payload": payload, "encoding": b"msgpack"})
        for i, (payload, _) in enumerate(UNDECODABLE_MSGPACK)
    ]
    entries.append(Entry("3-0", {"body": b"no payload field"}))
    entries.append(Entry("3-1", {"payload": b"{}", "encoding": b"yaml"}))
    summary = Summary()
    for entry in entries:
        verdict = engine.check(entry)
        assert not verdict.decodable
        assert verdict.wire_message
        summary.add(verdict)
    assert summary.totals.events == summary.totals.undecodable == len(entries)
    [group] = summary.finding_groups()
    assert (group.schema, group.kind, group.path, group.events) == (
        "wire",
        "undecodable",
        "",
        len(entries),
    )
    missing = engine.check(Entry("3-0", {"body": b"x"}))
    assert missing.wire_message == "entry has no 'payload' field (fields: body)"


@pytest.mark.parametrize("length", [0, 1, 31, 32, 255, 256, 65535, 65536])
def test_msgpack_duplicate_keys_are_found_after_strings_of_every_size(length: int) -> None:
    """fixstr, str8, str16 and str32 values and keys: the key scanner skips each exactly."""
    text = "s" * length
    # {"op": "create", "body": text, text: 1, "op": "delete"}, map16 so every length fits.
    payload = (
        b"\xde\x00\x04"
        + msgspec.msgpack.encode("op") + msgspec.msgpack.encode("create")
        + msgspec.msgpack.encode("body") + msgspec.msgpack.encode(text)
        + msgspec.msgpack.encode(text) + msgspec.msgpack.encode(1)
        + msgspec.msgpack.encode("op") + msgspec.msgpack.encode("delete")
    )  # fmt: skip
    result = decode(payload, "msgpack")
    assert isinstance(result, Decoded)
    assert [(w.kind, w.path) for w in result.warnings] == [(DUPLICATE_KEY, "/op")]
    clean = decode(msgspec.msgpack.encode({"body": text, text: [text], "n": 1}), "msgpack")
    assert isinstance(clean, Decoded)
    assert clean.warnings == []


@pytest.mark.parametrize("items", [0, 1, 14, 15, 16, 65535, 65536])
def test_msgpack_duplicate_keys_are_found_after_arrays_and_maps_of_every_size(items: int) -> None:
    """fixarray/fixmap (up to 15), array16/map16 and array32/map32: each is skipped exactly."""
    listed = list(range(items))
    mapped = {f"k{i}": i for i in range(items)}
    # {"op": "create", "list": listed, "map": mapped, "op": "delete"}
    payload = (
        b"\x84"
        + msgspec.msgpack.encode("op") + msgspec.msgpack.encode("create")
        + msgspec.msgpack.encode("list") + msgspec.msgpack.encode(listed)
        + msgspec.msgpack.encode("map") + msgspec.msgpack.encode(mapped)
        + msgspec.msgpack.encode("op") + msgspec.msgpack.encode("delete")
    )  # fmt: skip
    result = decode(payload, "msgpack")
    assert isinstance(result, Decoded)
    assert [(w.kind, w.path) for w in result.warnings] == [(DUPLICATE_KEY, "/op")]


def test_a_long_overflowing_literal_is_clipped_in_the_message() -> None:
    literal = "9" * 100 + "e400"
    result = decode(b'{"x": ' + literal.encode() + b"}")
    assert isinstance(result, Undecodable)
    assert f"number {literal[:37]}... overflows a double" in result.message
