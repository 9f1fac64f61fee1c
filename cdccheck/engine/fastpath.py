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

The decoders leave ``pattern`` (and the regexes standing for formats) to
``DecoderBuilder.screen``, which checks them on the decoded Struct and
counts its keys: a decoder is never used without its screen.

An accepted event must also carry no portability warning: the payload bytes
are screened for U+FFFD, NUL and duplicate keys
(:func:`cdccheck.engine.warnings.is_warning_free`; for MessagePack, which
the same types read straight from the bytes,
:func:`cdccheck.engine.warnings.msgpack_is_warning_free`).

The Engine asks this tier ONE question per payload, ``FastAcceptor.answer``
(``answer_msgpack``), and tells it what the full path found,
``FastAcceptor.learn``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from cdccheck.engine import wire
from cdccheck.engine.compiled import CompiledSchema
from cdccheck.engine.decoders import DecoderBuilder
from cdccheck.engine.patterns import PatternTimeout
from cdccheck.engine.remembered import RememberedShapes, refusal_path
from cdccheck.engine.schema import Schema
from cdccheck.engine.shapes import KeySpec, PatternMismatch, shape_of
from cdccheck.engine.warnings import is_warning_free, msgpack_is_warning_free
from cdccheck.model import LEGACY, NEW, UNKNOWN, Finding

BOTH = (LEGACY, NEW)
_REFUSED = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
_GOT_FLOAT = "got `float`"
"""In msgspec's error when a float comes where the type says integer."""
Decoder = msgspec.json.Decoder[Any] | msgspec.msgpack.Decoder[Any]


def _no_builder(value: Any) -> int:
    raise ValueError("a FastAcceptor without its DecoderBuilder cannot screen events")


def _msgpack(decoder: msgspec.json.Decoder[Any] | None) -> msgspec.msgpack.Decoder[Any] | None:
    """A MessagePack decoder for the same type as a JSON one."""
    return None if decoder is None else msgspec.msgpack.Decoder(decoder.type)


class FastAnswer(msgspec.Struct, frozen=True):
    """What the fast tier can say about one JSON payload.

    Read in this order:

    * ``accepted``: valid under both schemas and free of portability
      warnings; nothing else needs to run, the findings are empty;
    * else ``findings`` is not None: a remembered failure shape explains the
      payload; these are the exact (legacy, new) findings, and no portability
      warning applies;
    * else the full path decides; ``proven`` names the schemas the payload is
      already proven valid under, whose (empty) findings need no computing.

    ``op`` is the event's op when the tier decoded it (accepted or
    explained), else UNKNOWN. A Struct rather than a NamedTuple: built for
    every event the tier does not accept, and msgspec builds it in a
    fraction of the time.
    """

    accepted: bool
    op: str
    findings: tuple[list[Finding], list[Finding]] | None
    proven: tuple[str, ...]


_VALID_BUT_WARNED = FastAnswer(False, UNKNOWN, None, BOTH)
"""Valid under both schemas, but a warning may apply: the strict decoder finds it."""
_UNDECIDED = FastAnswer(False, UNKNOWN, None, ())
"""A pattern ran out of its budget: the full path decides and reports it."""


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
    builder: DecoderBuilder | None = None
    """What made the decoders' types; it counts the keys of what they decode."""
    both_msgpack: msgspec.msgpack.Decoder[Any] | None = None
    legacy_msgpack: msgspec.msgpack.Decoder[Any] | None = None
    new_msgpack: msgspec.msgpack.Decoder[Any] | None = None
    """The same three decoders' types, read from MessagePack."""
    integral: tuple[Decoder, Decoder, DecoderBuilder] | None = None
    """A decoder for both schemas (JSON, MessagePack, and their builder) whose integers
    also take integral floats: an event it accepts is valid under both, and only its
    integral_float warnings are left for the full path to report."""
    limits: wire.Limits = wire.DEFAULT_LIMITS
    """The decoding limits (docs/security.md, "Limits"): a remembered shape, whose open
    objects and loose values hold what no schema declares, explains no payload beyond them."""
    _accepted: dict[type, FastAnswer] = field(default_factory=dict, init=False, repr=False)
    """Answers for accepted events by Struct type, for types whose op is fixed (tags)."""
    _accepted_ops: dict[str, FastAnswer] = field(default_factory=dict, init=False, repr=False)
    """Answers for accepted events by op: they are all alike, so each is built once."""

    @classmethod
    def build(
        cls,
        legacy: Schema,
        new: Schema,
        *,
        op_field: str = "op",
        compiled: dict[str, CompiledSchema] | None = None,
        limits: wire.Limits = wire.DEFAULT_LIMITS,
    ) -> FastAcceptor | None:
        """Decoders for what translates; None when neither schema does.

        ``compiled`` are the schemas compiled for the full path (by role),
        whose checks the remembered failure shapes reuse; compiled here when
        not given. ``limits`` are the Engine's decoding limits.
        """
        shapes = [shape_of(schema) for schema in (legacy, new)]
        builder = DecoderBuilder(op_field)
        decoders = [builder.decoder(shape) for shape in shapes]
        both = builder.common_decoder(shapes[0], shapes[1])
        if decoders == [None, None]:
            return None
        memory = None
        if shapes[0] is not None and shapes[1] is not None:
            if compiled is None:
                compiled = {LEGACY: CompiledSchema(legacy), NEW: CompiledSchema(new)}
            memory = RememberedShapes({LEGACY: shapes[0], NEW: shapes[1]}, op_field, compiled)
        integral = None
        tolerant = DecoderBuilder(op_field, integral_floats=True)
        integral_json = tolerant.common_decoder(shapes[0], shapes[1])
        if integral_json is not None:
            integral = (integral_json, msgspec.msgpack.Decoder(integral_json.type), tolerant)
        return cls(
            both,
            decoders[0],
            decoders[1],
            builder.ops,
            builder.op_attributes,
            builder.key_specs,
            memory,
            builder,
            _msgpack(both),
            _msgpack(decoders[0]),
            _msgpack(decoders[1]),
            integral,
            limits,
        )

    def answer(self, payload: bytes) -> FastAnswer:
        """Everything this tier knows about the JSON ``payload``; see FastAnswer.

        The decoder for both schemas goes first. When it refuses, its error
        names the first place that failed, which picks the remembered failure
        shapes to try; when none explains the payload, each schema's own
        decoder may still prove its side valid. This runs for every event,
        so the accepting path is written out here, apart from the rest.
        """
        both = self.both
        if both is None:
            return self._refused(payload, (), msgpack=False)
        try:
            event = both.decode(payload)
            keys = self._screen_both(event)
        except _REFUSED as error:
            message = str(error)
            if _GOT_FLOAT in message and self._integral(payload, msgpack=False):
                return _VALID_BUT_WARNED
            return self._refused(payload, refusal_path(message), msgpack=False)
        except PatternMismatch as error:
            return self._refused(payload, error.path, msgpack=False)
        except PatternTimeout:
            return _UNDECIDED
        # The decoders refuse integers beyond 2**53; the bytes show the rest.
        if not is_warning_free(payload, keys):
            return _VALID_BUT_WARNED
        accepted = self._accepted.get(type(event))
        return accepted if accepted is not None else self._accept(event)

    def answer_msgpack(self, payload: bytes) -> FastAnswer:
        """``answer`` for a MessagePack payload: the same decoders' types, read by msgspec.msgpack.

        MessagePack is decoded straight into the typed Structs; what the JSON
        byte screen proves for JSON, ``msgpack_is_warning_free`` proves here
        (no repeated key, no non-finite float, no U+FFFD or NUL).
        """
        both = self.both_msgpack
        if both is None:
            return self._refused(payload, (), msgpack=True)
        try:
            event = both.decode(payload)
            self._screen_both(event)
        except _REFUSED as error:
            message = str(error)
            if _GOT_FLOAT in message and self._integral(payload, msgpack=True):
                return _VALID_BUT_WARNED
            return self._refused(payload, refusal_path(message), msgpack=True)
        except PatternMismatch as error:
            return self._refused(payload, error.path, msgpack=True)
        except PatternTimeout:
            return _UNDECIDED
        if not msgpack_is_warning_free(payload, event):
            return _VALID_BUT_WARNED
        accepted = self._accepted.get(type(event))
        return accepted if accepted is not None else self._accept(event)

    def _integral(self, payload: bytes, *, msgpack: bool) -> bool:
        """Whether ``payload`` is valid under both schemas, integral floats taken as integers.

        JSON Schema calls 5.0 an integer; the decoders refuse it (a strict
        reader does: the full path warns, ``integral_float``). Proven valid
        here, the full path only decodes the payload for its warnings.
        """
        if self.integral is None:
            return False
        json_decoder, msgpack_decoder, builder = self.integral
        try:
            event = (msgpack_decoder if msgpack else json_decoder).decode(payload)
            builder.screen_for(json_decoder.type)(event)
        except (*_REFUSED, PatternMismatch, PatternTimeout):
            return False
        return True

    def _refused(self, payload: bytes, where: tuple[str, ...], *, msgpack: bool) -> FastAnswer:
        """The answer for a payload the decoder for both schemas refused at ``where``."""
        if self.memory is not None and where:
            explained = self.memory.explain(payload, where, msgpack=msgpack)
            if explained is not None and self._within_limits(payload, msgpack=msgpack):
                event, findings, keys, value = explained
                if (
                    msgpack_is_warning_free(payload, value)
                    if msgpack
                    else is_warning_free(payload, keys)
                ):
                    op = self.memory.builder.op_of(event) or UNKNOWN
                    return FastAnswer(False, op, findings, ())
        legacy = self.legacy_msgpack if msgpack else self.legacy
        new = self.new_msgpack if msgpack else self.new
        legacy_ok = self.valid(legacy, payload) is not None
        new_ok = self.valid(new, payload) is not None
        return FastAnswer(False, UNKNOWN, None, (LEGACY,) * legacy_ok + (NEW,) * new_ok)

    def _within_limits(self, payload: bytes, *, msgpack: bool) -> bool:
        """Whether ``payload`` keeps to the decoding limits on keys (its size was checked).

        No key is longer than the payload that holds it, and every key of an
        object takes at least two bytes with its value: a payload within both
        bounds below cannot go beyond the key limits, and most are. A longer
        one is decoded strictly, which checks every limit.
        """
        if len(payload) <= self._roomy:
            return True
        encoding = "msgpack" if msgpack else "json"
        return not isinstance(wire.decode(payload, encoding, self.limits), wire.Undecodable)

    def learn(self, legacy: list[Finding], new: list[Finding]) -> None:
        """What the full path found for a payload ``answer`` could not explain.

        The failure shape is remembered (the second time it is seen), so
        later events that fail the same way are explained by ``answer``.
        """
        if self.memory is not None:
            self.memory.learn(legacy, new)

    def accepts(self, payload: bytes) -> str | None:
        """The event's op when both schemas accept it and it is warning-free, else None."""
        event = self.valid(self.both, payload)
        if event is None:
            return None
        try:
            keys = self._key_count(event)
        except PatternTimeout:  # a pattern ran out of its budget: nothing proven
            return None
        return self._op_of(event) if is_warning_free(payload, keys) else None

    def valid(self, decoder: Decoder | None, payload: bytes) -> Any:
        """The decoded event when ``decoder`` (one of this tier's) proves it valid, else None."""
        if decoder is None:
            return None
        if self.builder is None:
            raise ValueError("a FastAcceptor without its DecoderBuilder cannot screen events")
        try:
            event = decoder.decode(payload)
            self.builder.screen_for(decoder.type)(event)
        except (*_REFUSED, PatternMismatch, PatternTimeout):
            return None
        return event

    def _accept(self, event: Any) -> FastAnswer:
        """The answer for an accepted event; remembered by type when the type fixes the op."""
        op = self._op_of(event)
        answer = self._accepted_ops.get(op)
        if answer is None:
            answer = self._accepted_ops[op] = FastAnswer(True, op, None, BOTH)
        if type(event) in self.ops:
            self._accepted[type(event)] = answer
        return answer

    def _op_of(self, event: Any) -> str:
        kind = type(event)
        op = self.ops.get(kind)
        if op is not None:
            return op
        attribute = self.op_attributes.get(kind)
        value = getattr(event, attribute, None) if attribute else None
        return value if isinstance(value, str) else UNKNOWN

    def __post_init__(self) -> None:
        self._roomy = min(self.limits.max_key_bytes, 2 * self.limits.max_object_keys)
        """Payloads up to this many bytes cannot go beyond the key limits (_within_limits)."""
        self._screen_both: Callable[[Any], int] = _no_builder
        if self.builder is not None and self.both is not None:
            self._screen_both = self.builder.screen_for(self.both.type)

    def _key_count(self, value: Any) -> int:
        """Check what the decoder for both schemas decoded and count its keys (screen_for)."""
        return self._screen_both(value)
