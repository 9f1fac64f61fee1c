"""Decoding for compare gives exactly cdccheck.wire's verdicts, faster."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cdccheck import wire
from cdccheck.compare.events import decode_payload
from cdccheck.samples import CLASSES, generate


def wire_verdict(payload: bytes, encoding: str) -> tuple[object, str | None]:
    result = wire.decode(payload, encoding)
    if isinstance(result, wire.Undecodable):
        return None, result.message
    return result.value, None


def test_every_sample_class_decodes_as_wire_says() -> None:
    for sample_class in CLASSES:
        for sample in generate(sample_class, 5):
            fields = sample.entry.fields
            encoding = fields.get("encoding", b"json").decode()
            assert decode_payload(fields["payload"], encoding) == wire_verdict(
                fields["payload"], encoding
            ), sample_class


def test_depth_is_checked_on_long_payloads() -> None:
    deep = b"[" * 600 + b"]" * 600
    value, message = decode_payload(deep, "json")
    assert value is None
    assert message is not None
    assert "nesting deeper than 512" in message
    fine = b"[" * 512 + b"]" * 512
    assert decode_payload(fine, "json") == wire_verdict(fine, "json")
    brackets_in_strings = b'{"s": "' + b"[" * 2000 + b'"}'
    assert decode_payload(brackets_in_strings, "json") == ({"s": "[" * 2000}, None)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=40)
    | st.sampled_from(
        [
            b"",
            b" ",
            b"\xef\xbb\xbf{}",
            b"NaN",
            b"1e400",
            b"[1,]",
            b'"\\ud800"',
            b"12345678901234567890123",
            b'{"a":1,"a":2}',
            b"{} x",
            b"[" * 513,
        ]
    )
)
def test_any_bytes_get_the_wire_verdict(payload: bytes) -> None:
    assert decode_payload(payload, "json") == wire_verdict(payload, "json")
    assert decode_payload(payload, "msgpack") == wire_verdict(payload, "msgpack")
