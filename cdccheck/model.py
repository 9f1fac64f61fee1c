"""The small value types every stage shares: entries, findings, verdicts.

Data flows one way (source -> wire -> check -> summary -> report); these
types are what flows, so every stage may import this module.
"""

from __future__ import annotations

import reprlib
from typing import Any, NamedTuple

import msgspec

# Finding kinds (docs/semantics.md, rule 3).
MISSING_REQUIRED = "missing_required"
UNKNOWN_FIELD = "unknown_field"
NULL_NOT_ALLOWED = "null_not_allowed"
TYPE_MISMATCH = "type_mismatch"
ENUM_VALUE = "enum_value"
FORMAT = "format"
CONSTRAINT = "constraint"
UNDECODABLE = "undecodable"
READER_REJECTED = "reader_rejected"
"""A real reader (the consumer's own decode step, docs/schemas-from-code.md) refused the event."""
PATTERN_TIMEOUT = "pattern_timeout"
"""A ``pattern`` whose evaluation ran out of its time budget (docs/security.md, "Patterns")."""
INTERNAL_ERROR = "internal_error"
"""Checking the event raised: a bug, reported on the event (docs/semantics.md, rule 4)."""
FINDING_KINDS = (
    MISSING_REQUIRED,
    UNKNOWN_FIELD,
    NULL_NOT_ALLOWED,
    TYPE_MISMATCH,
    ENUM_VALUE,
    FORMAT,
    CONSTRAINT,
    UNDECODABLE,
    READER_REJECTED,
    PATTERN_TIMEOUT,
    INTERNAL_ERROR,
)

# Portability warning kinds (docs/semantics.md, rule 6). They never change a verdict.
BIG_INTEGER = "big_integer"
INTEGRAL_FLOAT = "integral_float"
DUPLICATE_KEY = "duplicate_key"
UNSAFE_STRING = "unsafe_string"
WARNING_KINDS = (BIG_INTEGER, INTEGRAL_FLOAT, DUPLICATE_KEY, UNSAFE_STRING)

LEGACY = "legacy"
NEW = "new"
WIRE = "wire"
ENGINE = "engine"
"""The schema name of ``internal_error`` findings: neither schema could be asked."""
UNKNOWN = "?"
"""Counter key for an event without a string op, or an entry without a writer."""


def json_pointer(parts: Any) -> str:
    """RFC 6901 pointer for a sequence of keys and indices ('' for the root)."""
    return "".join(
        "/" + (part.replace("~", "~0").replace("/", "~1") if isinstance(part, str) else str(part))
        for part in parts
    )


class Entry(NamedTuple):
    """One stream entry as every source yields it: the id and the raw fields."""

    id: str
    fields: dict[str, bytes]


class AscendingBatch(list[Entry]):
    """A batch whose ids ascend, as one XRANGE (or one stream's XREADGROUP reply) returns them.

    Only a marker: the timeline counts such a batch bucket by bucket without
    parsing every id. Slicing or concatenating gives a plain list again, which
    is counted entry by entry (always correct, only slower).
    """

    __slots__ = ()


class Absent:
    """Stands for the value at a path that is not there (a missing property)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


ABSENT = Absent()


class _ShortRepr(reprlib.Repr):
    """reprlib, with integers too long for ``str()`` shown by their size, at any depth."""

    def repr_int(self, value: int, level: int) -> str:
        try:
            return super().repr_int(value, level)
        except ValueError:  # more digits than str() converts (sys.get_int_max_str_digits)
            return f"<{value.bit_length()}-bit integer>"


_short = _ShortRepr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = 5
_short.maxdict = 5


def short_repr(value: Any) -> str:
    """A bounded repr for messages (payload values can be megabytes); never raises."""
    kind = type(value)
    if kind is str:
        return repr(value) if len(value) <= _short.maxstring else _short.repr(value)
    if kind is bool or kind is float or value is None:
        return repr(value)
    if value is ABSENT:
        return "<absent>"
    try:
        return _short.repr(value)
    except Exception as error:  # a value no message may fail on (docs/semantics.md, rule 4)
        return f"<{kind.__name__}: {type(error).__name__}>"


class Finding(msgspec.Struct, frozen=True):
    """One reason an event fails a schema, or one portability warning.

    ``path`` is an RFC 6901 JSON Pointer with real array indices; ``value`` is
    the offending value (ABSENT for a missing property), kept for samples.
    """

    kind: str
    path: str
    message: str
    value: Any = None


def distinct(findings: list[Finding]) -> list[Finding]:
    """One finding per (kind, path), first kept: several errors can point at the same spot."""
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


class EventVerdict(msgspec.Struct):
    """Everything cdccheck decided about one event."""

    id: str
    op: str
    writer: str
    decodable: bool
    legacy: list[Finding] | None
    """Errors under the legacy schema (empty: valid); None when undecodable."""
    new: list[Finding] | None
    wire_message: str | None = None
    """Why the payload is undecodable; None when it decoded."""
    warnings: list[tuple[str, Finding]] = msgspec.field(default_factory=list)
    """(schema, warning): schema is ``wire``, ``legacy`` or ``new``."""
    error: str | None = None
    """Why checking the event raised (``internal_error``); then ``decodable`` is False,
    ``legacy`` and ``new`` are None and the event counts under ``errors`` only."""

    @property
    def legacy_valid(self) -> bool:
        return self.legacy is not None and not self.legacy

    @property
    def new_valid(self) -> bool:
        return self.new is not None and not self.new

    @property
    def ok(self) -> bool:
        return self.legacy_valid and self.new_valid
