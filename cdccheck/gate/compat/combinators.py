"""Combinators and references on the accepting side: $ref, allOf, anyOf, oneOf, not, if.

Combinators on the enumerated side are expanded into alternatives before any
check runs (cdccheck.gate.schemaview.alternatives); here the target's
combinators must accept each alternative.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from cdccheck.gate.compat.scalars import type_word
from cdccheck.gate.compat.words import pick
from cdccheck.gate.schemaview import (
    Alternative,
    Node,
    alternatives,
    finite_values,
    object_model,
    types_of,
)
from cdccheck.gate.witness import Site

if TYPE_CHECKING:
    from cdccheck.gate.compat.walker import Problem, Step, Walk


def check_ref(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """`$ref` beside other keywords (draft 2020-12): the referenced schema must accept too."""
    return walk.follow_ref(step.alt, step.types, step.target, step.site)


def check_all_of(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """`allOf`: every branch must accept."""
    holds = True
    for i in range(len(step.target.get("allOf", ()))):
        holds &= walk.include(step.alt, step.target.child("allOf", i), step.site, step.types)
    return holds


def check_any_of(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """`anyOf`: some branch accepts each piece of the source."""
    return _choice(walk, step.alt, step.types, step.target, "anyOf", step.site)


def check_one_of(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """`oneOf`: exactly one branch accepts each piece of the source."""
    return _choice(walk, step.alt, step.types, step.target, "oneOf", step.site)


def _choice(
    walk: Walk, alt: Alternative, types: frozenset[str], target: Node, keyword: str, site: Site
) -> bool:
    branches = [target.child(keyword, i) for i in range(len(target.value[keyword]))]
    if any(n.has(keyword) and walk.same(n.child(keyword), target.child(keyword)) for n in alt):
        return True  # the source already satisfies this very combinator
    holds = True
    source_count = max([len(n.get("anyOf") or n.get("oneOf") or ()) for n in alt] + [1])
    legacy_count, new_count = walk.on(source_count, len(branches))
    pending = _pieces(walk, types, branches)
    while pending:
        piece = pending.pop(0)
        covering: list[int] = []
        best: list[Problem] | None = None
        for i, branch in enumerate(branches):
            if not piece & walk.types(branch):
                continue
            ok, problems = walk.trial_include(alt, branch, site, piece)
            if ok:
                covering.append(i)
                if keyword == "anyOf":
                    break
            elif best is None or len(problems) < len(best):
                best = problems
        type_name = "|".join(sorted(type_word(t) for t in piece))
        if not covering and len(piece) > 1:
            pending += [frozenset({t}) for t in sorted(piece)]
            continue
        if not covering:
            if walk.backward:
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
            holds &= walk.report(
                kind,
                pick(alt),
                target,
                f"no {keyword} branch of the {walk.target_label} schema "
                f"accepts every {type_word(type_name)} the "
                f"{walk.source_label} schema accepts here",
                target_suffix=f"/{keyword}",
                attempts=[walk.attempt(site, partial(walk.examples, alt, piece, 4), target)]
                + [a for p in best or [] for a in p.attempts],
            )
            continue
        if keyword != "oneOf":
            continue
        others = [b for j, b in enumerate(branches) if j != covering[0]]
        if len(covering) > 1 or not all(_disjoint(walk, alt, piece, b) for b in others):
            holds &= walk.report(
                "ONE_OF_AMBIGUOUS",
                pick(alt),
                target,
                f"cannot prove that exactly one oneOf branch matches each "
                f"{type_word(type_name)} (oneOf rejects values that match two branches)",
                target_suffix="/oneOf",
                attempts=[walk.attempt(site, partial(walk.examples, alt, piece, 6), target)],
            )
    return holds


def _pieces(walk: Walk, types: frozenset[str], branches: list[Node]) -> list[frozenset[str]]:
    """Split the source's types so that each piece may fit one branch.

    Types no branch tells apart travel together (one trial per branch, not
    one per type); a type some branch rules out is tried on its own.
    """
    groups: dict[frozenset[int], set[str]] = {}
    for type_name in sorted(types):
        fits = frozenset(i for i, b in enumerate(branches) if type_name in walk.types(b))
        groups.setdefault(fits, set()).add(type_name)
    return [frozenset(group) for group in groups.values()]


def _disjoint(walk: Walk, alt: Alternative, types: frozenset[str], other: Node) -> bool:
    """Proof that no instance of ``alt`` (within ``types``) is accepted by ``other``."""
    if not types & walk.types(other):
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


def check_not(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """`not`: the excluded schema accepts none of the source's instances."""
    alt, types, target, site = step.alt, step.types, step.target, step.site
    excluded = target.child("not")
    if any(n.has("not") and walk.same(n.child("not"), excluded) for n in alt):
        return True
    if _disjoint(walk, alt, types, excluded):
        return True
    mine = [n for n in alt if n.has("not")]
    for node in mine:
        ok, _ = walk.trial_include([excluded], node.child("not"), site)
        if ok:
            return True
    if mine:
        kind = "NOT_TYPE_EXTENDED" if walk.backward else "NOT_TYPE_NARROWED"
    else:
        kind = "NOT_ADDED" if walk.backward else "NOT_REMOVED"
    return walk.report(
        kind,
        mine[0] if mine else (pick(alt)),
        target,
        f"the {walk.target_label} schema's `not` excludes values "
        f"the {walk.source_label} schema accepts",
        source_suffix="/not" if mine else "",
        target_suffix="/not",
        attempts=[
            walk.attempt(
                site,
                lambda: walk.examples([*alt, excluded], types, 4) + walk.examples(alt, types, 4),
                target,
            )
        ],
    )


def check_if(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """`if` with `then`/`else`: the branch that applies accepts."""
    alt, types, target, site = step.alt, step.types, step.target, step.site
    then = target.child("then") if target.has("then") else None
    otherwise = target.child("else") if target.has("else") else None
    if then is None and otherwise is None:
        return True
    condition = target.child("if")
    for node in alt:
        if node.has("if") and walk.same(node.child("if"), condition):
            holds = True
            if then is not None:
                holds &= walk.include(
                    [node.child("then")] if node.has("then") else alt, then, site, types
                )
            if otherwise is not None:
                holds &= walk.include(
                    [node.child("else")] if node.has("else") else alt, otherwise, site, types
                )
            return holds
    ok, problems = walk.trial(
        lambda w: (
            (then is None or w.include(alt, then, site, types))
            & (otherwise is None or w.include(alt, otherwise, site, types))
        )
    )
    if ok:
        return True
    inside, _ = walk.trial(lambda w: w.include(alt, condition, site, types))
    if inside:
        return walk.include(alt, then, site, types) if then is not None else True
    if _disjoint(walk, alt, types, condition):
        return walk.include(alt, otherwise, site, types) if otherwise is not None else True
    return walk.report(
        "CONDITIONAL_CHANGED",
        pick(alt),
        target,
        "an if/then/else constrains values the other schema accepts",
        target_suffix="/if",
        attempts=[
            walk.attempt(
                site,
                lambda: walk.examples([*alt, condition], types, 4) + walk.examples(alt, types, 4),
                target,
            ),
            *(a for p in problems for a in p.attempts),
        ],
    )


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
