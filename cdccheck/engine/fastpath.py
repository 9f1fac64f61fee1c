"""The fast tier: msgspec decoders compiled from the schemas accept healthy events.

Most events in a stream are healthy. For those, ONE typed msgspec decode
(C speed, straight from the payload bytes) against the intersection of the
two schemas proves the event valid under both, and nothing else needs to
run. The rule that keeps verdicts exact:

    a fast decoder may only ACCEPT what the reference accepts.

It may refuse more (a float 1.0 for an integer, a leap day, a big integer):
a refused event simply takes the full path, where the compiled schemas and
python-jsonschema decide. How schemas become such decoders is in
:mod:`cdccheck.engine.shapes`; the per-schema decoders remain for events the
intersection refuses: proving one side valid spares its explanation.
Systematic drift is explained from remembered failure shapes
(:mod:`cdccheck.engine.remembered`).

An accepted event must also carry no portability warning: the payload bytes
are screened for U+FFFD, NUL and duplicate keys (see ``clean``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from cdccheck.engine.remembered import RememberedShapes
from cdccheck.engine.schema import Schema
from cdccheck.engine.shapes import DecoderBuilder, KeySpec, Unsupported, meet, shape_of
from cdccheck.model import LEGACY, NEW, UNKNOWN

_RAW_REPLACEMENT_CHARACTER = "\ufffd".encode()
_ESCAPED_UNSAFE = re.compile(rb"\\u(?:[fF]{3}[dD]|0000)")
_SPACE_AFTER_QUOTE = re.compile(rb'"[ \t\r\n]')
_KEY_WITH_SPACE_BEFORE_COLON = re.compile(rb'"[ \t\r\n]+:')


@dataclass
class FastAcceptor:
    """Typed msgspec decoders: both schemas at once, and each on its own."""

    both: msgspec.json.Decoder[Any] | None
    legacy: msgspec.json.Decoder[Any] | None
    new: msgspec.json.Decoder[Any] | None
    ops: dict[type, str] = field(default_factory=dict)
    op_attributes: dict[type, str] = field(default_factory=dict)
    key_specs: dict[type, KeySpec] = field(default_factory=dict)
    memory: RememberedShapes | None = None
    """Remembered failure shapes (see RememberedShapes)."""

    @classmethod
    def build(cls, legacy: Schema, new: Schema, *, op_field: str = "op") -> FastAcceptor | None:
        """Decoders for what translates; None when neither schema does."""
        shapes = [shape_of(schema) for schema in (legacy, new)]
        builder = DecoderBuilder(op_field)
        decoders = [builder.decoder(shape) for shape in shapes]
        both = None
        if shapes[0] is not None and shapes[1] is not None:
            try:
                common = meet(shapes[0], shapes[1])
            except Unsupported:
                common = None
            both = builder.decoder(common) if common is not None else None
        if decoders == [None, None]:
            return None
        memory = None
        if shapes[0] is not None and shapes[1] is not None:
            memory = RememberedShapes(
                {LEGACY: shapes[0], NEW: shapes[1]},
                builder,
                {LEGACY: legacy.validator.format_checker, NEW: new.validator.format_checker},
            )
        return cls(
            both,
            decoders[0],
            decoders[1],
            builder.ops,
            builder.op_attributes,
            builder.key_specs,
            memory,
        )

    @staticmethod
    def valid(decoder: msgspec.json.Decoder[Any] | None, payload: bytes) -> Any:
        """The decoded event when ``decoder`` proves it valid, else None."""
        if decoder is None:
            return None
        try:
            return decoder.decode(payload)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            return None

    def decode_both(self, payload: bytes) -> tuple[Any, str]:
        """(event, "") when the decoder for both schemas accepts, else (None, its error)."""
        if self.both is None:
            return None, ""
        try:
            return self.both.decode(payload), ""
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
            return None, str(error)

    def accepts(self, payload: bytes) -> str | None:
        """The event's op when both schemas accept it and it is warning-free, else None."""
        event = self.valid(self.both, payload)
        if event is None or not self.clean(payload, event):
            return None
        return self.op_of(event)

    def op_of(self, event: Any) -> str:
        kind = type(event)
        op = self.ops.get(kind)
        if op is not None:
            return op
        attribute = self.op_attributes.get(kind)
        value = getattr(event, attribute, None) if attribute else None
        return value if isinstance(value, str) else UNKNOWN

    def clean(self, payload: bytes, event: Any) -> bool:
        """No U+FFFD, no NUL, no duplicate key: nothing a warning would flag.

        U+FFFD and NUL are found raw or escaped. For duplicates: unless a key
        has space before its colon, every key ends in ``":``, so that byte
        pair occurs at least once per key token; when it occurs exactly as
        often as the decoded event has distinct keys, no key token repeats.
        """
        if _RAW_REPLACEMENT_CHARACTER in payload:
            return False
        if b"\\u" in payload and _ESCAPED_UNSAFE.search(payload):
            return False
        if _SPACE_AFTER_QUOTE.search(payload) and _KEY_WITH_SPACE_BEFORE_COLON.search(payload):
            return False
        return payload.count(b'":') == self.key_count(event)

    def key_count(self, value: Any) -> int:
        """How many object keys a decoded event holds (tags included)."""
        spec = self.key_specs.get(type(value))
        if spec is not None:
            count, optional, children = spec
            for attribute in optional:
                if getattr(value, attribute) is not msgspec.UNSET:
                    count += 1
            for attribute in children:
                count += self.key_count(getattr(value, attribute))
            return count
        if type(value) is list:
            return sum(self.key_count(item) for item in value)
        return 0
