"""The traversal core: one direction of the inclusion check, keyword family by family.

A `Walk` checks "every instance of the source is an instance of the target".
It expands the source into alternatives, handles `false`, old-draft `$ref`
and finite sources itself, and hands every other keyword of the target to
the check that keywords.py names for it. Checks record problems through
`Walk.report`; `cdccheck.gate.compat` merges both directions' problems into
changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cdccheck.engine.schema import DRAFT_2020_12
from cdccheck.gate.compat.changes import Location
from cdccheck.gate.compat.keywords import CHECKS, HANDLED
from cdccheck.gate.compat.scalars import finite
from cdccheck.gate.compat.words import escape_token, pick
from cdccheck.gate.kinds import LABELS
from cdccheck.gate.schemaview import (
    ALL_TYPES,
    ANNOTATIONS,
    Alternative,
    Node,
    alternatives,
    canonical,
    declared_types,
    finite_values,
    possible_types,
    ref_paths,
    same_json,
    types_of,
)
from cdccheck.gate.witness import Attempt, Builder, Site

# Past this many pair checks a walk gives up and says "suspected" (see ANALYSIS_INCOMPLETE).
MAX_STEPS = 20_000


@dataclass
class Problem:
    """What one walk found at one place; both walks' problems merge into `Change`s."""

    family: str
    legacy: Location | None
    new: Location | None
    breaking: bool
    message: str
    attempts: list[Attempt]
    primary: str
    name: Callable[[bool, bool], str] | None


@dataclass(frozen=True, slots=True)
class Step:
    """One alternative of the source against one target node: what every check is given."""

    alt: Alternative
    types: frozenset[str]
    """The types of the alternative's instances being checked."""
    remaining: frozenset[str]
    """Those of ``types`` the target's own `type` keyword allows (all without one)."""
    target: Node
    site: Site
    """Where the instances sit, for witnesses."""
    whole: Sequence[Node]
    """The unexpanded source nodes, for naming type changes."""


def _loc(node: Node | None, suffix: str = "") -> Location | None:
    return None if node is None else Location(node.file, node.pointer + suffix)


class Walk:
    """One direction: are all instances of the source accepted by the target?"""

    def __init__(
        self,
        *,
        backward: bool,
        parent: Walk | None = None,
        builder: Builder | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self.backward = backward
        self.parent = parent
        self.labels: Mapping[str, str] = parent.labels if parent else (labels or LABELS)
        """How messages name the sides: ``legacy``/``new``, or ``base``/``head``."""
        self.problems: list[Problem] = []
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
        """The schema whose instances this walk enumerates: ``legacy`` (backward) or ``new``."""
        return "legacy" if self.backward else "new"

    @property
    def source_label(self) -> str:
        """The label of the schema whose instances this walk enumerates."""
        return self.labels[self.source_role]

    @property
    def target_label(self) -> str:
        """The label of the schema that must accept them."""
        return self.labels["new" if self.backward else "legacy"]

    def on(self, source: Any, target: Any) -> tuple[Any, Any]:
        """(legacy, new) from (source, target)."""
        return (source, target) if self.backward else (target, source)

    def _is_active(self, key: Any) -> bool:
        walk: Walk | None = self
        while walk is not None:
            if key in walk.active:
                return True
            walk = walk.parent
        return False

    def _done(self, key: Any) -> bool | None:
        walk: Walk | None = self
        while walk is not None:
            if key in walk.done:
                return walk.done[key]
            walk = walk.parent
        return None

    def trial(self, check: Callable[..., bool], *args: Any) -> tuple[bool, list[Problem]]:
        """Run ``check(walk, *args)`` on a scratch walk; return (holds, its problems)."""
        sub = Walk(backward=self.backward, parent=self)
        holds = check(sub, *args)
        return holds, sub.problems

    def trial_include(
        self,
        source: Sequence[Node],
        target: Node | None,
        site: Site,
        types: frozenset[str] | None = None,
    ) -> tuple[bool, list[Problem]]:
        """`include` on a scratch walk: (holds, the problems it would record)."""
        return self.trial(Walk.include, source, target, site, types)

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
            Problem(family, legacy, new, breaking, message, list(attempts), primary, name)
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
        """A witness search at ``site``: ``candidates`` are tried against ``target``."""
        return Attempt(site, self.source_role, candidates, target)

    def types(self, node: Node) -> frozenset[str]:
        """The types ``node`` may accept (cached for the whole comparison)."""
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

    def _root(self) -> Walk:
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
        """One alternative of the source against the target; ``whole`` is the unexpanded source.

        Every check whose keywords the target carries runs, in the order of
        the table in keywords.py; keywords outside the table go to
        `_unsupported`, annotations to `_annotations`.
        """
        if target.is_false:
            return self.report(
                "SCHEMA_NARROWED" if self.backward else "SCHEMA_EXTENDED",
                pick(alt),
                target,
                f"the {self.target_label} schema is `false` here: it accepts nothing",
                attempts=[self.attempt(site, lambda: self.examples(alt, types), target)],
            )
        if "$ref" in target.value and target.draft != DRAFT_2020_12:
            # Before draft 2019-09 the keywords beside a `$ref` are ignored.
            return self.follow_ref(alt, types, target, site)
        values = finite_values(alt, types)
        if values is not None:
            return finite(self, alt, values, target, site, whole)
        remaining = types & (declared_types(target.value) or ALL_TYPES)
        step = Step(alt, types, remaining, target, site, whole)
        present = target.value.keys()
        holds = True
        for check, keywords in CHECKS:
            if not keywords.isdisjoint(present):
                holds &= check(self, step, keywords)
        holds &= self._unsupported(alt, target, site)
        self._annotations(alt, target)
        return holds

    def follow_ref(self, alt: Alternative, types: frozenset[str], target: Node, site: Site) -> bool:
        """The target's `$ref` must accept the alternative too; unresolvable means breaking."""
        followed = target.follow()
        if followed is None:
            return self.report(
                "UNRESOLVED_REF",
                pick(alt),
                target,
                f"$ref {target.value['$ref']!r} does not resolve without the network; "
                "treated as breaking",
                target_suffix="/$ref",
            )
        return self.include(alt, followed, site, types)

    # -- after the checks

    def _unsupported(self, alt: Alternative, target: Node, site: Site) -> bool:
        """Asserting keywords no check compares (not in keywords.py): breaking unless equal."""
        holds = True
        for keyword, value in target.value.items():
            if keyword in HANDLED or keyword not in target.doc.asserted:
                continue
            # An equal `$dynamicRef` may still resolve differently (dynamic scope);
            # identical subtrees of identical documents were accepted by `same` already.
            if keyword != "$dynamicRef" and any(
                n.has(keyword) and same_json(n.value[keyword], value) for n in alt
            ):
                continue
            holds &= self.report(
                "UNSUPPORTED_KEYWORD_CHANGED",
                pick(alt),
                target,
                f"cdccheck cannot compare {keyword!r} statically; treated as breaking",
                target_suffix=f"/{escape_token(keyword)}",
                attempts=[self.attempt(site, lambda: self.examples(alt, None, 6), target)],
            )
        return holds

    def _annotations(self, alt: Alternative, target: Node) -> None:
        """Title, description and friends: recorded as harmless changes."""
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
                    source_suffix=f"/{escape_token(keyword)}" if mine is not None else "",
                    target_suffix=f"/{escape_token(keyword)}" if theirs is not None else "",
                )
