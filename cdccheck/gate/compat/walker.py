"""Static compatibility of two JSON Schemas, in both directions, with witnesses.

Words as in Confluent Schema Registry (and docs/gate.md):
**backward** compatible = the new schema accepts every instance the legacy
schema accepts; **forward** = the legacy schema accepts every instance the new
one accepts.

How it works: one walk checks "every instance of A is an instance of B" (A
legacy and B new for backward, the other way round for forward). It goes
through both schemas in parallel, keyword group by keyword group; where it
cannot prove inclusion it records a problem, named in legacy -> new terms so
that the two walks' findings about one difference merge into one `Change`
with two `breaking` flags. A problem is recorded whenever inclusion is not
PROVEN: a false alarm is acceptable, a missed break is not. So every reading
errs the same way: the side whose instances are enumerated (A) is read
loosely (never smaller than it is), the side that must accept (B) strictly
(never larger than it is).

Recursive schemas terminate: a pair of positions being checked is assumed to
hold when met again (the coinductive reading, sound because instances are
finite), and finished pairs are memoized.

Each breaking change then gets a witness search (`cdccheck.witness`); only
instances python-jsonschema accepts under one schema and rejects under the
other are shown.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import TYPE_CHECKING, Any

from cdccheck.gate.schemaview import (
    ALL_TYPES,
    ANNOTATIONS,
    FRACTION,
    Alternative,
    Doc,
    Node,
    ObjectModel,
    alternatives,
    array_model,
    canonical,
    declared_types,
    dependencies,
    finite_values,
    make_doc,
    object_model,
    open_model,
    possible_types,
    ref_paths,
    same_json,
    types_of,
)
from cdccheck.gate.witness import (
    DELETE,
    NOTHING,
    AnyName,
    Attempt,
    Builder,
    Searcher,
    Site,
    Witness,
    bounds,
    fit_length,
    strings_within,
)
from cdccheck.schema import DRAFT_2020_12

if TYPE_CHECKING:
    from cdccheck.schema import Schema

BACKWARD = "backward"
FORWARD = "forward"
FULL = "full"
MODES = (BACKWARD, FORWARD, FULL)
# Past this many pair checks a walk gives up and says "suspected" (see ANALYSIS_INCOMPLETE).
MAX_STEPS = 20_000

# Keywords a walk understands. Any other keyword the reference asserts, found
# on the accepting side and not identical on the other, is an unproven change.
_HANDLED = frozenset(
    {
        "type",
        "enum",
        "const",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "properties",
        "patternProperties",
        "additionalProperties",
        "unevaluatedProperties",
        "required",
        "dependentRequired",
        "dependentSchemas",
        "dependencies",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "items",
        "prefixItems",
        "additionalItems",
        "unevaluatedItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
        "$ref",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
    }
)
# A target node without any keyword of a group puts no constraint of that kind.
_STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern", "format"})
_NUMBER_KEYWORDS = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)
_OBJECT_KEYWORDS = frozenset(
    {
        "properties",
        "patternProperties",
        "additionalProperties",
        "unevaluatedProperties",
        "required",
        "dependentRequired",
        "dependentSchemas",
        "dependencies",
        "propertyNames",
        "minProperties",
        "maxProperties",
    }
)
_ARRAY_KEYWORDS = frozenset(
    {
        "items",
        "prefixItems",
        "additionalItems",
        "unevaluatedItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
    }
)
_KEYWORD_NAMES = {
    "minLength": "MIN_LENGTH",
    "maxLength": "MAX_LENGTH",
    "minItems": "MIN_ITEMS",
    "maxItems": "MAX_ITEMS",
    "minProperties": "MIN_PROPERTIES",
    "maxProperties": "MAX_PROPERTIES",
    "minimum": "MINIMUM",
    "maximum": "MAXIMUM",
    "exclusiveMinimum": "EXCLUSIVE_MINIMUM",
    "exclusiveMaximum": "EXCLUSIVE_MAXIMUM",
    "minContains": "MIN_CONTAINS",
    "maxContains": "MAX_CONTAINS",
}


@dataclass(frozen=True)
class Location:
    """A place in a schema file: the file as named in the run, and a JSON Pointer."""

    file: str
    pointer: str


@dataclass
class Change:
    """One difference between the legacy and the new schema."""

    kind: str
    """Confluent Schema Registry's difference name where one fits, e.g. ``TYPE_NARROWED``."""
    legacy: Location | None
    new: Location | None
    backward: bool
    """Breaks backward compatibility: new rejects something legacy accepts."""
    forward: bool
    """Breaks forward compatibility: legacy rejects something new accepts."""
    message: str
    witness: Witness | None = None
    primary: str = "new"
    """Which side `path` points into: ``new``, or ``legacy`` for something removed."""

    @property
    def location(self) -> Location:
        """Where the change is: in the new schema, or in the legacy one for a removal."""
        chosen = self.new if self.primary == "new" else self.legacy
        fallback = self.legacy if chosen is self.new else self.new
        found = chosen or fallback
        assert found is not None, "a change has at least one location"
        return found

    @property
    def path(self) -> str:
        """JSON Pointer of the change (into the new schema, or the legacy one for removals)."""
        return self.location.pointer

    @property
    def proven(self) -> bool:
        """A verified witness shows the break; otherwise it is only suspected."""
        return self.witness is not None

    def breaks(self, mode: str) -> bool:
        """Whether the change breaks compatibility in ``mode`` (backward, forward, full)."""
        if mode == BACKWARD:
            return self.backward
        if mode == FORWARD:
            return self.forward
        return self.backward or self.forward


@dataclass
class Comparison:
    """Every change found between a legacy and a new schema."""

    legacy: str
    new: str
    changes: list[Change] = field(default_factory=list)

    @property
    def backward(self) -> bool:
        """New accepts everything legacy accepts (as far as cdccheck can prove)."""
        return not any(c.backward for c in self.changes)

    @property
    def forward(self) -> bool:
        """Legacy accepts everything new accepts (as far as cdccheck can prove)."""
        return not any(c.forward for c in self.changes)

    def compatible(self, mode: str = FULL) -> bool:
        """No change breaks compatibility in ``mode`` (backward, forward or full)."""
        return not any(c.breaks(mode) for c in self.changes)


def compare(legacy: Schema, new: Schema, *, witnesses: bool = True) -> Comparison:
    """Compare two loaded schemas in both directions; look for witnesses of breaks."""
    legacy_doc = make_doc(
        legacy.document,
        role="legacy",
        origin=legacy.path,
        validator=legacy.validator,
        registry=legacy.registry,
    )
    new_doc = make_doc(
        new.document, role="new", origin=new.path, validator=new.validator, registry=new.registry
    )
    return _compare(legacy_doc, new_doc, witnesses=witnesses)


def compare_documents(
    legacy: Any,
    new: Any,
    *,
    draft: str | None = None,
    witnesses: bool = True,
    legacy_origin: str = "legacy",
    new_origin: str = "new",
) -> Comparison:
    """Compare two schema documents that use only internal `$ref`s.

    ``draft`` is used for a document without `$schema` (default draft 2020-12).
    """
    legacy_doc = make_doc(legacy, role="legacy", origin=legacy_origin, draft=draft)
    new_doc = make_doc(new, role="new", origin=new_origin, draft=draft)
    return _compare(legacy_doc, new_doc, witnesses=witnesses)


def _compare(legacy: Doc, new: Doc, *, witnesses: bool) -> Comparison:
    builder = Builder()
    backward = _Walk(backward=True, builder=builder)
    backward.include([legacy.root], new.root, Site(None, None, (legacy.root,)))
    forward = _Walk(backward=False, builder=builder)
    forward.include([new.root], legacy.root, Site(None, None, (new.root,)))
    changes, attempts = _merge(backward.problems, forward.problems)
    if witnesses:
        searcher = Searcher({"legacy": legacy, "new": new}, builder=builder)
        for change, change_attempts in zip(changes, attempts, strict=True):
            if change.backward or change.forward:
                wanted = [
                    a
                    for a in change_attempts
                    if (a.source_role == "legacy" and change.backward)
                    or (a.source_role == "new" and change.forward)
                ]
                change.witness = searcher.find(wanted)
    return Comparison(legacy.origin, new.origin, changes)


# ---- problems and their merge ----------------------------------------------------------


@dataclass
class _Problem:
    family: str
    legacy: Location | None
    new: Location | None
    breaking: bool
    message: str
    attempts: list[Attempt]
    primary: str
    name: Callable[[bool, bool], str] | None


def _merge(
    backward: list[_Problem], forward: list[_Problem]
) -> tuple[list[Change], list[list[Attempt]]]:
    merged: dict[tuple[str, Location | None, Location | None], list[Any]] = {}
    for is_backward, problems in ((True, backward), (False, forward)):
        for p in problems:
            key = (p.family, p.legacy, p.new)
            entry = merged.setdefault(key, [p, False, False, [], None])
            if p.breaking:
                entry[1 if is_backward else 2] = True
                entry[3].extend(p.attempts)
                if entry[4] is None:
                    entry[4] = p.message
    changes: list[Change] = []
    attempts: list[list[Attempt]] = []
    for first, breaks_backward, breaks_forward, found, message in merged.values():
        kind = first.name(breaks_backward, breaks_forward) if first.name else first.family
        changes.append(
            Change(
                kind=kind,
                legacy=first.legacy,
                new=first.new,
                backward=breaks_backward,
                forward=breaks_forward,
                message=message or first.message,
                primary=first.primary,
            )
        )
        attempts.append(found)
    # A definition reached through several `$ref`s is one change to the reader.
    unique: dict[tuple[str, Location, bool, bool], int] = {}
    kept_changes: list[Change] = []
    kept_attempts: list[list[Attempt]] = []
    for change, found in zip(changes, attempts, strict=True):
        place = (change.kind, change.location, change.backward, change.forward)
        if place in unique:
            kept_attempts[unique[place]].extend(found)
            continue
        unique[place] = len(kept_changes)
        kept_changes.append(change)
        kept_attempts.append(found)
    order = sorted(range(len(kept_changes)), key=lambda i: _sort_key(kept_changes[i]))
    return [kept_changes[i] for i in order], [kept_attempts[i] for i in order]


def _sort_key(change: Change) -> tuple[list[str], str]:
    return (change.location.pointer.split("/"), change.kind)


# ---- the walk ---------------------------------------------------------------------------


def _loc(node: Node | None, suffix: str = "") -> Location | None:
    return None if node is None else Location(node.file, node.pointer + suffix)


def _num(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _fmt(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _short(value: Any, limit: int = 60) -> str:
    text = _fmt(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Walk:
    """One direction: are all instances of the source accepted by the target?"""

    def __init__(
        self, *, backward: bool, parent: _Walk | None = None, builder: Builder | None = None
    ) -> None:
        self.backward = backward
        self.parent = parent
        self.problems: list[_Problem] = []
        self.active: set[Any] = set()
        self.done: dict[Any, bool] = {}
        self.steps: list[int] = parent.steps if parent else [0]
        self.types_cache: dict[Any, frozenset[str]] = parent.types_cache if parent else {}
        self.builder: Builder = parent.builder if parent else (builder or Builder())
        self.canonical: dict[int, Any] = parent.canonical if parent else {}
        self.same_cache: dict[Any, bool] = parent.same_cache if parent else {}
        self.gave_up = False

    # -- bookkeeping

    @property
    def source_role(self) -> str:
        return "legacy" if self.backward else "new"

    def on(self, source: Any, target: Any) -> tuple[Any, Any]:
        """(legacy, new) from (source, target)."""
        return (source, target) if self.backward else (target, source)

    def _is_active(self, key: Any) -> bool:
        walk: _Walk | None = self
        while walk is not None:
            if key in walk.active:
                return True
            walk = walk.parent
        return False

    def _done(self, key: Any) -> bool | None:
        walk: _Walk | None = self
        while walk is not None:
            if key in walk.done:
                return walk.done[key]
            walk = walk.parent
        return None

    def trial(self, check: Callable[..., bool], *args: Any) -> tuple[bool, list[_Problem]]:
        """Run ``check(walk, *args)`` on a scratch walk; return (holds, its problems)."""
        sub = _Walk(backward=self.backward, parent=self)
        holds = check(sub, *args)
        return holds, sub.problems

    def report(
        self,
        family: str,
        source: Node | None,
        target: Node | None,
        message: str,
        *,
        breaking: bool = True,
        source_suffix: str = "",
        target_suffix: str = "",
        attempts: Iterable[Attempt] = (),
        primary: str = "new",
        name: Callable[[bool, bool], str] | None = None,
    ) -> bool:
        """Record a problem (``breaking=False``: a harmless change); return not ``breaking``."""
        legacy, new = self.on(_loc(source, source_suffix), _loc(target, target_suffix))
        self.problems.append(
            _Problem(family, legacy, new, breaking, message, list(attempts), primary, name)
        )
        return not breaking

    def examples(
        self, nodes: Sequence[Node], types: frozenset[str] | None = None, limit: int = 3
    ) -> list[Any]:
        """A few distinct instances of ``nodes`` (witness candidates)."""
        out: list[Any] = []
        for value in self.builder.examples(nodes, types):
            if not any(same_json(value, v) for v in out):
                out.append(value)
            if len(out) >= limit:
                break
        return out

    def attempt(
        self, site: Site, candidates: Callable[[], Iterable[Any]], target: Node | None = None
    ) -> Attempt:
        return Attempt(site, self.source_role, candidates, target)

    def types(self, node: Node) -> frozenset[str]:
        if node.key not in self.types_cache:
            self.types_cache[node.key] = possible_types(node)
        return self.types_cache[node.key]

    # -- the inclusion check

    def include(
        self,
        source: Sequence[Node],
        target: Node | None,
        site: Site,
        types: frozenset[str] | None = None,
    ) -> bool:
        """Whether every instance of all ``source`` nodes is accepted by ``target``.

        Problems found on the way are recorded; the result is False when any
        of them breaks.
        """
        if target is None or target.is_true:
            return True
        if len(source) == 1 and self.same(source[0], target):
            return True
        self.steps[0] += 1
        if self.steps[0] > MAX_STEPS:
            if not self._root().gave_up:
                self._root().gave_up = True
                self.report(
                    "ANALYSIS_INCOMPLETE",
                    source[0] if source else None,
                    target,
                    f"the schemas are too large to compare fully ({MAX_STEPS} steps); "
                    "treat the rest as suspected breaks",
                )
            return False
        key = (frozenset(n.key for n in source), types, target.key)
        if self._is_active(key):
            return True
        cached = self._done(key)
        if cached is not None:
            return cached
        self.active.add(key)
        holds = True
        try:
            for alternative in alternatives(source):
                allowed = types_of(alternative) & (types or ALL_TYPES)
                if allowed:
                    holds &= self._alternative(
                        alternative, allowed, target, site.refine(alternative), source
                    )
        finally:
            self.active.discard(key)
        self.done[key] = holds
        return holds

    def same(self, a: Node, b: Node) -> bool:
        """``a`` and ``b`` are the same subschema: equal JSON, and their `$ref`s lead to
        equal subschemas too. Then every instance of one is an instance of the other."""
        if a.flat or b.flat:
            return False
        key = (a.key, b.key)
        if key in self.same_cache:
            return self.same_cache[key]
        self.same_cache[key] = True  # a reference cycle: equal so far
        result = canonical(a.value, self.canonical) == canonical(b.value, self.canonical)
        if result and isinstance(a.value, dict | list):
            for path in ref_paths(a.value):
                a_sub, b_sub = a.child(*path), b.child(*path)
                if "$dynamicRef" in a_sub.value:
                    # Resolved by the dynamic scope; equal only when the documents are.
                    result = canonical(a.doc.validator.schema, self.canonical) == canonical(
                        b.doc.validator.schema, self.canonical
                    )
                    if not result:
                        break
                if "$ref" not in a_sub.value:
                    continue
                a_target, b_target = a_sub.follow(), b_sub.follow()
                if a_target is None or b_target is None:
                    result = a_target is b_target
                else:
                    result = self.same(a_target, b_target)
                if not result:
                    break
        self.same_cache[key] = result
        return result

    def _root(self) -> _Walk:
        walk = self
        while walk.parent is not None:
            walk = walk.parent
        return walk

    def _alternative(
        self,
        alt: Alternative,
        types: frozenset[str],
        target: Node,
        site: Site,
        whole: Sequence[Node],
    ) -> bool:
        """One alternative of the source against the target; ``whole`` is the unexpanded source."""
        if target.is_false:
            legacy_false = not self.backward
            return self.report(
                "SCHEMA_NARROWED" if self.backward else "SCHEMA_EXTENDED",
                _pick(alt),
                target,
                f"the {'legacy' if legacy_false else 'new'} schema is `false` here: "
                "it accepts nothing",
                attempts=[self.attempt(site, lambda: self.examples(alt, types), target)],
            )
        if "$ref" in target.value and target.draft != DRAFT_2020_12:
            return self._through_ref(alt, types, target, site)
        values = finite_values(alt, types)
        if values is not None:
            return self._finite(alt, values, target, site, whole)
        holds = self._types(alt, types, target, site, whole)
        remaining = types & (declared_types(target.value) or ALL_TYPES)
        if target.has("enum") or target.has("const"):
            holds &= self._enum_of_infinite(alt, types, target, site)
        present = target.value.keys()
        if "string" in remaining and present & _STRING_KEYWORDS:
            holds &= self._strings(alt, target, site)
        if remaining & {"integer", FRACTION} and present & _NUMBER_KEYWORDS:
            holds &= self._numbers(alt, remaining, target, site)
        if "object" in remaining and present & _OBJECT_KEYWORDS:
            holds &= self._objects(alt, target, site)
        if "array" in remaining and present & _ARRAY_KEYWORDS:
            holds &= self._arrays(alt, target, site)
        if target.has("$ref"):
            holds &= self._through_ref(alt, types, target, site)
        for i in range(len(target.get("allOf", ()))):
            holds &= self.include(alt, target.child("allOf", i), site, types)
        for keyword in ("anyOf", "oneOf"):
            if target.has(keyword):
                holds &= self._choice(alt, types, target, keyword, site)
        if target.has("not"):
            holds &= self._not(alt, types, target, site)
        if target.has("if"):
            holds &= self._conditional(alt, types, target, site)
        holds &= self._unsupported(alt, target, site)
        self._annotations(alt, target)
        return holds

    def _through_ref(
        self, alt: Alternative, types: frozenset[str], target: Node, site: Site
    ) -> bool:
        followed = target.follow()
        if followed is None:
            return self.report(
                "UNRESOLVED_REF",
                _pick(alt),
                target,
                f"$ref {target.value['$ref']!r} does not resolve without the network; "
                "treated as breaking",
                target_suffix="/$ref",
            )
        return self.include(alt, followed, site, types)

    # -- values, types and enums

    def _finite(
        self, alt: Alternative, values: list[Any], target: Node, site: Site, whole: Sequence[Node]
    ) -> bool:
        rejected = [v for v in values if not target.doc.accepts(target, v)]
        source_enum = _enum_of(alt)
        target_enum = _enum_of((target,))
        legacy_enum, new_enum = self.on(source_enum, target_enum)
        source = _enum_node(alt) or _pick(alt)
        if not rejected:
            if source_enum is not None and target_enum is not None:
                kind = _enum_kind(legacy_enum, new_enum)
                if kind is not None:
                    self.report(
                        kind,
                        source,
                        target,
                        _enum_message(legacy_enum, new_enum),
                        breaking=False,
                        target_suffix=_enum_suffix(target),
                        source_suffix=_enum_suffix(source),
                    )
            return True
        attempts = [self.attempt(site, lambda: rejected, target)]
        if target_enum is not None or source_enum is not None:
            kind = _enum_kind(legacy_enum, new_enum) or "ENUM_ARRAY_CHANGED"
            if target_enum is None and source_enum is not None:
                kind = _failing_keyword_kind(target, rejected[0])
            message = (
                f"{_enum_message(legacy_enum, new_enum)}; "
                f"{'new' if self.backward else 'legacy'} rejects {_short(rejected[0])}"
            )
            return self.report(
                kind,
                source,
                target,
                message,
                attempts=attempts,
                target_suffix=_enum_suffix(target),
                source_suffix=_enum_suffix(source),
            )
        return self.report(
            self._type_kind(whole, target),
            source,
            target,
            f"{'new' if self.backward else 'legacy'} rejects {_short(rejected[0])}, "
            f"which {'legacy' if self.backward else 'new'} accepts",
            attempts=attempts,
        )

    def _type_kind(self, whole: Sequence[Node], target: Node) -> str:
        """TYPE_/SUM_TYPE_ EXTENDED/NARROWED/CHANGED from the types each side allows."""
        legacy, new = self.on(possible_types(*whole), possible_types(target))
        nodes = [*whole, target]
        several = any(
            len(_type_list(n.value)) > 1 or n.has("anyOf") or n.has("oneOf") for n in nodes
        )
        if new < legacy:
            return "SUM_TYPE_NARROWED" if several else "TYPE_NARROWED"
        if new > legacy:
            return "SUM_TYPE_EXTENDED" if several else "TYPE_EXTENDED"
        return "TYPE_CHANGED"

    def _types(
        self,
        alt: Alternative,
        types: frozenset[str],
        target: Node,
        site: Site,
        whole: Sequence[Node],
    ) -> bool:
        target_types = declared_types(target.value)
        if target_types is None:
            return True
        source_declared = _declared(alt)
        legacy_types, new_types = self.on(source_declared, target_types)
        extra = types - target_types
        kind = self._type_kind(whole, target)
        source = _pick(alt, "type")
        if not extra:
            if source_declared is not None and source_declared != target_types and len(alt) == 1:
                self.report(
                    kind, source, target, _type_message(legacy_types, new_types), breaking=False
                )
            return True
        return self.report(
            kind,
            source,
            target,
            _type_message(legacy_types, new_types),
            attempts=[
                self.attempt(
                    site,
                    lambda: [v for t in sorted(extra) for v in self.examples(alt, frozenset({t}))],
                    target,
                )
            ],
        )

    def _enum_of_infinite(
        self, alt: Alternative, types: frozenset[str], target: Node, site: Site
    ) -> bool:
        legacy_enum, new_enum = self.on(None, _enum_of((target,)))
        kind = _enum_kind(legacy_enum, new_enum) or "ENUM_ARRAY_CHANGED"
        allowed = _enum_of((target,)) or []
        return self.report(
            kind,
            _pick(alt),
            target,
            _enum_message(legacy_enum, new_enum),
            target_suffix=_enum_suffix(target),
            attempts=[
                self.attempt(
                    site,
                    lambda: [
                        v
                        for v in self.examples(alt, types, 6)
                        if not any(same_json(v, a) for a in allowed)
                    ],
                    target,
                )
            ],
        )

    # -- scalars

    def _bound(
        self,
        keyword: str,
        alt: Alternative,
        target: Node,
        site: Site,
        *,
        lower: bool,
        candidates: Callable[[int | float | None, int | float], Iterable[Any]],
        source_value: tuple[int | float, Node] | None = None,
        target_value: int | float | None = None,
    ) -> bool:
        """A min*/max* keyword: the target's bound must not be tighter than the source's."""
        wanted = _num(target.get(keyword)) if target_value is None else target_value
        if source_value is None:
            source_value = _tightest(alt, keyword, lower=lower)
        have, have_node = source_value if source_value else (None, None)
        legacy, new = self.on(have, wanted)
        if wanted is None:
            return True
        holds = have is not None and (have >= wanted if lower else have <= wanted)
        kind = _bound_kind(keyword, legacy, new)
        if holds and legacy == new:
            return True
        return self.report(
            kind,
            have_node,
            target,
            _bound_message(keyword, legacy, new),
            breaking=not holds,
            source_suffix=f"/{keyword}" if have_node is not None and have_node.has(keyword) else "",
            target_suffix=f"/{keyword}",
            attempts=[self.attempt(site, lambda: candidates(have, wanted), target)],
        )

    def _strings(self, alt: Alternative, target: Node, site: Site) -> bool:
        seeds = list(strings_within(alt))

        def lengths(*sizes: int | float | None) -> list[str]:
            out = []
            for size in sizes:
                if size is None or size < 0:
                    continue
                out += [fit_length(seed, int(size), int(size)) for seed in seeds]
                out.append("a" * int(size))
            return out

        holds = self._bound(
            "minLength",
            alt,
            target,
            site,
            lower=True,
            candidates=lambda have, want: lengths(have or 0, want - 1),
        )
        holds &= self._bound(
            "maxLength",
            alt,
            target,
            site,
            lower=False,
            candidates=lambda have, want: lengths(want + 1, have),
        )
        pattern = target.get("pattern")
        if isinstance(pattern, str) and pattern not in ("", ".*"):
            holds &= self._text_keyword_change(
                "pattern", pattern, alt, target, site, _short, [*seeds, "", "a", "0", "-", " "]
            )
        fmt = target.get("format")
        if isinstance(fmt, str) and fmt in target.doc.formats:
            holds &= self._text_keyword_change(
                "format", fmt, alt, target, site, _fmt, [*seeds, "", "x", f"not a {fmt}"]
            )
        return holds

    def _text_keyword_change(
        self,
        keyword: str,
        value: str,
        alt: Any,
        target: Any,
        site: Any,
        show: Any,
        candidates: list[Any],
    ) -> bool:
        """A `pattern` or `format` the target requires and the source lacks or spells otherwise."""
        mine = [n for n in alt if n.has(keyword)]
        if any(n.value[keyword] == value for n in mine):
            return True
        theirs = mine[0].value[keyword] if mine else None
        legacy, new = self.on(theirs, value)
        name = keyword.upper()
        kind = (
            f"{name}_ADDED"
            if legacy is None
            else f"{name}_REMOVED"
            if new is None
            else f"{name}_CHANGED"
        )
        message = (
            f"{keyword} {show(legacy)} -> {show(new)}"
            if legacy and new
            else f"{keyword} {show(legacy or new)} {'added' if new else 'removed'}"
        )
        return bool(
            self.report(
                kind,
                mine[0] if mine else _pick(alt),
                target,
                message,
                source_suffix=f"/{keyword}" if mine else "",
                target_suffix=f"/{keyword}",
                attempts=[self.attempt(site, lambda: candidates, target)],
            )
        )

    def _numbers(self, alt: Alternative, types: frozenset[str], target: Node, site: Site) -> bool:
        holds = True
        for lower in (True, False):
            have = bounds(alt, lower=lower)
            want = bounds((target,), lower=lower)
            if want is None:
                continue
            ok = have is not None and (
                (have[0] > want[0] if lower else have[0] < want[0])
                or (have[0] == want[0] and (have[1] or not want[1]))
            )
            keyword = _bound_keyword(target, lower=lower)
            node = _bound_node(alt, have, lower=lower)
            legacy, new = self.on(have[0] if have else None, want[0])
            legacy_words, new_words = self.on(_bound_words(have, lower), _bound_words(want, lower))
            message = f"{'lower' if lower else 'upper'} bound {legacy_words} -> {new_words}"
            if ok:
                if legacy != new:
                    self.report(
                        _bound_kind(keyword, legacy, new),
                        node,
                        target,
                        message,
                        breaking=False,
                        target_suffix=f"/{keyword}",
                    )
                continue
            if legacy is not None and new is not None and legacy == new:
                kind = f"{_KEYWORD_NAMES[keyword]}_CHANGED"
            else:
                kind = _bound_kind(keyword, legacy, new)
            holds &= self.report(
                kind,
                node,
                target,
                message,
                target_suffix=f"/{keyword}",
                attempts=[self.attempt(site, partial(_near, have, want, lower), target)],
            )
        multiple = _num(target.get("multipleOf"))
        if multiple:
            mine = [n for n in alt if _num(n.get("multipleOf"))]
            ok = any(_divides(multiple, n.value["multipleOf"]) for n in mine) or (
                types <= {"integer"} and _divides(multiple, 1)
            )
            theirs = mine[0].value["multipleOf"] if mine else None
            legacy, new = self.on(theirs, multiple)
            kind = _multiple_kind(legacy, new)
            if ok:
                if legacy != new and mine:
                    self.report(
                        kind,
                        mine[0],
                        target,
                        f"multipleOf {_fmt(legacy)} -> {_fmt(new)}",
                        breaking=False,
                        source_suffix="/multipleOf",
                        target_suffix="/multipleOf",
                    )
            else:
                step = Fraction(str(theirs)) if theirs else Fraction(1, 2)
                holds &= self.report(
                    kind,
                    mine[0] if mine else (_pick(alt)),
                    target,
                    f"multipleOf {_fmt(legacy)} -> {_fmt(new)}",
                    source_suffix="/multipleOf" if mine else "",
                    target_suffix="/multipleOf",
                    attempts=[
                        self.attempt(
                            site,
                            lambda: [_plain(step * k) for k in range(1, 13)] + [1, 0.5],
                            target,
                        )
                    ],
                )
        return holds

    # -- objects

    def _objects(self, alt: Alternative, target: Node, site: Site) -> bool:
        # Nodes without object keywords (a bare `$ref`, a `type`) constrain nothing here.
        source_models = [
            object_model(n, strict=False) for n in alt if n.value.keys() & _OBJECT_KEYWORDS
        ] or [open_model(_pick(alt))]
        target_model = object_model(target, strict=True)
        source_required: set[str] = set()
        source_declared: set[str] = set()
        evaluated: set[str] = set()
        for model in source_models:
            source_required |= model.required
            source_declared |= set(model.properties)
            evaluated |= model.extra_names
        target_required_deps, target_schema_deps = dependencies(target)
        names = sorted(
            source_declared
            | evaluated
            | set(target_model.properties)
            | source_required
            | target_model.required
            | set(target_required_deps)
            | {n for names in target_required_deps.values() for n in names}
            | set(target_schema_deps)
        )
        holds = True
        for name in names:
            holds &= self._property(name, source_models, target_model, source_declared, site)
        holds &= self._unmentioned(source_models, target_model, frozenset(names), site)
        holds &= self._required(source_models, target_model, source_required, source_declared, site)
        holds &= self._dependencies(alt, source_models, target, source_required, site)
        holds &= self._property_names(alt, source_models, target, site)
        minimum = max([_num(n.get("minProperties")) or 0 for n in alt] + [len(source_required)])
        holds &= self._bound(
            "minProperties",
            alt,
            target,
            site,
            lower=True,
            source_value=_tightest(alt, "minProperties", lower=True)
            or ((minimum, alt[0]) if minimum and alt else None),
            candidates=lambda have, want: _object_sizes(self, alt, [int(have or 0), int(want) - 1]),
        )
        holds &= self._bound(
            "maxProperties",
            alt,
            target,
            site,
            lower=False,
            candidates=lambda have, want: _object_sizes(self, alt, [int(want) + 1]),
        )
        return holds

    def _property(
        self,
        name: str,
        source_models: list[ObjectModel],
        target_model: ObjectModel,
        source_declared: set[str],
        site: Site,
    ) -> bool:
        source_values = [v for m in source_models for v in m.values_for(name, exact=False)]
        if any(v.is_false for v in source_values):
            return True  # the name cannot occur on the source side
        target_values = target_model.values_for(name, exact=True)
        child = site.child(name, source_values)
        in_source = name in source_declared
        in_target = name in target_model.properties
        if in_source == in_target:
            holds = True
            for value in target_values:
                holds &= self.include(source_values, value, child)
            return holds
        holds, problems = self.trial(
            lambda w: all(w.include(source_values, v, child) for v in target_values)
        )
        added = in_target if self.backward else in_source
        legacy_values, new_values = self.on(source_values, target_values)
        declaring = next((m for m in source_models if name in m.properties), None)
        declared = declaring.properties[name] if declaring else target_model.properties.get(name)
        if added:
            family, name_fn = _added_property_kind(legacy_values, declared)
        else:
            family, name_fn = _removed_property_kind(new_values, declared)
        source_model = declaring or (source_models[0] if source_models else None)
        source_node = source_model.node if source_model else None
        attempts = [
            self.attempt(
                child,
                lambda: self.examples(source_values, None, 4),
                target_values[0] if target_values else None,
            )
        ] + [a for p in problems for a in p.attempts]
        detail = next((p.message for p in problems if p.breaking), "")
        state = _openness(legacy_values if added else new_values)
        return self.report(
            family,
            source_node,
            target_model.node,
            _presence_message(f"property {_fmt(name)}", added, state, detail),
            breaking=not holds,
            source_suffix=f"/properties/{_escape(name)}" if in_source else "",
            target_suffix=f"/properties/{_escape(name)}" if in_target else "",
            attempts=attempts,
            primary="new" if added else "legacy",
            name=name_fn,
        )

    def _unmentioned(
        self,
        source_models: list[ObjectModel],
        target_model: ObjectModel,
        names: frozenset[str],
        site: Site,
    ) -> bool:
        """Property names no `properties` mentions: patterns and additionalProperties."""
        holds = True
        for pattern, constraint in target_model.patterns.items():
            if constraint.is_true:
                continue
            key = AnyName(pattern, names)
            same = [m for m in source_models if pattern in m.patterns]
            if len(source_models) == 1 and same:
                node = same[0].patterns[pattern]
                holds &= self.include([node], constraint, site.child(key, [node]))
                continue
            ok, problems = self.trial(
                _any_model_within_pattern, source_models, pattern, constraint, site.child(key, ())
            )
            legacy_has, new_has = self.on(bool(same), True)
            family = "PATTERN_PROPERTY_ADDED" if not legacy_has else "PATTERN_PROPERTY_CHANGED"
            if not new_has:
                family = "PATTERN_PROPERTY_REMOVED"
            holds &= self.report(
                family,
                source_models[0].node if source_models else None,
                target_model.node,
                f"patternProperties {_fmt(pattern)} "
                + ("constrains names the other side allowed" if not ok else "changed"),
                breaking=not ok,
                target_suffix=f"/patternProperties/{_escape(pattern)}",
                attempts=[a for p in problems for a in p.attempts]
                + [self.attempt(site.child(key, ()), lambda: [None, "", 0, True, {}, []])],
            )
        additional = target_model.additional
        if additional is None or additional.is_true:
            return holds
        avoid = tuple(target_model.covered_patterns)
        if len(source_models) != 1:
            key = AnyName(None, names, avoid)
            ok, problems = self.trial(
                lambda w: any(
                    _model_within_additional(w, m, target_model, site.child(key, ()))
                    for m in source_models
                )
            )
            legacy_add, new_add = self.on(
                source_models[0].additional if source_models else None, additional
            )
            return holds & self.report(
                _additional_kind(legacy_add, new_add, "PROPERTIES"),
                source_models[0].node if source_models else None,
                additional,
                f"additional properties: {_state(legacy_add)} -> {_state(new_add)}",
                breaking=not ok,
                attempts=[a for p in problems for a in p.attempts],
            )
        model = source_models[0]
        patterns: list[tuple[str, Node | None]] = list(model.patterns.items())
        # Names other applicators evaluate escape unevaluatedProperties: any value.
        patterns += [(p, None) for p in model.extra_patterns]
        for pattern, pattern_node in patterns:
            if pattern in target_model.covered_patterns:
                continue
            values = [pattern_node] if pattern_node is not None else []
            child = site.child(AnyName(pattern, names, avoid), values)
            ok, problems = self.trial(_Walk.include, values, additional, child)
            holds &= self.report(
                "PATTERN_PROPERTY_REMOVED" if self.backward else "PATTERN_PROPERTY_ADDED",
                model.node,
                target_model.node,
                f"patternProperties {_fmt(pattern)} "
                f"{'removed' if self.backward else 'added'}; such names now fall under "
                "additionalProperties"
                if self.backward
                else f"patternProperties {_fmt(pattern)} added: the legacy schema's "
                "additionalProperties rejects such names",
                breaking=not ok,
                source_suffix=f"/patternProperties/{_escape(pattern)}" if pattern_node else "",
                attempts=[self.attempt(child, partial(self.examples, values, None, 3), additional)]
                + [a for p in problems for a in p.attempts],
                primary="legacy" if self.backward else "new",
            )
        mine = model.additional
        if mine is not None and mine.is_false:
            return holds
        child = site.child(
            AnyName(None, names, avoid + tuple(model.patterns)), [mine] if mine is not None else []
        )
        if mine is not None and not mine.is_true and not additional.is_false:
            return holds & self.include([mine], additional, child)
        ok, problems = self.trial(lambda w: w.include([mine] if mine else [], additional, child))
        legacy_add, new_add = self.on(mine, additional)
        values = [mine] if mine is not None else []
        return holds & self.report(
            _additional_kind(legacy_add, new_add, "PROPERTIES"),
            model.node,
            additional,
            f"additional properties: {_state(legacy_add)} -> {_state(new_add)}",
            breaking=not ok,
            source_suffix="/additionalProperties" if mine is not None else "",
            attempts=[
                self.attempt(
                    child, lambda: [*self.examples(values, None, 3), "x", 0, None, {}], additional
                )
            ]
            + [a for p in problems for a in p.attempts],
        )

    def _required(
        self,
        source_models: list[ObjectModel],
        target_model: ObjectModel,
        source_required: set[str],
        source_declared: set[str],
        site: Site,
    ) -> bool:
        holds = True
        target_required = target_model.required
        legacy_models, new_model = self.on(source_models, [target_model])
        for name in sorted(target_required | source_required):
            if name in target_required and name in source_required:
                continue
            legacy_req, new_req = self.on(name in source_required, name in target_required)
            kind = _required_kind(name, legacy_req, new_req, legacy_models, new_model)
            breaking = name in target_required
            source_values = [v for m in source_models for v in m.values_for(name, exact=False)]
            holds &= self.report(
                kind,
                source_models[0].node if source_models else None,
                target_model.node,
                f"property {_fmt(name)} is {'now' if new_req else 'no longer'} required",
                breaking=breaking,
                source_suffix="/required" if name in source_required else "",
                target_suffix="/required" if name in target_required else "",
                attempts=[self.attempt(site.child(name, source_values), lambda: [DELETE])],
                primary="new" if new_req else "legacy",
            )
        return holds

    def _dependencies(
        self,
        alt: Alternative,
        source_models: list[ObjectModel],
        target: Node,
        source_required: set[str],
        site: Site,
    ) -> bool:
        holds = True
        target_required, target_schemas = dependencies(target)
        source_required_deps: dict[str, set[str]] = {}
        source_schema_deps: dict[str, Node] = {}
        for node in alt:
            required, schemas = dependencies(node)
            for key, names in required.items():
                source_required_deps.setdefault(key, set()).update(names)
            for key, schema in schemas.items():
                source_schema_deps.setdefault(key, schema)
        keyword = "dependentRequired" if target.draft == DRAFT_2020_12 else "dependencies"
        for key, names in target_required.items():
            if _forbidden(source_models, key):
                continue
            missing = [
                n
                for n in names
                if n not in source_required
                and n not in source_required_deps.get(key, set())
                and n != key
            ]
            if not missing:
                continue
            legacy, new = self.on(source_required_deps.get(key), set(names))
            key_values = [v for m in source_models for v in m.values_for(key, exact=False)]
            holds &= self.report(
                _set_kind("DEPENDENCY_ARRAY", legacy, new),
                _pick(alt),
                target,
                f"when {_fmt(key)} is present, {_fmt(missing[0])} is "
                f"{'now' if self.backward else 'no longer'} required",
                target_suffix=f"/{keyword}/{_escape(key)}",
                attempts=[
                    self.attempt(
                        site,
                        partial(self._objects_with, alt, key, key_values, missing[0]),
                    )
                ],
            )
        schema_keyword = "dependentSchemas" if target.draft == DRAFT_2020_12 else "dependencies"
        for key, schema in target_schemas.items():
            if schema.is_true or _forbidden(source_models, key):
                continue
            mine = source_schema_deps.get(key)
            ok = False
            if mine is not None:
                ok, _ = self.trial(_Walk.include, [mine], schema, site)
            if not ok:
                ok, _ = self.trial(_Walk.include, alt, schema, site)
            if ok:
                continue
            if mine is not None:
                holds &= self.include([mine], schema, site)
                continue
            legacy, new = self.on(None, schema)
            key_values = [v for m in source_models for v in m.values_for(key, exact=False)]
            holds &= self.report(
                "DEPENDENCY_SCHEMA_ADDED" if legacy is None else "DEPENDENCY_SCHEMA_REMOVED",
                _pick(alt),
                target,
                f"when {_fmt(key)} is present the object must also match {schema_keyword}/{key}",
                target_suffix=f"/{schema_keyword}/{_escape(key)}",
                attempts=[
                    self.attempt(
                        site,
                        partial(self._objects_with, alt, key, key_values, None),
                    )
                ],
            )
        return holds

    def _objects_with(
        self, alt: Alternative, key: str, values: Sequence[Node], drop: str | None
    ) -> list[Any]:
        """Instances of ``alt`` with property ``key`` present (and ``drop`` absent)."""
        return [
            _with_key(self, obj, key, values, drop=drop)
            for obj in self.examples(alt, frozenset({"object"}), 2)
        ]

    def _property_names(
        self, alt: Alternative, source_models: list[ObjectModel], target: Node, site: Site
    ) -> bool:
        if not target.has("propertyNames"):
            return True
        names_schema = target.child("propertyNames")
        if names_schema.is_true:
            return True
        for node in alt:
            if node.has("propertyNames"):
                ok, _ = self.trial(_Walk.include, [node.child("propertyNames")], names_schema, site)
                if ok:
                    return True
        closed = [m for m in source_models if m.fully_closed]
        if closed and all(
            names_schema.doc.accepts(names_schema, name)
            for name, node in closed[0].properties.items()
            if not node.is_false
        ):
            return True
        legacy, _ = self.on(None, names_schema)
        return self.report(
            "PROPERTY_NAMES_ADDED" if legacy is None else "PROPERTY_NAMES_REMOVED",
            _pick(alt),
            target,
            "property names are now constrained by propertyNames"
            if legacy is None
            else "propertyNames no longer constrains property names",
            target_suffix="/propertyNames",
            attempts=[
                self.attempt(
                    site,
                    lambda: [
                        _with_key(self, obj, name, [])
                        for obj in self.examples(alt, frozenset({"object"}), 1)
                        for name in ("x", "A b", "0", "-")
                    ],
                )
            ],
        )

    # -- arrays

    def _arrays(self, alt: Alternative, target: Node, site: Site) -> bool:
        source_models = [
            array_model(n, strict=False) for n in alt if n.value.keys() & _ARRAY_KEYWORDS
        ]
        target_model = array_model(target, strict=True)
        limits = [m.max_length for m in source_models if m.max_length is not None]
        limits += [int(v) for v in (_num(n.get("maxItems")) for n in alt) if v is not None]
        longest = min(limits) if limits else None
        prefix = max([len(m.prefix) for m in source_models] + [len(target_model.prefix)])
        holds = True
        for index in range(prefix):
            if longest is not None and index >= longest:
                break
            source_items = [m.item(index) for m in source_models]
            present = [n for n in source_items if n is not None]
            if any(n.is_false for n in present):
                break
            holds &= self._item(index, present, source_models, target_model, site)
        if longest is None or prefix < longest:
            holds &= self._rest_items(prefix, source_models, target_model, site)
        holds &= self._bound(
            "minItems",
            alt,
            target,
            site,
            lower=True,
            candidates=lambda have, want: _arrays_of(self, alt, [int(have or 0), int(want) - 1]),
        )
        holds &= self._bound(
            "maxItems",
            alt,
            target,
            site,
            lower=False,
            source_value=(longest, alt[0]) if longest is not None and alt else None,
            candidates=lambda have, want: _arrays_of(self, alt, [int(want) + 1]),
        )
        if (
            target.get("uniqueItems") is True
            and not any(n.get("uniqueItems") is True for n in alt)
            and (longest is None or longest > 1)
        ):
            holds &= self.report(
                "UNIQUE_ITEMS_ADDED" if self.backward else "UNIQUE_ITEMS_REMOVED",
                _pick(alt),
                target,
                "items must now be unique"
                if self.backward
                else "items no longer need to be unique",
                target_suffix="/uniqueItems",
                attempts=[self.attempt(site, lambda: _duplicated(self, alt))],
            )
        if target.has("contains"):
            holds &= self._contains(alt, target, longest, site)
        return holds

    def _item(
        self,
        index: int,
        source_items: list[Node],
        source_models: list[Any],
        target_model: Any,
        site: Site,
    ) -> bool:
        target_item = target_model.item(index)
        child = site.child(index, source_items)
        in_source = any(index < len(m.prefix) for m in source_models)
        in_target = index < len(target_model.prefix)
        if in_source == in_target:
            return self.include(source_items, target_item, child) if target_item else True
        holds = True
        problems: list[_Problem] = []
        if target_item is not None:
            holds, problems = self.trial(lambda w: w.include(source_items, target_item, child))
        added = in_target if self.backward else in_source
        legacy_item, new_item = self.on(source_items[0] if source_items else None, target_item)
        if added:
            family, name_fn = _added_item_kind(legacy_item, new_item)
        else:
            family, name_fn = _removed_item_kind(legacy_item, new_item)
        source_model = source_models[0] if source_models else None
        prefix_keyword = target_model.prefix_keyword
        return self.report(
            family,
            source_model.node if source_model else None,
            target_model.node,
            _presence_message(
                f"tuple item {index}",
                added,
                _openness([n for n in [legacy_item if added else new_item] if n is not None]),
                "",
                rest="items after the tuple",
            ),
            breaking=not holds,
            source_suffix=f"/{source_model.prefix_keyword}/{index}"
            if in_source and source_model
            else "",
            target_suffix=f"/{prefix_keyword}/{index}" if in_target else "",
            attempts=[
                self.attempt(child, lambda: self.examples(source_items, None, 4), target_item)
            ]
            + [a for p in problems for a in p.attempts],
            primary="new" if added else "legacy",
            name=name_fn,
        )

    def _rest_items(
        self, index: int, source_models: list[Any], target_model: Any, site: Site
    ) -> bool:
        target_rest = target_model.rest
        if target_rest is None or target_rest.is_true:
            return True
        source_rest = [m.rest for m in source_models if m.rest is not None]
        if any(n.is_false for n in source_rest):
            return True
        child = site.child(index, source_rest)
        tuples = bool(target_model.prefix) or any(m.prefix for m in source_models)
        plain_schemas = (
            len(source_rest) == 1 and not source_rest[0].is_true and not target_rest.is_false
        )
        if plain_schemas:
            return self.include(source_rest, target_rest, child)
        ok, problems = self.trial(lambda w: w.include(source_rest, target_rest, child))
        legacy, new = self.on(source_rest[0] if source_rest else None, target_rest)
        if tuples or _is_bool(legacy) or _is_bool(new):
            kind = _additional_kind(legacy, new, "ITEMS")
        else:
            kind = "SCHEMA_ADDED" if legacy is None else "SCHEMA_REMOVED"
        return self.report(
            kind,
            source_models[0].node if source_models else None,
            target_rest,
            f"items after the tuple: {_state(legacy)} -> {_state(new)}"
            if tuples
            else f"items: {_state(legacy)} -> {_state(new)}",
            breaking=not ok,
            attempts=[self.attempt(child, lambda: self.examples(source_rest, None, 4), target_rest)]
            + [a for p in problems for a in p.attempts],
        )

    def _contains(self, alt: Alternative, target: Node, longest: int | None, site: Site) -> bool:
        wanted = target.child("contains")
        modern = target.draft == DRAFT_2020_12
        want_min = _num(target.get("minContains", 1)) if modern else 1
        want_max = _num(target.get("maxContains")) if modern else None
        mine = next((n for n in alt if n.has("contains")), None)
        candidates = partial(_arrays_of, self, alt, [0, 1, 2, 0])
        if mine is None:
            if want_min == 0 and (
                want_max is None or (longest is not None and longest <= want_max)
            ):
                return True
            legacy, _ = self.on(None, wanted)
            return self.report(
                "CONTAINS_ADDED" if legacy is None else "CONTAINS_REMOVED",
                _pick(alt),
                target,
                "arrays must now contain a matching item"
                if legacy is None
                else "arrays no longer need a matching item",
                target_suffix="/contains",
                attempts=[self.attempt(site, candidates, target)],
            )
        holds = True
        have = mine.child("contains")
        inner, _ = self.trial(lambda w: w.include([have], wanted, site))
        if not inner:
            holds &= self.report(
                "CONTAINS_CHANGED",
                mine,
                target,
                "the contains schema changed",
                source_suffix="/contains",
                target_suffix="/contains",
                attempts=[self.attempt(site, candidates, target)],
            )
        have_min = _num(mine.get("minContains", 1)) if modern else 1
        if want_min is not None and want_min > 0:
            holds &= self._bound(
                "minContains",
                (mine,),
                target,
                site,
                lower=True,
                source_value=(have_min or 0, mine),
                target_value=want_min,
                candidates=lambda h, w: candidates(),
            )
        if want_max is not None:
            have_max = _num(mine.get("maxContains")) if modern else None
            reverse, _ = self.trial(lambda w: w.include([wanted], have, site))
            value = (have_max, mine) if have_max is not None and reverse else None
            if longest is not None and (value is None or longest < value[0]):
                value = (longest, mine)
            holds &= self._bound(
                "maxContains",
                (mine,),
                target,
                site,
                lower=False,
                source_value=value,
                candidates=lambda h, w: _arrays_of(self, alt, [int(w) + 1]),
            )
        return holds

    # -- combinators on the accepting side

    def _choice(
        self, alt: Alternative, types: frozenset[str], target: Node, keyword: str, site: Site
    ) -> bool:
        branches = [target.child(keyword, i) for i in range(len(target.value[keyword]))]
        if any(n.has(keyword) and self.same(n.child(keyword), target.child(keyword)) for n in alt):
            return True  # the source already satisfies this very combinator
        holds = True
        source_count = max([len(n.get("anyOf") or n.get("oneOf") or ()) for n in alt] + [1])
        legacy_count, new_count = self.on(source_count, len(branches))
        pending = self._pieces(types, branches)
        while pending:
            piece = pending.pop(0)
            covering: list[int] = []
            best: list[_Problem] | None = None
            for i, branch in enumerate(branches):
                if not piece & self.types(branch):
                    continue
                ok, problems = self.trial(_Walk.include, alt, branch, site, piece)
                if ok:
                    covering.append(i)
                    if keyword == "anyOf":
                        break
                elif best is None or len(problems) < len(best):
                    best = problems
            type_name = "|".join(sorted(_type_word(t) for t in piece))
            if not covering and len(piece) > 1:
                pending += [frozenset({t}) for t in sorted(piece)]
                continue
            if not covering:
                if self.backward:
                    kind = (
                        "SUM_TYPE_NARROWED"
                        if new_count < legacy_count
                        else "COMBINED_TYPE_SUBSCHEMAS_CHANGED"
                    )
                else:
                    kind = (
                        "SUM_TYPE_EXTENDED"
                        if new_count > legacy_count
                        else "COMBINED_TYPE_SUBSCHEMAS_CHANGED"
                    )
                holds &= self.report(
                    kind,
                    _pick(alt),
                    target,
                    f"no {keyword} branch of the {'new' if self.backward else 'legacy'} schema "
                    f"accepts every {_type_word(type_name)} the "
                    f"{'legacy' if self.backward else 'new'} schema accepts here",
                    target_suffix=f"/{keyword}",
                    attempts=[self.attempt(site, partial(self.examples, alt, piece, 4), target)]
                    + [a for p in best or [] for a in p.attempts],
                )
                continue
            if keyword != "oneOf":
                continue
            others = [b for j, b in enumerate(branches) if j != covering[0]]
            if len(covering) > 1 or not all(self._disjoint(alt, piece, b) for b in others):
                holds &= self.report(
                    "ONE_OF_AMBIGUOUS",
                    _pick(alt),
                    target,
                    f"cannot prove that exactly one oneOf branch matches each "
                    f"{_type_word(type_name)} (oneOf rejects values that match two branches)",
                    target_suffix="/oneOf",
                    attempts=[self.attempt(site, partial(self.examples, alt, piece, 6), target)],
                )
        return holds

    def _pieces(self, types: frozenset[str], branches: list[Node]) -> list[frozenset[str]]:
        """Split the source's types so that each piece may fit one branch.

        Types no branch tells apart travel together (one trial per branch, not
        one per type); a type some branch rules out is tried on its own.
        """
        groups: dict[frozenset[int], set[str]] = {}
        for type_name in sorted(types):
            fits = frozenset(i for i, b in enumerate(branches) if type_name in self.types(b))
            groups.setdefault(fits, set()).add(type_name)
        return [frozenset(group) for group in groups.values()]

    def _disjoint(self, alt: Alternative, types: frozenset[str], other: Node) -> bool:
        """Proof that no instance of ``alt`` (within ``types``) is accepted by ``other``."""
        if not types & self.types(other):
            return True
        for branch in alternatives([other]):
            branch_types = types_of(branch) & types
            if not branch_types:
                continue
            values = finite_values(branch, branch_types)
            if values is not None:
                if any(all(n.doc.accepts(n, v, unknown=True) for n in alt) for v in values):
                    return False
                continue
            if not _discriminated(alt, branch):
                return False
        return True

    def _not(self, alt: Alternative, types: frozenset[str], target: Node, site: Site) -> bool:
        excluded = target.child("not")
        if any(n.has("not") and self.same(n.child("not"), excluded) for n in alt):
            return True
        if self._disjoint(alt, types, excluded):
            return True
        mine = [n for n in alt if n.has("not")]
        for node in mine:
            ok, _ = self.trial(_Walk.include, [excluded], node.child("not"), site)
            if ok:
                return True
        if mine:
            kind = "NOT_TYPE_EXTENDED" if self.backward else "NOT_TYPE_NARROWED"
        else:
            kind = "NOT_ADDED" if self.backward else "NOT_REMOVED"
        return self.report(
            kind,
            mine[0] if mine else (_pick(alt)),
            target,
            f"the {'new' if self.backward else 'legacy'} schema's `not` excludes values "
            f"the {'legacy' if self.backward else 'new'} schema accepts",
            source_suffix="/not" if mine else "",
            target_suffix="/not",
            attempts=[
                self.attempt(
                    site,
                    lambda: (
                        self.examples([*alt, excluded], types, 4) + self.examples(alt, types, 4)
                    ),
                    target,
                )
            ],
        )

    def _conditional(
        self, alt: Alternative, types: frozenset[str], target: Node, site: Site
    ) -> bool:
        then = target.child("then") if target.has("then") else None
        otherwise = target.child("else") if target.has("else") else None
        if then is None and otherwise is None:
            return True
        condition = target.child("if")
        for node in alt:
            if node.has("if") and self.same(node.child("if"), condition):
                holds = True
                if then is not None:
                    holds &= self.include(
                        [node.child("then")] if node.has("then") else alt, then, site, types
                    )
                if otherwise is not None:
                    holds &= self.include(
                        [node.child("else")] if node.has("else") else alt, otherwise, site, types
                    )
                return holds
        ok, problems = self.trial(
            lambda w: (
                (then is None or w.include(alt, then, site, types))
                & (otherwise is None or w.include(alt, otherwise, site, types))
            )
        )
        if ok:
            return True
        inside, _ = self.trial(lambda w: w.include(alt, condition, site, types))
        if inside:
            return self.include(alt, then, site, types) if then is not None else True
        if self._disjoint(alt, types, condition):
            return self.include(alt, otherwise, site, types) if otherwise is not None else True
        return self.report(
            "CONDITIONAL_CHANGED",
            _pick(alt),
            target,
            "an if/then/else constrains values the other schema accepts",
            target_suffix="/if",
            attempts=[
                self.attempt(
                    site,
                    lambda: (
                        self.examples([*alt, condition], types, 4) + self.examples(alt, types, 4)
                    ),
                    target,
                ),
                *(a for p in problems for a in p.attempts),
            ],
        )

    def _unsupported(self, alt: Alternative, target: Node, site: Site) -> bool:
        holds = True
        for keyword, value in target.value.items():
            if keyword in _HANDLED or keyword not in target.doc.asserted:
                continue
            # An equal `$dynamicRef` may still resolve differently (dynamic scope);
            # identical subtrees of identical documents were accepted by `same` already.
            if keyword != "$dynamicRef" and any(
                n.has(keyword) and same_json(n.value[keyword], value) for n in alt
            ):
                continue
            holds &= self.report(
                "UNSUPPORTED_KEYWORD_CHANGED",
                _pick(alt),
                target,
                f"cdccheck cannot compare {keyword!r} statically; treated as breaking",
                target_suffix=f"/{_escape(keyword)}",
                attempts=[self.attempt(site, lambda: self.examples(alt, None, 6), target)],
            )
        return holds

    def _annotations(self, alt: Alternative, target: Node) -> None:
        if (
            len(alt) != 1
            or not isinstance(alt[0].value, dict)
            or not isinstance(target.value, dict)
        ):
            return
        source = alt[0]
        for keyword, kind in ANNOTATIONS.items():
            if keyword == "$id" and target.draft == DRAFT_2020_12:
                continue
            mine, theirs = source.value.get(keyword), target.value.get(keyword)
            if (mine is None) != (theirs is None) or (
                mine is not None and not same_json(mine, theirs)
            ):
                self.report(
                    kind,
                    source,
                    target,
                    f"{keyword} changed",
                    breaking=False,
                    source_suffix=f"/{_escape(keyword)}" if mine is not None else "",
                    target_suffix=f"/{_escape(keyword)}" if theirs is not None else "",
                )


# ---- helpers: naming ---------------------------------------------------------------------


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _pick(alt: Sequence[Node], *keywords: str) -> Node | None:
    """The node of an alternative a change is best located at.

    The last node carrying one of ``keywords`` (or just the last): expansion
    appends what `$ref`s and combinators lead to after the referring node, so
    the last is the most specific and the same from both walks.
    """
    for node in reversed(alt):
        if not keywords or any(node.has(k) for k in keywords):
            return node
    return alt[-1] if alt else None


def _declared(alt: Alternative) -> frozenset[str] | None:
    found: frozenset[str] | None = None
    for node in alt:
        declared = declared_types(node.value)
        if declared is not None:
            found = declared if found is None else found & declared
    return found


def _type_list(schema: Any) -> list[str]:
    names = schema.get("type", []) if isinstance(schema, dict) else []
    return [names] if isinstance(names, str) else list(names)


def _type_message(legacy: frozenset[str] | None, new: frozenset[str] | None) -> str:
    return f"type {_types_word(legacy)} -> {_types_word(new)}"


def _types_word(types: frozenset[str] | None) -> str:
    if types is None:
        return "any"
    names = set(types)
    if {"integer", FRACTION} <= names:
        names -= {"integer", FRACTION}
        names.add("number")
    return "|".join(sorted(names)) or "nothing"


def _type_word(type_name: str) -> str:
    return {"fraction": "non-integer number", "null": "null"}.get(type_name, type_name)


def _enum_of(nodes: Sequence[Node]) -> list[Any] | None:
    for node in nodes:
        if node.has("const"):
            return [node.value["const"]]
        if node.has("enum") and isinstance(node.value["enum"], list):
            return list(node.value["enum"])
    return None


def _enum_node(nodes: Sequence[Node]) -> Node | None:
    return next((n for n in nodes if n.has("const") or n.has("enum")), None)


def _enum_suffix(node: Node | None) -> str:
    if node is None:
        return ""
    return "/const" if node.has("const") else "/enum" if node.has("enum") else ""


def _enum_kind(legacy: list[Any] | None, new: list[Any] | None) -> str | None:
    if legacy is None and new is None:
        return None
    if legacy is None:
        return "ENUM_ARRAY_ADDED"
    if new is None:
        return "ENUM_ARRAY_REMOVED"
    legacy_in_new = all(any(same_json(a, b) for b in new) for a in legacy)
    new_in_legacy = all(any(same_json(a, b) for b in legacy) for a in new)
    if legacy_in_new and new_in_legacy:
        return None
    if legacy_in_new:
        return "ENUM_ARRAY_EXTENDED"
    if new_in_legacy:
        return "ENUM_ARRAY_NARROWED"
    return "ENUM_ARRAY_CHANGED"


def _enum_message(legacy: list[Any] | None, new: list[Any] | None) -> str:
    def word(values: list[Any] | None) -> str:
        return "any value" if values is None else _short(values, 80)

    return f"allowed values {word(legacy)} -> {word(new)}"


def _failing_keyword_kind(target: Node, value: Any) -> str:
    from jsonschema.exceptions import best_match

    validator = target.doc.validator.evolve(schema=target.value, _resolver=target.resolver)
    error = best_match(validator.iter_errors(value))
    keyword = str(error.validator) if error is not None else "schema"
    name = _KEYWORD_NAMES.get(keyword) or "".join(
        f"_{c}" if c.isupper() else c.upper() for c in keyword.lstrip("$")
    )
    return f"{name}_CHANGED"


def _bound_kind(keyword: str, legacy: Any, new: Any) -> str:
    name = _KEYWORD_NAMES[keyword]
    if legacy is None:
        return f"{name}_ADDED"
    if new is None:
        return f"{name}_REMOVED"
    return f"{name}_INCREASED" if new > legacy else f"{name}_DECREASED"


def _bound_message(keyword: str, legacy: Any, new: Any) -> str:
    if legacy is None:
        return f"{keyword} {new} added"
    if new is None:
        return f"{keyword} {legacy} removed"
    return f"{keyword} {legacy} -> {new}"


def _bound_words(bound: tuple[int | float, bool] | None, lower: bool) -> str:
    if bound is None:
        return "none"
    keyword = (
        ("exclusiveMinimum" if lower else "exclusiveMaximum")
        if bound[1]
        else ("minimum" if lower else "maximum")
    )
    return f"{keyword} {bound[0]}"


def _bound_keyword(node: Node, *, lower: bool) -> str:
    plain, exclusive = ("minimum", "exclusiveMinimum") if lower else ("maximum", "exclusiveMaximum")
    found = bounds((node,), lower=lower)
    if found is not None and found[1] and node.has(exclusive):
        return exclusive
    return plain if node.has(plain) else exclusive


def _bound_node(
    alt: Alternative, have: tuple[int | float, bool] | None, *, lower: bool
) -> Node | None:
    if have is None:
        return _pick(alt)
    for node in alt:
        if bounds((node,), lower=lower) == have:
            return node
    return _pick(alt)


def _tightest(alt: Sequence[Node], keyword: str, *, lower: bool) -> tuple[int | float, Node] | None:
    best: tuple[int | float, Node] | None = None
    for node in alt:
        value = _num(node.get(keyword))
        if value is None:
            continue
        if best is None or (value > best[0] if lower else value < best[0]):
            best = (value, node)
    return best


def _multiple_kind(legacy: Any, new: Any) -> str:
    if legacy is None:
        return "MULTIPLE_OF_ADDED"
    if new is None:
        return "MULTIPLE_OF_REMOVED"
    if _divides(new, legacy):
        return "MULTIPLE_OF_REDUCED"
    if _divides(legacy, new):
        return "MULTIPLE_OF_EXPANDED"
    return "MULTIPLE_OF_CHANGED"


def _divides(divisor: Any, value: Any) -> bool:
    """Whether ``value`` is an integer multiple of ``divisor`` (exactly, in decimal)."""
    try:
        return (Fraction(str(value)) / Fraction(str(divisor))).denominator == 1
    except (ValueError, ZeroDivisionError):
        return False


def _set_kind(name: str, legacy: Any, new: Any) -> str:
    if legacy is None:
        return f"{name}_ADDED"
    if new is None:
        return f"{name}_REMOVED"
    if set(legacy) <= set(new):
        return f"{name}_EXTENDED"
    if set(new) <= set(legacy):
        return f"{name}_NARROWED"
    return f"{name}_CHANGED"


def _is_bool(node: Node | None) -> bool:
    return node is not None and isinstance(node.value, bool)


def _state(node: Node | None) -> str:
    if node is None or node.is_true:
        return "any"
    if node.is_false:
        return "none"
    return "schema"


def _additional_kind(legacy: Node | None, new: Node | None, what: str) -> str:
    legacy_state, new_state = _state(legacy), _state(new)
    if legacy_state == "none":
        return f"ADDITIONAL_{what}_ADDED"
    if new_state == "none":
        return f"ADDITIONAL_{what}_REMOVED"
    if legacy_state == "any":
        return f"ADDITIONAL_{what}_NARROWED"
    if new_state == "any":
        return f"ADDITIONAL_{what}_EXTENDED"
    return f"ADDITIONAL_{what}_CHANGED"


def _openness(values: Sequence[Node]) -> str:
    if not values or all(v.is_true for v in values):
        return "open"
    if any(v.is_false for v in values):
        return "closed"
    return "partial"


def _presence_message(
    what: str,
    added: bool,
    state: str,
    detail: str,
    rest: str = "patternProperties/additionalProperties",
) -> str:
    """Describe a property (or tuple item) declared on one side only, in legacy -> new terms."""
    other = "legacy" if added else "new"
    if state == "closed":
        return (
            f"{what} {'added' if added else 'removed'}; the {other} schema does not allow it "
            "(closed content model)"
        )
    if state == "open":
        text = (
            f"{what} {'added' if added else 'removed'}; the {other} schema accepts any value there"
        )
    else:
        text = (
            f"{what} {'added' if added else 'removed'}; the {other} schema gives it its "
            f"{rest} schema"
        )
    return f"{text} ({detail})" if detail else text


def _added_property_kind(
    legacy_values: Sequence[Node], declared: Node | None
) -> tuple[str, Callable[[bool, bool], str] | None]:
    state = _openness(legacy_values)
    if state == "open":
        if declared is not None and declared.is_true:
            return "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", None
        return "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", None
    if state == "closed":
        return "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", None
    return "PROPERTY_ADDED_PARTIAL", _covered(
        "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    )


def _removed_property_kind(
    new_values: Sequence[Node], declared: Node | None
) -> tuple[str, Callable[[bool, bool], str] | None]:
    state = _openness(new_values)
    if state == "open":
        return "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", None
    if state == "closed":
        if declared is not None and declared.is_false:
            return "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", None
        return "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", None
    return "PROPERTY_REMOVED_PARTIAL", _covered(
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    )


def _added_item_kind(
    legacy_rest: Node | None, new_item: Node | None
) -> tuple[str, Callable[[bool, bool], str] | None]:
    state = _openness([legacy_rest] if legacy_rest is not None else [])
    if state == "open":
        if new_item is not None and new_item.is_true:
            return "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", None
        return "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", None
    if state == "closed":
        return "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", None
    return "ITEM_ADDED_PARTIAL", _covered(
        "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    )


def _removed_item_kind(
    legacy_item: Node | None, new_rest: Node | None
) -> tuple[str, Callable[[bool, bool], str] | None]:
    state = _openness([new_rest] if new_rest is not None else [])
    if state == "open":
        return "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", None
    if state == "closed":
        if legacy_item is not None and legacy_item.is_false:
            return "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", None
        return "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", None
    return "ITEM_REMOVED_PARTIAL", _covered(
        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    )


def _covered(covered: str, not_covered: str) -> Callable[[bool, bool], str]:
    # Confluent's "covered": the partially open side already accepted what the
    # explicit schema accepts there, so only a backward break uncovers it.
    return lambda backward, forward: not_covered if backward else covered


def _required_kind(
    name: str,
    legacy_required: bool,
    new_required: bool,
    legacy_models: Sequence[ObjectModel],
    new_models: Sequence[ObjectModel],
) -> str:
    if legacy_required and not new_required:
        return "REQUIRED_ATTRIBUTE_REMOVED"
    known_before = any(name in m.properties for m in legacy_models)
    new_open = all(m.openness == "open" for m in new_models)
    if not known_before and not new_open:
        return "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
    return "REQUIRED_ATTRIBUTE_ADDED"


# ---- helpers: reasoning --------------------------------------------------------------------


def _forbidden(models: Sequence[ObjectModel], name: str) -> bool:
    return any(v.is_false for m in models for v in m.values_for(name, exact=False))


def _any_model_within_pattern(
    walk: _Walk, models: Sequence[ObjectModel], pattern: str, constraint: Node, site: Site
) -> bool:
    return any(_model_within_pattern(walk, m, pattern, constraint, site) for m in models)


def _model_within_pattern(
    walk: _Walk, model: ObjectModel, pattern: str, constraint: Node, site: Site
) -> bool:
    """Names matching ``pattern`` that no `properties` mention satisfy ``constraint``."""
    if model.fully_closed:
        return True
    if model.extra_patterns:
        return False  # names other applicators evaluate may carry any value
    if pattern in model.patterns:
        return walk.include([model.patterns[pattern]], constraint, site)
    if model.additional is None:
        return False
    return all(
        [walk.include([node], constraint, site) for node in model.patterns.values()]
        + [walk.include([model.additional], constraint, site)]
    )


def _model_within_additional(
    walk: _Walk, model: ObjectModel, target: ObjectModel, site: Site
) -> bool:
    """Names the target leaves to additionalProperties satisfy it on the source side too."""
    if model.fully_closed:
        return True
    additional = target.additional
    if model.additional is None or additional is None:
        return additional is None
    checks = [walk.include([model.additional], additional, site)]
    for pattern, node in model.patterns.items():
        if pattern not in target.covered_patterns:
            checks.append(walk.include([node], additional, site))
    for pattern in model.extra_patterns:
        if pattern not in target.covered_patterns:
            checks.append(walk.include([], additional, site))
    return all(checks)


def _discriminated(alt: Alternative, branch: Alternative) -> bool:
    """Both are objects told apart by a property the branch requires with fixed values."""
    if types_of(alt) - {"object"} and types_of(branch) & (types_of(alt) - {"object"}):
        return False
    branch_models = [object_model(n, strict=False) for n in branch]
    alt_models = [object_model(n, strict=False) for n in alt]
    required = set().union(*(m.required for m in branch_models)) if branch_models else set()
    for name in sorted(required):
        branch_values = [v for m in branch_models for v in m.values_for(name, exact=False)]
        fixed = [
            vals
            for a in alternatives(branch_values)
            if (vals := finite_values(a, types_of(a))) is not None
        ]
        if not branch_values or len(fixed) != len(alternatives(branch_values)):
            continue
        allowed = [v for values in fixed for v in values]
        alt_values = [v for m in alt_models for v in m.values_for(name, exact=True)]
        if any(v.is_false for v in alt_values):
            return True
        if alt_values and not any(
            all(n.doc.accepts(n, v, unknown=True) for n in alt_values) for v in allowed
        ):
            return True
    return False


def _near(
    have: tuple[int | float, bool] | None, want: tuple[int | float, bool], lower: bool
) -> list[int | float]:
    """Numbers near a bound that the source side may allow and the target not."""
    value = want[0]
    sign = -1 if lower else 1
    out: list[int | float] = [value] if want[1] else []
    out += [value + sign * 1, value + sign * 0.5, value + sign * 1000]
    if have is not None:
        out = [have[0], *out]
        if have[1]:
            out.insert(0, have[0] - sign * 1)
    return [_plain(Fraction(str(v))) for v in out]


def _plain(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _with_key(
    walk: _Walk, obj: Any, key: str, values: Sequence[Node], drop: str | None = None
) -> Any:
    """``obj`` with property ``key`` present (and ``drop`` removed)."""
    result = dict(obj) if isinstance(obj, dict) else {}
    if key not in result:
        value = walk.builder.example(values) if values else None
        result[key] = None if value is NOTHING else value
    if drop is not None:
        result.pop(drop, None)
    return result


def _object_sizes(walk: _Walk, alt: Alternative, sizes: list[int]) -> list[Any]:
    out = []
    for size in sizes:
        if size < 0:
            continue
        value = walk.builder.object(alt, count=size)
        if isinstance(value, dict):
            while len(value) > size:
                value.pop(next(reversed(value)))
            out.append(value)
    return out


def _arrays_of(walk: _Walk, alt: Alternative, lengths: list[int]) -> list[Any]:
    out = []
    for length in lengths:
        if length < 0:
            continue
        value = walk.builder.array(alt, length)
        if isinstance(value, list):
            out.append(value)
    return out


def _duplicated(walk: _Walk, alt: Alternative) -> list[Any]:
    builder = walk.builder
    item = builder.example(builder.item_nodes(alt, 0) + builder.item_nodes(alt, 1))
    if item is NOTHING:
        return []
    minimum = max([_num(n.get("minItems")) or 0 for n in alt] + [2])
    return [[item] * int(minimum)]
