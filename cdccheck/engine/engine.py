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
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from cdccheck.engine import wire
from cdccheck.engine.compiled import CompiledSchema
from cdccheck.engine.fastpath import FastAcceptor, FastAnswer
from cdccheck.engine.schema import Schema
from cdccheck.engine.warnings import IntegralFloats
from cdccheck.errors import ConfigError
from cdccheck.model import (
    BIG_INTEGER,
    LEGACY,
    NEW,
    UNKNOWN,
    WIRE,
    Entry,
    EventVerdict,
    Finding,
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
        self._compiled = {LEGACY: CompiledSchema(legacy), NEW: CompiledSchema(new)}
        self._integral_floats = IntegralFloats(legacy, new)
        self.fast_path = (
            FastAcceptor.build(legacy, new, op_field=op_field, compiled=self._compiled)
            if fast_path
            else None
        )

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
        for entry in entries:
            fields = entry.fields
            payload = fields.get(payload_field)
            encoding = fields.get(encoding_field)
            asked = default if encoding is None else answers.get(encoding)
            if payload is None or asked is None:
                verdicts.append(self.check(entry))
                continue
            answer, wire_name = asked
            said = answer(payload)
            if said.accepted:
                key = (said.op, fields.get(writer_field))
                healthy[key] = healthy.get(key, 0) + 1
            else:
                verdicts.append(
                    self._decide(entry.id, self.writer_of(entry), payload, wire_name, said)
                )
        return healthy, verdicts

    def check(self, entry: Entry) -> EventVerdict:
        """The full verdict for one entry; never raises for bad data."""
        writer = self.writer_of(entry)
        payload, encoding, missing = self.payload_of(entry)
        if payload is None:
            return _undecodable(entry.id, writer, missing or "no payload")
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
        decoded = wire.decode(payload, encoding)
        if isinstance(decoded, wire.Undecodable):
            return _undecodable(event_id, writer, decoded.message)
        proven = said.proven if said is not None else ()
        verdict = self.check_value(event_id, writer, decoded, proven_valid=proven)
        if said is not None and self.fast_path is not None:
            self.fast_path.learn(verdict.legacy or [], verdict.new or [])
        return verdict

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
        if decoded.warnings and _has_giant_integer(decoded.warnings):
            with _int_digits_unlimited():
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
        return _distinct(self._compiled[role].findings(value))


def _undecodable(event_id: str, writer: str, message: str) -> EventVerdict:
    return EventVerdict(event_id, UNKNOWN, writer, False, None, None, wire_message=message)


def _distinct(findings: list[Finding]) -> list[Finding]:
    """One finding per (kind, path): several errors can point at the same spot."""
    if len(findings) < 2:
        return findings
    seen: set[tuple[str, str]] = set()
    unique = []
    for finding in findings:
        key = (finding.kind, finding.path)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def _has_giant_integer(warnings: list[Finding]) -> bool:
    return any(
        warning.kind == BIG_INTEGER and warning.value.bit_length() > 14_000 for warning in warnings
    )


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
