"""Gate precision: no break is claimed where nothing can break (issue 11, defect 8).

A peer's compatibility suite found four changes called breaking without
proof: a `pattern` (of a string, or in `propertyNames`) that matches every
string, and a writer schema that accepts nothing. Each case here is first
checked against python-jsonschema, the reference, so the test cannot pass on
a wrong premise.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdccheck.gate.compat import compare_documents
from cdccheck.gate.schemaview import universal_pattern
from tests.gate.support import validator_for_document

# Strings that trip naive readings of a regex: empty, newlines (`.` and `$`),
# non-word characters (`\b`), non-ASCII, NUL.
TRICKY = ["", "a", "b", "\n", "a\nb", "\n\n", " ", "-", "Ab", "é", "\x00", "aaa", "x" * 50]

UNIVERSAL = ["a*", ".*", "", "^", "\\A", "x?", "(|a)", "^a*", "(?:ab)*", "[a-z]{0,3}", ".*$", "$"]
UNIVERSAL += ["(?i)a*", "(?=a*)", "(a|b*)", "a{0}", "(?m)^", "\\Z", "(a*)+"]
# Patterns that some string does not match (Python's re.search, as python-jsonschema):
# `^.*$` fails on "a\nb" (`.` stops at the newline, `$` is not before it).
NOT_UNIVERSAL = ["^.*$", "^$", "a", "\\b", "^a", "a+", "[^a]*b", "(?!)", "\\d*x", "^.+"]


def _matches_every_string(pattern: str, strings: list[str]) -> bool:
    validator = validator_for_document({"type": "string", "pattern": pattern})
    return all(validator.is_valid(s) for s in strings)


@pytest.mark.parametrize("pattern", UNIVERSAL)
def test_universal_patterns_are_recognised(pattern: str) -> None:
    assert _matches_every_string(pattern, TRICKY), "premise: the reference accepts them all"
    assert universal_pattern(pattern)


@pytest.mark.parametrize("pattern", NOT_UNIVERSAL)
def test_other_patterns_are_not(pattern: str) -> None:
    assert not _matches_every_string(pattern, TRICKY), "premise: the reference rejects one"
    assert not universal_pattern(pattern)


@given(st.text(max_size=12))
def test_recognised_patterns_match_generated_strings(text: str) -> None:
    for pattern in UNIVERSAL:
        assert _matches_every_string(pattern, [text]), (pattern, text)


@pytest.mark.parametrize("pattern", ["a*", ".*", "", "^", "(|x)"])
def test_a_universal_string_pattern_breaks_nothing(pattern: str) -> None:
    legacy = {"type": "string"}
    new = {"type": "string", "pattern": pattern}
    assert _matches_every_string(pattern, TRICKY)
    comparison = compare_documents(legacy, new)
    assert comparison.compatible("full"), [(c.kind, c.message) for c in comparison.changes]


@pytest.mark.parametrize("pattern", ["a*", ".*", "^", "(|x)"])
def test_a_universal_property_names_pattern_breaks_nothing(pattern: str) -> None:
    legacy = {"type": "object"}
    new = {"type": "object", "propertyNames": {"pattern": pattern}}
    reference = validator_for_document(new)
    assert all(reference.is_valid({name: 1}) for name in TRICKY)
    comparison = compare_documents(legacy, new)
    assert comparison.compatible("full"), [(c.kind, c.message) for c in comparison.changes]


def test_a_pattern_that_misses_a_string_still_breaks_with_proof() -> None:
    """`^.*$` looks universal and is not: the witness is a string with a newline."""
    comparison = compare_documents({"type": "string"}, {"type": "string", "pattern": "^.*$"})
    [change] = comparison.changes
    assert (change.kind, change.backward, change.forward) == ("PATTERN_ADDED", True, False)
    assert change.witness is not None
    assert "\n" in change.witness.instance
    assert not validator_for_document({"pattern": "^.*$"}).is_valid(change.witness.instance)


EMPTY_WRITERS = [False, {"not": {}}, {"not": True}, {"not": {"$comment": "nothing"}}]
EMPTY_WRITERS += [{"allOf": [{"not": {}}]}, {"if": True, "then": False}]
READERS = [
    False,
    {"type": "string"},
    {"type": "integer", "maximum": 3},
    {"type": "object", "required": ["a"], "additionalProperties": False},
    {"enum": [1]},
    {"pattern": "^x"},
    {"not": {}},
]
_INSTANCES = [None, True, 0, 1.5, "", "x", [], [1], {}, {"a": 1}]


def _in_property(schema: Any) -> Any:
    return {"type": "object", "properties": {"x": schema}}


@pytest.mark.parametrize("writer", EMPTY_WRITERS, ids=str)
@pytest.mark.parametrize("reader", READERS, ids=str)
def test_a_writer_that_accepts_nothing_breaks_no_reader(writer: Any, reader: Any) -> None:
    reference = validator_for_document(writer) if isinstance(writer, dict) else None
    assert reference is None or not any(reference.is_valid(v) for v in _INSTANCES)
    # The legacy schema writes (backward) and the new one writes (forward).
    backward = compare_documents(writer, reader)
    assert backward.backward, [(c.kind, c.message) for c in backward.changes if c.backward]
    forward = compare_documents(reader, writer)
    assert forward.forward, [(c.kind, c.message) for c in forward.changes if c.forward]
    nested = compare_documents(_in_property(writer), _in_property(reader))
    assert nested.backward, [(c.kind, c.message) for c in nested.changes if c.backward]


@pytest.mark.parametrize("writer", EMPTY_WRITERS[1:], ids=str)
def test_a_reader_that_accepts_nothing_still_breaks(writer: Any) -> None:
    """The other direction is unchanged: an empty reader refuses every event."""
    comparison = compare_documents({"type": "string"}, writer)
    assert not comparison.backward
    assert any(c.proven for c in comparison.changes if c.backward)


@pytest.mark.parametrize("names", [{"pattern": "^a"}, {"maxLength": 2}, {"format": "email"}])
def test_property_names_that_refuse_a_name_still_break(names: Any) -> None:
    comparison = compare_documents({"type": "object"}, {"type": "object", "propertyNames": names})
    [change] = comparison.changes
    assert (change.kind, change.backward) == ("PROPERTY_NAMES_ADDED", True)
    assert change.witness is not None
    assert not validator_for_document({"propertyNames": names}).is_valid(change.witness.instance)
