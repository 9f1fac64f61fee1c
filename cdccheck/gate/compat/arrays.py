"""Array keywords, checked together because they interact.

items, prefixItems, additionalItems, unevaluatedItems, minItems, maxItems,
uniqueItems and contains (with minContains/maxContains). Positions are
compared through each side's `ArrayModel` (cdccheck.gate.schemaview): a
tuple position declared on one side only is an added or removed item.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from cdccheck.engine.schema import DRAFT_2020_12
from cdccheck.gate.compat.scalars import size_bound
from cdccheck.gate.compat.words import (
    additional_kind,
    as_number,
    covered_kind,
    is_bool,
    openness,
    pick,
    presence_message,
    schema_state,
)
from cdccheck.gate.schemaview import Alternative, Node, array_model
from cdccheck.gate.witness import NOTHING, Site

if TYPE_CHECKING:
    from cdccheck.gate.compat.walker import Problem, Step, Walk


def check_arrays(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """Every array keyword at once (they interact): only where the target allows arrays."""
    if "array" not in step.remaining:
        return True
    alt, target, site = step.alt, step.target, step.site
    # Nodes without array keywords constrain nothing here.
    source_models = [array_model(n, strict=False) for n in alt if n.value.keys() & keywords]
    target_model = array_model(target, strict=True)
    limits = [m.max_length for m in source_models if m.max_length is not None]
    limits += [int(v) for v in (as_number(n.get("maxItems")) for n in alt) if v is not None]
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
        holds &= _item(walk, index, present, source_models, target_model, site)
    if longest is None or prefix < longest:
        holds &= _rest_items(walk, prefix, source_models, target_model, site)
    holds &= size_bound(
        walk,
        "minItems",
        alt,
        target,
        site,
        lower=True,
        candidates=lambda have, want: _arrays_of(walk, alt, [int(have or 0), int(want) - 1]),
    )
    holds &= size_bound(
        walk,
        "maxItems",
        alt,
        target,
        site,
        lower=False,
        source_value=(longest, alt[0]) if longest is not None and alt else None,
        candidates=lambda have, want: _arrays_of(walk, alt, [int(want) + 1]),
    )
    if (
        target.get("uniqueItems") is True
        and not any(n.get("uniqueItems") is True for n in alt)
        and (longest is None or longest > 1)
    ):
        holds &= walk.report(
            "UNIQUE_ITEMS_ADDED" if walk.backward else "UNIQUE_ITEMS_REMOVED",
            pick(alt),
            target,
            "items must now be unique" if walk.backward else "items no longer need to be unique",
            target_suffix="/uniqueItems",
            attempts=[walk.attempt(site, lambda: _duplicated(walk, alt))],
        )
    if target.has("contains"):
        holds &= _contains(walk, alt, target, longest, site)
    return holds


def _item(
    walk: Walk,
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
        return walk.include(source_items, target_item, child) if target_item else True
    holds = True
    problems: list[Problem] = []
    if target_item is not None:
        holds, problems = walk.trial(lambda w: w.include(source_items, target_item, child))
    added = in_target if walk.backward else in_source
    legacy_item, new_item = walk.on(source_items[0] if source_items else None, target_item)
    if added:
        family, name_fn = _added_item_kind(legacy_item, new_item)
    else:
        family, name_fn = _removed_item_kind(legacy_item, new_item)
    source_model = source_models[0] if source_models else None
    prefix_keyword = target_model.prefix_keyword
    return walk.report(
        family,
        source_model.node if source_model else None,
        target_model.node,
        presence_message(
            f"tuple item {index}",
            added,
            openness([n for n in [legacy_item if added else new_item] if n is not None]),
            "",
            walk.labels,
            rest="items after the tuple",
        ),
        breaking=not holds,
        source_suffix=f"/{source_model.prefix_keyword}/{index}"
        if in_source and source_model
        else "",
        target_suffix=f"/{prefix_keyword}/{index}" if in_target else "",
        attempts=[walk.attempt(child, lambda: walk.examples(source_items, None, 4), target_item)]
        + [a for p in problems for a in p.attempts],
        primary="new" if added else "legacy",
        name=name_fn,
    )


def _rest_items(
    walk: Walk, index: int, source_models: list[Any], target_model: Any, site: Site
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
        return walk.include(source_rest, target_rest, child)
    ok, problems = walk.trial(lambda w: w.include(source_rest, target_rest, child))
    legacy, new = walk.on(source_rest[0] if source_rest else None, target_rest)
    if tuples or is_bool(legacy) or is_bool(new):
        kind = additional_kind(legacy, new, "ITEMS")
    else:
        kind = "SCHEMA_ADDED" if legacy is None else "SCHEMA_REMOVED"
    return walk.report(
        kind,
        source_models[0].node if source_models else None,
        target_rest,
        f"items after the tuple: {schema_state(legacy)} -> {schema_state(new)}"
        if tuples
        else f"items: {schema_state(legacy)} -> {schema_state(new)}",
        breaking=not ok,
        attempts=[walk.attempt(child, lambda: walk.examples(source_rest, None, 4), target_rest)]
        + [a for p in problems for a in p.attempts],
    )


def _contains(walk: Walk, alt: Alternative, target: Node, longest: int | None, site: Site) -> bool:
    wanted = target.child("contains")
    modern = target.draft == DRAFT_2020_12
    want_min = as_number(target.get("minContains", 1)) if modern else 1
    want_max = as_number(target.get("maxContains")) if modern else None
    mine = next((n for n in alt if n.has("contains")), None)
    candidates = partial(_arrays_of, walk, alt, [0, 1, 2, 0])
    if mine is None:
        if want_min == 0 and (want_max is None or (longest is not None and longest <= want_max)):
            return True
        legacy, _ = walk.on(None, wanted)
        return walk.report(
            "CONTAINS_ADDED" if legacy is None else "CONTAINS_REMOVED",
            pick(alt),
            target,
            "arrays must now contain a matching item"
            if legacy is None
            else "arrays no longer need a matching item",
            target_suffix="/contains",
            attempts=[walk.attempt(site, candidates, target)],
        )
    holds = True
    have = mine.child("contains")
    inner, _ = walk.trial(lambda w: w.include([have], wanted, site))
    if not inner:
        holds &= walk.report(
            "CONTAINS_CHANGED",
            mine,
            target,
            "the contains schema changed",
            source_suffix="/contains",
            target_suffix="/contains",
            attempts=[walk.attempt(site, candidates, target)],
        )
    have_min = as_number(mine.get("minContains", 1)) if modern else 1
    if want_min is not None and want_min > 0:
        holds &= size_bound(
            walk,
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
        have_max = as_number(mine.get("maxContains")) if modern else None
        reverse, _ = walk.trial(lambda w: w.include([wanted], have, site))
        value = (have_max, mine) if have_max is not None and reverse else None
        if longest is not None and (value is None or longest < value[0]):
            value = (longest, mine)
        holds &= size_bound(
            walk,
            "maxContains",
            (mine,),
            target,
            site,
            lower=False,
            source_value=value,
            candidates=lambda h, w: _arrays_of(walk, alt, [int(w) + 1]),
        )
    return holds


# ---- naming and examples ------------------------------------------------------------------


def _added_item_kind(
    legacy_rest: Node | None, new_item: Node | None
) -> tuple[str, Callable[[bool, bool], str] | None]:
    state = openness([legacy_rest] if legacy_rest is not None else [])
    if state == "open":
        if new_item is not None and new_item.is_true:
            return "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", None
        return "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", None
    if state == "closed":
        return "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", None
    return "ITEM_ADDED_PARTIAL", covered_kind(
        "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    )


def _removed_item_kind(
    legacy_item: Node | None, new_rest: Node | None
) -> tuple[str, Callable[[bool, bool], str] | None]:
    state = openness([new_rest] if new_rest is not None else [])
    if state == "open":
        return "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", None
    if state == "closed":
        if legacy_item is not None and legacy_item.is_false:
            return "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", None
        return "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", None
    return "ITEM_REMOVED_PARTIAL", covered_kind(
        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    )


def _arrays_of(walk: Walk, alt: Alternative, lengths: list[int]) -> list[Any]:
    out = []
    for length in lengths:
        if length < 0:
            continue
        value = walk.builder.array(alt, length)
        if isinstance(value, list):
            out.append(value)
    return out


def _duplicated(walk: Walk, alt: Alternative) -> list[Any]:
    builder = walk.builder
    item = builder.example(builder.item_nodes(alt, 0) + builder.item_nodes(alt, 1))
    if item is NOTHING:
        return []
    minimum = max([as_number(n.get("minItems")) or 0 for n in alt] + [2])
    return [[item] * int(minimum)]
