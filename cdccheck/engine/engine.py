"""One event under the legacy and the new schema -> an EventVerdict.

The Engine is built once per run from the two schemas and the stream layout;
``check(entry)`` is then a pure function of the entry. Validity is decided
by the compiled schemas (:mod:`cdccheck.compiled`), which reproduce
python-jsonschema exactly and defer to it where they do not, and, for the
common healthy event, by the msgspec fast path (:mod:`cdccheck.fastpath`),
which only ever says "valid" when the reference would.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from typing import Any

import msgspec

from cdccheck.engine import wire
from cdccheck.engine.compiled import CompiledSchema
from cdccheck.engine.fastpath import FastAcceptor
from cdccheck.engine.schema import DRAFT_7, Schema
from cdccheck.errors import ConfigError
from cdccheck.model import (
    BIG_INTEGER,
    INTEGRAL_FLOAT,
    LEGACY,
    NEW,
    UNKNOWN,
    WIRE,
    Entry,
    EventVerdict,
    Finding,
    json_pointer,
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
        self._integer_paths: dict[tuple[str, tuple[Any, ...]], bool] = {}
        self.fast_path = FastAcceptor.build(legacy, new, op_field=op_field) if fast_path else None

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

        Returns ({(op, raw writer): count} for events the fast path accepted,
        verdicts of all other events in order). This is the hot loop of every
        command, so it works on the raw fields and never builds a verdict for
        a healthy event.
        """
        healthy: HealthyCounts = {}
        verdicts: list[EventVerdict] = []
        fast = self.fast_path
        if fast is None or fast.both is None or self.layout != "default" or self.encoding != "json":
            return healthy, [self.check(entry) for entry in entries]
        decode, clean, op_of = fast.both.decode, fast.clean, fast.op_of
        payload_field, writer_field, encoding_field = (
            self.payload_field,
            self.writer_field,
            self.encoding_field,
        )
        for entry in entries:
            fields = entry.fields
            payload = fields.get(payload_field)
            if payload is not None and encoding_field not in fields:
                refusal = ""
                try:
                    event = decode(payload)
                except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
                    event, refusal = None, str(error)
                if event is not None and clean(payload, event):
                    key = (op_of(event), fields.get(writer_field))
                    healthy[key] = healthy.get(key, 0) + 1
                    continue
                verdicts.append(self.check(entry, refusal=None if event is not None else refusal))
            else:
                verdicts.append(self.check(entry))
        return healthy, verdicts

    def check(self, entry: Entry, *, refusal: str | None = None) -> EventVerdict:
        """The full verdict for one entry; never raises for bad data.

        ``refusal`` is the error of the decoder for both schemas when the
        caller already tried it on this payload (it points at the first field
        that failed, which picks the remembered failure shapes to try).
        """
        writer = self.writer_of(entry)
        payload, encoding, missing = self.payload_of(entry)
        if payload is None:
            return _undecodable(entry.id, writer, missing or "no payload")
        proven: tuple[str, ...] = ()
        fast = self.fast_path
        if fast is not None and encoding == "json":
            event = None
            if refusal is None:
                event, refusal = fast.decode_both(payload)
            if event is not None:
                if fast.clean(payload, event):
                    return EventVerdict(entry.id, fast.op_of(event), writer, True, [], [])
                proven = (LEGACY, NEW)
            else:
                explained = self._explain_from_memory(entry.id, writer, payload, refusal or "")
                if explained is not None:
                    return explained
                # One side may still be provably valid, which spares explaining it.
                legacy_ok = fast.valid(fast.legacy, payload) is not None
                new_ok = fast.valid(fast.new, payload) is not None
                proven = (LEGACY,) * legacy_ok + (NEW,) * new_ok
        decoded = wire.decode(payload, encoding)
        if isinstance(decoded, wire.Undecodable):
            return _undecodable(entry.id, writer, decoded.message)
        verdict = self.check_value(entry.id, writer, decoded, proven_valid=proven)
        if fast is not None and fast.memory is not None and encoding == "json":
            fast.memory.learn(verdict.legacy or [], verdict.new or [])
        return verdict

    def _explain_from_memory(
        self, event_id: str, writer: str, payload: bytes, refusal: str
    ) -> EventVerdict | None:
        """A verdict from a remembered failure shape, when one explains the payload."""
        fast = self.fast_path
        if fast is None or fast.memory is None:
            return None
        explained = fast.memory.explain(payload, refusal)
        if explained is None:
            return None
        event, findings = explained
        if not fast.clean(payload, event):
            return None
        op = fast.op_of(event)
        return EventVerdict(event_id, op, writer, True, findings[LEGACY], findings[NEW])

    def check_value(
        self,
        event_id: str,
        writer: str,
        decoded: wire.Decoded,
        proven_valid: tuple[str, ...] = (),
    ) -> EventVerdict:
        """Verdict for an already decoded payload.

        ``proven_valid`` names schemas the fast path already accepted the
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
        for path, number in decoded.integral_floats:
            for role in (LEGACY, NEW):
                if self._declares_integer(role, path):
                    warnings.append((role, _integral_float(path, number)))
        return EventVerdict(
            event_id, self.op_of(value), writer, True, legacy, new, warnings=warnings
        )

    def _findings(self, role: str, value: Any) -> list[Finding]:
        return _distinct(self._compiled[role].findings(value))

    # ------------------------------------------------------------ portability

    def _declares_integer(self, role: str, path: tuple[Any, ...]) -> bool:
        key = (role, path)
        if key not in self._integer_paths:
            schema = self.legacy if role == LEGACY else self.new
            self._integer_paths[key] = declares_integer(schema, path)
        return self._integer_paths[key]


def declares_integer(schema: Schema, path: tuple[Any, ...]) -> bool:
    """Whether some subschema that can apply at ``path`` says ``type: integer``.

    Follows properties, patternProperties, additionalProperties, items and
    prefixItems down the path, and every in-place applicator ($ref, allOf,
    anyOf, oneOf, if/then/else) at each step. Used only for warnings, so it
    errs towards saying yes.
    """
    draft7 = schema.draft == DRAFT_7
    current = _expand([(schema.document, schema.validator._resolver)])
    for key in path:
        following: list[tuple[Any, Any]] = []
        for node, resolver in current:
            following.extend((sub, resolver) for sub in _children(node, key, draft7))
        current = _expand(following)
        if not current:
            return False
    return any(_says_integer(node.get("type")) for node, _ in current if isinstance(node, dict))


def _children(node: Any, key: Any, draft7: bool) -> list[Any]:
    if not isinstance(node, dict):
        return []
    found: list[Any] = []
    if isinstance(key, str):
        properties = node.get("properties", {})
        if key in properties:
            found.append(properties[key])
        for pattern, sub in node.get("patternProperties", {}).items():
            if re.search(pattern, key):
                found.append(sub)
        extra = node.get("additionalProperties")
        if not found and isinstance(extra, dict):
            found.append(extra)
        return found
    prefix = node.get("items") if draft7 else node.get("prefixItems")
    if isinstance(prefix, list) and key < len(prefix):
        return [prefix[key]]
    rest = node.get("additionalItems") if draft7 and isinstance(prefix, list) else node.get("items")
    return [rest] if isinstance(rest, dict) else []


def _expand(nodes: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """The nodes plus every schema that applies in place of them."""
    result: list[tuple[Any, Any]] = []
    seen: set[int] = set()
    pending = list(nodes)
    while pending:
        node, resolver = pending.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        result.append((node, resolver))
        ref = node.get("$ref")
        if isinstance(ref, str):
            with contextlib.suppress(Exception):
                resolved = resolver.lookup(ref)
                pending.append((resolved.contents, resolved.resolver))
        for keyword in ("allOf", "anyOf", "oneOf"):
            pending.extend((sub, resolver) for sub in node.get(keyword, []))
        pending.extend(
            (node[keyword], resolver) for keyword in ("if", "then", "else") if keyword in node
        )
    return result


def _says_integer(declared: Any) -> bool:
    if declared == "integer":
        return True
    return isinstance(declared, list) and "integer" in declared and "number" not in declared


def _integral_float(path: tuple[Any, ...], number: float) -> Finding:
    return Finding(
        INTEGRAL_FLOAT,
        json_pointer(path),
        f"{number!r} is a float where the schema says integer: Go int64 and other strict "
        f"integer readers refuse it",
        number,
    )


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

    Rule 1 accepts integer literals of any size; python-jsonschema puts the
    instance's repr in its messages, which would raise for such an integer.
    """
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(previous)
