"""What a `pattern` is, read with ``re``'s own parser: linear or not, and its RE2 form.

The analysis behind :mod:`cdccheck.engine.patterns` (whose docstring says
why and how the three engines are chosen): ``linear`` is the conservative
test for tier 1, ``translate`` the explicit code-point translation used by
tiers 2 and 3. Every single-character piece is turned into the set of code
points ``re`` itself matches, so both the test and the translation mean
exactly what ``re`` means.
"""

from __future__ import annotations

import functools
import re
import re._compiler as sre_compile  # what re's search scans for (_scanned_class)
import re._constants as sre  # the opcodes of the parser below
import re._parser as sre_parse  # the parser `re.compile` itself uses
import threading
from collections.abc import Callable, Iterator
from typing import Any

_MAX_UNICODE = 0x10FFFF
_SURROGATES = (0xD800, 0xDFFF)
_RE2_MAX_REPEAT = 1000
_MAX_CHOICES = 4096
"""The most backtracking paths the linear test lets a pattern's small choices add up to."""
_SMALL_REPEAT = 8
"""A repetition of at most this many optional steps counts as a choice, not as a loop."""
_lock = threading.Lock()


# ---------------------------------------------------------------- code point sets
# A set of code points is a sorted tuple of disjoint, non-adjacent (first, last) ranges.

Ranges = tuple[tuple[int, int], ...]
_ALL: Ranges = ((0, _MAX_UNICODE),)


def _normalized(ranges: list[tuple[int, int]]) -> Ranges:
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for first, last in ranges:
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return tuple(merged)


def _complement(ranges: Ranges) -> Ranges:
    result: list[tuple[int, int]] = []
    start = 0
    for first, last in ranges:
        if first > start:
            result.append((start, first - 1))
        start = last + 1
    if start <= _MAX_UNICODE:
        result.append((start, _MAX_UNICODE))
    return tuple(result)


def _disjoint(one: Ranges, two: Ranges) -> bool:
    i = j = 0
    while i < len(one) and j < len(two):
        if one[i][1] < two[j][0]:
            i += 1
        elif two[j][1] < one[i][0]:
            j += 1
        else:
            return False
    return True


@functools.lru_cache(maxsize=1)
def _every_code_point() -> str:
    return "".join(map(chr, range(_MAX_UNICODE + 1)))


@functools.lru_cache(maxsize=1024)
def _enumerated(single: str, flags: int) -> Ranges:
    """The code points ``re`` matches with the one-character pattern ``single`` under ``flags``.

    Asked of ``re`` itself, over every code point: runs of consecutive
    matches are the ranges. About 20 ms, once per distinct piece.
    """
    with _lock:
        text = _every_code_point()
    runs = re.compile(f"(?:{single})+", flags).finditer(text)
    return tuple((match.start(), match.end() - 1) for match in runs)


_CATEGORY_TEXT = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}
_CHAR_FLAGS = sre.SRE_FLAG_IGNORECASE | sre.SRE_FLAG_DOTALL | sre.SRE_FLAG_ASCII
"""The flags that change which characters a one-character piece matches."""


def _escape(code: int) -> str:
    return f"\\U{code:08x}"


def _single_text(op: Any, av: Any) -> str:
    """A one-character piece of a parsed pattern as ``re`` pattern text."""
    if op is sre.LITERAL:
        return _escape(av)
    if op is sre.NOT_LITERAL:
        return f"[^{_escape(av)}]"
    if op is sre.ANY:
        return "."
    parts = []
    negate = ""
    for item_op, item_av in av:
        if item_op is sre.NEGATE:
            negate = "^"
        elif item_op is sre.LITERAL:
            parts.append(_escape(item_av))
        elif item_op is sre.RANGE:
            parts.append(f"{_escape(item_av[0])}-{_escape(item_av[1])}")
        elif item_op is sre.CATEGORY and item_av in _CATEGORY_TEXT:
            parts.append(_CATEGORY_TEXT[item_av])
        else:
            raise Untranslatable(f"class item {item_op}")
    return f"[{negate}{''.join(parts)}]"


def _char_set(op: Any, av: Any, flags: int) -> Ranges:
    """The code points a one-character piece matches under ``flags``, exactly as ``re`` does."""
    flags &= _CHAR_FLAGS
    if not flags & sre.SRE_FLAG_IGNORECASE:
        if op is sre.LITERAL:
            return ((av, av),)
        if op is sre.NOT_LITERAL:
            return _complement(((av, av),))
        if op is sre.ANY:
            return _ALL if flags & sre.SRE_FLAG_DOTALL else _complement(((10, 10),))
        if all(item_op in (sre.LITERAL, sre.RANGE, sre.NEGATE) for item_op, _ in av):
            ranges = [
                (item_av, item_av) if item_op is sre.LITERAL else tuple(item_av)
                for item_op, item_av in av
                if item_op is not sre.NEGATE
            ]
            chosen = _normalized(ranges)
            negated = any(item_op is sre.NEGATE for item_op, _ in av)
            return _complement(chosen) if negated else chosen
    return _enumerated(_single_text(op, av), flags)


_SINGLE = (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN)


# ---------------------------------------------------------------- translation


class Untranslatable(Exception):
    """The pattern uses something the target engine cannot say with the same meaning."""


class Translator:
    """A parsed ``re`` pattern written out for RE2 (``re2``) or the regex module (``regex``)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self._flags = 0
        self._scanned: Any = None

    def pattern(self, pattern: str) -> str:
        parsed = sre_parse.parse(pattern)
        flags = parsed.state.flags
        if flags & sre.SRE_FLAG_LOCALE:
            raise Untranslatable("LOCALE")
        self._flags, self._scanned = flags, _scanned_class(parsed, flags)
        return self._sequence(list(parsed), flags, final=True)

    def _sequence(self, items: list[tuple[Any, Any]], flags: int, *, final: bool) -> str:
        last = len(items) - 1
        return "".join(
            self._item(op, av, flags, final=final and index == last)
            for index, (op, av) in enumerate(items)
        )

    def _item(self, op: Any, av: Any, flags: int, *, final: bool) -> str:
        re2 = self.dialect == "re2"
        if op in _SINGLE:
            ranges = _char_set(op, av, flags)
            if av is self._scanned and (flags ^ self._flags) & _CHAR_FLAGS:
                # re's search only tries where the class, read under the pattern's
                # own flags, matches (see _scanned_class): both must hold.
                scan = _char_set(op, av, self._flags & ~sre.SRE_FLAG_IGNORECASE)
                ranges = _complement(_normalized([*_complement(ranges), *_complement(scan)]))
            return self._class(ranges)
        if op is sre.BRANCH:
            alternatives = (self._sequence(list(alt), flags, final=final) for alt in av[1])
            return "(?:" + "|".join(alternatives) + ")"
        if op is sre.SUBPATTERN:
            group, add, remove, body = av
            inner = self._sequence(list(body), (flags | add) & ~remove, final=final)
            capturing = group is not None and not re2
            return f"({inner})" if capturing else f"(?:{inner})"
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, body = av
            if re2 and (op is sre.POSSESSIVE_REPEAT or max(low, _finite(high)) > _RE2_MAX_REPEAT):
                raise Untranslatable("possessive repeat or count beyond RE2's 1000")
            inner = self._sequence(list(body), flags, final=False)
            count = f"{{{low},}}" if high is sre.MAXREPEAT else f"{{{low},{high}}}"
            mode = {sre.MIN_REPEAT: "?", sre.POSSESSIVE_REPEAT: "+"}.get(op, "")
            return f"(?:{inner}){count}{mode}"
        if op is sre.AT:
            return self._anchor(av, flags, final=final)
        if re2:
            raise Untranslatable(f"{op} has no RE2 equivalent")
        return self._regex_only(op, av, flags)

    def _regex_only(self, op: Any, av: Any, flags: int) -> str:
        if op is sre.ATOMIC_GROUP:
            return "(?>" + self._sequence(list(av), flags, final=False) + ")"
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            direction, body = av
            kind = (
                ("=" if op is sre.ASSERT else "!")
                if direction > 0
                else ("<=" if op is sre.ASSERT else "<!")
            )
            return f"(?{kind}" + self._sequence(list(body), flags, final=False) + ")"
        if op is sre.GROUPREF:
            if flags & sre.SRE_FLAG_IGNORECASE:
                raise Untranslatable("a backreference under IGNORECASE")
            return f"(?:\\g<{av}>)"
        if op is sre.GROUPREF_EXISTS:
            group, yes, no = av
            if flags & sre.SRE_FLAG_IGNORECASE:
                raise Untranslatable("a conditional group under IGNORECASE")
            otherwise = "|" + self._sequence(list(no), flags, final=False) if no else ""
            return f"(?({group})" + self._sequence(list(yes), flags, final=False) + otherwise + ")"
        raise Untranslatable(f"unknown opcode {op}")

    def _anchor(self, at: Any, flags: int, *, final: bool) -> str:
        multiline = flags & sre.SRE_FLAG_MULTILINE
        if at is sre.AT_BEGINNING:
            return "(?m:^)" if multiline else r"\A"
        if at is sre.AT_BEGINNING_STRING:
            return r"\A"
        if at is sre.AT_END_STRING:
            return r"\z" if self.dialect == "re2" else r"\Z"
        if at is sre.AT_END:
            if multiline:
                return "(?m:$)"
            # re's `$`: at the end, or before a newline that ends the string.
            if self.dialect == "regex":
                return r"(?=\n?\Z)"
            if not final:
                raise Untranslatable("$ before the end of the pattern")
            # Nothing is matched after it, so consuming that newline changes no answer.
            return r"(?:\n?\z)"
        if at in (sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY) and self.dialect == "regex":
            word = self._class(_char_set(sre.IN, [(sre.CATEGORY, sre.CATEGORY_WORD)], flags))
            if at is sre.AT_BOUNDARY:
                return f"(?:(?<={word})(?!{word})|(?<!{word})(?={word}))"
            # re (3.11) finds no \B in an empty string.
            return f"(?!\\A\\Z)(?:(?<={word})(?={word})|(?<!{word})(?!{word}))"
        raise Untranslatable(f"anchor {at}")

    def _class(self, ranges: Ranges) -> str:
        if self.dialect == "re2":
            # RE2 matches UTF-8, which has no surrogates; texts with one never reach RE2.
            ranges = tuple(
                piece for first, last in ranges for piece in _without_surrogates(first, last)
            )
            if not ranges:
                return r"[^\x{0}-\x{10FFFF}]"
            parts = (f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
            return "[" + "".join(parts) + "]"
        if not ranges:
            return "(?!)"
        parts = (_escape(a) if a == b else f"{_escape(a)}-{_escape(b)}" for a, b in ranges)
        return "[" + "".join(parts) + "]"


def _scanned_class(parsed: Any, flags: int) -> Any:
    """The class ``re``'s search looks for before it tries the pattern at an offset, or None.

    A pattern that starts with a class (through groups) gets a scan for it
    (CPython's ``_compile_info``), compiled under the pattern's global flags
    even when a scoped group reads the class otherwise: ``(?a:\\W)`` then
    never matches "é" (ASCII says it is not a word character, the scan says
    it is one). Asked of ``re``'s own compiler, so it is the class ``re``
    scans for; its parsed items are the very object the pattern holds.
    """
    if parsed.getwidth()[0] == 0:
        return None  # no scan for a pattern that may match the empty string
    prefix, _, _ = sre_compile._get_literal_prefix(parsed, flags)
    if prefix:
        return None  # a literal prefix is scanned for instead
    return sre_compile._get_charset_prefix(parsed, flags)


def _without_surrogates(first: int, last: int) -> Iterator[tuple[int, int]]:
    low, high = _SURROGATES
    if last < low or first > high:
        yield first, last
        return
    if first < low:
        yield first, low - 1
    if last > high:
        yield high + 1, last


def _finite(count: Any) -> int:
    return 0 if count is sre.MAXREPEAT else int(count)


# ---------------------------------------------------------------- the linear-time test


@functools.lru_cache(maxsize=4096)
def linear(pattern: str) -> bool:
    """Whether ``re`` searches ``pattern`` in time linear in the text (see the module docstring).

    Conservative: False means "not proven", not "slow".
    """
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return False
    flags = parsed.state.flags
    if flags & (sre.SRE_FLAG_MULTILINE | sre.SRE_FLAG_LOCALE):
        return False
    items = list(parsed)
    try:
        analysis = _Linear(flags)
        analysis.sequence(items, follow=())
    except _NotLinear:
        return False
    if analysis.loops:
        first = items[0] if items else None
        anchored = (
            first is not None
            and first[0] is sre.AT
            and first[1]
            in (
                sre.AT_BEGINNING,
                sre.AT_BEGINNING_STRING,
            )
        )
        if not anchored:
            return False
    return analysis.choices <= _MAX_CHOICES


class _NotLinear(Exception):
    pass


class _Piece:
    """A one-character piece of a pattern, with the flags it is read under.

    Its code points are only enumerated when a cheaper test cannot decide
    (a class holding ``\\d``/``\\w``/``\\s``, or anything under ``(?i)``).
    """

    __slots__ = ("_ranges", "av", "cheap", "flags", "op")

    def __init__(self, op: Any, av: Any, flags: int) -> None:
        self.op, self.av, self.flags = op, av, flags & _CHAR_FLAGS
        self.cheap = not self.flags & sre.SRE_FLAG_IGNORECASE and not (
            op is sre.IN and any(item_op is sre.CATEGORY for item_op, _ in av)
        )
        self._ranges: Ranges | None = None

    @property
    def ranges(self) -> Ranges:
        if self._ranges is None:
            self._ranges = _char_set(self.op, self.av, self.flags)
        return self._ranges

    def contains(self, code: int) -> bool:
        if self.cheap:
            return not _disjoint(self.ranges, ((code, code),))
        return _single(_single_text(self.op, self.av), self.flags)(chr(code)) is not None


@functools.lru_cache(maxsize=1024)
def _single(text: str, flags: int) -> Callable[[str], Any]:
    return re.compile(text, flags).fullmatch


_FEW = 4096
"""A piece with at most this many code points is compared point by point."""


def _pieces_disjoint(one: tuple[_Piece, ...], two: tuple[_Piece, ...]) -> bool:
    return all(_piece_disjoint(a, b) for a in one for b in two)


def _piece_disjoint(one: _Piece, two: _Piece) -> bool:
    if one.cheap and two.cheap:
        return _disjoint(one.ranges, two.ranges)
    for few, other in ((one, two), (two, one)):
        if few.cheap and sum(last - first + 1 for first, last in few.ranges) <= _FEW:
            codes = (code for first, last in few.ranges for code in range(first, last + 1))
            return not any(map(other.contains, codes))
    return _disjoint(one.ranges, two.ranges)


Follow = tuple[_Piece, ...]
"""What the next consumed character may be (the end of the pattern needs no entry:
there the match succeeds, or an end anchor fails at once)."""


class _Linear:
    """Walks a parsed pattern, checking every loop against what may follow it."""

    def __init__(self, flags: int) -> None:
        self.flags = flags
        self.loops = 0
        self.choices = 1

    def sequence(self, items: list[tuple[Any, Any]], follow: Follow) -> None:
        """Check ``items``, followed by what ``follow`` says."""
        # What may come after each item, computed from the right in one pass.
        after: list[Follow] = []
        rest: Follow = ()
        rest_nullable = True
        for op, av in reversed(items):
            after.append(rest + follow if rest_nullable else rest)
            here, nullable = self._first_of(op, av)
            rest = here + rest if nullable else here
            rest_nullable = rest_nullable and nullable
        after.reverse()
        for (op, av), following in zip(items, after, strict=True):
            self.item(op, av, following)

    def item(self, op: Any, av: Any, follow: Follow) -> None:
        flags = self.flags
        if op in _SINGLE:
            return
        if op is sre.AT:
            if av not in _LINEAR_ANCHORS:
                raise _NotLinear
            return
        if op is sre.BRANCH:
            alternatives = [list(alternative) for alternative in av[1]]
            self._choose(1 if self._deterministic(alternatives) else len(alternatives))
            for alternative in alternatives:
                self.sequence(alternative, follow)
            return
        if op is sre.SUBPATTERN:
            _, add, remove, body = av
            if (add | remove) & ~sre.SRE_FLAG_VERBOSE:
                raise _NotLinear  # scoped flags: keep the analysis simple
            self.sequence(list(body), follow)
            return
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            # Bounded lookaround only: its own work then does not grow with the text.
            self.bounded(list(av[1]))
            return
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, body = av
            body = list(body)
            if high is not sre.MAXREPEAT and high - low <= _SMALL_REPEAT:
                # A few optional steps: a choice. Each step may be followed by another one.
                inner = _Linear(flags)
                body_first, _ = self.first(body)
                inner.sequence(body, body_first + follow)
                self.loops += inner.loops
                self._choose(high - low + 1)
                if inner.choices > 1:
                    if high > _SMALL_REPEAT:
                        raise _NotLinear
                    self._choose(inner.choices**high)
                return
            if len(body) != 1 or body[0][0] not in _SINGLE:
                raise _NotLinear  # a loop over more than one character class
            self.loops += 1
            if not _pieces_disjoint((_Piece(body[0][0], body[0][1], flags),), follow):
                raise _NotLinear
            return
        raise _NotLinear  # backreferences, conditionals, atomic groups, possessive repeats

    def _deterministic(self, alternatives: list[list[tuple[Any, Any]]]) -> bool:
        """Whether at most one alternative can get past its first character."""
        firsts = []
        for alternative in alternatives:
            first, nullable = self.first(alternative)
            if nullable:
                return False
            firsts.append(first)
        return all(
            _pieces_disjoint(firsts[i], firsts[j])
            for i in range(len(firsts))
            for j in range(i + 1, len(firsts))
        )

    def bounded(self, items: list[tuple[Any, Any]]) -> None:
        """Lookaround content: fixed work at each position (no loop, small fixed counts)."""
        for op, av in items:
            if op in _SINGLE or op is sre.AT:
                continue
            if op is sre.BRANCH:
                self._choose(len(av[1]))
                for alternative in av[1]:
                    self.bounded(list(alternative))
            elif op is sre.SUBPATTERN and not (av[1] or av[2]):
                self.bounded(list(av[3]))
            elif (
                op in (sre.MAX_REPEAT, sre.MIN_REPEAT)
                and av[0] == av[1]
                and av[1] <= 64
                and len(av[2]) == 1
                and av[2][0][0] in _SINGLE
            ):
                continue
            else:
                raise _NotLinear

    def first(self, items: list[tuple[Any, Any]]) -> tuple[Follow, bool]:
        """(what the first character ``items`` consume may be, whether they may consume none)."""
        found: Follow = ()
        for op, av in items:
            here, nullable = self._first_of(op, av)
            found += here
            if not nullable:
                return found, False
        return found, True

    def _first_of(self, op: Any, av: Any) -> tuple[Follow, bool]:
        if op in _SINGLE:
            return (_Piece(op, av, self.flags),), False
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            return (), True
        if op is sre.BRANCH:
            found: Follow = ()
            nullable = False
            for alternative in av[1]:
                here, empty = self.first(list(alternative))
                found += here
                nullable = nullable or empty
            return found, nullable
        if op is sre.SUBPATTERN:
            return self.first(list(av[3]))
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            here, empty = self.first(list(av[2]))
            return here, empty or av[0] == 0
        raise _NotLinear

    def _choose(self, ways: int) -> None:
        self.choices *= max(ways, 1)
        if self.choices > _MAX_CHOICES:
            raise _NotLinear


_LINEAR_ANCHORS = (
    sre.AT_BEGINNING,
    sre.AT_BEGINNING_STRING,
    sre.AT_END,
    sre.AT_END_STRING,
    sre.AT_BOUNDARY,
    sre.AT_NON_BOUNDARY,
)
