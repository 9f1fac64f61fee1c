"""`pattern` evaluation that cannot stall the process (docs/security.md, "Patterns").

JSON Schema's ``pattern`` and ``patternProperties`` are searched with Python's
``re`` by the reference (docs/semantics.md, rule 2). ``re`` backtracks: a
pattern like ``^(a+)+b$`` takes exponential time on ``"aaaa...a!"``, and
while it runs it holds the interpreter. So each pattern is judged once, when
its schema is loaded, and evaluated by the first of three engines that fits:

1. ``re`` itself, when the pattern provably runs in linear time under
   backtracking (``linear``): a conservative syntactic test, see below. Its
   answers are the reference's by definition. (msgspec never gets a
   pattern: the fast tier checks decoded values with these Matchers too.)
2. RE2 (google-re2, linear time by construction), when the pattern can be
   written in RE2 with provably the same ``search`` answers. The pattern is
   not handed to RE2 as text: it is parsed by ``re``'s own parser, and every
   single-character piece (a literal, ``.``, a class, ``\\d``, anything
   under ``(?i)``) becomes an explicit list of code points, computed by
   asking ``re`` itself which of the 1,114,112 code points it matches. So
   Unicode classes and case folding mean what they mean in ``re``, whatever
   Unicode version RE2 knows. Only constructs whose meaning is the same in
   both engines for a yes/no search are allowed: concatenation,
   alternation, repetition (counts up to 1,000), groups, ``^``/``\\A``/
   ``\\Z`` anywhere and ``$`` as the last thing matched; no backreferences,
   lookaround, word boundaries, atomic groups or possessive repeats.
3. the ``regex`` module, for the rest, with a time budget per evaluation
   (``set_timeout``, ``--pattern-timeout-ms``). It gets the same explicit
   translation (lookaround, backreferences and ``\\b`` included, with
   ``re``'s word characters), so its answers are ``re``'s; only a
   backreference under ``(?i)`` is left to ``regex``'s own reading of the
   pattern (``regex.V0``, its ``re``-compatible mode). An evaluation beyond
   the budget raises ``PatternTimeout``; the engine reports it as a
   ``pattern_timeout`` finding under the schema concerned.

The linear-time test (tier 1): the pattern uses no backreference, and every
repetition that may match many characters repeats ONE character class C and
is followed by something whose first character cannot be in C (or by the
end of the pattern). Backtracking into such a repetition fails at once at
every step, so the work is linear; a pattern with such a repetition must
also start with ``^`` or ``\\A`` (``re`` then tries only position 0, not
every position). Small repetitions (``?``, ``{1,3}``) and alternations only
multiply the work by a constant, which is bounded too.

``every(patterns)`` asks for several patterns at once (the fast tier's
strings under two schemas); patterns proven linear are joined into one
``re`` search there, the rest asked one by one.

``install()`` routes python-jsonschema's own ``re.search`` calls (``pattern``,
``patternProperties``, ``additionalProperties``, ``unevaluatedProperties``)
through ``search`` below, so the reference fallback and the gate's witness
checks are bounded the same way; every other ``re`` use in python-jsonschema
is untouched.
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cdccheck.engine.pattern_analysis import Translator, Untranslatable, linear

__all__ = [
    "DEFAULT_TIMEOUT_MS",
    "Matcher",
    "PatternTimeout",
    "every",
    "install",
    "linear",
    "matcher",
    "search",
    "set_timeout",
    "timeout_ms",
]

DEFAULT_TIMEOUT_MS = 100
"""The default budget of one tier-3 evaluation (``--pattern-timeout-ms``)."""

# A pattern joined with another must not refer to groups by number or name,
# nor set flags: both would change meaning once the two share one regex.
_UNJOINABLE = re.compile(r"\\[1-9]|\\g<|\(\?P=|\(\?\(|\(\?[aiLmsux-]+[:)]")
_BACK_REFERENCE = re.compile(r"\\[1-9]|\\g<|\(\?P=|\(\?\(")

_budget_s = DEFAULT_TIMEOUT_MS / 1000


class PatternTimeout(Exception):
    """A ``pattern`` took longer than its budget to evaluate; the answer is unknown."""

    def __init__(self, pattern: str, budget_ms: int) -> None:
        super().__init__(f"pattern {_clip(pattern)!r} ran out of its {budget_ms} ms budget")
        self.pattern = pattern
        self.budget_ms = budget_ms


def set_timeout(milliseconds: int) -> None:
    """Set the budget of one tier-3 evaluation, for the whole process."""
    global _budget_s  # noqa: PLW0603  one budget per process: patterns are shared, like re's cache
    if milliseconds < 1:
        raise ValueError(f"the pattern timeout must be at least 1 ms, not {milliseconds}")
    _budget_s = milliseconds / 1000


def timeout_ms() -> int:
    """The current budget of one tier-3 evaluation, in milliseconds."""
    return round(_budget_s * 1000)


@dataclass(frozen=True, eq=False)
class Matcher:
    """One pattern, compiled by the engine that evaluates it (see the module docstring)."""

    pattern: str
    engine: str
    """``re``, ``re2`` or ``regex``."""
    test: Callable[[str], Any] = field(repr=False)
    """Truthy exactly when ``re.search(pattern, text)`` finds a match; PatternTimeout when
    unknown. For ``re`` this is the compiled pattern's own ``search``: hot loops call it."""

    def search(self, text: str) -> bool:
        """Whether ``re.search(pattern, text)`` finds a match; PatternTimeout when unknown."""
        return bool(self.test(text))


@functools.lru_cache(maxsize=4096)
def matcher(pattern: str) -> Matcher:
    """The Matcher of ``pattern``, built once (``re.error`` when Python cannot compile it)."""
    compiled = re.compile(pattern)
    if linear(pattern):
        return Matcher(pattern, "re", compiled.search)
    try:
        translated = Translator("re2").pattern(pattern)
    except Untranslatable:
        pass
    else:
        re2_search = _re2_searcher(translated)
        if re2_search is not None:
            return Matcher(pattern, "re2", _with_fallback(pattern, re2_search))
    return Matcher(pattern, "regex", _regex_searcher(pattern))


def search(pattern: str, text: str) -> bool:
    """``re.search(pattern, text) is not None``, evaluated by the pattern's Matcher."""
    return matcher(pattern).search(text)


@functools.lru_cache(maxsize=1024)
def every(patterns: tuple[str, ...]) -> Callable[[str], Any]:
    """A test truthy exactly when ``re.search`` finds each of ``patterns``; PatternTimeout
    when unknown (``re.error`` when Python cannot compile one). Built once per tuple.

    One pattern: its Matcher's own test. Several, each proven linear
    (``linear``): ONE ``re`` search, half the cost of one per pattern (the
    fast tier asks this for every string a schema pair constrains twice).
    Each pattern sits in a lookahead after a lazy prefix,
    ``\\A(?=[\\s\\S]*?(?:p1))(?=[\\s\\S]*?(?:p2))``: the prefix tries ``p1``
    at offset 0, 1, 2 ... until it matches, exactly the attempts
    ``re.search(p1)`` makes, and a lookahead that succeeded is never
    entered again; so the joined search answers as the separate ones and
    costs at most their sum plus a step per offset, linear like them.
    Capturing groups become non-capturing (the same matches, found
    faster). Patterns that refer to groups or set flags would change
    meaning once joined: those, and any not proven linear, are asked
    one by one through their Matchers.
    """
    unique = tuple(dict.fromkeys(patterns))
    matchers = [matcher(pattern) for pattern in unique]
    if len(matchers) == 1:
        return matchers[0].test
    bare = [_without_captures(pattern) for pattern in unique]
    if all(
        each.engine == "re" and _UNJOINABLE.search(each.pattern) is None and linear(plain)
        for each, plain in zip(matchers, bare, strict=True)
    ):
        joined = r"\A" + "".join(rf"(?=[\s\S]*?(?:{plain}))" for plain in bare)
        try:
            return re.compile(joined).search
        except re.error:
            pass  # the patterns' tests below answer the same
    tests = tuple(each.test for each in matchers)

    def every_test(text: str) -> bool:
        return all(test(text) for test in tests)

    return every_test


def _without_captures(pattern: str) -> str:
    """``pattern`` with its capturing groups made non-capturing: the same matches, found faster.

    Python's ``re`` records where each capturing group matched, on every
    attempt; the fast tier only asks whether a string matches. A pattern
    that refers back to a group (``\\1``, ``(?P=name)``, ``(?(1)...)``) is
    left as it is.
    """
    if _BACK_REFERENCE.search(pattern):
        return pattern
    out = []
    index, size = 0, len(pattern)
    in_class = False
    while index < size:
        character = pattern[index]
        if character == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            if character == "]":
                in_class = False
        elif character == "[":
            in_class = True
            # A "]" right after "[" or "[^" is a member, not the end of the class.
            out.append(character)
            index += 1
            if pattern[index : index + 1] == "^":
                out.append("^")
                index += 1
            if pattern[index : index + 1] == "]":
                out.append("]")
                index += 1
            continue
        elif character == "(" and pattern[index + 1 : index + 2] != "?":
            out.append("(?:")
            index += 1
            continue
        out.append(character)
        index += 1
    return "".join(out)


# ---------------------------------------------------------------- the engines


def _re2_searcher(translated: str) -> Callable[[str], bool] | None:
    import re2

    options = re2.Options()
    options.log_errors = False  # a refused pattern goes to the next tier, quietly
    options.never_capture = True  # yes/no answers only: lets RE2 use its DFA
    options.max_mem = 64 << 20
    try:
        compiled = re2.compile(translated, options)
    except re2.error:
        return None
    # The wrapper's search builds a Match object and character offsets; the
    # underlying RE2 object answers yes/no for a fifth of the cost.
    low = getattr(compiled, "_regexp", None)
    match = getattr(low, "Match", None)
    if match is None:
        public = compiled.search
        return lambda text: public(text) is not None
    unanchored = re2._Anchor.UNANCHORED

    def search(text: str) -> bool:
        data = text.encode("utf-8")
        return bool(match(unanchored, data, 0, len(data))[0][0] >= 0)

    return search


def _with_fallback(pattern: str, fast: Callable[[str], bool]) -> Callable[[str], bool]:
    """RE2 reads UTF-8: a string with a lone surrogate (no decoded event has one) goes to tier 3."""
    slow: list[Callable[[str], bool]] = []

    def search(text: str) -> bool:
        try:
            return fast(text)
        except UnicodeEncodeError:
            if not slow:
                slow.append(_regex_searcher(pattern))
            return slow[0](text)

    return search


def _regex_searcher(pattern: str) -> Callable[[str], bool]:
    import regex

    try:
        compiled = regex.compile(Translator("regex").pattern(pattern), regex.V0)
    except Untranslatable:
        # Only a backreference under (?i): regex's own reading, in its re-compatible mode.
        compiled = regex.compile(pattern, regex.V0)

    def search(text: str) -> bool:
        budget = _budget_s
        try:
            return compiled.search(text, timeout=budget) is not None
        except TimeoutError:
            raise PatternTimeout(pattern, round(budget * 1000)) from None

    return search


# ---------------------------------------------------------------- python-jsonschema


class _RoutedRe(types.ModuleType):
    """``re`` as python-jsonschema's keyword modules see it: ``search`` goes through ``search``.

    python-jsonschema only tests the truth of ``re.search(pattern, text)``;
    everything else is the real ``re``.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    @staticmethod
    def search(pattern: Any, string: Any, flags: int = 0) -> Any:
        if flags or type(pattern) is not str or type(string) is not str:
            return re.search(pattern, string, flags)
        return True if search(pattern, string) else None


_MODULES = ("jsonschema._keywords", "jsonschema._utils", "jsonschema._legacy_keywords")


def install() -> None:
    """Route python-jsonschema's pattern searches through ``search`` (idempotent)."""
    import importlib

    routed = _RoutedRe("re", "re, with search() bounded by cdccheck.engine.patterns")
    for name in _MODULES:
        module = importlib.import_module(name)
        if not isinstance(getattr(module, "re", None), _RoutedRe):
            module.re = routed  # type: ignore[attr-defined]


def installed() -> bool:
    """Whether python-jsonschema's keyword modules search through ``search``."""
    import importlib

    return all(
        isinstance(getattr(importlib.import_module(name), "re", None), _RoutedRe)
        for name in _MODULES
    )


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
