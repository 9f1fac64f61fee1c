"""Concrete instances that one schema accepts and the other rejects.

The comparison (`cdccheck.gate.compat`) says where two schemas differ; this module
turns that into an instance a reader can paste into a test. It builds a valid
instance of the accepting schema, puts a candidate value at the place of the
change (a string of the old maximum length, an object without the newly
required property, ...), and keeps the result only when python-jsonschema,
the reference, accepts it under one schema and rejects it under the other.
When no constructed candidate works, a small hypothesis-jsonschema search
(when installed) looks for a local value instead, under a time budget.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cdccheck.gate.schemaview import (
    ALL_TYPES,
    FRACTION,
    Doc,
    Node,
    alternatives,
    array_model,
    dependencies,
    finite_values,
    object_model,
    regex_search,
    types_of,
)
from cdccheck.model import ABSENT, json_pointer


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


NOTHING = _Marker("nothing")
"""No value could be built."""
DELETE = _Marker("delete")
"""As a candidate: remove the property (or item) at the site."""

MAX_DEPTH = 12
_TYPE_ORDER = ("string", "integer", "boolean", "null", FRACTION, "object", "array")
# Values python-jsonschema's format checkers accept; used to satisfy a `format`.
FORMAT_EXAMPLES = {
    "date-time": "2024-01-02T03:04:05Z",
    "date": "2024-01-02",
    "time": "03:04:05Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/a",
    "uri-reference": "https://example.com/a",
    "iri": "https://example.com/a",
    "iri-reference": "https://example.com/a",
    "uri-template": "https://example.com/{id}",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "regex": "a+",
    "json-pointer": "/a",
    "relative-json-pointer": "0/a",
}


@dataclass(frozen=True)
class AnyName:
    """A property name to invent: matching ``pattern`` when given, outside ``avoid``."""

    pattern: str | None = None
    avoid: frozenset[str] = frozenset()
    avoid_patterns: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Site:
    """A place in an instance: the key path from the root, and the schema nodes there."""

    parent: Site | None
    key: str | int | AnyName | None
    """Key from the parent instance; None: the same instance as the parent (a branch)."""
    source: tuple[Node, ...]
    """Nodes the instance at this place satisfies on the accepting side."""

    def child(self, key: str | int | AnyName, source: Sequence[Node]) -> Site:
        return Site(self, key, tuple(source))

    def refine(self, source: Sequence[Node]) -> Site:
        return Site(self, None, tuple(source))

    def positions(self) -> list[tuple[str | int | AnyName | None, tuple[Node, ...]]]:
        """(key, nodes) per instance depth, root first; branch refinements folded in."""
        chain: list[Site] = []
        site: Site | None = self
        while site is not None:
            chain.append(site)
            site = site.parent
        chain.reverse()
        out: list[tuple[str | int | AnyName | None, tuple[Node, ...]]] = []
        for step in chain:
            if step.key is None and out:
                key, nodes = out[-1]
                out[-1] = (key, nodes + step.source)
            else:
                out.append((step.key, step.source))
        return out

    @property
    def instance_path(self) -> tuple[str | int, ...]:
        return tuple(
            key if isinstance(key, str | int) else "*"
            for key, _ in self.positions()[1:]
            if key is not None
        )


@dataclass
class Attempt:
    """One way to look for a witness: candidates for the value at ``site``."""

    site: Site
    source_role: str
    """Role (``legacy``/``new``) of the schema that should accept the witness."""
    candidates: Callable[[], Iterable[Any]]
    target: Node | None = None
    """The node that should reject the local value (guides the fallback search)."""


@dataclass(frozen=True)
class Witness:
    """An instance one schema accepts and the other rejects, checked with python-jsonschema."""

    instance: Any
    accepted_by: str
    rejected_by: str
    path: str = ""
    """JSON Pointer to the part of the instance that shows the change."""

    @property
    def focus(self) -> Any:
        """The value at `path` (the instance itself at the root); ABSENT when not there."""
        value = self.instance
        for part in self.path.split("/")[1:] if self.path else []:
            key = part.replace("~1", "/").replace("~0", "~")
            if isinstance(value, list) and key.isdigit() and int(key) < len(value):
                value = value[int(key)]
            elif isinstance(value, dict) and key in value:
                value = value[key]
            else:
                return ABSENT
        return value


@dataclass
class Builder:
    """Builds instances of schema nodes; every result is validated before use."""

    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def example(
        self, nodes: Sequence[Node], types: frozenset[str] | None = None, depth: int = 0
    ) -> Any:
        """One instance every node accepts, or NOTHING."""
        key = (tuple(n.key for n in nodes), types)
        if depth == 0 and key in self._cache:
            return self._cache[key]
        result = next(iter(self.examples(nodes, types, depth)), NOTHING)
        if depth == 0:
            self._cache[key] = result
        return result

    def examples(
        self, nodes: Sequence[Node], types: frozenset[str] | None = None, depth: int = 0
    ) -> Iterator[Any]:
        """Instances every node accepts, simplest first (lazily built)."""
        if depth > MAX_DEPTH:
            return
        for alternative in alternatives(nodes):
            allowed = types_of(alternative) & (types or ALL_TYPES)
            values = finite_values(alternative, allowed)
            if values is not None:
                yield from (v for v in values if _valid(nodes, v))
                continue
            for type_name in _TYPE_ORDER:
                if type_name not in allowed:
                    continue
                for value in self._build(type_name, alternative, depth):
                    if _valid(nodes, value):
                        yield value
                        break

    def _build(self, type_name: str, nodes: Sequence[Node], depth: int) -> Iterator[Any]:
        if type_name == "null":
            yield None
        elif type_name == "boolean":
            yield from (True, False)
        elif type_name in ("integer", FRACTION):
            yield from numbers_within(nodes, integer=type_name == "integer")
        elif type_name == "string":
            yield from strings_within(nodes)
        elif type_name == "object":
            value = self.object(nodes, depth=depth)
            if value is not NOTHING:
                yield value
        elif type_name == "array":
            value = self.array(nodes, None, depth)
            if value is not NOTHING:
                yield value

    def object(self, nodes: Sequence[Node], *, depth: int = 0, count: int | None = None) -> Any:
        """An object with the required properties (and ``count`` properties when given)."""
        models = [object_model(n, strict=True) for n in nodes]
        required: set[str] = set()
        for model in models:
            required |= model.required
        for node in nodes:
            for key, names in dependencies(node)[0].items():
                if key in required:
                    required |= set(names)
        obj: dict[str, Any] = {}
        for name in sorted(required):
            value = self.example(
                [v for m in models for v in m.values_for(name, exact=True)], None, depth + 1
            )
            if value is NOTHING:
                return NOTHING
            obj[name] = value
        # Requirements that depend on values (if/then, dependentSchemas) show up as
        # validation errors; add what they ask for, a few rounds at most.
        for _ in range(4):
            missing = sorted(_missing_required(nodes, obj) - set(obj))
            if not missing:
                break
            for name in missing:
                value = self.example(
                    [v for m in models for v in m.values_for(name, exact=True)], None, depth + 1
                )
                if value is NOTHING:
                    return NOTHING
                obj[name] = value
        wanted = max([_number(n.get("minProperties")) or 0 for n in nodes] + [count or 0])
        optional = sorted({name for m in models for name in m.properties} - set(obj))
        extra = (f"x{i}" for i in range(1000))
        while len(obj) < wanted:
            name = optional.pop(0) if optional else next(extra)
            value = self.example(
                [v for m in models for v in m.values_for(name, exact=True)], None, depth + 1
            )
            if value is not NOTHING:
                obj[name] = value
            elif not optional and name.startswith("x9"):
                return NOTHING
        return obj

    def array(self, nodes: Sequence[Node], length: int | None, depth: int = 0) -> Any:
        """An array of ``length`` items (default: the shortest allowed) valid item by item."""
        if length is None:
            wanted = [_number(n.get("minItems")) or 0 for n in nodes]
            wanted += [_number(n.get("minContains", 1)) or 0 for n in nodes if n.has("contains")]
            length = int(max([0, *wanted]))
        items: list[Any] = []
        unique = any(n.get("uniqueItems") is True for n in nodes)
        for index in range(int(length)):
            item_nodes = self.item_nodes(nodes, index)
            choices = self.examples(item_nodes, None, depth + 1)
            value = next(choices, NOTHING)
            while unique and value is not NOTHING and any(_same(value, v) for v in items):
                value = next(choices, NOTHING)
            if value is NOTHING:
                return NOTHING
            items.append(value)
        contains = [n.child("contains") for n in nodes if n.has("contains")]
        for node in contains:
            if items and any(node.doc.accepts(node, item) for item in items):
                continue
            value = self.example([node, *self.item_nodes(nodes, 0)], None, depth + 1)
            if value is NOTHING:
                return NOTHING
            items = [value, *items[1:]] if items else [value]
        return items

    def item_nodes(self, nodes: Sequence[Node], index: int) -> list[Node]:
        """Nodes the item at ``index`` must satisfy."""
        out: list[Node] = []
        for node in nodes:
            item = array_model(node, strict=True).item(index)
            if item is not None:
                out.append(item)
        return out

    def name_for(self, key: AnyName, taken: Iterable[str]) -> str | None:
        """Invent a property name for ``key`` that is not already used."""
        used = set(taken) | set(key.avoid)
        candidates: list[str] = []
        if key.pattern is not None:
            generated = string_for_regex(key.pattern)
            if generated is not None:
                candidates.append(generated)
        candidates += ["extra", "x", "cdccheck_extra", "zz"]
        for name in candidates:
            if name in used:
                continue
            if key.pattern is not None and not regex_search(key.pattern, name):
                continue
            if any(regex_search(p, name) is not False for p in key.avoid_patterns):
                continue
            return name
        return None


def _missing_required(nodes: Sequence[Node], obj: dict[str, Any]) -> set[str]:
    """Names the reference reports as missing from ``obj`` itself (not from its members)."""
    missing: set[str] = set()
    for node in nodes:
        if isinstance(node.value, bool):
            continue
        try:
            errors = list(node.doc.validator_for(node).iter_errors(obj))
        except Exception:  # the reference cannot decide; nothing to learn here
            continue
        for error in errors:
            if error.validator == "required" and not error.path:
                missing |= {n for n in error.validator_value if isinstance(n, str)}
    return missing


def _valid(nodes: Sequence[Node], value: Any) -> bool:
    return all(node.doc.accepts(node, value) for node in nodes)


def _same(a: Any, b: Any) -> bool:
    from cdccheck.gate.schemaview import same_json

    return same_json(a, b)


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def bounds(nodes: Sequence[Node], *, lower: bool) -> tuple[float | int, bool] | None:
    """Tightest (value, exclusive) numeric bound the nodes set, or None."""
    best: tuple[float | int, bool] | None = None
    pairs = (("minimum", False), ("exclusiveMinimum", True))
    if not lower:
        pairs = (("maximum", False), ("exclusiveMaximum", True))
    for node in nodes:
        for keyword, exclusive in pairs:
            value = _number(node.get(keyword))
            if value is None:
                continue
            candidate = (value, exclusive)
            if best is None or _tighter(candidate, best, lower=lower):
                best = candidate
    return best


def _tighter(a: tuple[float | int, bool], b: tuple[float | int, bool], *, lower: bool) -> bool:
    if a[0] != b[0]:
        return a[0] > b[0] if lower else a[0] < b[0]
    return a[1] and not b[1]


def numbers_within(nodes: Sequence[Node], *, integer: bool) -> Iterator[int | float]:
    """Numbers that satisfy the nodes' bounds and multipleOf (best effort)."""
    low = bounds(nodes, lower=True)
    high = bounds(nodes, lower=False)
    step: Fraction | None = None
    for node in nodes:
        multiple = _number(node.get("multipleOf"))
        if multiple is not None and multiple > 0:
            as_fraction = Fraction(str(multiple))
            step = as_fraction if step is None else _lcm(step, as_fraction)
    if integer:
        step = Fraction(1) if step is None else _lcm(step, Fraction(1))
    elif step is None:
        step = Fraction(1, 2)
    start = Fraction(0)
    if low is not None:
        start = Fraction(str(low[0]))
    elif high is not None and Fraction(str(high[0])) < 0:
        start = Fraction(str(high[0])) - 10
    first = math.ceil(start / step) * step
    for k in range(6):
        value = first + k * step
        if low is not None and (
            value < Fraction(str(low[0])) or (low[1] and value == Fraction(str(low[0])))
        ):
            continue
        if high is not None and (
            value > Fraction(str(high[0])) or (high[1] and value == Fraction(str(high[0])))
        ):
            break
        if (value.denominator == 1) != integer:
            continue
        yield _plain(value)


def _lcm(a: Fraction, b: Fraction) -> Fraction:
    """Least common multiple of two positive rationals."""
    numerator = math.lcm(a.numerator * b.denominator, b.numerator * a.denominator)
    return Fraction(numerator, a.denominator * b.denominator)


def _plain(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def strings_within(nodes: Sequence[Node]) -> Iterator[str]:
    """Strings that may satisfy the nodes' format, pattern and length."""
    minimum = max([_number(n.get("minLength")) or 0 for n in nodes] + [0])
    maximums = [m for m in (_number(n.get("maxLength")) for n in nodes) if m is not None]
    maximum = min(maximums) if maximums else None
    seeds: list[str] = []
    for node in nodes:
        fmt = node.get("format")
        if isinstance(fmt, str) and fmt in FORMAT_EXAMPLES:
            seeds.append(FORMAT_EXAMPLES[fmt])
    for node in nodes:
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            generated = string_for_regex(pattern)
            if generated is not None:
                seeds.append(generated)
    seeds += ["", "a"]
    for seed in seeds:
        yield fit_length(seed, int(minimum), maximum)


def fit_length(text: str, minimum: int, maximum: float | None) -> str:
    """Pad (repeating the last character) or cut ``text`` to the length bounds."""
    if len(text) < minimum:
        text += (text[-1:] or "a") * (minimum - len(text))
    if maximum is not None and len(text) > maximum:
        text = text[: int(maximum)]
    return text


def string_for_regex(pattern: str) -> str | None:
    """A short string `re.search(pattern, s)` accepts, for common patterns; else None."""
    try:
        parser = importlib.import_module("re._parser")
        constants = importlib.import_module("re._constants")
        parsed = parser.parse(pattern)
        text = _emit(parsed, constants)
    except Exception:
        return None
    return text if regex_search(pattern, text) else None


def _emit(parsed: Any, c: Any) -> str:
    out: list[str] = []
    for op, arg in parsed:
        if op is c.LITERAL:
            out.append(chr(arg))
        elif op is c.NOT_LITERAL:
            out.append("a" if chr(arg) != "a" else "b")
        elif op is c.ANY:
            out.append("a")
        elif op is c.IN:
            out.append(_class_char(arg, c))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, _high, sub = arg
            out.append(_emit(sub, c) * low)
        elif op is c.SUBPATTERN:
            out.append(_emit(arg[-1], c))
        elif op is getattr(c, "ATOMIC_GROUP", None):
            out.append(_emit(arg, c))
        elif op is c.BRANCH:
            out.append(_emit(arg[1][0], c))
        elif op is c.CATEGORY:
            out.append(_category_char(arg, c))
    return "".join(out)


def _class_char(items: Any, c: Any) -> str:
    negate = any(op is c.NEGATE for op, _ in items)
    if negate:
        excluded = re.compile(
            "["
            + "".join(
                re.escape(chr(a))
                if op is c.LITERAL
                else f"{re.escape(chr(a[0]))}-{re.escape(chr(a[1]))}"
                for op, a in items
                if op in (c.LITERAL, c.RANGE)
            )
            + "]"
            if any(op in (c.LITERAL, c.RANGE) for op, _ in items)
            else "(?!)"
        )
        for char in "a0_- xZ":
            if not excluded.match(char):
                return char
        return "~"
    for op, arg in items:
        if op is c.LITERAL:
            return chr(arg)
        if op is c.RANGE:
            return chr(arg[0])
        if op is c.CATEGORY:
            return _category_char(arg, c)
    return "a"


def _category_char(category: Any, c: Any) -> str:
    if category is c.CATEGORY_DIGIT:
        return "0"
    if category is c.CATEGORY_SPACE:
        return " "
    if category in (c.CATEGORY_NOT_WORD,):
        return "-"
    if category in (c.CATEGORY_NOT_DIGIT, c.CATEGORY_NOT_SPACE, c.CATEGORY_WORD):
        return "a"
    return "a"


# ---- placing a candidate into a whole instance -------------------------------------


def place(root: Any, site: Site, candidate: Any, builder: Builder) -> tuple[Any, str]:
    """``root`` with ``candidate`` at ``site`` (missing containers are built), or NOTHING;
    and the JSON Pointer of the place (property names invented for the site included)."""
    keys: list[str | int] = []
    placed = _place(root, site.positions(), 0, candidate, builder=builder, keys=keys)
    return placed, json_pointer(keys)


def _place(
    value: Any,
    positions: list[tuple[str | int | AnyName | None, tuple[Node, ...]]],
    depth: int,
    candidate: Any,
    *,
    builder: Builder,
    keys: list[str | int],
) -> Any:
    nodes = positions[depth][1]
    if depth == len(positions) - 1:
        if callable(candidate):
            current = value if value is not ABSENT else builder.example(nodes)
            return NOTHING if current is NOTHING else candidate(current)
        return candidate
    key = positions[depth + 1][0]
    if isinstance(key, int):
        if not isinstance(value, list):
            value = builder.example(nodes, frozenset({"array"}))
            if not isinstance(value, list):
                return NOTHING
        items = list(value)
        while len(items) < key:
            filler = builder.example(builder.item_nodes(nodes, len(items)))
            if filler is NOTHING:
                return NOTHING
            items.append(filler)
        current = items[key] if key < len(items) else ABSENT
        keys.append(key)
        new = _place(current, positions, depth + 1, candidate, builder=builder, keys=keys)
        if new is NOTHING:
            return NOTHING
        if new is DELETE:
            del items[key : key + 1]
        elif key < len(items):
            items[key] = new
        else:
            items.append(new)
        return items
    if not isinstance(value, dict):
        value = builder.example(nodes, frozenset({"object"}))
        if not isinstance(value, dict):
            return NOTHING
    obj = dict(value)
    name = key if isinstance(key, str) else builder.name_for(key, obj) if key else None
    if name is None:
        return NOTHING
    keys.append(name)
    new = _place(obj.get(name, ABSENT), positions, depth + 1, candidate, builder=builder, keys=keys)
    if new is NOTHING:
        return NOTHING
    if new is DELETE:
        obj.pop(name, None)
    else:
        obj[name] = new
    return obj


# ---- the search ----------------------------------------------------------------------


@dataclass
class Searcher:
    """Finds witnesses for a comparison's changes, within a time budget for the slow part."""

    docs: dict[str, Doc]
    budget_s: float = 1.5
    builder: Builder = field(default_factory=Builder)
    _spent_s: float = 0.0
    _roots: dict[str, Any] = field(default_factory=dict)

    def find(self, attempts: Sequence[Attempt]) -> Witness | None:
        """The first verified witness among the attempts' candidates, else a short search."""
        for attempt in attempts:
            found = self._constructed(attempt)
            if found is not None:
                return found
        for attempt in attempts:
            found = self._searched(attempt)
            if found is not None:
                return found
        return None

    def _root(self, role: str) -> Any:
        if role not in self._roots:
            doc = self.docs[role]
            self._roots[role] = self.builder.example([doc.root])
        return self._roots[role]

    def verify(self, instance: Any, source_role: str, path: str = "") -> Witness | None:
        """A Witness when the reference accepts ``instance`` as ``source_role`` only."""
        if instance is NOTHING or instance is DELETE or instance is ABSENT:
            return None
        accepting = self.docs[source_role]
        rejecting = self.docs["new" if source_role == "legacy" else "legacy"]
        try:
            if accepting.validator.is_valid(instance) and not rejecting.validator.is_valid(
                instance
            ):
                return Witness(instance, accepting.role, rejecting.role, path)
        except Exception:
            return None
        return None

    def _constructed(self, attempt: Attempt) -> Witness | None:
        root = self._root(attempt.source_role)
        start = ABSENT if root is NOTHING else root
        try:
            candidates = list(_take(attempt.candidates(), 12))
        except Exception:
            return None
        for candidate in candidates:
            instance, path = place(start, attempt.site, candidate, self.builder)
            found = self.verify(instance, attempt.source_role, path)
            if found is not None:
                return found
        return None

    def _searched(self, attempt: Attempt) -> Witness | None:
        if self._spent_s >= self.budget_s or attempt.target is None:
            return None
        local = _self_contained(attempt.site.source)
        if local is None:
            return None
        started = time.monotonic()
        try:
            values = _hypothesis_values(local, attempt.target, self.budget_s - self._spent_s)
        finally:
            self._spent_s += time.monotonic() - started
        root = self._root(attempt.source_role)
        start = ABSENT if root is NOTHING else root
        for value in values:
            instance, path = place(start, attempt.site, value, self.builder)
            found = self.verify(instance, attempt.source_role, path)
            if found is not None:
                return found
        return None


def _take(items: Iterable[Any], limit: int) -> Iterator[Any]:
    for i, item in enumerate(items):
        if i >= limit:
            return
        yield item


def _self_contained(nodes: Sequence[Node]) -> Any:
    """The nodes as one schema with the root's definitions, for hypothesis-jsonschema."""
    if not nodes:
        return None
    root = nodes[0].doc.validator.schema
    if not isinstance(root, dict):
        return None
    schema: dict[str, Any] = {"allOf": [n.value for n in nodes]}
    for keyword in ("$defs", "definitions"):
        if keyword in root:
            schema[keyword] = root[keyword]
    return schema


def _hypothesis_values(schema: Any, target: Node, budget_s: float) -> list[Any]:
    """Up to a few values of ``schema`` that ``target`` rejects (needs hypothesis-jsonschema)."""
    with _private_storage() as private:
        if not private:
            return []
        return _search(schema, target, budget_s)


def _search(schema: Any, target: Node, budget_s: float) -> list[Any]:
    try:
        # Imported here, inside the private storage: hypothesis-jsonschema builds
        # strategies at import time, and those already write hypothesis's caches.
        from hypothesis import HealthCheck, Phase, Verbosity, find, settings
        from hypothesis import strategies as st
        from hypothesis.errors import NoSuchExample
        from hypothesis_jsonschema import from_schema
    except ImportError:
        return []
    deadline = time.monotonic() + budget_s

    @st.composite
    def timed(draw: Any) -> Any:
        # Checked before every attempt: filtered draws never reach the predicate.
        if time.monotonic() > deadline:
            raise _OutOfTime
        return draw(from_schema(schema))

    def rejected(value: Any) -> bool:
        if time.monotonic() > deadline:
            raise _OutOfTime
        try:
            return not target.doc.accepts(target, value)
        except Exception:  # e.g. RecursionError on a deep generated value
            return False

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = find(
                timed(),
                rejected,
                settings=settings(
                    max_examples=25,
                    # No example database: nothing is written, nothing replayed.
                    database=None,
                    deadline=None,
                    # No shrinking: it could run long, and the result is verified anyway.
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                    # Same schemas, same witnesses: CI output must not flap.
                    derandomize=True,
                    verbosity=Verbosity.quiet,
                ),
            )
        except (NoSuchExample, _OutOfTime):
            return []
        except Exception:  # a schema hypothesis-jsonschema cannot handle
            return []
    return [value]


@contextlib.contextmanager
def _private_storage() -> Iterator[bool]:
    """Point hypothesis's storage at a temporary directory while the search runs.

    Beside its example database (turned off with ``database=None``) hypothesis
    caches Unicode tables and source constants under ``.hypothesis/`` in the
    working directory; in CI or a pre-commit hook that dirties the user's work
    tree. The gate writes nothing outside the paths the user names
    (docs/gate.md, "Witnesses and proven"), so the caches go to a directory
    removed afterwards and the previous setting is restored. Yields False when
    this hypothesis cannot be redirected: then the search is skipped.
    """
    try:
        from hypothesis.configuration import set_hypothesis_home_dir, storage_directory
    except ImportError:
        yield False
        return
    previous = storage_directory(intent_to_write=False).home_directory
    with tempfile.TemporaryDirectory(prefix="cdccheck-hypothesis-") as scratch:
        set_hypothesis_home_dir(scratch)
        try:
            yield True
        finally:
            set_hypothesis_home_dir(previous)


class _OutOfTime(Exception):
    """The witness search used up its time budget."""
