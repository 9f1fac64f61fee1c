"""MessagePack through the fast tier: the typed decoders, and the proof that no key repeats.

The fast tier reads MessagePack straight into its typed Structs and proves
a payload free of warnings without walking it (``msgpack_is_warning_free``);
the full path skips the pure-Python duplicate-key scan when the same proof
holds (``msgpack_may_repeat_keys``). Both must be exact: a payload that
repeats a key, holds a non-finite float, U+FFFD or NUL, or anything outside
the JSON data model is never accepted, whatever its writer's encoding
choices (longer headers than needed, float32, ...). A small MessagePack
writer below makes those choices at random.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import Schema, bundled_schema_path, load_schema
from cdccheck.engine.warnings import msgpack_is_warning_free, msgpack_may_repeat_keys
from cdccheck.engine.wire import Decoded, decode_msgpack
from cdccheck.model import DUPLICATE_KEY, Entry, EventVerdict
from cdccheck.samples import CLASSES, generate

MSGPACK = b"msgpack"


@pytest.fixture(scope="module")
def bundled() -> tuple[Schema, Schema]:
    return (
        load_schema(bundled_schema_path("legacy"), name="legacy"),
        load_schema(bundled_schema_path("new"), name="new"),
    )


# ---------------------------------------------------------------- a writer with choices


class Writer:
    """MessagePack with the writer's freedom: header sizes, int widths, float32, repeats."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.repeats = 0

    def value(self, value: Any) -> bytes:
        if value is None:
            return b"\xc0"
        if value is True or value is False:
            return b"\xc3" if value else b"\xc2"
        if isinstance(value, int):
            return self.integer(value)
        if isinstance(value, float):
            try:
                single = struct.unpack(">f", struct.pack(">f", value))[0]
            except OverflowError:
                single = None
            if single == value and self.draw(st.booleans()):
                return b"\xca" + struct.pack(">f", value)
            return b"\xcb" + struct.pack(">d", value)
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, list):
            return self.header(len(value), 0x90, 15, b"\xdc", b"\xdd") + b"".join(
                map(self.value, value)
            )
        pairs = [(key, self.value(item)) for key, item in value.items()]
        if pairs and self.draw(st.integers(0, 3)) == 0:
            # Repeat a key, with this or another value: the decoder keeps the last.
            key, _ = pairs[self.draw(st.integers(0, len(pairs) - 1))]
            pairs.insert(0, (key, self.value(self.draw(st.sampled_from([0, "x", None, 1.5])))))
            self.repeats += 1
        body = b"".join(self.string(key) + encoded for key, encoded in pairs)
        return self.header(len(pairs), 0x80, 15, b"\xde", b"\xdf") + body

    def integer(self, value: int) -> bytes:
        widths = [("B", 0xCC), ("H", 0xCD), ("I", 0xCE), ("Q", 0xCF)]
        if value < 0:
            widths = [("b", 0xD0), ("h", 0xD1), ("i", 0xD2), ("q", 0xD3)]
        fitting = []
        for code, marker in widths:
            try:
                fitting.append(bytes([marker]) + struct.pack(">" + code, value))
            except struct.error:
                continue
        if -32 <= value <= 127:
            fitting.insert(0, struct.pack(">b", value) if value < 0 else bytes([value]))
        return fitting[self.draw(st.integers(0, len(fitting) - 1))]

    def string(self, text: str) -> bytes:
        data = text.encode()
        options = []
        if len(data) < 32:
            options.append(bytes([0xA0 | len(data)]))
        if len(data) < 256:
            options.append(b"\xd9" + bytes([len(data)]))
        options.append(b"\xda" + struct.pack(">H", len(data)))
        return options[self.draw(st.integers(0, len(options) - 1))] + data

    def header(self, size: int, fix: int, limit: int, short: bytes, long: bytes) -> bytes:
        options = [bytes([fix | size])] if size <= limit else []
        options += [short + struct.pack(">H", size), long + struct.pack(">I", size)]
        return options[self.draw(st.integers(0, len(options) - 1))]


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**64 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from([0.5, 1.5, 0.0123, 5.0]),
        st.text(max_size=40),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=6), children, max_size=5),
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(JSON_VALUES, st.data())
def test_equal_lengths_prove_that_no_key_repeats(value: Any, data: Any) -> None:
    writer = Writer(data.draw)
    payload = writer.value(value)
    decoded = msgspec.msgpack.decode(payload)
    if writer.repeats:
        assert msgpack_may_repeat_keys(payload, decoded)
        assert not msgpack_is_warning_free(payload, decoded)
    result = decode_msgpack(payload)
    assert isinstance(result, Decoded)
    repeated = any(warning.kind == DUPLICATE_KEY for warning in result.warnings)
    assert repeated == (writer.repeats > 0)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(JSON_VALUES)
def test_msgspec_s_own_encoding_is_proven_free_of_repeats(value: Any) -> None:
    payload = msgspec.msgpack.encode(value)
    if b"\xca" not in payload:
        assert not msgpack_may_repeat_keys(payload, msgspec.msgpack.decode(payload))


# ---------------------------------------------------------------- the engine


def _msgpack_entry(index: int, value: Any) -> Entry:
    return Entry(f"{index + 1}-0", {"payload": msgspec.msgpack.encode(value), "encoding": MSGPACK})


def _same(verdict: EventVerdict, expected: EventVerdict) -> None:
    assert verdict.op == expected.op
    assert verdict.decodable == expected.decodable
    assert verdict.wire_message == expected.wire_message
    assert verdict.legacy == expected.legacy
    assert verdict.new == expected.new
    assert verdict.warnings == expected.warnings


def test_every_sample_class_as_msgpack_matches_the_full_path(
    bundled: tuple[Schema, Schema],
) -> None:
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    fast = engine.fast_path
    assert fast is not None
    accepted = 0
    entries = []
    for sample_class in CLASSES:
        for sample in generate(sample_class, 6):
            fields = sample.entry.fields
            if fields.get("encoding") == MSGPACK:
                entries.append(sample.entry)
                continue
            try:
                value = json.loads(fields["payload"])
            except (ValueError, KeyError):
                continue
            entries.append(_msgpack_entry(len(entries), value))
    for entry in entries * 2:  # twice: the second time, failure shapes are remembered
        expected = slow.check(entry)
        _same(engine.check(entry), expected)
        _, batched = engine.check_batch([entry])
        if batched:
            _same(batched[0], expected)
        else:
            accepted += 1
            assert expected.ok
            assert not expected.warnings
    assert accepted > len(entries) // 3


@pytest.mark.parametrize(
    "change",
    [
        lambda comment: comment.update(toxicity=float("nan")),
        lambda comment: comment.update(toxicity=float("inf")),
        lambda comment: comment.update(body="nul\x00inside"),
        lambda comment: comment.update(body="caf\ufffd"),
        lambda comment: comment.update(author=b"bytes"),
        lambda comment: comment.update(score=2**53 + 1),
        lambda comment: comment.update(score=7.0),
        lambda comment: comment.update(created_at=msgspec.msgpack.Ext(1, b"x")),
    ],
)
def test_msgpack_the_strict_decoder_warns_about_is_never_accepted(
    bundled: tuple[Schema, Schema], change: Any
) -> None:
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    events = [json.loads(sample.entry.fields["payload"]) for sample in generate("py.healthy", 40)]
    events = [event for event in events if event["op"] == "create"][:6]
    for index, event in enumerate(events):
        # Healthy first, then drifting the same way (remembered), then the odd value.
        for variant in range(3):
            value = json.loads(json.dumps(event))
            if variant:
                value["comment"]["awards"] = None
            if variant == 2:
                change(value["comment"])
            entry = _msgpack_entry(index, value)
            expected = slow.check(entry)
            _same(engine.check(entry), expected)
            healthy, verdicts = engine.check_batch([entry])
            if variant == 2:
                assert not healthy
                _same(verdicts[0], expected)


def test_msgpack_with_a_repeated_key_or_float32_is_decided_exactly(
    bundled: tuple[Schema, Schema],
) -> None:
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    [sample] = generate("py.healthy", 1)
    value = json.loads(sample.entry.fields["payload"])
    packed = msgspec.msgpack.encode(value)
    op = msgspec.msgpack.encode(value["op"])
    # The map header counts one more pair; the op comes twice.
    repeated = bytes([packed[0] + 1]) + b"\xa2op" + op + packed[1:]
    assert msgspec.msgpack.decode(repeated) == value
    for payload in (packed, repeated):
        entry = Entry("1-0", {"payload": payload, "encoding": MSGPACK})
        _same(engine.check(entry), slow.check(entry))
    verdict = engine.check(Entry("1-0", {"payload": repeated, "encoding": MSGPACK}))
    assert [warning.kind for _, warning in verdict.warnings] == [DUPLICATE_KEY]


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), -float("inf"), "nul\x00", "\ufffd", b"bin", 2**53 + 1, 3.0],
)
def test_an_open_number_or_string_never_lets_an_odd_value_through(value: Any) -> None:
    """Unbounded floats and plain strings: only the screen stands between them and acceptance."""
    from tests.helpers import schema_from

    document = {
        "type": "object",
        "properties": {"x": {"type": "number"}, "s": {"type": "string"}, "i": {"type": "integer"}},
        "additionalProperties": False,
    }
    schema = schema_from(document)
    engine = Engine(schema, schema)
    slow = Engine(schema, schema, fast_path=False)
    for key in ("x", "s", "i"):
        entry = _msgpack_entry(0, {key: value})
        expected = slow.check(entry)
        _same(engine.check(entry), expected)
        healthy, verdicts = engine.check_batch([entry])
        if healthy:
            assert expected.ok
            assert not expected.warnings
        else:
            _same(verdicts[0], expected)


def test_a_float32_cannot_hide_a_repeated_key() -> None:
    """float32 is 4 bytes shorter than msgspec's float64: as long as a repeated "ab": 1."""
    payload = b"\x83" + b"\xa2ab\x01" + b"\xa2ab\x02" + b"\xa1x\xca" + struct.pack(">f", 0.5)
    decoded = msgspec.msgpack.decode(payload)
    assert decoded == {"ab": 2, "x": 0.5}
    assert len(msgspec.msgpack.encode(decoded)) == len(payload)
    assert msgpack_may_repeat_keys(payload, decoded)
    result = decode_msgpack(payload)
    assert isinstance(result, Decoded)
    assert [warning.path for warning in result.warnings] == ["/ab"]
