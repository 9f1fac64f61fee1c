"""Strict payload decoding (docs/semantics.md, rule 1) and the wire-level warnings.

``decode(payload, encoding)`` returns either ``Decoded`` (the value plus what
the walk over it noticed) or ``Undecodable`` (one precise message). Nothing
raises: a malformed payload is a verdict, not a crash.

Strictness, and why:

* JSON is RFC 8259 in UTF-8. ``NaN`` and ``Infinity`` are refused although
  Python's ``json.dumps`` writes them by default: Go's ``encoding/json``
  refuses to read them, so a Python writer that emits one breaks Go readers.
* A fraction or exponent that overflows a double (``1e400``) is refused: most
  readers turn it into infinity or an error. Integer literals of any size are
  accepted (Python reads them) and warned about beyond 2**53.
* A ``\\ud800`` escape with no partner decodes to a lone surrogate, which is
  not a Unicode scalar value: Go replaces it with U+FFFD, Python keeps it.
* Nesting deeper than 512 levels is refused (RFC 8259 section 9 allows a
  limit; this one is ours), so a hostile payload cannot exhaust the stack.
* Work per event is bounded by ``Limits`` (docs/security.md, "Limits"):
  payload size, integer literal length, key length and keys per object. A
  payload beyond one is undecodable, and the message names the limit and
  its option. Each is checked before the work it bounds: the size before
  any parsing, an integer literal's length before it is converted (the
  conversion takes time quadratic in the digits), keys right after msgspec
  built the value and before anything walks it.

The quick decoder is msgspec, which is already strict about all of the above
except depth and duplicate keys; those are checked on the decoded value. When
msgspec refuses a payload, the slower ``json`` module explains precisely why
(and accepts the integers msgspec cannot hold).
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any, NamedTuple

import msgspec

from cdccheck.engine.warnings import (
    SAFE_INTEGER,
    big_integer,
    duplicate_key,
    may_repeat_keys,
    msgpack_may_repeat_keys,
    unsafe_string,
)
from cdccheck.model import Finding, json_pointer, short_repr

MAX_DEPTH = 512
_BOM = b"\xef\xbb\xbf"
_SCALARS = (str, int, float, bool, type(None))


class Limits(NamedTuple):
    """How much work one payload may ask for (docs/security.md, "Limits").

    Beyond any of these a payload is undecodable; the message names the
    limit and the command-line option that sets it.
    """

    max_payload_bytes: int = 8 * 1024 * 1024
    """Longest payload, in bytes (``--max-payload-bytes``)."""
    max_int_digits: int = 4300
    """Most digits in one integer literal (``--max-int-digits``): Python's own
    default for ``int(str)``, whose conversion time grows with the square of
    the digits."""
    max_key_bytes: int = 64 * 1024
    """Longest object key, in UTF-8 bytes (``--max-key-bytes``)."""
    max_object_keys: int = 100_000
    """Most distinct keys in one object (``--max-object-keys``)."""

    def check(self) -> None:
        """Raise ValueError for a limit the engine cannot honour."""
        for name, lowest in _LOWEST.items():
            if getattr(self, name) < lowest:
                raise ValueError(f"{name} must be at least {lowest}, not {getattr(self, name)}")


_LOWEST = {
    "max_payload_bytes": 1,
    # 2**53 has 16 digits: the fast tier's integers must stay decodable (docs/security.md).
    "max_int_digits": 16,
    "max_key_bytes": 1,
    "max_object_keys": 1,
}
DEFAULT_LIMITS = Limits()


def too_large(payload: bytes, limits: Limits) -> Undecodable | None:
    """The verdict for a payload longer than ``limits`` allows, else None."""
    if len(payload) <= limits.max_payload_bytes:
        return None
    return Undecodable(
        f"payload of {len(payload):,} bytes exceeds the limit of "
        f"{limits.max_payload_bytes:,} bytes (--max-payload-bytes)"
    )


def _too_many_digits(digits: int, limits: Limits) -> str:
    return (
        f"integer literal of {digits:,} digits exceeds the limit of "
        f"{limits.max_int_digits:,} digits (--max-int-digits)"
    )


def _digits(number: int) -> int:
    """Decimal digits of a positive ``number``, without ``str()`` (which refuses big ones)."""
    estimate = max(1, int(number.bit_length() * 0.30102999566398120))  # log10(2)
    return estimate + 1 if number >= 10**estimate else estimate


@functools.lru_cache(maxsize=8)
def _int_ceiling(max_int_digits: int) -> int:
    """The smallest integer with more than ``max_int_digits`` digits."""
    return 10**max_int_digits


class Decoded(NamedTuple):
    """A payload that decoded, with what the walk over it noticed."""

    value: Any
    warnings: list[Finding]
    """Wire-level portability warnings: big integers, duplicate keys, unsafe strings."""
    integral_floats: list[tuple[tuple[str | int, ...], float]]
    """Paths of floats with an integral value (5.0); a warning where a schema says integer."""
    depth: int = 0
    """How deep arrays and objects nest (0 for a scalar): deep values need deep checks."""


class Undecodable(NamedTuple):
    """A payload that is not decodable; ``message`` says exactly why."""

    message: str


def decode(
    payload: bytes, encoding: str = "json", limits: Limits = DEFAULT_LIMITS
) -> Decoded | Undecodable:
    """Decode ``payload`` strictly under ``encoding`` (``json`` or ``msgpack``)."""
    if encoding == "json":
        return decode_json(payload, limits)
    if encoding == "msgpack":
        return decode_msgpack(payload, limits)
    return Undecodable(f"unknown encoding {encoding!r} (expected json or msgpack)")


# ---------------------------------------------------------------- JSON

_JSON = msgspec.json.Decoder()


def decode_json(payload: bytes, limits: Limits = DEFAULT_LIMITS) -> Decoded | Undecodable:
    """Strict RFC 8259 decoding, see the module docstring."""
    large = too_large(payload, limits)
    if large is not None:
        return large
    if not payload or payload.isspace():
        return Undecodable("empty payload" if not payload else "payload is only whitespace")
    if payload.startswith(_BOM):
        return Undecodable("payload starts with a UTF-8 byte order mark (RFC 8259 forbids it)")
    try:
        value = _JSON.decode(payload)
    except RecursionError:
        return Undecodable(f"nesting deeper than {MAX_DEPTH} arrays/objects")
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        return _explain_json(payload, exc, limits)
    scan = _scan(value, limits=limits, payload_size=len(payload))
    if isinstance(scan, Undecodable):
        return scan
    warnings, integral_floats, key_count, depth = scan
    if may_repeat_keys(payload, key_count):
        warnings.extend(_json_duplicate_keys(payload))
    return Decoded(value, warnings, integral_floats, depth)


class _PairsDict(dict[str, Any]):
    """A decoded object that remembers which keys it saw more than once."""

    repeated: tuple[str, ...] = ()


def _pairs_hook(pairs: list[tuple[str, Any]]) -> _PairsDict:
    obj = _PairsDict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.repeated = tuple(
            dict.fromkeys(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        )
    return obj


def _json_duplicate_keys(payload: bytes) -> list[Finding]:
    value = json.loads(payload, object_pairs_hook=_pairs_hook, parse_int=_parse_int)
    found: list[Finding] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key in getattr(node, "repeated", ()):
                found.append(duplicate_key(key, path, node[key]))
            stack.extend((child, (*path, key)) for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, (*path, index)) for index, child in enumerate(node))
    found.sort(key=lambda finding: finding.path)
    return found


class _NotJson(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _reject_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not JSON (RFC 8259 has no NaN or Infinity)")


def _parse_float(literal: str) -> float:
    number = float(literal)
    if math.isinf(number):
        raise _NotJson(f"number {_clip(literal)} overflows a double")
    return number


def _parse_int(literal: str) -> int:
    try:
        return int(literal)
    except ValueError:
        # More digits than int() converts by default (4300), allowed by a raised
        # --max-int-digits (the limit was checked before this conversion).
        import decimal

        return int(decimal.Decimal(literal))


def _bounded_int_parser(limits: Limits) -> Any:
    """``parse_int`` for the json module: refuse a literal beyond the limit BEFORE converting it.

    The json module hands over the literal's text, which it scanned in linear
    time; only the conversion is quadratic.
    """

    def parse(literal: str) -> int:
        digits = len(literal) - literal.startswith("-")
        if digits > limits.max_int_digits:
            raise _NotJson(_too_many_digits(digits, limits))
        return _parse_int(literal)

    return parse


def _explain_json(
    payload: bytes, fast_error: Exception, limits: Limits = DEFAULT_LIMITS
) -> Decoded | Undecodable:
    """msgspec refused the payload: find the precise reason with the json module.

    The json module, hooked to be as strict as rule 1 (docs/semantics.md), is
    the reference here; if it accepts the payload (an integer too large for
    msgspec, within ``--max-int-digits``), so do we.
    """
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = payload[exc.start : exc.start + 1].hex()
        return Undecodable(f"invalid UTF-8 at byte {exc.start} (0x{bad}): {exc.reason}")
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            parse_int=_bounded_int_parser(limits),
        )
    except _NotJson as exc:
        return Undecodable(exc.message + _byte_position(fast_error))
    except RecursionError:
        return Undecodable(f"nesting deeper than {MAX_DEPTH} arrays/objects")
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            return Undecodable(
                f"trailing data after the JSON value at byte {_byte_at(text, exc.pos)}"
            )
        return Undecodable(
            f"invalid JSON at line {exc.lineno} column {exc.colno} "
            f"(byte {_byte_at(text, exc.pos)}): {exc.msg}"
        )
    surrogate = _find_lone_surrogate(value)
    if surrogate is not None:
        return Undecodable(surrogate)
    scan = _scan(value, limits=limits, payload_size=len(payload))
    if isinstance(scan, Undecodable):
        return scan
    warnings, integral_floats, _, depth = scan
    warnings.extend(_json_duplicate_keys(payload))
    return Decoded(value, warnings, integral_floats, depth)


def _find_lone_surrogate(value: Any) -> str | None:
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if _has_surrogate(node):
                where = json_pointer(path) or "/"
                return f"string at {where} has an escape that decodes to a lone surrogate"
        elif isinstance(node, dict):
            for key, child in node.items():
                if _has_surrogate(key):
                    where = json_pointer(path) or "/"
                    return f"key at {where} has an escape that decodes to a lone surrogate"
                stack.append((child, (*path, key)))
        elif isinstance(node, list):
            stack.extend((child, (*path, index)) for index, child in enumerate(node))
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _byte_position(fast_error: Exception) -> str:
    match = re.search(r"\(byte (\d+)\)", str(fast_error))
    return f" at byte {match.group(1)}" if match else ""


def _byte_at(text: str, char_index: int) -> int:
    return len(text[:char_index].encode("utf-8"))


# ---------------------------------------------------------------- MessagePack


def _reject_ext(code: int, data: memoryview) -> Any:
    raise _NotJson(f"MessagePack ext type {code} is outside the JSON data model")


_MSGPACK = msgspec.msgpack.Decoder(ext_hook=_reject_ext)


def decode_msgpack(payload: bytes, limits: Limits = DEFAULT_LIMITS) -> Decoded | Undecodable:
    """One complete MessagePack object inside the JSON data model."""
    large = too_large(payload, limits)
    if large is not None:
        return large
    if not payload:
        return Undecodable("empty payload")
    try:
        value = _MSGPACK.decode(payload)
    except _NotJson as exc:
        return Undecodable(exc.message)
    except RecursionError:
        return Undecodable(f"nesting deeper than {MAX_DEPTH} arrays/maps")
    except (msgspec.DecodeError, UnicodeDecodeError, TypeError, ValueError) as exc:
        return Undecodable(f"invalid MessagePack: {exc}")
    scan = _scan(value, msgpack=True, limits=limits, payload_size=len(payload))
    if isinstance(scan, Undecodable):
        return scan
    warnings, integral_floats, _, depth = scan
    if msgpack_may_repeat_keys(payload, value):
        warnings.extend(_msgpack_duplicate_keys(payload))
    return Decoded(value, warnings, integral_floats, depth)


def _msgpack_duplicate_keys(payload: bytes) -> list[Finding]:
    """Walk the (already validated) MessagePack bytes and report repeated map keys."""
    found: list[Finding] = []
    _MsgpackKeyScanner(payload, found).value(())
    return found


class _MsgpackKeyScanner:
    """Minimal structural reader: sizes and map keys only; msgspec validated the rest."""

    def __init__(self, data: bytes, found: list[Finding]) -> None:
        self.data = data
        self.pos = 0
        self.found = found

    def _uint(self, size: int) -> int:
        start = self.pos
        self.pos += size
        return int.from_bytes(self.data[start : self.pos], "big")

    def value(self, path: tuple[str | int, ...]) -> Any:
        """Skip one object; return it when it is a string (map keys need it)."""
        byte = self.data[self.pos]
        self.pos += 1
        if byte <= 0x7F or byte >= 0xE0 or byte in (0xC0, 0xC2, 0xC3):
            return None
        if 0xA0 <= byte <= 0xBF:
            return self._string(byte & 0x1F)
        if 0x90 <= byte <= 0x9F:
            return self._array(byte & 0x0F, path)
        if 0x80 <= byte <= 0x8F:
            return self._map(byte & 0x0F, path)
        if byte in (0xD9, 0xDA, 0xDB):
            return self._string(self._uint(1 << (byte - 0xD9)))
        if byte in (0xDC, 0xDD):
            return self._array(self._uint(2 << (byte - 0xDC)), path)
        if byte in (0xDE, 0xDF):
            return self._map(self._uint(2 << (byte - 0xDE)), path)
        fixed = {
            0xCA: 4,
            0xCB: 8,
            0xCC: 1,
            0xCD: 2,
            0xCE: 4,
            0xCF: 8,
            0xD0: 1,
            0xD1: 2,
            0xD2: 4,
            0xD3: 8,
        }
        if byte in fixed:
            self.pos += fixed[byte]
            return None
        # bin and ext never reach here: decode_msgpack refused them already.
        raise ValueError(f"unexpected MessagePack byte 0x{byte:02x}")

    def _string(self, length: int) -> str:
        start = self.pos
        self.pos += length
        return self.data[start : self.pos].decode("utf-8")

    def _array(self, length: int, path: tuple[str | int, ...]) -> None:
        for index in range(length):
            self.value((*path, index))

    def _map(self, length: int, path: tuple[str | int, ...]) -> None:
        seen: set[Any] = set()
        reported: set[Any] = set()
        for _ in range(length):
            key = self.value(path)
            if key in seen and key not in reported:
                reported.add(key)
                self.found.append(duplicate_key(key, path))
            seen.add(key)
            self.value((*path, key))


# ---------------------------------------------------------------- the walk


def _scan(
    value: Any,
    *,
    msgpack: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    payload_size: int | None = None,
) -> tuple[list[Finding], list[tuple[tuple[str | int, ...], float]], int, int] | Undecodable:
    """One pass over a decoded value: depth, limits, data model, and portability warnings.

    Returns (warnings, integral float paths, number of object keys, depth), or
    Undecodable when the value nests too deep, goes beyond ``limits`` or
    (MessagePack) leaves the JSON data model. Scalars are checked inline and
    paths built only for what is reported: this runs for every event the fast
    tier did not accept. No key can be longer than the payload that holds it,
    so key lengths are only measured for payloads longer than the key limit.
    """
    warnings: list[Finding] = []
    integral_floats: list[tuple[tuple[str | int, ...], float]] = []
    key_count = 0
    deepest = 0
    max_keys = limits.max_object_keys
    # A key of N characters has at least N UTF-8 bytes and at most 4 N.
    long_key = (
        limits.max_key_bytes // 4
        if payload_size is None or payload_size > limits.max_key_bytes
        else None
    )
    ceiling = _int_ceiling(limits.max_int_digits)
    root_problem = _check_scalar(value, (), warnings, integral_floats, msgpack, ceiling, limits)
    if root_problem:
        return Undecodable(root_problem)
    stack: list[tuple[Any, tuple[str | int, ...]]] = []
    if type(value) is dict or type(value) is list:
        stack.append((value, ()))
    while stack:
        node, path = stack.pop()
        if len(path) >= deepest:
            deepest = len(path) + 1
            if deepest > MAX_DEPTH:
                return Undecodable(f"nesting deeper than {MAX_DEPTH} arrays/objects")
        if type(node) is dict:
            key_count += len(node)
            if len(node) > max_keys:
                return Undecodable(
                    f"object at {_where(path)} has {len(node):,} keys, beyond the limit of "
                    f"{max_keys:,} (--max-object-keys)"
                )
            items: Any = node.items()
            for key in node:
                if type(key) is not str:
                    return Undecodable(
                        f"map key {short_repr(key)} at {_where(path)} is not a string "
                        f"(the JSON data model has string keys only)"
                    )
                if long_key is not None and len(key) > long_key:
                    size = len(key.encode("utf-8", "surrogatepass"))
                    if size > limits.max_key_bytes:
                        return Undecodable(
                            f"key of {size:,} bytes in the object at {_where(path)} exceeds "
                            f"the limit of {limits.max_key_bytes:,} bytes (--max-key-bytes)"
                        )
                if "\ufffd" in key or "\x00" in key:
                    warnings.append(unsafe_string(key, (*path, key), "key"))
        else:
            items = enumerate(node)
        for key, child in items:
            kind = type(child)
            if kind is str:
                if "\ufffd" in child or "\x00" in child:
                    warnings.append(unsafe_string(child, (*path, key), "string"))
            elif kind is dict or kind is list:
                stack.append((child, (*path, key)))
            elif kind is int:
                if child > SAFE_INTEGER or child < -SAFE_INTEGER:
                    problem = _check_scalar(
                        child, (*path, key), warnings, integral_floats, msgpack, ceiling, limits
                    )
                    if problem:
                        return Undecodable(problem)
            elif kind is float:
                if child.is_integer() or (msgpack and not math.isfinite(child)):
                    problem = _check_scalar(
                        child, (*path, key), warnings, integral_floats, msgpack, ceiling, limits
                    )
                    if problem:
                        return Undecodable(problem)
            elif kind is not bool and child is not None:
                problem = _check_scalar(
                    child, (*path, key), warnings, integral_floats, msgpack, ceiling, limits
                )
                if problem:
                    return Undecodable(problem)
    return warnings, integral_floats, key_count, deepest


def _where(path: tuple[str | int, ...]) -> str:
    """A JSON Pointer for messages, clipped: keys may be long (docs/security.md, "Limits")."""
    return _clip(json_pointer(path), 200) or "/"


def _check_scalar(
    value: Any,
    path: tuple[str | int, ...],
    warnings: list[Finding],
    integral_floats: list[tuple[tuple[str | int, ...], float]],
    msgpack: bool,
    ceiling: int,
    limits: Limits,
) -> str | None:
    kind = type(value)
    if kind is str:
        if "\ufffd" in value or "\x00" in value:
            warnings.append(unsafe_string(value, path, "string"))
    elif kind is int:
        if not -SAFE_INTEGER <= value <= SAFE_INTEGER:
            # msgspec stops at 4300 digits itself; a lower limit is checked here.
            if value >= ceiling or value <= -ceiling:
                return _too_many_digits(_digits(abs(value)), limits)
            warnings.append(big_integer(value, path))
    elif kind is float:
        if msgpack and not math.isfinite(value):
            return f"{value} at {_where(path)} is not a JSON number"
        if value.is_integer():
            integral_floats.append((path, value))
    elif kind not in _SCALARS and kind is not dict and kind is not list:
        if kind is bytes:
            what = "bin value"
        elif kind.__name__ == "datetime":
            what = "timestamp extension"
        else:
            what = f"{kind.__name__} value"
        return f"MessagePack {what} at {_where(path)} is outside the JSON data model"
    return None


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
