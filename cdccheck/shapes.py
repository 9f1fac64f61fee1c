"""Value shapes: what a report shows of a value by default (docs/semantics.md, rule 5).

Reports end up in CI logs and pull requests, and payloads carry user
content, so a sample value is shown by default as its *shape*: enough to see
why it failed (``dddd-dd-dd dd:dd:dd`` is a timestamp with a space, ``true``
is a boolean where a number belongs), never the words a user wrote.

The one rule for what stays hidden is :func:`is_free_text`: a string is free
text unless it is a digit pattern (timestamps, dates, numbers written as
text) or a token (identifiers: ASCII letters, digits and ``_-.:/@+=~``,
no spaces). Free text shows only its length. Tokens show their length and
alphabet; at a location the schema closes to a set of values (``enum`` or
``const``, an ``enum_value`` finding) a short token is shown as it is,
because it is a code, not content. Digit patterns show every digit as ``d``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from cdccheck.model import ABSENT

__all__ = [
    "MAX_DIGIT_PATTERN",
    "MAX_SHOWN_TOKEN",
    "MAX_TOKEN",
    "is_free_text",
    "shape_of",
    "shown_as_is",
]

MAX_DIGIT_PATTERN = 64
"""Longest string read as a digit pattern (a timestamp with nanoseconds and an offset is 35)."""
MAX_TOKEN = 128
"""Longest string read as a token (an identifier); anything longer is free text."""
MAX_SHOWN_TOKEN = 64
"""Longest closed-set member shown as it is."""
_MAX_SHOWN_DIGITS = 20

# A digit pattern: digits plus the separators of dates, times and numbers, and
# the two letters RFC 3339 puts between them (T before the time, Z for UTC).
_DIGIT_PATTERN = re.compile(r"(?=[^\d]*\d)[\d\-:.+/,_ TZ]+")
_TOKEN = re.compile(r"[A-Za-z0-9_\-.:/@+=~]+")
_HEX = re.compile(r"[0-9A-Fa-f\-]+")


def is_free_text(text: str) -> bool:
    """Whether ``text`` is free text, whose content a report never shows by default.

    Not free text: a *digit pattern* (at most 64 characters, at least one
    digit, otherwise only ``- : . + / , _``, space, ``T`` and ``Z``) or a
    *token* (1 to 128 characters, each an ASCII letter, a digit or one of
    ``_ - . : / @ + = ~``). Everything else is: words with spaces between
    them, non-ASCII letters, control characters, anything longer.
    """
    return not (_is_digit_pattern(text) or _is_token(text))


def _is_digit_pattern(text: str) -> bool:
    return len(text) <= MAX_DIGIT_PATTERN and _DIGIT_PATTERN.fullmatch(text) is not None


def _is_token(text: str) -> bool:
    return len(text) <= MAX_TOKEN and _TOKEN.fullmatch(text) is not None


def shown_as_is(value: Any, *, closed_set: bool = False) -> bool:
    """Whether the shape of ``value`` is the value itself: ``true``, ``null``, a closed-set code."""
    if value is None or isinstance(value, bool):
        return True
    if not closed_set:
        return False
    if isinstance(value, str):
        return len(value) <= MAX_SHOWN_TOKEN and _is_token(value)
    if isinstance(value, int):
        return len(str(abs(value))) <= _MAX_SHOWN_DIGITS if value.bit_length() < 80 else False
    return isinstance(value, float) and math.isfinite(value)


def shape_of(value: Any, *, closed_set: bool = False) -> str:
    """The shape of a JSON value, for reports that do not show values.

    ``closed_set``: the schema allows only a closed set of values at the
    value's location (an ``enum_value`` finding), so short tokens and
    numbers are codes and are shown as they are.

    >>> shape_of("2026-01-28T12:34:56.123456Z")
    'dddd-dd-ddTdd:dd:dd.ddddddZ'
    >>> shape_of("01J8ZK5W3V9QX2M4N6P8R0T2AB")
    '<string, 26 chars, ascii>'
    >>> shape_of("nice comment, thanks")
    '<text, 20 chars>'
    >>> shape_of("removed_by_admin", closed_set=True)
    '"removed_by_admin"'
    """
    if value is ABSENT:
        return "absent"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string_shape(value, closed_set)
    if isinstance(value, int):
        return _integer_shape(value, closed_set)
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        text = repr(value)
        return text if closed_set else re.sub(r"\d", "d", text)
    if isinstance(value, dict):
        return f"<object, {_count(len(value), 'key')}>"
    if isinstance(value, list):
        return f"<array, {_count(len(value), 'item')}>"
    return f"<{type(value).__name__}>"


def _string_shape(text: str, closed_set: bool) -> str:
    if closed_set and shown_as_is(text, closed_set=True):
        return f'"{text}"'
    if _is_digit_pattern(text):
        return re.sub(r"\d", "d", text)
    length = _count(len(text), "char")
    if _is_token(text):
        hexadecimal = len(text) >= 8 and _HEX.fullmatch(text) and any(c.isdigit() for c in text)
        return f"<string, {length}, {'hex' if hexadecimal else 'ascii'}>"
    marks = [
        mark
        for mark, present in (("has U+FFFD", "\ufffd" in text), ("has NUL", "\x00" in text))
        if present
    ]
    return "<" + ", ".join(["text", length, *marks]) + ">"


def _integer_shape(number: int, closed_set: bool) -> str:
    if closed_set and shown_as_is(number, closed_set=True):
        return str(number)
    if number.bit_length() > 70:  # more than 20 digits: say how many, without printing it
        sign = "-" if number < 0 else ""
        if number.bit_length() >= 14_000:  # str() refuses beyond 4,300 digits by default
            return f"<{sign}integer, {number.bit_length():,} bits>"
        return f"<{sign}integer, {len(str(abs(number))):,} digits>"
    return re.sub(r"\d", "d", str(number))


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
