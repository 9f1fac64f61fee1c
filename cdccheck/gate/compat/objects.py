"""Object keywords, checked together because they interact.

properties, patternProperties, additionalProperties, unevaluatedProperties,
required, dependentRequired, dependentSchemas, dependencies (draft 7),
propertyNames, minProperties and maxProperties. Names are compared through
each side's `ObjectModel` (cdccheck.gate.schemaview): a name declared on one
side only is an added or removed property, named the way Confluent Schema
Registry names it after how open the other side is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from cdccheck.engine.schema import DRAFT_2020_12
from cdccheck.gate.compat.scalars import accepts_every_string, size_bound, tightest
from cdccheck.gate.compat.words import (
    additional_kind,
    as_number,
    covered_kind,
    escape_token,
    json_text,
    openness,
    pick,
    presence_message,
    schema_state,
)
from cdccheck.gate.schemaview import (
    Alternative,
    Node,
    ObjectModel,
    dependencies,
    object_model,
    open_model,
)
from cdccheck.gate.witness import DELETE, NOTHING, AnyName, Site

if TYPE_CHECKING:
    from cdccheck.gate.compat.walker import Step, Walk


def check_objects(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """Every object keyword at once (they interact): only where the target allows objects."""
    if "object" not in step.remaining:
        return True
    alt, target, site = step.alt, step.target, step.site
    # Nodes without object keywords (a bare `$ref`, a `type`) constrain nothing here.
    source_models = [object_model(n, strict=False) for n in alt if n.value.keys() & keywords] or [
        open_model(pick(alt))
    ]
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
        holds &= _property(walk, name, source_models, target_model, source_declared, site)
    holds &= _unmentioned(walk, source_models, target_model, frozenset(names), site)
    holds &= _required(walk, source_models, target_model, source_required, source_declared, site)
    holds &= _dependencies(walk, alt, source_models, target, source_required, site)
    holds &= _property_names(walk, alt, source_models, target, site)
    minimum = max([as_number(n.get("minProperties")) or 0 for n in alt] + [len(source_required)])
    holds &= size_bound(
        walk,
        "minProperties",
        alt,
        target,
        site,
        lower=True,
        source_value=tightest(alt, "minProperties", lower=True)
        or ((minimum, alt[0]) if minimum and alt else None),
        candidates=lambda have, want: _object_sizes(walk, alt, [int(have or 0), int(want) - 1]),
    )
    holds &= size_bound(
        walk,
        "maxProperties",
        alt,
        target,
        site,
        lower=False,
        candidates=lambda have, want: _object_sizes(walk, alt, [int(want) + 1]),
    )
    return holds


def _property(
    walk: Walk,
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
            holds &= walk.include(source_values, value, child)
        return holds
    holds, problems = walk.trial(
        lambda w: all(w.include(source_values, v, child) for v in target_values)
    )
    added = in_target if walk.backward else in_source
    legacy_values, new_values = walk.on(source_values, target_values)
    declaring = next((m for m in source_models if name in m.properties), None)
    declared = declaring.properties[name] if declaring else target_model.properties.get(name)
    if added:
        family, name_fn = _added_property_kind(legacy_values, declared)
    else:
        family, name_fn = _removed_property_kind(new_values, declared)
    source_model = declaring or (source_models[0] if source_models else None)
    source_node = source_model.node if source_model else None
    attempts = [
        walk.attempt(
            child,
            lambda: walk.examples(source_values, None, 4),
            target_values[0] if target_values else None,
        )
    ] + [a for p in problems for a in p.attempts]
    detail = next((p.message for p in problems if p.breaking), "")
    state = openness(legacy_values if added else new_values)
    return walk.report(
        family,
        source_node,
        target_model.node,
        presence_message(f"property {json_text(name)}", added, state, detail, walk.labels),
        breaking=not holds,
        source_suffix=f"/properties/{escape_token(name)}" if in_source else "",
        target_suffix=f"/properties/{escape_token(name)}" if in_target else "",
        attempts=attempts,
        primary="new" if added else "legacy",
        name=name_fn,
    )


def _unmentioned(
    walk: Walk,
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
            holds &= walk.include([node], constraint, site.child(key, [node]))
            continue
        ok, problems = walk.trial(
            _any_model_within_pattern, source_models, pattern, constraint, site.child(key, ())
        )
        legacy_has, new_has = walk.on(bool(same), True)
        family = "PATTERN_PROPERTY_ADDED" if not legacy_has else "PATTERN_PROPERTY_CHANGED"
        if not new_has:
            family = "PATTERN_PROPERTY_REMOVED"
        holds &= walk.report(
            family,
            source_models[0].node if source_models else None,
            target_model.node,
            f"patternProperties {json_text(pattern)} "
            + ("constrains names the other side allowed" if not ok else "changed"),
            breaking=not ok,
            target_suffix=f"/patternProperties/{escape_token(pattern)}",
            attempts=[a for p in problems for a in p.attempts]
            + [walk.attempt(site.child(key, ()), lambda: [None, "", 0, True, {}, []])],
        )
    additional = target_model.additional
    if additional is None or additional.is_true:
        return holds
    avoid = tuple(target_model.covered_patterns)
    if len(source_models) != 1:
        key = AnyName(None, names, avoid)
        ok, problems = walk.trial(
            lambda w: any(
                _model_within_additional(w, m, target_model, site.child(key, ()))
                for m in source_models
            )
        )
        legacy_add, new_add = walk.on(
            source_models[0].additional if source_models else None, additional
        )
        return holds & walk.report(
            additional_kind(legacy_add, new_add, "PROPERTIES"),
            source_models[0].node if source_models else None,
            additional,
            f"additional properties: {schema_state(legacy_add)} -> {schema_state(new_add)}",
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
        ok, problems = walk.trial_include(values, additional, child)
        holds &= walk.report(
            "PATTERN_PROPERTY_REMOVED" if walk.backward else "PATTERN_PROPERTY_ADDED",
            model.node,
            target_model.node,
            f"patternProperties {json_text(pattern)} "
            f"{'removed' if walk.backward else 'added'}; such names now fall under "
            "additionalProperties"
            if walk.backward
            else f"patternProperties {json_text(pattern)} added: the {walk.target_label} schema's "
            "additionalProperties rejects such names",
            breaking=not ok,
            source_suffix=f"/patternProperties/{escape_token(pattern)}" if pattern_node else "",
            attempts=[walk.attempt(child, partial(walk.examples, values, None, 3), additional)]
            + [a for p in problems for a in p.attempts],
            primary="legacy" if walk.backward else "new",
        )
    mine = model.additional
    if mine is not None and mine.is_false:
        return holds
    child = site.child(
        AnyName(None, names, avoid + tuple(model.patterns)), [mine] if mine is not None else []
    )
    if mine is not None and not mine.is_true and not additional.is_false:
        return holds & walk.include([mine], additional, child)
    ok, problems = walk.trial(lambda w: w.include([mine] if mine else [], additional, child))
    legacy_add, new_add = walk.on(mine, additional)
    values = [mine] if mine is not None else []
    return holds & walk.report(
        additional_kind(legacy_add, new_add, "PROPERTIES"),
        model.node,
        additional,
        f"additional properties: {schema_state(legacy_add)} -> {schema_state(new_add)}",
        breaking=not ok,
        source_suffix="/additionalProperties" if mine is not None else "",
        attempts=[
            walk.attempt(
                child, lambda: [*walk.examples(values, None, 3), "x", 0, None, {}], additional
            )
        ]
        + [a for p in problems for a in p.attempts],
    )


def _required(
    walk: Walk,
    source_models: list[ObjectModel],
    target_model: ObjectModel,
    source_required: set[str],
    source_declared: set[str],
    site: Site,
) -> bool:
    holds = True
    target_required = target_model.required
    legacy_models, new_model = walk.on(source_models, [target_model])
    for name in sorted(target_required | source_required):
        if name in target_required and name in source_required:
            continue
        legacy_req, new_req = walk.on(name in source_required, name in target_required)
        kind = _required_kind(name, legacy_req, new_req, legacy_models, new_model)
        breaking = name in target_required
        source_values = [v for m in source_models for v in m.values_for(name, exact=False)]
        holds &= walk.report(
            kind,
            source_models[0].node if source_models else None,
            target_model.node,
            f"property {json_text(name)} is {'now' if new_req else 'no longer'} required",
            breaking=breaking,
            source_suffix="/required" if name in source_required else "",
            target_suffix="/required" if name in target_required else "",
            attempts=[walk.attempt(site.child(name, source_values), lambda: [DELETE])],
            primary="new" if new_req else "legacy",
        )
    return holds


def _dependencies(
    walk: Walk,
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
        legacy, new = walk.on(source_required_deps.get(key), set(names))
        key_values = [v for m in source_models for v in m.values_for(key, exact=False)]
        holds &= walk.report(
            _set_kind("DEPENDENCY_ARRAY", legacy, new),
            pick(alt),
            target,
            f"when {json_text(key)} is present, {json_text(missing[0])} is "
            f"{'now' if walk.backward else 'no longer'} required",
            target_suffix=f"/{keyword}/{escape_token(key)}",
            attempts=[
                walk.attempt(
                    site,
                    partial(_objects_with, walk, alt, key, key_values, missing[0]),
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
            ok, _ = walk.trial_include([mine], schema, site)
        if not ok:
            ok, _ = walk.trial_include(alt, schema, site)
        if ok:
            continue
        if mine is not None:
            holds &= walk.include([mine], schema, site)
            continue
        legacy, new = walk.on(None, schema)
        key_values = [v for m in source_models for v in m.values_for(key, exact=False)]
        holds &= walk.report(
            "DEPENDENCY_SCHEMA_ADDED" if legacy is None else "DEPENDENCY_SCHEMA_REMOVED",
            pick(alt),
            target,
            f"when {json_text(key)} is present the object must also match {schema_keyword}/{key}",
            target_suffix=f"/{schema_keyword}/{escape_token(key)}",
            attempts=[
                walk.attempt(
                    site,
                    partial(_objects_with, walk, alt, key, key_values, None),
                )
            ],
        )
    return holds


def _objects_with(
    walk: Walk, alt: Alternative, key: str, values: Sequence[Node], drop: str | None
) -> list[Any]:
    """Instances of ``alt`` with property ``key`` present (and ``drop`` absent)."""
    return [
        _with_key(walk, obj, key, values, drop=drop)
        for obj in walk.examples(alt, frozenset({"object"}), 2)
    ]


def _property_names(
    walk: Walk, alt: Alternative, source_models: list[ObjectModel], target: Node, site: Site
) -> bool:
    if not target.has("propertyNames"):
        return True
    names_schema = target.child("propertyNames")
    if accepts_every_string(names_schema):
        return True  # property names are strings: nothing to reject
    for node in alt:
        if node.has("propertyNames"):
            ok, _ = walk.trial_include([node.child("propertyNames")], names_schema, site)
            if ok:
                return True
    closed = [m for m in source_models if m.fully_closed]
    if closed and all(
        names_schema.doc.accepts(names_schema, name)
        for name, node in closed[0].properties.items()
        if not node.is_false
    ):
        return True
    legacy, _ = walk.on(None, names_schema)
    return walk.report(
        "PROPERTY_NAMES_ADDED" if legacy is None else "PROPERTY_NAMES_REMOVED",
        pick(alt),
        target,
        "property names are now constrained by propertyNames"
        if legacy is None
        else "propertyNames no longer constrains property names",
        target_suffix="/propertyNames",
        attempts=[
            walk.attempt(
                site,
                lambda: [
                    _with_key(walk, obj, name, [])
                    for obj in walk.examples(alt, frozenset({"object"}), 1)
                    for name in ("x", "A b", "0", "-")
                ],
            )
        ],
    )


# ---- naming -------------------------------------------------------------------------------


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


def _added_property_kind(
    legacy_values: Sequence[Node], declared: Node | None
) -> tuple[str, Callable[[bool, bool], str] | None]:
    state = openness(legacy_values)
    if state == "open":
        if declared is not None and declared.is_true:
            return "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", None
        return "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", None
    if state == "closed":
        return "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", None
    return "PROPERTY_ADDED_PARTIAL", covered_kind(
        "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    )


def _removed_property_kind(
    new_values: Sequence[Node], declared: Node | None
) -> tuple[str, Callable[[bool, bool], str] | None]:
    state = openness(new_values)
    if state == "open":
        return "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", None
    if state == "closed":
        if declared is not None and declared.is_false:
            return "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", None
        return "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", None
    return "PROPERTY_REMOVED_PARTIAL", covered_kind(
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    )


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


# ---- reasoning ----------------------------------------------------------------------------


def _forbidden(models: Sequence[ObjectModel], name: str) -> bool:
    return any(v.is_false for m in models for v in m.values_for(name, exact=False))


def _any_model_within_pattern(
    walk: Walk, models: Sequence[ObjectModel], pattern: str, constraint: Node, site: Site
) -> bool:
    return any(_model_within_pattern(walk, m, pattern, constraint, site) for m in models)


def _model_within_pattern(
    walk: Walk, model: ObjectModel, pattern: str, constraint: Node, site: Site
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
    walk: Walk, model: ObjectModel, target: ObjectModel, site: Site
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


def _with_key(
    walk: Walk, obj: Any, key: str, values: Sequence[Node], drop: str | None = None
) -> Any:
    """``obj`` with property ``key`` present (and ``drop`` removed)."""
    result = dict(obj) if isinstance(obj, dict) else {}
    if key not in result:
        value = walk.builder.example(values) if values else None
        result[key] = None if value is NOTHING else value
    if drop is not None:
        result.pop(drop, None)
    return result


def _object_sizes(walk: Walk, alt: Alternative, sizes: list[int]) -> list[Any]:
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
