"""Portability warnings (docs/semantics.md, rule 6): what other readers may read differently.

A warning never changes a verdict. The kinds:

* ``big_integer``: an integer beyond 2**53, which JavaScript and float64
  readers round;
* ``unsafe_string``: a string or key holding U+FFFD (what a writer leaves
  where it replaced invalid UTF-8; Go's encoding/json does so silently) or
  NUL (PostgreSQL text columns refuse it);
* ``duplicate_key``: an object that repeats a key; readers keep different
  copies;
* ``integral_float``: a float with an integral value (``5.0``) where a
  schema says integer; Go's int64 and other strict readers refuse it.

The first three are found by the strict decoder (:mod:`cdccheck.engine.wire`),
the last needs the schemas (``IntegralFloats``). The byte screens here are
shared by the decoder and the fast tier: they prove, without a parse, that a
payload repeats no key and holds no unsafe string.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from cdccheck.engine import patterns
from cdccheck.engine.schema import DRAFT_7, Schema, in_place
from cdccheck.model import (
    BIG_INTEGER,
    DUPLICATE_KEY,
    INTEGRAL_FLOAT,
    LEGACY,
    NEW,
    UNSAFE_STRING,
    Finding,
    json_pointer,
)

SAFE_INTEGER = 2**53
"""Beyond this, a JSON integer loses precision in JavaScript and in float64 readers."""

_RAW_REPLACEMENT_CHARACTER = "\ufffd".encode()
_ESCAPED_UNSAFE = re.compile(rb"\\u(?:[fF]{3}[dD]|0000)")
_SPACE_AFTER_QUOTE = re.compile(rb'"[ \t\r\n]')
_KEY_WITH_SPACE_BEFORE_COLON = re.compile(rb'"[ \t\r\n]+:')
# A float64 (0xcb) whose exponent bits are all ones: NaN or an infinity.
_NON_FINITE_DOUBLE = re.compile(rb"\xcb[\x7f\xff][\xf0-\xff]")
_MSGPACK_ENCODE = msgspec.msgpack.Encoder().encode
_JSON_ENCODE = msgspec.json.Encoder().encode

Path = tuple[str | int, ...]

# ---------------------------------------------------------------- byte screens


def may_repeat_keys(payload: bytes, key_count: int) -> bool:
    """False when the JSON ``payload`` provably repeats no key, else True.

    ``key_count`` is how many keys the decoded value holds, over all its
    objects. Every key written without space before its colon ends in
    ``":``, so ``payload.count(b'":')`` is at least the number of such key
    tokens; when it equals the number of distinct keys decoded, and no key
    has space before its colon, no key token can be a repeat.
    """
    if payload.count(b'":') != key_count:
        return True
    return (
        _SPACE_AFTER_QUOTE.search(payload) is not None
        and _KEY_WITH_SPACE_BEFORE_COLON.search(payload) is not None
    )


def is_warning_free(payload: bytes, key_count: int) -> bool:
    """No U+FFFD, no NUL (raw or escaped), no repeated key: no wire warning can apply.

    For a payload that decoded to a value with ``key_count`` keys and no
    integer beyond 2**53 (the fast tier's decoders refuse those).
    """
    # Cheap tests first (isascii and a one-byte search are vectorised): most
    # payloads are ASCII, and many have no escape at all.
    if not payload.isascii() and _RAW_REPLACEMENT_CHARACTER in payload:
        return False
    if b"\\" in payload and _ESCAPED_UNSAFE.search(payload):
        return False
    # may_repeat_keys, written out: this runs for every accepted event.
    if payload.count(b'":') != key_count:
        return False
    return (
        _SPACE_AFTER_QUOTE.search(payload) is None
        or _KEY_WITH_SPACE_BEFORE_COLON.search(payload) is None
    )


def msgpack_may_repeat_keys(payload: bytes, value: Any) -> bool:
    """False when the MessagePack ``payload`` provably repeats no key, else True.

    ``value`` is what ``payload`` decoded to, inside the JSON data model.
    msgspec writes every integer, string, array and map header in its
    shortest form and every float as a float64, so a payload whose only
    floats are float64 (no 0xca byte anywhere, hence no float32) is never
    shorter than ``value`` encoded again; each repeated key adds at least
    two bytes (a key and a value) that the decoded value no longer holds.
    Equal lengths therefore prove that no key repeats. A writer that uses
    longer forms than needed, or float32, only loses the proof.
    """
    return b"\xca" in payload or len(_MSGPACK_ENCODE(value)) != len(payload)


def msgpack_is_warning_free(payload: bytes, value: Any) -> bool:
    """``is_warning_free`` for a MessagePack payload the fast tier decoded to ``value``.

    Besides repeated keys (``msgpack_may_repeat_keys``), MessagePack can
    carry what JSON cannot: a non-finite float (undecodable, not a warning,
    but the fast tier must not accept it either) and a raw NUL in a string.
    """
    if b"\xef\xbf\xbd" in payload or _NON_FINITE_DOUBLE.search(payload):
        return False
    if msgpack_may_repeat_keys(payload, value):
        return False
    # A NUL byte is common (the integer 0, lengths); only a string holding one matters.
    return b"\x00" not in payload or b"\\u0000" not in _JSON_ENCODE(value)


# ---------------------------------------------------------------- the findings


def big_integer(value: int, path: Path) -> Finding:
    """The warning for an integer beyond 2**53 at ``path``."""
    return Finding(
        BIG_INTEGER,
        json_pointer(path),
        "integer beyond 2**53: JavaScript and float64 readers lose precision",
        value,
    )


def unsafe_string(text: str, path: Path, what: str) -> Finding:
    """The warning for a string (``what`` is "string" or "key") holding U+FFFD or NUL."""
    character = "U+FFFD (replacement character)" if "\ufffd" in text else "NUL (U+0000)"
    return Finding(
        UNSAFE_STRING,
        json_pointer(path),
        f"{what} contains {character}: a writer replaced invalid bytes or a reader will refuse it",
        text,
    )


def duplicate_key(key: Any, path: Path, value: Any = None) -> Finding:
    """The warning for an object at ``path`` that repeats ``key``."""
    return Finding(
        DUPLICATE_KEY,
        json_pointer((*path, key)),
        f"key {key!r} appears more than once; readers keep different copies",
        value,
    )


def integral_float(path: Path, number: float) -> Finding:
    """The warning for a float with an integral value where a schema says integer."""
    return Finding(
        INTEGRAL_FLOAT,
        json_pointer(path),
        f"{number!r} is a float where the schema says integer: Go int64 and other strict "
        f"integer readers refuse it",
        number,
    )


# ---------------------------------------------------------------- integral floats


class IntegralFloats:
    """Warnings for integral floats, per schema that says integer there.

    Which paths a schema declares integer is worked out once per path and
    remembered: the same fields carry the same floats event after event.
    """

    def __init__(self, legacy: Schema, new: Schema) -> None:
        self._schemas = {LEGACY: legacy, NEW: new}
        self._integer_paths: dict[tuple[str, Path], bool] = {}

    def warnings(self, integral_floats: list[tuple[Path, float]]) -> list[tuple[str, Finding]]:
        """(schema role, warning) for each integral float a schema declares integer."""
        found = []
        for path, number in integral_floats:
            for role in (LEGACY, NEW):
                if self._declares_integer(role, path):
                    found.append((role, integral_float(path, number)))
        return found

    def _declares_integer(self, role: str, path: Path) -> bool:
        key = (role, path)
        if key not in self._integer_paths:
            self._integer_paths[key] = declares_integer(self._schemas[role], path)
        return self._integer_paths[key]


def declares_integer(schema: Schema, path: tuple[Any, ...]) -> bool:
    """Whether some subschema that can apply at ``path`` says ``type: integer``.

    Follows properties, patternProperties, additionalProperties, items and
    prefixItems down the path, and every in-place applicator ($ref, allOf,
    anyOf, oneOf, if/then/else) at each step. Used only for warnings, so it
    errs towards saying yes.
    """
    draft7 = schema.draft == DRAFT_7
    current = in_place([(schema.document, schema.resolver)])
    for key in path:
        following: list[tuple[Any, Any]] = []
        for node, resolver in current:
            following.extend((sub, resolver) for sub in _children(node, key, draft7))
        current = in_place(following)
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
            try:
                matched = patterns.search(pattern, key)
            except patterns.PatternTimeout:
                matched = True  # unknown: err towards saying yes, as the docstring says
            if matched:
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


def _says_integer(declared: Any) -> bool:
    if declared == "integer":
        return True
    return isinstance(declared, list) and "integer" in declared and "number" not in declared
