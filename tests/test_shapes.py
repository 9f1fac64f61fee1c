"""Value shapes and the one free-text rule (docs/semantics.md, rule 5)."""

from __future__ import annotations

import doctest

import pytest

from cdccheck import shapes
from cdccheck.model import ABSENT
from cdccheck.shapes import is_free_text, shape_of


@pytest.mark.parametrize(
    ("text", "free"),
    [
        # digit patterns: timestamps, dates, times, numbers written as text
        ("2026-01-28T12:34:56.123456Z", False),
        ("2026-01-28 12:34:56", False),
        ("12:34", False),
        ("-12.5", False),
        ("+1 555-123-4567", False),
        # tokens: identifiers of every kind
        ("01J8ZK5W3V9QX2M4N6P8R0T2AB", False),
        ("0d9a4c4e-3c51-4f1b-9a57-5f0e5a1c2b3d", False),
        ("t1_kq2x9ab", False),
        ("removed_by_admin", False),
        ("spez@example.com", False),
        ("hello", False),
        # free text: words with spaces, non-ASCII letters, control characters, anything long
        ("Rewrote it in Go, kept the wire format.", True),
        ("two words", True),
        ("héllo", True),
        ("tab\there", True),
        ("x" * 129, True),
        ("1" * 65 + " a", True),
        ("", True),
    ],
)
def test_the_free_text_rule(text: str, free: bool) -> None:
    assert is_free_text(text) is free


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ("2026-01-28T12:34:56.123456Z", "dddd-dd-ddTdd:dd:dd.ddddddZ"),
        ("2026-01-28T12:34:56+02:00", "dddd-dd-ddTdd:dd:dd+dd:dd"),
        ("01J8ZK5W3V9QX2M4N6P8R0T2AB", "<string, 26 chars, ascii>"),
        ("0d9a4c4e3c514f1b9a575f0e5a1c2b3d", "<string, 32 chars, hex>"),
        ("TZ", "<string, 2 chars, ascii>"),  # no digit: a token, not a digit pattern
        ("my secret comment", "<text, 17 chars>"),
        ("bad \ufffd bytes", "<text, 11 chars, has U+FFFD>"),
        ("a\x00b", "<text, 3 chars, has NUL>"),
        (True, "true"),
        (None, "null"),
        (ABSENT, "absent"),
        (250, "ddd"),
        (-5, "-d"),
        (5.0, "d.d"),
        (2**63, "ddddddddddddddddddd"),
        (10**30, "<integer, 31 digits>"),
        ({"a": 1, "b": 2}, "<object, 2 keys>"),
        ([1], "<array, 1 item>"),
    ],
)
def test_shapes(value: object, shape: str) -> None:
    assert shape_of(value) == shape


def test_a_closed_set_shows_codes_but_never_free_text() -> None:
    assert shape_of("removed_by_admin", closed_set=True) == '"removed_by_admin"'
    assert shape_of(7, closed_set=True) == "7"
    assert shape_of(0.5, closed_set=True) == "0.5"
    # Free text in an enum field is still free text; a long token is not a code.
    assert shape_of("two words", closed_set=True) == "<text, 9 chars>"
    assert shape_of("a" * 65, closed_set=True) == "<string, 65 chars, ascii>"


def test_the_module_examples_hold() -> None:
    assert doctest.testmod(shapes).failed == 0
