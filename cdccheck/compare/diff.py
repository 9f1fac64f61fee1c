"""The field-by-field comparison of two decoded events (docs/compare.md, "Diff semantics").

``Differ.compare(primary, candidate)`` walks both values together and returns
the differences and the warnings of one pair. Kinds, with the primary value
first:

=================  ============================================================
``missing``        the key is in the primary only (reported once, at the
                   topmost absent key, not at every leaf under it)
``extra``          the key is in the candidate only
``null_vs_absent`` ``null`` on one side, the key absent on the other
``null_vs_empty``  ``null`` against ``[]``, ``{}`` or ``""``
``type_changed``   different JSON types (``null`` against a non-empty value too)
``value_changed``  same type, different value
``length_changed`` arrays of different lengths, reported at the array; the
                   common prefix is still compared element by element
=================  ============================================================

Equal, with a warning counted once per pair:

* ``number_form``: the same number decoded as an integer on one side and a
  float on the other (``5`` and ``5.0``, ``100`` and ``1e2``). ``true`` is
  never ``1``.
* ``timestamp_form``: two different strings that are both RFC 3339
  timestamps of the same instant (``+00:00`` and ``Z``, ``.120`` and
  ``.12``), or of instants at most ``time_tolerance_ms`` apart.

Strings compare after decoding, so wire escaping (``\\u00e9``, ``\\/``)
never matters. ``ignore`` pointers (``*`` = any one step) drop a field and
everything under it from the comparison.

Paths are tuples of keys (str) and array indices (int); ``group_path`` writes
them as JSON Pointers with ``*`` for every index, ``sample_path`` with the
real indices.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from cdccheck.compare.options import WILDCARD, Ignore, parse_ignores
from cdccheck.model import ABSENT

MISSING = "missing"
EXTRA = "extra"
NULL_VS_ABSENT = "null_vs_absent"
NULL_VS_EMPTY = "null_vs_empty"
TYPE_CHANGED = "type_changed"
VALUE_CHANGED = "value_changed"
LENGTH_CHANGED = "length_changed"
DIFF_KINDS = (
    MISSING,
    EXTRA,
    NULL_VS_ABSENT,
    NULL_VS_EMPTY,
    TYPE_CHANGED,
    VALUE_CHANGED,
    LENGTH_CHANGED,
)
NUMBER_FORM = "number_form"
TIMESTAMP_FORM = "timestamp_form"
WARNING_KINDS = (NUMBER_FORM, TIMESTAMP_FORM)

Path = tuple[str | int, ...]


class Diff(NamedTuple):
    """One difference (or warning) of a pair: kind, where, and the two values there.

    A value that is not there is ``cdccheck.model.ABSENT``.
    """

    kind: str
    path: Path
    primary: Any
    candidate: Any


# ---------------------------------------------------------------- paths


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@functools.lru_cache(maxsize=8192)
def group_path(path: Path) -> str:
    """The JSON Pointer of a diff group: every array index written ``*``."""
    return "".join("/*" if type(step) is int else "/" + _escape(step) for step in path)  # type: ignore[arg-type]


def sample_path(path: Path) -> str:
    """The JSON Pointer of one sample, with the real array indices."""
    return "".join("/" + (str(step) if type(step) is int else _escape(step)) for step in path)  # type: ignore[arg-type]


# ---------------------------------------------------------------- timestamps

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))",
    re.ASCII,  # \d would otherwise take any Unicode digit, such as a fullwidth one
)
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_NS = 1_000_000_000

Instant = tuple[int, str]
"""Nanoseconds since the epoch, and any fraction digits beyond the ninth (no trailing zeros)."""


def parse_instant(text: str) -> Instant | None:
    """The instant an RFC 3339 ``date-time`` denotes, or None when ``text`` is not one.

    The grammar is RFC 3339 section 5.6 (``T`` or ``t``; ``Z``, ``z`` or a
    numeric offset; any number of fraction digits; second 60 for a leap
    second). A space instead of ``T`` is not RFC 3339 (and not valid under
    JSON Schema's ``date-time``), so it is a different value, not another form.
    """
    if len(text) < 20 or text[4] != "-" or text[10] not in "Tt":
        return None
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    days = _day_number(text[:10])
    if days is None:
        return None
    # The fixed-width fields sit at fixed offsets; slicing beats the match groups.
    hours, minutes, seconds = int(text[11:13]), int(text[14:16]), int(text[17:19])
    if hours > 23 or minutes > 59 or seconds > 60:
        return None
    fraction, sign, off_hour, off_minute = match.group(7, 8, 9, 10)
    offset = 0
    if sign is not None:
        off_hours, off_minutes = int(off_hour), int(off_minute)
        if off_hours > 23 or off_minutes > 59:
            return None
        offset = (off_hours * 3600 + off_minutes * 60) * (1 if sign == "+" else -1)
    total = days * 86_400 + hours * 3600 + minutes * 60 + seconds - offset
    if not fraction:
        return total * _NS, ""
    nanoseconds = int(fraction[:9].ljust(9, "0"))
    return total * _NS + nanoseconds, fraction[9:].rstrip("0")


_DAYS: dict[str, int | None] = {}
_UNKNOWN_DAY = object()


def _day_number(text: str) -> int | None:
    """Days since 1970-01-01 of ``YYYY-MM-DD``, None for a date that does not exist."""
    known = _DAYS.get(text, _UNKNOWN_DAY)
    if known is not _UNKNOWN_DAY:
        return known  # type: ignore[return-value]
    try:
        days = date(int(text[:4]), int(text[5:7]), int(text[8:10])).toordinal() - _EPOCH_DAY
    except ValueError:
        days = None
    if len(_DAYS) < 100_000:  # a few hundred years of days; the cache cannot grow past it
        _DAYS[text] = days
    return days


def _utc_fraction(tail: str) -> str | None:
    """The fraction digits (trailing zeros cut) of a ``[.digits](Z|+00:00|-00:00)`` tail."""
    if tail[-1:] in ("Z", "z"):
        body = tail[:-1]
    elif tail[-6:] in ("+00:00", "-00:00"):
        body = tail[:-6]
    else:
        return None
    if not body:
        return ""
    digits = body[1:]
    if body[0] != "." or not digits.isdigit() or not digits.isascii():
        return None
    return digits.rstrip("0")


def _same_utc_second(first: str, second: str) -> bool:
    """The common case, decided without the full parse: one UTC second, one fraction.

    ``2026-01-28T12:00:00.120000+00:00`` against ``2026-01-28T12:00:00.12Z``.
    False means "not this case", not "different instants".
    """
    if len(first) < 20 or len(second) < 20 or first[:10] != second[:10]:
        return False
    if first[11:19] != second[11:19] or first[10] not in "Tt" or second[10] not in "Tt":
        return False
    fraction = _utc_fraction(first[19:])
    if fraction is None or fraction != _utc_fraction(second[19:]):
        return False
    # Both share this date and time of day: check it once.
    text = first[:19]
    if not (
        text[4] == "-" == text[7]
        and text[13] == ":" == text[16]
        and (text[:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + text[17:19]).isdigit()
        and text.isascii()
    ):
        return False
    if _day_number(text[:10]) is None:
        return False
    return int(text[11:13]) <= 23 and int(text[14:16]) <= 59 and int(text[17:19]) <= 60


# ---------------------------------------------------------------- ignores


class _IgnoreNode:
    __slots__ = ("children", "steps", "terminal", "wildcard")

    def __init__(self) -> None:
        self.children: dict[str, _IgnoreNode] = {}
        self.wildcard: _IgnoreNode | None = None
        self.terminal = False
        self.steps: dict[str, tuple[bool, IgnoreState | None]] = {}
        """``_step`` results from this node alone, remembered (most states are one node)."""


IgnoreState = tuple[_IgnoreNode, ...]
_STEP_MEMORY = 1024
"""Tokens remembered per node: object keys repeat, but a map keyed by ids must not grow it."""


def _compile_ignores(ignores: Sequence[Ignore]) -> IgnoreState | None:
    if not ignores:
        return None
    root = _IgnoreNode()
    for ignore in ignores:
        node = root
        for token in ignore.steps:
            if token == WILDCARD:
                if node.wildcard is None:
                    node.wildcard = _IgnoreNode()
                node = node.wildcard
            else:
                node = node.children.setdefault(token, _IgnoreNode())
        node.terminal = True
    return (root,)


def _step(state: IgnoreState, token: str) -> tuple[bool, IgnoreState | None]:
    """(whether ``token`` under ``state`` is ignored, the state for its children)."""
    if len(state) == 1:
        node = state[0]
        known = node.steps.get(token)
        if known is None:
            known = _step_from(state, token)
            if len(node.steps) < _STEP_MEMORY:
                node.steps[token] = known
        return known
    return _step_from(state, token)


def _step_from(state: IgnoreState, token: str) -> tuple[bool, IgnoreState | None]:
    following: list[_IgnoreNode] = []
    for node in state:
        child = node.children.get(token)
        if child is not None:
            if child.terminal:
                return True, None
            following.append(child)
        wildcard = node.wildcard
        if wildcard is not None:
            if wildcard.terminal:
                return True, None
            following.append(wildcard)
    return False, tuple(following) or None


# ---------------------------------------------------------------- the walk

_NUMBERS = (int, float)


class Differ:
    """Compares decoded events under the rules above. Build once, call for every pair."""

    def __init__(self, ignore: Sequence[str | Ignore] = (), *, time_tolerance_ms: int = 0) -> None:
        if time_tolerance_ms < 0:
            raise ValueError("time_tolerance_ms cannot be negative")
        self.ignores = parse_ignores(ignore)
        self.time_tolerance_ms = time_tolerance_ms
        self._tolerance_ns = time_tolerance_ms * 1_000_000
        self._ignore = _compile_ignores(self.ignores)

    def compare(self, primary: Any, candidate: Any) -> tuple[list[Diff], list[Diff]]:
        """(differences, warnings) between two decoded events; both empty when identical."""
        diffs: list[Diff] = []
        warnings: list[Diff] = []
        self._value(primary, candidate, [], self._ignore, diffs, warnings)
        return diffs, warnings

    def equal(self, primary: Any, candidate: Any) -> bool:
        """Whether two decoded events compare equal (warnings allowed)."""
        diffs: list[Diff] = []
        self._value(primary, candidate, [], self._ignore, diffs, [])
        return not diffs

    def same_time(self, primary: str, candidate: str) -> bool:
        """Whether two different strings are timestamps of one instant (or within tolerance)."""
        if _same_utc_second(primary, candidate):
            return True
        first = parse_instant(primary)
        if first is None:
            return False
        second = parse_instant(candidate)
        if second is None:
            return False
        if first == second:
            return True
        return bool(self._tolerance_ns) and abs(first[0] - second[0]) <= self._tolerance_ns

    def _value(
        self,
        a: Any,
        b: Any,
        path: list[str | int],
        ignore: IgnoreState | None,
        diffs: list[Diff],
        warnings: list[Diff],
    ) -> None:
        kind_a = type(a)
        kind_b = type(b)
        if kind_a is kind_b:
            if kind_a is dict:
                self._object(a, b, path, ignore, diffs, warnings)
            elif kind_a is list:
                self._array(a, b, path, ignore, diffs, warnings)
            elif a == b:
                pass
            elif kind_a is str and self.same_time(a, b):
                warnings.append(Diff(TIMESTAMP_FORM, tuple(path), a, b))
            else:
                diffs.append(Diff(VALUE_CHANGED, tuple(path), a, b))
            return
        if a is None or b is None:
            other = b if a is None else a
            empty = (type(other) is str or type(other) is list or type(other) is dict) and not other
            diffs.append(Diff(NULL_VS_EMPTY if empty else TYPE_CHANGED, tuple(path), a, b))
            return
        # type(True) is bool, so booleans never reach the number rule.
        if kind_a in _NUMBERS and kind_b in _NUMBERS:
            if a == b:
                warnings.append(Diff(NUMBER_FORM, tuple(path), a, b))
            else:
                diffs.append(Diff(VALUE_CHANGED, tuple(path), a, b))
            return
        diffs.append(Diff(TYPE_CHANGED, tuple(path), a, b))

    def _object(
        self,
        a: dict[str, Any],
        b: dict[str, Any],
        path: list[str | int],
        ignore: IgnoreState | None,
        diffs: list[Diff],
        warnings: list[Diff],
    ) -> None:
        matched = 0
        get = b.get
        for key, left in a.items():
            child: IgnoreState | None = None
            if ignore is not None:
                skipped, child = _step(ignore, key)
                if skipped:
                    matched += key in b
                    continue
            right = get(key, ABSENT)
            if right is ABSENT:
                path.append(key)
                diffs.append(
                    Diff(NULL_VS_ABSENT if left is None else MISSING, tuple(path), left, ABSENT)
                )
                path.pop()
                continue
            matched += 1
            kind = type(left)
            # The common case, equal strings and integers, without a call.
            if kind is type(right) and (kind is str or kind is int) and left == right:
                continue
            path.append(key)
            self._value(left, right, path, child, diffs, warnings)
            path.pop()
        if matched == len(b):
            return
        for key, right in b.items():
            if key in a:
                continue
            if ignore is not None and _step(ignore, key)[0]:
                continue
            path.append(key)
            diffs.append(
                Diff(NULL_VS_ABSENT if right is None else EXTRA, tuple(path), ABSENT, right)
            )
            path.pop()

    def _array(
        self,
        a: list[Any],
        b: list[Any],
        path: list[str | int],
        ignore: IgnoreState | None,
        diffs: list[Diff],
        warnings: list[Diff],
    ) -> None:
        if len(a) != len(b):
            diffs.append(Diff(LENGTH_CHANGED, tuple(path), a, b))
        for index, (left, right) in enumerate(zip(a, b, strict=False)):
            child: IgnoreState | None = None
            if ignore is not None:
                skipped, child = _step(ignore, str(index))
                if skipped:
                    continue
            kind = type(left)
            if kind is type(right) and (kind is str or kind is int) and left == right:
                continue
            path.append(index)
            self._value(left, right, path, child, diffs, warnings)
            path.pop()

    # ------------------------------------------------------------ canonical form

    def canonical(self, value: Any) -> Any:
        """A hashable form of ``value`` under the same rules: equal events, equal forms.

        Keys are sorted and ignored paths dropped, integral floats become
        integers, RFC 3339 timestamps become their instant. Used to remember an
        entity's last event without keeping it. Exact for the rules above
        except ``time_tolerance_ms``, which no canonical form can express:
        instants must match exactly here.
        """
        return self._canonical(value, self._ignore)

    def _canonical(self, value: Any, ignore: IgnoreState | None) -> Any:
        kind = type(value)
        if kind is dict:
            items = []
            for key, item in value.items():
                child: IgnoreState | None = None
                if ignore is not None:
                    skipped, child = _step(ignore, key)
                    if skipped:
                        continue
                items.append((key, self._canonical(item, child)))
            items.sort(key=_first)
            return ("object", tuple(items))
        if kind is list:
            out = []
            for index, item in enumerate(value):
                child = None
                if ignore is not None:
                    skipped, child = _step(ignore, str(index))
                    if skipped:
                        out.append(("ignored",))
                        continue
                out.append(self._canonical(item, child))
            return ("array", tuple(out))
        if kind is str:
            instant = parse_instant(value)
            return value if instant is None else ("instant", instant)
        if kind is bool:
            return ("bool", value)
        if kind is float and value.is_integer():
            return int(value)
        return value


def _first(item: tuple[str, Any]) -> str:
    return item[0]
