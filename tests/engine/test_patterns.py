"""Pattern evaluation cannot stall the process (issue 10, defect 4; docs/security.md, "Patterns").

Every engine a pattern may be given to answers ``re.search`` exactly: the
tests hold RE2 and the regex module (with the translation they get) to
Python's ``re`` on generated patterns and strings, and the engine to the
reference wherever the reference finishes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdccheck.engine import patterns
from cdccheck.engine.engine import Engine
from cdccheck.engine.shapes import FORMAT_SUBSETS, shape_of
from cdccheck.model import CONSTRAINT, PATTERN_TIMEOUT, Entry
from tests.helpers import schema_from

CATASTROPHIC = r"^(a+)+b$"
"""Exponential for a backtracking engine on "aaaa...a!" (40 characters: hours)."""
HOSTILE = "a" * 40 + "!"
UNTRANSLATABLE_CATASTROPHIC = r"^(?=a)(a|a)*$"
"""Exponential too, and a lookahead keeps it from RE2: the regex module with a budget."""


@pytest.fixture
def short_budget() -> Iterator[None]:
    before = patterns.timeout_ms()
    patterns.set_timeout(20)
    try:
        yield
    finally:
        patterns.set_timeout(before)


# ---------------------------------------------------------------- which engine


@pytest.mark.parametrize(
    "pattern",
    [
        r"^[a-z0-9_-]{1,64}$",
        r"^\d{4}-\d{2}-\d{2}$",
        r"^[a-z]+(?:-[a-z]+)?$",
        r"^\w+@\w+\.\w+$",
        r"(?i)^[a-z]+$",
        r"^\d+(\.\d+)?$",
        r"-",
        r"^a$|^b$",
        r"",
        FORMAT_SUBSETS["date-time"],
        FORMAT_SUBSETS["uuid"],
    ],
)
def test_linear_patterns_stay_with_re(pattern: str) -> None:
    assert patterns.linear(pattern)
    assert patterns.matcher(pattern).engine == "re"


@pytest.mark.parametrize(
    ("pattern", "engine"),
    [
        (CATASTROPHIC, "re2"),
        (r"^(\w+\s?)*$", "re2"),
        (r"^(a|a)*$", "re2"),
        (r"^[^@]+@[^@]+\.[^@]+$", "re2"),  # quadratic: [^@]+ backtracks over every "."
        (r"a*b", "re2"),  # unanchored: re tries every position, each in linear time
        (r"(?m)^a+$", "re2"),
        (UNTRANSLATABLE_CATASTROPHIC, "regex"),
        (r"^(a|a)*\1$", "regex"),
        (r"(?i)(a)\1", "regex"),
        (r"\bword\b.*x", "regex"),
    ],
)
def test_other_patterns_go_to_a_bounded_engine(pattern: str, engine: str) -> None:
    assert not patterns.linear(pattern)
    assert patterns.matcher(pattern).engine == engine


def test_the_catastrophic_pattern_answers_at_once_through_re2() -> None:
    # re.search(CATASTROPHIC, HOSTILE) does not finish.
    assert patterns.search(CATASTROPHIC, HOSTILE) is False
    assert patterns.search(CATASTROPHIC, "aaab") is True


def test_a_pattern_beyond_its_budget_raises_pattern_timeout(short_budget: None) -> None:
    with pytest.raises(patterns.PatternTimeout, match="ran out of its 20 ms budget"):
        patterns.search(UNTRANSLATABLE_CATASTROPHIC, HOSTILE)
    assert patterns.search(UNTRANSLATABLE_CATASTROPHIC, "aaaa") is True


def test_python_jsonschema_searches_through_the_bounded_engines() -> None:
    schema = schema_from({"pattern": CATASTROPHIC})
    assert patterns.installed()
    # The reference itself no longer hangs on the hostile string.
    assert not schema.validator.is_valid(HOSTILE)


def test_the_budget_is_at_least_one_millisecond() -> None:
    with pytest.raises(ValueError, match="at least 1 ms"):
        patterns.set_timeout(0)


# ---------------------------------------------------------------- verdicts


def check(document: object, value: object) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    schema = schema_from(document)
    verdict = Engine(schema, schema).check(Entry("1-1", {"payload": json.dumps(value).encode()}))
    assert verdict.error is None
    assert verdict.legacy is not None
    assert verdict.new is not None
    return (
        [(f.kind, f.path) for f in verdict.legacy],
        [(f.kind, f.path) for f in verdict.new],
    )


@pytest.mark.timeout(60)
def test_a_backtracking_pattern_gets_the_reference_verdict_at_once() -> None:
    document = {"type": "object", "properties": {"s": {"type": "string", "pattern": CATASTROPHIC}}}
    assert check(document, {"s": HOSTILE}) == ([(CONSTRAINT, "/s")], [(CONSTRAINT, "/s")])
    assert check(document, {"s": "aab"}) == ([], [])


def test_a_timeout_is_a_finding_of_its_own_kind_under_the_schema(short_budget: None) -> None:
    document = {
        "type": "object",
        "properties": {"s": {"type": "string", "pattern": UNTRANSLATABLE_CATASTROPHIC}},
    }
    legacy, _ = check(document, {"s": HOSTILE})
    assert legacy == [(PATTERN_TIMEOUT, "/s")]
    assert check(document, {"s": "aaa"}) == ([], [])


def test_a_timeout_in_the_reference_fallback_is_a_finding(short_budget: None) -> None:
    # anyOf is not compiled: python-jsonschema evaluates it, through the bounded engines.
    document = {"anyOf": [{"type": "integer"}, {"pattern": UNTRANSLATABLE_CATASTROPHIC}]}
    legacy, _ = check(document, HOSTILE)
    assert legacy == [(PATTERN_TIMEOUT, "")]


def test_a_timeout_in_pattern_properties_is_a_finding_at_the_key(short_budget: None) -> None:
    document = {
        "type": "object",
        "patternProperties": {UNTRANSLATABLE_CATASTROPHIC: {"type": "integer"}},
        "additionalProperties": False,
    }
    legacy, _ = check(document, {HOSTILE: 1})
    assert (PATTERN_TIMEOUT, "/" + HOSTILE) in legacy


def test_a_timeout_inside_a_condition_leaves_the_schema_undecided(short_budget: None) -> None:
    document = {
        "if": {"pattern": UNTRANSLATABLE_CATASTROPHIC},
        "then": {"type": "integer"},
    }
    legacy, _ = check(document, HOSTILE)
    assert legacy == [(PATTERN_TIMEOUT, "")]


def test_only_linear_patterns_reach_the_fast_tier() -> None:
    def closed(pattern: str) -> dict[str, object]:
        return {
            "type": "object",
            "properties": {"s": {"type": "string", "pattern": pattern}},
            "required": ["s"],
            "additionalProperties": False,
        }

    assert shape_of(schema_from(closed(r"^[a-z]+$"))) is not None
    # msgspec would search this one with re, unbounded.
    assert shape_of(schema_from(closed(CATASTROPHIC))) is None


# ---------------------------------------------------------------- same answers as re

_CHARACTERS = "ab_-.\n1\u0663\u017fKk\u212a\u0130i\u0301\u00e9 Z"
"""Letters, digits of another script, case-folding oddities (long s, Kelvin sign,
dotted I), a combining mark, a newline: where engines tend to differ."""
_ATOMS = [
    *(re.escape(c) for c in _CHARACTERS),
    ".",
    r"\d",
    r"\w",
    r"\s",
    r"\D",
    r"\W",
    r"\S",
    "[ab]",
    "[^a]",
    "[a-k]",
    r"[\d_]",
    r"[^\w\n]",
    "[K-k]",
]
_ANCHORS = ["^", "$", r"\A", r"\Z", r"\b", r"\B"]


def _regexes() -> st.SearchStrategy[str]:
    atom = st.sampled_from(_ATOMS)
    leaf = st.one_of(atom, st.sampled_from(_ANCHORS))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.lists(inner, min_size=2, max_size=4).map("".join),
            st.tuples(inner, inner).map(lambda p: f"(?:{p[0]}|{p[1]})"),
            inner.map(lambda p: f"({p})"),
            st.tuples(inner, st.sampled_from(["*", "+", "?", "{1,3}", "*?", "{2}", "{0,12}"])).map(
                lambda p: f"(?:{p[0]}){p[1]}"
            ),
            inner.map(lambda p: f"(?={p})"),
            inner.map(lambda p: f"(?!{p})"),
            atom.map(lambda p: f"(?<={p})"),
            st.tuples(st.sampled_from(["i", "s", "m", "a"]), inner).map(
                lambda p: f"(?{p[0]}:{p[1]})"
            ),
        )

    body = st.recursive(leaf, extend, max_leaves=8)
    flags = st.sampled_from(["", "(?i)", "(?s)", "(?m)", "(?x)", "(?a)", "(?is)"])
    return st.tuples(flags, body).map("".join)


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    _regexes().filter(_compiles),
    st.lists(st.text(alphabet=_CHARACTERS, max_size=10), min_size=1, max_size=6),
)
def test_every_engine_answers_as_re(pattern: str, texts: list[str]) -> None:
    engines = {"matcher": patterns.matcher(pattern).search}
    try:
        translated = patterns._Translator("re2").pattern(pattern)
    except patterns._Untranslatable:
        pass
    else:
        re2_search = patterns._re2_searcher(translated)
        if re2_search is not None:
            engines["re2"] = re2_search
    engines["regex"] = patterns._regex_searcher(pattern)
    for text in texts:
        expected = re.search(pattern, text) is not None
        for name, search in engines.items():
            assert search(text) == expected, (name, pattern, text)


@pytest.mark.parametrize(
    ("pattern", "texts"),
    [
        (r"\B", ["", "a", " ", "ab"]),
        (r"\b", ["", "a", " ", "a b"]),
        (r"(?a)\bé", ["é", " é"]),
        (r"x$", ["x", "x\n", "x\n\n", "x\ny"]),
        (r"(?m)x$", ["x\ny", "x"]),
        (r"(?i)\u212a", ["k", "K", "\u212a"]),
        (r"(?i)s", ["\u017f", "S"]),
        (r"^\d+$", ["\u0663", "\U00011f50", "1"]),
        (r"(a)(?(1)b|c)", ["ab", "c", "ac"]),
        (r"(?P<x>a)(?P=x)", ["aa", "ab"]),
    ],
)
def test_edge_cases_answer_as_re(pattern: str, texts: list[str]) -> None:
    for engine in ("matcher", "regex"):
        search = (
            patterns.matcher(pattern).search
            if engine == "matcher"
            else patterns._regex_searcher(pattern)
        )
        for text in texts:
            assert search(text) == (re.search(pattern, text) is not None), (engine, pattern, text)


@pytest.mark.timeout(120)
def test_the_gate_checks_its_witnesses_against_a_backtracking_pattern(tmp_path: object) -> None:
    # The witness "aaa...a" (30 characters) against ^(a+)+b$ hung the gate.
    from pathlib import Path

    from typer.testing import CliRunner

    from cdccheck.cli import app

    folder = Path(str(tmp_path))
    string: dict[str, object] = {"type": "string", "minLength": 30}
    for name, extra in (("legacy", {}), ("new", {"pattern": CATASTROPHIC})):
        document = {
            "type": "object",
            "properties": {"s": {**string, **extra}},
            "required": ["s"],
        }
        (folder / f"{name}.json").write_text(json.dumps(document))
    result = CliRunner().invoke(
        app, ["gate", "--legacy", str(folder / "legacy.json"), "--new", str(folder / "new.json")]
    )
    assert result.exit_code == 1, result.output
    assert "PATTERN_ADDED  breaks backward  witness: /s = " in result.stdout
