"""Infer the schema a stream's events satisfy, with the evidence for each property.

``infer_schema(events)`` takes decoded events as ``(entry id, writer, value)``
and writes a reviewable draft 2020-12 document:

* one branch per op (``if op == X then ...``) when every event is an object
  with a string ``op_field``; the op itself becomes an enum;
* a property is required when it is present in every event (of that op), and
  nullable where ``null`` was seen; ``integer`` unless a non-integral number
  or a float was seen, then ``number``;
* string formats (``date-time``, ``uuid``) when every value passes the same
  format check the engine uses, and for timestamps the exact rendering seen
  ("T separator, 6-digit fraction, +hh:mm offset, never Z") as a ``pattern``,
  so a writer that renders them differently stands out;
* an ``enum`` for a low-cardinality string (at most ``enum_threshold``
  distinct values, each seen twice on average): an enum is schema content, so
  its values are written even without ``show_values``;
* numeric bounds as observed (``bounds="observed"``) or none (``"type"``);
* ``additionalProperties: false`` unless asked otherwise.

Each property's ``description`` gives the evidence: how often it was seen,
how often null, and the shapes of its values (letters as ``a``/``A``, digits
as ``9``), never the raw values unless ``show_values``. See
docs/schemas-from-code.md.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cdccheck.errors import ConfigError
from cdccheck.model import UNKNOWN, Entry
from cdccheck.refs._jsonschema import DRAFT_2020_12_URI, ordered

BOUNDS = ("observed", "type")
_SHAPES_KEPT = 64
_SHAPE_LENGTH = 24
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?P<sep>[Tt ])[0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:\.(?P<fraction>[0-9]+))?(?P<offset>[Zz]|[+-][0-9]{2}:?[0-9]{2})?$"
)


def _format_checker() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator.FORMAT_CHECKER


@dataclass
class _Rendering:
    """How one timestamp string is written."""

    separator: str
    fraction: int
    offset: str
    """'Z', 'z', 'colon' (+hh:mm), 'compact' (+hhmm) or 'none'."""
    offset_value: str


def _rendering(text: str) -> _Rendering | None:
    match = _TIMESTAMP.match(text)
    if match is None:
        return None
    fraction = match.group("fraction")
    offset = match.group("offset")
    if offset is None:
        style = "none"
    elif offset in ("Z", "z"):
        style = offset
    else:
        style = "colon" if ":" in offset else "compact"
    return _Rendering(match.group("sep"), len(fraction or ""), style, offset or "")


def _shape(text: str) -> str:
    out = []
    for character in text[:_SHAPE_LENGTH]:
        if "a" <= character <= "z":
            out.append("a")
        elif "A" <= character <= "Z":
            out.append("A")
        elif "0" <= character <= "9":
            out.append("9")
        elif character.isalpha():
            out.append("ä")
        else:
            out.append(character)
    return "".join(out) + ("…" if len(text) > _SHAPE_LENGTH else "")


@dataclass
class _Observed:
    """Everything seen at one position of the events."""

    threshold: int
    count: int = 0
    nulls: int = 0
    booleans: int = 0
    integers: int = 0
    floats: int = 0
    minimum: float | None = None
    maximum: float | None = None
    strings: int = 0
    values: Counter[str] | None = field(default_factory=Counter)
    shapes: Counter[str] = field(default_factory=Counter)
    formats: dict[str, bool] = field(default_factory=lambda: {"date-time": True, "uuid": True})
    renderings: list[_Rendering] | None = field(default_factory=list)
    arrays: int = 0
    items: _Observed | None = None
    objects: int = 0
    properties: dict[str, _Observed] = field(default_factory=dict)
    presence: Counter[str] = field(default_factory=Counter)

    def add(self, value: Any, checker: Any) -> None:
        self.count += 1
        if value is None:
            self.nulls += 1
        elif isinstance(value, bool):
            self.booleans += 1
        elif isinstance(value, int):
            self.integers += 1
            self._number(value)
        elif isinstance(value, float):
            self.floats += 1
            self._number(value)
        elif isinstance(value, str):
            self._string(value, checker)
        elif isinstance(value, list):
            self.arrays += 1
            if self.items is None:
                self.items = _Observed(self.threshold)
            for item in value:
                self.items.add(item, checker)
        elif isinstance(value, dict):
            self.objects += 1
            for key, item in value.items():
                self.presence[key] += 1
                observed = self.properties.get(key)
                if observed is None:
                    observed = self.properties[key] = _Observed(self.threshold)
                observed.add(item, checker)

    def _number(self, value: float) -> None:
        if self.minimum is None or value < self.minimum:
            self.minimum = value
        if self.maximum is None or value > self.maximum:
            self.maximum = value

    def _string(self, value: str, checker: Any) -> None:
        self.strings += 1
        if self.values is not None:
            self.values[value] += 1
            if len(self.values) > self.threshold:
                self.values = None  # too many distinct values for an enum
        shape = _shape(value)
        if shape in self.shapes or len(self.shapes) < _SHAPES_KEPT:
            self.shapes[shape] += 1
        for name, ok in self.formats.items():
            if ok and not checker.conforms(value, name):
                self.formats[name] = False
        if self.renderings is not None:
            rendering = _rendering(value)
            if rendering is None:
                self.renderings = None
            elif rendering not in self.renderings:
                self.renderings.append(rendering)


@dataclass
class Inferred:
    """An inferred schema and what it was inferred from."""

    document: dict[str, Any]
    events: int
    """Events used (after the writer filter)."""
    skipped: int
    """Events left out by the writer filter."""
    ops: dict[str, int]


class _Writer:
    def __init__(self, *, bounds: str, show_values: bool, additional_properties: bool) -> None:
        self.bounds = bounds
        self.show_values = show_values
        self.additional_properties = additional_properties

    def schema(self, observed: _Observed, *, where: str) -> dict[str, Any]:
        types: list[str] = []
        out: dict[str, Any] = {}
        if observed.booleans:
            types.append("boolean")
        if observed.integers or observed.floats:
            types.append("number" if observed.floats else "integer")
            if self.bounds == "observed" and observed.minimum is not None:
                out["minimum"] = observed.minimum
                out["maximum"] = observed.maximum
        if observed.strings:
            types.append("string")
            self.strings(observed, out)
        if observed.arrays:
            types.append("array")
            if observed.items is not None and observed.items.count:
                out["items"] = self.schema(observed.items, where=where + "[]")
        if observed.objects:
            types.append("object")
            out.update(self.object(observed, where=where))
        if observed.nulls:
            types.append("null")
        values = out.pop("enum", None)
        if values is None:
            if types:
                out["type"] = types[0] if len(types) == 1 else types
            return out
        # Strings are an enum: other types seen stay as they are, beside it.
        others = [t for t in types if t not in ("string", "null")]
        if observed.nulls and not others:
            values = [*values, None]
        if not others:
            return {**out, "enum": values}
        rest = [*others, "null"] if observed.nulls else others
        return {"anyOf": [{"enum": values}, {**out, "type": rest[0] if len(rest) == 1 else rest}]}

    def strings(self, observed: _Observed, out: dict[str, Any]) -> None:
        formats = [name for name, ok in observed.formats.items() if ok]
        if formats:
            out["format"] = formats[0]
        if observed.renderings:
            out["pattern"] = _rendering_pattern(observed.renderings)
        values = observed.values
        if (
            not formats
            and not observed.renderings
            and values is not None
            and len(values) * 2 <= observed.strings
        ):
            out["enum"] = sorted(values)

    def object(self, observed: _Observed, *, where: str) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required = []
        for key in sorted(observed.properties, key=lambda k: (-observed.presence[k], k)):
            child = observed.properties[key]
            schema = self.schema(child, where=f"{where}/{key}")
            schema["description"] = self.evidence(child, observed.presence[key], observed.objects)
            properties[key] = schema
            if observed.presence[key] == observed.objects:
                required.append(key)
        out: dict[str, Any] = {"properties": properties}
        if required:
            out["required"] = required
        if not self.additional_properties:
            out["additionalProperties"] = False
        return out

    def evidence(self, observed: _Observed, present: int, parents: int) -> str:
        words = [f"seen in {present} of {parents}"]
        if observed.nulls:
            words.append(f"null {observed.nulls} times")
        kinds = [
            (observed.booleans, "booleans"),
            (observed.integers, "integers"),
            (observed.floats, "floats"),
            (observed.strings, "strings"),
            (observed.arrays, "arrays"),
            (observed.objects, "objects"),
        ]
        seen = [f"{count} {name}" for count, name in kinds if count]
        if seen:
            words.append(", ".join(seen))
        if observed.renderings:
            words.append("timestamps written " + _rendering_words(observed.renderings))
        if observed.strings and observed.shapes:
            top = ", ".join(
                f"{shape!r} x{count}" for shape, count in observed.shapes.most_common(3)
            )
            words.append(f"shapes {top}")
        if self.show_values and observed.values:
            top = ", ".join(f"{v!r} x{c}" for v, c in observed.values.most_common(3))
            words.append(f"values {top}")
        if self.show_values and observed.minimum is not None:
            words.append(f"from {observed.minimum} to {observed.maximum}")
        return "Inferred: " + "; ".join(words) + "."


def _rendering_pattern(renderings: list[_Rendering]) -> str:
    separators = sorted({r.separator for r in renderings})
    separator = separators[0] if len(separators) == 1 else "[" + "".join(separators) + "]"
    fractions = sorted({r.fraction for r in renderings})
    digits = [n for n in fractions if n]
    fraction = ""
    if digits:
        counts = "|".join(f"[0-9]{{{n}}}" for n in digits)
        fraction = rf"\.({counts})" if len(digits) > 1 else rf"\.[0-9]{{{digits[0]}}}"
        if 0 in fractions:
            fraction = f"({fraction})?"
    styles = {r.offset for r in renderings}
    pieces = []
    for style in ("Z", "z", "colon", "compact"):
        if style in styles:
            pieces.append(
                {"Z": "Z", "z": "z", "colon": "[+-][0-9]{2}:[0-9]{2}", "compact": "[+-][0-9]{4}"}[
                    style
                ]
            )
    offset = ""
    if pieces:
        offset = pieces[0] if len(pieces) == 1 else "(" + "|".join(pieces) + ")"
        if "none" in styles:
            offset = f"({offset})?"
    clock = "[0-9]{2}:[0-9]{2}:[0-9]{2}"
    return f"^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}{separator}{clock}{fraction}{offset}$"


def _rendering_words(renderings: list[_Rendering]) -> str:
    separators = sorted({repr(r.separator) for r in renderings})
    fractions = sorted({r.fraction for r in renderings})
    fraction_words = " or ".join(
        "no fraction" if n == 0 else f"a {n}-digit fraction" for n in fractions
    )
    styles = {r.offset for r in renderings}
    offsets = []
    if "Z" in styles or "z" in styles:
        offsets.append("Z")
    values = sorted({r.offset_value for r in renderings if r.offset in ("colon", "compact")})
    if values:
        offsets.append("always " + values[0] if len(values) == 1 else "±hh:mm offsets")
    if "none" in styles:
        offsets.append("no offset (naive)")
    never_z = "" if "Z" in styles or "z" in styles else ", never Z"
    return (
        f"with {' or '.join(separators)} before the time, {fraction_words}, "
        f"{' or '.join(offsets)}{never_z}"
    )


def infer_schema(
    events: Iterable[tuple[str, str, Any]],
    *,
    writer: str | None = None,
    op_field: str | None = "op",
    enum_threshold: int = 10,
    bounds: str = "observed",
    show_values: bool = False,
    additional_properties: bool = False,
    title: str | None = None,
) -> Inferred:
    """The schema the events satisfy (see the module docstring for the rules).

    ``events`` are (entry id, writer, decoded value); ``writer`` keeps only
    that writer's events. Raises ConfigError when no event is left.
    """
    if bounds not in BOUNDS:
        raise ConfigError(f"unknown bounds {bounds!r} (expected one of {', '.join(BOUNDS)})")
    if enum_threshold < 0:
        raise ConfigError("the enum threshold is a count: 0 or more")
    checker = _format_checker()
    by_op: dict[str, _Observed] = {}
    everything = _Observed(enum_threshold)
    branchable = op_field is not None
    used = skipped = 0
    for _entry_id, event_writer, value in events:
        if writer is not None and event_writer != writer:
            skipped += 1
            continue
        used += 1
        everything.add(value, checker)
        op = value.get(op_field) if isinstance(value, dict) and op_field is not None else None
        if isinstance(op, str):
            observed = by_op.get(op)
            if observed is None:
                observed = by_op[op] = _Observed(enum_threshold)
            observed.add(value, checker)
        else:
            branchable = False
    if not used:
        who = f" from writer {writer!r}" if writer is not None else ""
        raise ConfigError(f"cannot infer a schema: no events{who} in the source")
    out = _Writer(
        bounds=bounds, show_values=show_values, additional_properties=additional_properties
    )
    counts = {op: observed.count for op, observed in sorted(by_op.items())}
    source = f"{used} events" + (f" of writer {writer}" if writer is not None else "")
    document: dict[str, Any] = {
        "$schema": DRAFT_2020_12_URI,
        "title": title or "Inferred from observed events",
    }
    if branchable and op_field is not None and by_op:
        per_op = ", ".join(f"{op} {count}" for op, count in counts.items())
        document["description"] = (
            f"Inferred from {source} ({per_op}); one branch per {op_field!r}. "
            "Review before committing: it says what was seen, not what is allowed."
        )
        document.update(
            {
                "type": "object",
                "properties": {op_field: {"enum": list(counts)}},
                "required": [op_field],
                "allOf": [
                    {
                        "description": f"{op} events ({counts[op]} seen).",
                        "if": {"properties": {op_field: {"const": op}}, "required": [op_field]},
                        "then": out.schema(by_op[op], where=op),
                    }
                    for op in counts
                ],
            }
        )
    else:
        document["description"] = (
            f"Inferred from {source}. Review before committing: it says what was seen, "
            "not what is allowed."
        )
        document.update(out.schema(everything, where=""))
    return Inferred(ordered(document), used, skipped, counts)


@dataclass
class EventDecoding:
    """Stream entries -> the ``(entry id, writer, decoded value)`` that ``infer_schema`` reads.

    The entry layout is what the check engine reads (docs/semantics.md, stream
    layout): the payload in ``payload_field`` (``debezium``: the one field),
    its encoding in the entry's ``encoding`` field, else ``encoding``.
    Undecodable payloads are left out and counted.
    """

    payload_field: str = "payload"
    writer_field: str = "writer"
    layout: str = "default"
    encoding: str = "json"
    encoding_field: str = "encoding"
    undecodable: int = 0
    """Entries left out so far: no payload, or a payload that does not decode (rule 1)."""

    def events(self, batches: Iterable[list[Entry]]) -> Iterator[tuple[str, str, Any]]:
        """The decoded events of ``batches``, in order."""
        from cdccheck.engine import wire

        for batch in batches:
            for entry in batch:
                fields = entry.fields
                if self.layout == "debezium":
                    payload = next(iter(fields.values())) if len(fields) == 1 else None
                    encoding = self.encoding
                else:
                    payload = fields.get(self.payload_field)
                    raw_encoding = fields.get(self.encoding_field)
                    encoding = (
                        self.encoding
                        if raw_encoding is None
                        else raw_encoding.decode("utf-8", "replace")
                    )
                decoded = None if payload is None else wire.decode(payload, encoding)
                if not isinstance(decoded, wire.Decoded):
                    self.undecodable += 1
                    continue
                raw_writer = fields.get(self.writer_field)
                writer = UNKNOWN if raw_writer is None else raw_writer.decode("utf-8", "replace")
                yield entry.id, writer, decoded.value
