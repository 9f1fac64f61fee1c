"""Cause hints: known cross-language serialization pitfalls behind a finding group.

A finding says *what* is wrong (``legacy missing_required /comment/score``);
a hint says why it probably happened and how to fix it ("Go's ``omitempty``
drops a zero score"). ``HINTS`` is the one table: each entry names a pitfall,
its probable cause, the fix, and a matcher that looks at the evidence of one
group (its kind and path, which writers it came from, the shapes and messages
of its samples, what the schema declares at its path) and returns a sentence
naming the evidence it used, or None. The first entry that matches is the
group's hint.

A hint is advice, never a verdict: it is computed after counting, from the
report, and nothing in the counters, the exit code or the findings depends on
it (docs/reports.md, cause hints). To add a pitfall, write a matcher and add
one ``Hint`` to the table, with a test event that triggers it and one that
must not.

Writers are recognised by name: a writer whose name has a word ``go`` or
``golang`` (``go-comments``) is taken for a Go service, one with ``py`` or
``python`` (``py-monolith``) for a Python one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdccheck.model import (
    BIG_INTEGER,
    CONSTRAINT,
    DUPLICATE_KEY,
    FORMAT,
    INTEGRAL_FLOAT,
    MISSING_REQUIRED,
    NULL_NOT_ALLOWED,
    READER_REJECTED,
    TYPE_MISMATCH,
    UNDECODABLE,
    UNSAFE_STRING,
)

if TYPE_CHECKING:
    from cdccheck.engine.schema import Schema

__all__ = [
    "HINTS",
    "Declared",
    "Evidence",
    "Hint",
    "SchemaFacts",
    "evidence_of",
    "hint_for",
    "language_of",
    "payload_hint",
]

GO = "Go"
PYTHON = "Python"
PAYLOAD = "payload"
"""The kind of the evidence of one raw entry (``payload_hint``), not a finding kind."""
_LANGUAGE_WORDS = {"go": GO, "golang": GO, "py": PYTHON, "python": PYTHON}


def language_of(writer: str) -> str | None:
    """``Go`` or ``Python`` when the writer's name says so (a word go, golang, py, python)."""
    for word in re.split(r"[^a-z0-9]+", writer.lower()):
        if word in _LANGUAGE_WORDS:
            return _LANGUAGE_WORDS[word]
    return None


@dataclass(frozen=True)
class Declared:
    """What a schema declares at a path: JSON types (enum and const values count) and formats."""

    types: frozenset[str] = frozenset()
    formats: frozenset[str] = frozenset()
    closed_set: bool = False
    """Some subschema there lists the allowed values (``enum`` or ``const``)."""

    def says(self) -> str:
        """``integer``, ``array or null``: the declared types, for evidence sentences."""
        return " or ".join(sorted(self.types)) or "no type"


@dataclass(frozen=True)
class Evidence:
    """Everything a hint may look at for one finding or warning group."""

    schema: str
    kind: str
    path: str
    events: int
    by_writer: Mapping[str, int]
    """The group's events per writer."""
    writer_events: Mapping[str, int] | None = None
    """All events of each writer in the run; None when unknown (one event, in ``show``)."""
    shapes: tuple[str, ...] = ()
    """The shapes of the sample values."""
    values: tuple[Any, ...] = ()
    """The sample values themselves, when the report shows values (--show-values)."""
    types: tuple[str, ...] = ()
    """The JSON types of the sample values."""
    messages: tuple[str, ...] = ()
    declared: Declared | None = None
    """What the group's schema declares at its path; None when the schema is not at hand."""
    payload: bytes | None = None
    """The raw payload bytes: only for the evidence of one entry (kind ``payload``, in ``show``)."""

    def writers_in(self, language: str) -> list[str]:
        """The group's writers whose name says ``language``, most events first."""
        found = [w for w in self.by_writer if language_of(w) == language]
        return sorted(found, key=lambda w: (-self.by_writer[w], w))


@dataclass(frozen=True)
class Hint:
    """One known pitfall: why a group probably happened and what to do about it."""

    name: str
    cause: str
    fix: str
    match: Callable[[Evidence], str | None] = field(repr=False)
    """The evidence sentence when this pitfall fits the group, else None."""


# ------------------------------------------------------------------ matchers
# Each returns a sentence naming what it saw, or None. They read only Evidence.

_TIMESTAMP_SHAPE = re.compile(
    r"d{4}-dd-dd[T ]dd:dd(:dd)?(?P<fraction>\.d+)?(?P<zone>Z|[+-]dd:?dd)?"
)


def _timestamps(evidence: Evidence) -> list[re.Match[str]]:
    return [m for s in evidence.shapes if (m := _TIMESTAMP_SHAPE.fullmatch(s)) is not None]


def _writers_sentence(evidence: Evidence, writers: list[str]) -> str:
    parts = []
    for writer in writers:
        events = evidence.by_writer[writer]
        if evidence.writer_events and writer in evidence.writer_events:
            parts.append(f"{writer} {events:,} of its {evidence.writer_events[writer]:,} events")
        else:
            parts.append(f"{writer} ({events:,} event{'' if events == 1 else 's'})")
    return ", ".join(parts)


def _declared_or_said(evidence: Evidence) -> set[str]:
    """The types the schema declares at the path, else those a message names."""
    if evidence.declared is not None and evidence.declared.types:
        return set(evidence.declared.types)
    named: set[str] = set()
    for message in evidence.messages:
        named.update(re.findall(r"is not of type ((?:'\w+'(?:, )?)+)", message))
    return {t.strip("' ") for group in named for t in group.split(",") if t.strip("' ")}


def _expected_sentence(evidence: Evidence, expected: set[str]) -> str:
    if evidence.declared is not None and evidence.declared.types:
        return f"the {evidence.schema} schema declares {evidence.declared.says()}"
    return f"the message expects {' or '.join(sorted(expected))}"


def _python_nan(evidence: Evidence) -> str | None:
    if evidence.kind != UNDECODABLE:
        return None
    said = [m for m in evidence.messages if re.search(r"\b(NaN|-?Infinity)\b", m)]
    if not said:
        return None
    return f"{len(said)} of {len(evidence.messages)} sample messages say: {said[0]}"


def _duplicate_keys(evidence: Evidence) -> str | None:
    if evidence.kind != DUPLICATE_KEY:
        return None
    return (
        f"a duplicate_key warning at {evidence.path or '(payload)'} in {evidence.events:,} events"
    )


def _big_integer(evidence: Evidence) -> str | None:
    if evidence.kind == BIG_INTEGER:
        return (
            f"a big_integer warning: the value is beyond ±2^53 ({', '.join(evidence.shapes[:1])})"
        )
    if evidence.kind in (CONSTRAINT, TYPE_MISMATCH):
        huge = [s for s in evidence.shapes if re.fullmatch(r"-?d{16,}|<-?integer, .*>", s)]
        if huge:
            return f"{evidence.kind} on integers beyond 2^53, shaped {huge[0]}"
    return None


def _integral_float(evidence: Evidence) -> str | None:
    if evidence.kind != INTEGRAL_FLOAT:
        return None
    writers = evidence.writers_in(PYTHON)
    by = f" from {_writers_sentence(evidence, writers)}" if writers else ""
    return (
        f"an integral_float warning{by}: the value is written like 5.0 where the "
        f"{evidence.schema} schema says integer"
    )


def _python_bool(evidence: Evidence) -> str | None:
    if evidence.kind != TYPE_MISMATCH or "boolean" not in evidence.types:
        return None
    expected = _declared_or_said(evidence)
    if not expected & {"integer", "number"}:
        return None
    booleans = ", ".join(sorted({s for s in evidence.shapes if s in ("true", "false")}))
    return f"sample values {booleans} where {_expected_sentence(evidence, expected)}"


def _go_nil_collection(evidence: Evidence) -> str | None:
    writers = evidence.writers_in(GO)
    if evidence.kind != NULL_NOT_ALLOWED or not writers:
        return None
    expected = _declared_or_said(evidence)
    if not expected & {"array", "object"}:
        return None
    return (
        f"null where {_expected_sentence(evidence, expected)}, "
        f"from {_writers_sentence(evidence, writers)}"
    )


def _go_omitempty(evidence: Evidence) -> str | None:
    writers = evidence.writers_in(GO)
    declared = evidence.declared
    if evidence.kind != MISSING_REQUIRED or not writers or declared is None or not declared.types:
        return None
    if not declared.types <= {"integer", "number", "boolean", "string"}:
        return None
    if evidence.writer_events is not None and all(
        evidence.by_writer[w] >= evidence.writer_events.get(w, 0) for w in writers
    ):
        return None  # never written at all: a missing field, not a zero left out
    return (
        f"missing from {_writers_sentence(evidence, writers)}; the {evidence.schema} schema "
        f"declares {declared.says()}"
    )


# A real reader refusing a timestamp (docs/schemas-from-code.md) is the same pitfall
# as a schema's format or pattern refusing it.
_TIMESTAMP_KINDS = (FORMAT, CONSTRAINT, READER_REJECTED)


def _go_time(evidence: Evidence) -> str | None:
    writers = evidence.writers_in(GO)
    if evidence.kind not in _TIMESTAMP_KINDS or not writers:
        return None
    marks = set()
    for match in _timestamps(evidence):
        fraction, zone = match.group("fraction"), match.group("zone")
        if zone == "Z":
            marks.add("Z for UTC")
        if fraction and len(fraction) - 1 not in (3, 6):
            marks.add(f"{len(fraction) - 1} fraction digits")
    for value in evidence.values:
        offset = re.search(r"([+-]\d\d):?(\d\d)$", value) if isinstance(value, str) else None
        if offset and offset.group(0) not in ("+00:00", "-00:00", "+0000"):
            marks.add(f"offset {offset.group(0)}")
    if not marks:
        return None
    return (
        f"timestamps shaped {_shape_list(evidence)} ({', '.join(sorted(marks))}) from "
        f"{_writers_sentence(evidence, writers)}"
    )


def _python_naive_datetime(evidence: Evidence) -> str | None:
    if evidence.kind not in _TIMESTAMP_KINDS:
        return None
    naive = [m.group(0) for m in _timestamps(evidence) if not m.group("zone") and "T" in m.group(0)]
    if not naive:
        return None
    return f"timestamps without an offset: {', '.join(sorted(set(naive)))}{_wants(evidence)}"


def _python_str_datetime(evidence: Evidence) -> str | None:
    if evidence.kind not in _TIMESTAMP_KINDS:
        return None
    spaced = [m.group(0) for m in _timestamps(evidence) if " " in m.group(0)]
    if not spaced:
        return None
    shapes = ", ".join(sorted(set(spaced)))
    return f"timestamps with a space before the time: {shapes}{_wants(evidence)}"


def _python_uuid_hex(evidence: Evidence) -> str | None:
    if evidence.kind != FORMAT or "<string, 32 chars, hex>" not in evidence.shapes:
        return None
    if evidence.declared is not None and "uuid" not in evidence.declared.formats:
        return None
    hexadecimal = evidence.shapes.count("<string, 32 chars, hex>")
    return (
        f"{hexadecimal} of {len(evidence.shapes)} samples are 32 hex digits without hyphens "
        "where format uuid is expected"
    )


def _replacement_character(evidence: Evidence) -> str | None:
    if evidence.kind != UNSAFE_STRING:
        return None
    if not any("U+FFFD" in text for text in (*evidence.messages, *evidence.shapes)):
        return None
    writers = evidence.writers_in(GO)
    by = f" from {_writers_sentence(evidence, writers)}" if writers else ""
    return f"strings holding U+FFFD{by}"


def _html_escape(evidence: Evidence) -> str | None:
    if evidence.kind != PAYLOAD or not evidence.payload:
        return None
    escapes = sorted(
        {e.decode().lower() for e in re.findall(rb"\\u00(?:3[cCeE]|26)", evidence.payload)}
    )
    if not escapes:
        return None
    writers = evidence.writers_in(GO)
    by = f" from {', '.join(writers)}" if writers else ""
    return f"the raw payload{by} holds {', '.join(escapes)}"


def _wants(evidence: Evidence) -> str:
    if evidence.declared is None or not evidence.declared.formats:
        return ""
    formats = " or ".join(sorted(evidence.declared.formats))
    return f"; the {evidence.schema} schema wants format {formats}"


def _shape_list(evidence: Evidence) -> str:
    return ", ".join(sorted(set(evidence.shapes))[:3])


# ------------------------------------------------------------------ the table

HINTS: tuple[Hint, ...] = (
    Hint(
        "python_nan",
        "Python's json.dumps writes float('nan') and inf as NaN and Infinity, which are not "
        "JSON (Go and every strict reader refuse the whole event)",
        "json.dumps(..., allow_nan=False) to find the source, and write null (or leave the "
        "field out) where a number is NaN",
        _python_nan,
    ),
    Hint(
        "duplicate_keys",
        "the payload was assembled by hand (a key appended to already serialized JSON, two "
        "dicts written one after the other); readers disagree on which copy wins",
        "serialize one dict or struct once; never concatenate JSON text",
        _duplicate_keys,
    ),
    Hint(
        "big_integer",
        "integers beyond 2^53 lose precision in JavaScript and every float64 reader, and a "
        "Python int has no bound at all while Go's int64 stops at 2^63-1",
        "bound the value where it is computed, or carry it as a string",
        _big_integer,
    ),
    Hint(
        "integral_float",
        "a number computed as a float (Python's /, a float column, a JSON round trip through "
        "JavaScript) is written 5.0; Go's int64 and other strict integer readers refuse it",
        "convert with int() (or use //) before serializing",
        _integral_float,
    ),
    Hint(
        "python_bool_as_integer",
        "Python's bool is an int: isinstance(True, int) holds, so True passes an integer "
        "check and json.dumps writes true",
        "check type(value) is int, or convert with int() before serializing",
        _python_bool,
    ),
    Hint(
        "go_nil_collection",
        "a nil slice or map in Go marshals to null, not [] or {}",
        "initialise it (make([]T, 0), map[K]V{}) before marshalling, or let the readers "
        "accept null",
        _go_nil_collection,
    ),
    Hint(
        "go_omitempty",
        'the Go field has `json:",omitempty"`: a zero value (0, false, "") is left out, '
        "so the field is missing exactly when it is zero",
        "drop omitempty from that field's tag (use a pointer when absent must mean unknown)",
        _go_omitempty,
    ),
    Hint(
        "go_time_format",
        "Go's time.Time marshals as RFC 3339 with nanoseconds (RFC3339Nano): Z for UTC, up to "
        "9 fraction digits with trailing zeros dropped, the zone's own offset otherwise",
        'format explicitly in a MarshalJSON (t.UTC().Format("2006-01-02T15:04:05.000000'
        '-07:00")), or make the readers accept any RFC 3339 time',
        _go_time,
    ),
    Hint(
        "python_naive_datetime",
        "datetime.isoformat() of a naive datetime (no tzinfo) writes no offset; an RFC 3339 "
        "date-time needs one",
        "make the datetime aware (datetime.now(timezone.utc), .replace(tzinfo=...)) before "
        "isoformat()",
        _python_naive_datetime,
    ),
    Hint(
        "python_str_datetime",
        "str(datetime), or json.dumps(default=str), puts a space between date and time; an "
        "RFC 3339 date-time needs a T",
        "serialize datetimes with .isoformat() in the default hook",
        _python_str_datetime,
    ),
    Hint(
        "python_uuid_hex",
        "uuid.uuid4().hex (or str(u).replace('-', '')) writes 32 hex digits without hyphens; "
        "format uuid wants the canonical 8-4-4-4-12 form",
        "write str(uuid) instead of uuid.hex",
        _python_uuid_hex,
    ),
    Hint(
        "html_escape",
        "Go's encoding/json escapes <, > and & as \\u003c, \\u003e and \\u0026 (for HTML "
        "safety); every JSON reader decodes them back to the same string: harmless",
        "nothing to fix; json.Encoder.SetEscapeHTML(false) writes them plainly if the raw "
        "bytes must match",
        _html_escape,
    ),
    Hint(
        "replacement_character",
        "the writer got bytes that were not UTF-8 (Latin-1 input, a multi-byte character cut "
        "in two) and replaced them with U+FFFD; Go's encoding/json does that silently",
        "validate text where it enters the service (utf8.ValidString) and carry binary data "
        "as base64",
        _replacement_character,
    ),
)
"""The known pitfalls, most specific first; a group gets the first one that matches."""


def hint_for(evidence: Evidence) -> dict[str, str] | None:
    """The report's ``hint`` object for a group (name, cause, fix, evidence), or None."""
    for hint in HINTS:
        said = hint.match(evidence)
        if said is not None:
            return {"name": hint.name, "cause": hint.cause, "fix": hint.fix, "evidence": said}
    return None


def payload_hint(payload: bytes | None, writer: str) -> dict[str, str] | None:
    """The hint about one entry's raw payload bytes (``show``), if one fits."""
    if payload is None:
        return None
    evidence = Evidence(
        schema="wire", kind=PAYLOAD, path="", events=1, by_writer={writer: 1}, payload=payload
    )
    return hint_for(evidence)


def evidence_of(
    group: Mapping[str, Any],
    *,
    writer_events: Mapping[str, int] | None = None,
    facts: SchemaFacts | None = None,
) -> Evidence:
    """The evidence of a report group (a ``findings`` or ``warnings`` entry)."""
    samples = group.get("samples", [])
    described = [sample["value"] for sample in samples]
    declared = facts.declared(group["schema"], group["path"]) if facts is not None else None
    return Evidence(
        schema=group["schema"],
        kind=group["kind"],
        path=group["path"],
        events=group["events"],
        by_writer=group.get("by_writer", {}),
        writer_events=writer_events,
        shapes=tuple(d["shape"] for d in described if "shape" in d),
        values=tuple(d["value"] for d in described if "value" in d),
        types=tuple(d["type"] for d in described),
        messages=tuple(sample["message"] for sample in samples),
        declared=declared,
    )


# ------------------------------------------------------------------ schema facts


class SchemaFacts:
    """What the legacy and new schemas declare at a finding group's path.

    Follows ``properties``, ``patternProperties``, ``additionalProperties``,
    ``items``, ``prefixItems`` down the path (``*`` is any array item) and
    every ``$ref``, ``allOf``, ``anyOf``, ``oneOf``, ``then``/``else`` at each
    step (not ``if``: it tests a value, it does not declare one), and collects
    what all those subschemas say: hints read it as evidence, so it errs
    towards saying more.
    """

    def __init__(self, schemas: Mapping[str, Schema]) -> None:
        self._schemas = dict(schemas)
        self._cache: dict[tuple[str, str], Declared | None] = {}

    @classmethod
    def from_report(cls, schemas: Mapping[str, Mapping[str, str]]) -> SchemaFacts | None:
        """Facts from the schema files a report names, when they are still there, unchanged."""
        import hashlib

        from cdccheck.engine.schema import load_schema
        from cdccheck.refs import is_reference

        loaded: dict[str, Schema] = {}
        for role, info in schemas.items():
            text = str(info.get("path", ""))
            try:
                if is_reference(text):
                    # Derived again from the code (docs/schemas-from-code.md): its digest says
                    # whether the code still says what it said when the report was made.
                    schema = load_schema(text, name=role)
                    if schema.sha256 == info.get("sha256") and not schema.reader_only:
                        loaded[role] = schema
                    continue
                path = Path(text)
                if hashlib.sha256(path.read_bytes()).hexdigest() != info.get("sha256"):
                    continue
                loaded[role] = load_schema(path, name=role)
            except Exception:  # hints are advice: a schema we cannot read gives none
                continue
        return cls(loaded) if loaded else None

    def declared(self, role: str, path: str) -> Declared | None:
        """What schema ``role`` declares at the (aggregated) JSON Pointer ``path``."""
        key = (role, path)
        if key not in self._cache:
            schema = self._schemas.get(role)
            self._cache[key] = None if schema is None else _declared_at(schema, path)
        return self._cache[key]


def _declared_at(schema: Schema, path: str) -> Declared:
    from cdccheck.engine.schema import in_place  # the engine is loaded only when hints are made

    resolver = schema.registry.resolver() if schema.registry is not None else None
    nodes = in_place([(schema.document, resolver)], with_if=False)
    for step in _steps(path):
        following = [(child, res) for node, res in nodes for child in _children(node, step)]
        nodes = in_place(following, with_if=False)
    types: set[str] = set()
    formats: set[str] = set()
    closed_set = False
    for node, _ in nodes:
        declared = node.get("type")
        types.update([declared] if isinstance(declared, str) else declared or [])
        if isinstance(node.get("format"), str):
            formats.add(node["format"])
        if "enum" in node or "const" in node:
            closed_set = True
            values = node.get("enum", []) if "enum" in node else [node["const"]]
            types.update(_json_type(value) for value in values if isinstance(values, list))
    return Declared(frozenset(types), frozenset(formats), closed_set)


def _steps(path: str) -> Iterator[str]:
    for part in path.split("/")[1:]:
        yield part.replace("~1", "/").replace("~0", "~")


def _children(node: dict[str, Any], step: str) -> list[Any]:
    if step == "*":
        found = [node["items"]] if isinstance(node.get("items"), dict) else []
        prefix = node.get("prefixItems")
        return found + (prefix if isinstance(prefix, list) else [])
    properties = node.get("properties", {})
    if isinstance(properties, dict) and step in properties:
        return [properties[step]]
    found = [
        sub
        for pattern, sub in (node.get("patternProperties") or {}).items()
        if _search(pattern, step)
    ]
    extra = node.get("additionalProperties")
    return found or ([extra] if isinstance(extra, dict) else [])


def _search(pattern: str, text: str) -> bool:
    # A schema's pattern: through the bounded matcher, as everywhere (docs/security.md).
    from cdccheck.engine import patterns

    try:
        return patterns.search(pattern, text)
    except (re.error, patterns.PatternTimeout):
        return False  # a hint is only a hint: no match, no hint


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
