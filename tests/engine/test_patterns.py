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
from cdccheck.engine.fastpath import FastAcceptor
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


def _closed(pattern: str, *, other: str | None = None) -> dict[str, object]:
    """A closed object: ``s`` a string under ``pattern``, ``t`` one under ``other``."""
    properties: dict[str, object] = {"id": {"type": "integer"}}
    properties["s"] = {"type": "string", "pattern": pattern}
    if other is not None:
        properties["t"] = {"type": "string", "pattern": other}
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


@pytest.mark.timeout(60)
def test_the_fast_tier_searches_every_pattern_through_its_matcher() -> None:
    # msgspec never sees a pattern: the decoded Struct is screened, by the pattern's
    # bounded Matcher, so a backtracking pattern translates too.
    schema = schema_from(_closed(CATASTROPHIC))
    assert shape_of(schema) is not None
    fast = FastAcceptor.build(schema, schema)
    assert fast is not None
    assert fast.builder is not None
    assert fast.builder.search_for((CATASTROPHIC,)) is patterns.matcher(CATASTROPHIC).test
    assert fast.answer(json.dumps({"id": 1, "s": "aab"}).encode()).accepted
    # re.search(CATASTROPHIC, HOSTILE) does not finish; RE2 says no at once.
    said = fast.answer(json.dumps({"id": 1, "s": HOSTILE}).encode())
    assert not said.accepted
    assert said.proven == ()


def test_a_timeout_in_the_fast_tier_leaves_the_event_to_the_full_path(
    short_budget: None,
) -> None:
    schema = schema_from(_closed(UNTRANSLATABLE_CATASTROPHIC))
    engine = Engine(schema, schema)
    assert engine.fast_path is not None
    entry = Entry("1-1", {"payload": json.dumps({"id": 1, "s": HOSTILE}).encode()})
    for verdict in (engine.check(entry), engine.check_batch([entry])[1][0]):
        assert verdict.error is None
        assert verdict.legacy is not None
        assert [(f.kind, f.path) for f in verdict.legacy] == [(PATTERN_TIMEOUT, "/s")]
    healthy, verdicts = engine.check_batch(
        [Entry("1-2", {"payload": json.dumps({"id": 1, "s": "aaaa"}).encode()})]
    )
    assert (sum(healthy.values()), verdicts) == (1, [])


@pytest.mark.timeout(120)
def test_a_backtracking_pattern_gets_the_reference_verdict_from_a_remembered_shape() -> None:
    # The legacy schema holds ^(a+)+$ on s and t; the new one on t only. Every event
    # drifts the same way (an s of a's ending in b: hours for re), so the failure
    # shape is learnt and later events are explained from memory, where the loose
    # s is checked by the legacy schema's compiled pattern and t by the screen of
    # the remembered decoder.
    backtracking = r"^(a+)+$"
    legacy = schema_from(_closed(backtracking, other=backtracking), "legacy")
    new = schema_from(_closed(r"^a", other=backtracking), "new")
    engine = Engine(legacy, new)
    slow = Engine(legacy, new, fast_path=False)
    fast = engine.fast_path
    assert fast is not None

    def payload(index: int) -> bytes:
        # Ever longer strings: no cached finding stands in for a search.
        event = {"id": index, "s": "a" * (40 + index) + "b", "t": "a" * (30 + index)}
        return json.dumps(event).encode()

    expected = ([(CONSTRAINT, "/s")], [])
    entries = [Entry(f"{index}-0", {"payload": payload(index)}) for index in range(1, 9)]
    healthy, verdicts = engine.check_batch(entries)
    assert not healthy
    for entry, verdict in zip(entries, verdicts, strict=True):
        assert verdict == slow.check(entry)
        assert verdict.legacy is not None
        assert verdict.new is not None
        assert ([(f.kind, f.path) for f in verdict.legacy], verdict.new) == expected
    for index in range(9, 15):
        said = fast.answer(payload(index))
        assert said.findings is not None  # the remembered shape explains it
        legacy_found, new_found = said.findings
        assert ([(f.kind, f.path) for f in legacy_found], new_found) == expected
        assert legacy_found[0].message.endswith(f"does not match {backtracking!r}")
        entry = Entry(f"{index}-0", {"payload": payload(index)})
        assert engine.check(entry) == slow.check(entry)


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
        translated = patterns.Translator("re2").pattern(pattern)
    except patterns.Untranslatable:
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


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    st.lists(_regexes().filter(_compiles), min_size=2, max_size=3),
    st.lists(st.text(alphabet=_CHARACTERS, max_size=10), min_size=1, max_size=6),
)
def test_several_patterns_are_found_as_re_finds_each(found: list[str], texts: list[str]) -> None:
    test = patterns.every(tuple(found))
    for text in texts:
        expected = all(re.search(pattern, text) for pattern in found)
        assert bool(test(text)) == expected, (found, text)


def test_linear_patterns_are_joined_into_one_re_search() -> None:
    joined = patterns.every((r"^t1_[0-9a-z]{1,13}$", r"^(t1|t3)_"))
    assert getattr(joined, "__self__", None).__class__ is re.Pattern  # one re search
    assert joined("t1_abc")
    assert not joined("t3_abc")
    assert not joined("t1_")
    # A pattern not proven linear is never joined: each goes to its own Matcher.
    mixed = patterns.every((r"^a", CATASTROPHIC))
    assert getattr(mixed, "__self__", None).__class__ is not re.Pattern
    assert not mixed(HOSTILE)  # re would not finish
    assert mixed("aaab")


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
        # re scans for a leading class under the global flags, not the scoped ones.
        (r"((?a:[^\w\n]))", ["é", "xé", "a", " "]),
        (r"(?a:\W)", ["é", "éx", "!", "a"]),
        (r"(?a:\w)", ["é", "xé", "a"]),
        (r"(?a:[^\w\n])x", ["éx", "!x"]),
        (r"(?:(?a:[^\w\n]))+", ["é", "!"]),
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
