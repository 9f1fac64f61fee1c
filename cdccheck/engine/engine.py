"""One event under the legacy and the new schema -> an EventVerdict.

The Engine is built once per run from the two schemas and the stream layout;
``check(entry)`` then gives the verdict of one entry, the same whatever was
checked before. The tiers, each exact where it answers, in the order
``Engine._decide`` consults them (docs/architecture.md explains why each is
exact):

1. the msgspec fast tier (:mod:`cdccheck.engine.fastpath`) accepts healthy
   events with one typed decode, and only ever says "valid" when the
   reference would;
2. remembered failure shapes (:mod:`cdccheck.engine.remembered`, asked
   through the same call) explain systematic drift without the full path;
3. the compiled schemas (:mod:`cdccheck.engine.compiled`) explain the rest
   exactly as python-jsonschema does, on the strictly decoded value
   (:mod:`cdccheck.engine.wire`);
4. python-jsonschema itself (:mod:`cdccheck.engine.reference`), for schema
   objects the compiled schemas do not compile.

A schema with a real reader (a ``py:`` reference naming the consumer's own
decode function, or a pydantic model) is decided by that reader alone: it
runs on the payload bytes of every decodable event, and what it refuses
becomes ``reader_rejected`` findings (docs/schemas-from-code.md). The fast
tier, which can only vouch for JSON Schema validity, is then off.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from cdccheck.engine import wire
from cdccheck.engine.compiled import CompiledSchema
from cdccheck.engine.fastpath import FastAcceptor, FastAnswer
from cdccheck.engine.patterns import PatternTimeout
from cdccheck.engine.schema import Schema, gc_paused
from cdccheck.engine.warnings import IntegralFloats
from cdccheck.errors import ConfigError
from cdccheck.model import (
    ABSENT,
    BIG_INTEGER,
    LEGACY,
    NEW,
    PATTERN_TIMEOUT,
    READER_REJECTED,
    UNKNOWN,
    WIRE,
    Entry,
    EventVerdict,
    Finding,
    distinct,
)

LAYOUTS = ("default", "debezium")
HealthyCounts = dict[tuple[str, bytes | None], int]
"""Healthy events of a batch by (op, raw writer field value)."""


class Engine:
    """Checks entries under a legacy and a new schema. Build once, call many times."""

    def __init__(
        self,
        legacy: Schema,
        new: Schema,
        *,
        payload_field: str = "payload",
        op_field: str = "op",
        writer_field: str = "writer",
        encoding_field: str = "encoding",
        layout: str = "default",
        fast_path: bool = True,
        limits: wire.Limits = wire.DEFAULT_LIMITS,
    ) -> None:
        if layout not in LAYOUTS:
            raise ConfigError(f"unknown layout {layout!r} (expected one of {', '.join(LAYOUTS)})")
        if legacy.encoding != new.encoding:
            raise ConfigError(
                f"the legacy schema says {legacy.encoding} and the new one {new.encoding}: "
                f"one stream has one wire encoding (pass --encoding)"
            )
        self.legacy = legacy
        self.new = new
        self.encoding = legacy.encoding
        self.payload_field = payload_field
        self.op_field = op_field
        self.writer_field = writer_field
        self.encoding_field = encoding_field
        self.layout = layout
        try:
            limits.check()
        except ValueError as error:
            raise ConfigError(f"decoding limits: {error}") from None
        self.limits = limits
        self._readers = {
            role: schema.reader
            for role, schema in ((LEGACY, legacy), (NEW, new))
            if schema.reader is not None
        }
        if self._readers:
            fast_path = False  # it vouches for the schemas, not for what a reader accepts
        with gc_paused():  # big schemas: see gc_paused
            self._compiled = {LEGACY: CompiledSchema(legacy), NEW: CompiledSchema(new)}
            self._integral_floats = IntegralFloats(legacy, new)
            # The fast tier accepts objects of declared properties only: limits tighter than
            # what the schemas declare would make it accept what decoding refuses.
            fast_path = fast_path and all(
                _declares_within(s.document, limits) for s in (legacy, new)
            )
            self.fast_path = (
                FastAcceptor.build(
                    legacy, new, op_field=op_field, compiled=self._compiled, limits=limits
                )
                if fast_path
                else None
            )

    def close(self) -> None:
        """Stop the real readers' worker processes (a later event starts them again)."""
        for reader in self._readers.values():
            reader.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------ one entry

    def payload_of(self, entry: Entry) -> tuple[bytes | None, str, str | None]:
        """(payload bytes or None, encoding, why the payload is missing)."""
        fields = entry.fields
        if self.layout == "debezium":
            if len(fields) != 1:
                return (
                    None,
                    self.encoding,
                    (f"debezium layout expects one field (key -> value), found {len(fields)}"),
                )
            return next(iter(fields.values())), self.encoding, None
        payload = fields.get(self.payload_field)
        encoding = fields.get(self.encoding_field)
        chosen = self.encoding if encoding is None else encoding.decode("utf-8", "replace")
        if payload is None:
            names = ", ".join(sorted(fields)) or "none"
            return None, chosen, f"entry has no {self.payload_field!r} field (fields: {names})"
        return payload, chosen, None

    def writer_of(self, entry: Entry) -> str:
        raw = entry.fields.get(self.writer_field)
        return UNKNOWN if raw is None else raw.decode("utf-8", "replace")

    def op_of(self, value: Any) -> str:
        if isinstance(value, dict):
            op = value.get(self.op_field)
            if isinstance(op, str):
                return op
        return UNKNOWN

    def check_batch(self, entries: list[Entry]) -> tuple[HealthyCounts, list[EventVerdict]]:
        """Check a batch: healthy events are only counted, the rest get full verdicts.

        Returns ({(op, raw writer): count} for events the fast tier accepted,
        verdicts of all other events in order). This is the hot loop of every
        command, so it works on the raw fields and never builds a verdict for
        a healthy event.
        """
        healthy: HealthyCounts = {}
        fast = self.fast_path
        if fast is None or self.layout != "default":
            return healthy, [self.check(entry) for entry in entries]
        verdicts: list[EventVerdict] = []
        # The entry's encoding field as written -> (the fast tier's question, wire name).
        answers = {b"json": (fast.answer, "json"), b"msgpack": (fast.answer_msgpack, "msgpack")}
        default = answers.get(self.encoding.encode())
        payload_field, writer_field, encoding_field = (
            self.payload_field,
            self.writer_field,
            self.encoding_field,
        )
        max_payload = self.limits.max_payload_bytes
        for entry in entries:
            fields = entry.fields
            payload = fields.get(payload_field)
            encoding = fields.get(encoding_field)
            asked = default if encoding is None else answers.get(encoding)
            if payload is None or asked is None or len(payload) > max_payload:
                verdicts.append(self.check(entry))
                continue
            answer, wire_name = asked
            # A try block costs nothing until it catches (CPython 3.11).
            try:
                said = answer(payload)
                if said.accepted:
                    key = (said.op, fields.get(writer_field))
                    healthy[key] = healthy.get(key, 0) + 1
                else:
                    verdicts.append(
                        self._decide(entry.id, self.writer_of(entry), payload, wire_name, said)
                    )
            except Exception as error:  # every event gets a verdict (docs/semantics.md, rule 4)
                verdicts.append(internal_error(entry, self.writer_of(entry), error))
        return healthy, verdicts

    def check(self, entry: Entry) -> EventVerdict:
        """The full verdict for one entry; never raises.

        Bad data is a verdict (undecodable, findings); an exception while
        checking is a bug, and becomes an ``internal_error`` verdict on the
        entry so the run goes on (docs/semantics.md, rule 4).
        """
        try:
            return self._check(entry)
        except Exception as error:  # every event gets a verdict (docs/semantics.md, rule 4)
            return internal_error(entry, self.writer_of(entry), error)

    def _check(self, entry: Entry) -> EventVerdict:
        writer = self.writer_of(entry)
        payload, encoding, missing = self.payload_of(entry)
        if payload is None:
            return _undecodable(entry.id, writer, missing or "no payload")
        large = wire.too_large(payload, self.limits)
        if large is not None:  # before any tier parses it (docs/security.md, "Limits")
            return _undecodable(entry.id, writer, large.message)
        fast = self.fast_path
        said = None
        if fast is not None:
            if encoding == "json":
                said = fast.answer(payload)
            elif encoding == "msgpack":
                said = fast.answer_msgpack(payload)
        return self._decide(entry.id, writer, payload, encoding, said)

    def _decide(
        self, event_id: str, writer: str, payload: bytes, encoding: str, said: FastAnswer | None
    ) -> EventVerdict:
        """The tier policy, in one place.

        The fast tier answers first (``said``, None when it does not apply):
        an accepted event is done, and so is one a remembered failure shape
        explains. Anything else is decoded strictly and explained by the
        compiled schemas (which defer to python-jsonschema where they do not
        compile), sparing the schemas the fast tier proved valid; what they
        find is handed back to the fast tier to remember.
        """
        if said is not None:
            if said.accepted:
                return EventVerdict(event_id, said.op, writer, True, [], [])
            if said.findings is not None:
                legacy, new = said.findings
                return EventVerdict(event_id, said.op, writer, True, legacy, new)
        decoded = wire.decode(payload, encoding, self.limits)
        if isinstance(decoded, wire.Undecodable):
            return _undecodable(event_id, writer, decoded.message)
        proven = said.proven if said is not None else ()
        if self._readers:
            proven = (*proven, *self._readers)  # the readers decide those sides, below
        verdict = self.check_value(event_id, writer, decoded, proven_valid=proven)
        if said is not None and self.fast_path is not None:
            self.fast_path.learn(verdict.legacy or [], verdict.new or [])
        for role, reader in self._readers.items():
            findings = self._reader_findings(reader, payload, decoded.value)
            if role == LEGACY:
                verdict.legacy = findings
            else:
                verdict.new = findings
        return verdict

    @staticmethod
    def _reader_findings(reader: Any, payload: bytes, value: Any) -> list[Finding]:
        """The real reader's refusals as ``reader_rejected`` findings (one per path)."""
        findings = [
            Finding(READER_REJECTED, path, message, _value_at(value, path))
            for path, message in reader.check(payload)
        ]
        return distinct(findings)

    def check_value(
        self,
        event_id: str,
        writer: str,
        decoded: wire.Decoded,
        proven_valid: tuple[str, ...] = (),
    ) -> EventVerdict:
        """Verdict for an already decoded payload.

        ``proven_valid`` names schemas the fast tier already accepted the
        payload under; their (empty) findings are not computed again.
        """
        value = decoded.value
        giant = bool(decoded.warnings) and _has_giant_integer(decoded.warnings)
        if giant or decoded.depth > _DEEP:
            with contextlib.ExitStack() as stack:
                if giant:
                    stack.enter_context(_int_digits_unlimited())
                if decoded.depth > _DEEP:
                    stack.enter_context(_recursion_for(decoded.depth))
                legacy = [] if LEGACY in proven_valid else self._findings(LEGACY, value)
                new = [] if NEW in proven_valid else self._findings(NEW, value)
        else:
            legacy = [] if LEGACY in proven_valid else self._findings(LEGACY, value)
            new = [] if NEW in proven_valid else self._findings(NEW, value)
        warnings: list[tuple[str, Finding]] = [(WIRE, warning) for warning in decoded.warnings]
        if decoded.integral_floats:
            warnings.extend(self._integral_floats.warnings(decoded.integral_floats))
        return EventVerdict(
            event_id, self.op_of(value), writer, True, legacy, new, warnings=warnings
        )

    def _findings(self, role: str, value: Any) -> list[Finding]:
        try:
            return distinct(self._compiled[role].findings(value))
        except PatternTimeout as error:
            # A pattern the verdict hinged on ran out of time (an `if` or a `not`
            # asked it): the schema's answer is unknown, which is a finding of its own.
            return [Finding(PATTERN_TIMEOUT, "", str(error), ABSENT)]


def internal_error(entry: Entry, writer: str, error: BaseException) -> EventVerdict:
    """The verdict of an entry whose check raised ``error``: its type and one-line message."""
    text = " ".join(str(error).split())
    if len(text) > _MAX_ERROR_TEXT:
        text = text[: _MAX_ERROR_TEXT - 3] + "..."
    message = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return EventVerdict(entry.id, UNKNOWN, writer, False, None, None, error=message)


_MAX_ERROR_TEXT = 200


def _undecodable(event_id: str, writer: str, message: str) -> EventVerdict:
    return EventVerdict(event_id, UNKNOWN, writer, False, None, None, wire_message=message)


def _declares_within(document: Any, limits: wire.Limits) -> bool:
    """Whether every ``properties`` object of ``document`` fits the key limits."""
    stack = [document]
    containers = (dict, list)
    while stack:
        node = stack.pop()
        if type(node) is dict:
            properties = node.get("properties")
            if type(properties) is dict:
                if len(properties) > limits.max_object_keys:
                    return False
                longest = max(map(len, properties), default=0)
                if longest * 4 > limits.max_key_bytes and any(
                    len(name.encode("utf-8", "surrogatepass")) > limits.max_key_bytes
                    for name in properties
                ):
                    return False
            stack.extend(value for value in node.values() if type(value) in containers)
        elif type(node) is list:
            stack.extend(value for value in node if type(value) in containers)
    return True


def _value_at(value: Any, pointer: str) -> Any:
    """The value at an RFC 6901 pointer into a decoded payload; ABSENT when not there."""
    for raw in pointer.split("/")[1:]:
        step = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return ABSENT
    return value


def _has_giant_integer(warnings: list[Finding]) -> bool:
    return any(
        warning.kind == BIG_INTEGER and warning.value.bit_length() > 14_000 for warning in warnings
    )


_DEEP = 32
"""Values nesting deeper than this get room for deeper recursion while they are checked."""
_FRAMES_PER_LEVEL = 60
"""Python frames one level of nesting may take: python-jsonschema descends through
generators, several per keyword ($ref, allOf, properties ...)."""


@contextlib.contextmanager
def _recursion_for(depth: int) -> Iterator[None]:
    """Let the checks follow a value ``depth`` levels deep (at most 512, rule 1).

    Both the compiled checks and python-jsonschema recurse once per level,
    through several frames; Python's default limit of 1,000 frames stops a
    recursive schema at a few hundred levels, below what rule 1 allows. The
    limit is raised for this event only (never lowered below what it was).
    """
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, 1000 + depth * _FRAMES_PER_LEVEL))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


@contextlib.contextmanager
def _int_digits_unlimited() -> Iterator[None]:
    """Let error messages repr integers longer than Python's 4300-digit default.

    Integer literals of any size are decodable (docs/semantics.md, rule 1);
    python-jsonschema puts the instance's repr in its messages, which would
    raise for such an integer.
    """
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(previous)
