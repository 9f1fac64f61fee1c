"""Scalar keywords: type, enum/const, string lengths, pattern, format, numeric bounds.

Also the finite-values path (a source with finitely many instances has each
one checked by the reference validator) and `size_bound`, the min*/max*
comparison the object and array families reuse for their sizes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from functools import partial
from typing import TYPE_CHECKING, Any

from cdccheck.gate.compat.words import as_number, json_text, pick, short_json
from cdccheck.gate.kinds import BOUND_KEYWORDS, REFUSED_BY
from cdccheck.gate.schemaview import (
    FRACTION,
    Alternative,
    Node,
    declared_types,
    possible_types,
    same_json,
    universal_pattern,
)
from cdccheck.gate.witness import Site, bounds, fit_length, strings_within

if TYPE_CHECKING:
    from cdccheck.gate.compat.walker import Step, Walk


# Change-kind stems of the bound keywords, e.g. MAX_LENGTH_DECREASED (cdccheck.gate.kinds).
_KEYWORD_NAMES = {keyword: stem for stem, (keyword, _, _) in BOUND_KEYWORDS.items()}

# ---- values, types and enums ---------------------------------------------------------------


def finite(
    walk: Walk, alt: Alternative, values: list[Any], target: Node, site: Site, whole: Sequence[Node]
) -> bool:
    """A source with finitely many values: the target must accept each (reference validator)."""
    rejected = [v for v in values if not target.doc.accepts(target, v)]
    source_enum = _enum_of(alt)
    target_enum = _enum_of((target,))
    legacy_enum, new_enum = walk.on(source_enum, target_enum)
    source = _enum_node(alt) or pick(alt)
    if not rejected:
        if source_enum is not None and target_enum is not None:
            kind = _enum_kind(legacy_enum, new_enum)
            if kind is not None:
                walk.report(
                    kind,
                    source,
                    target,
                    _enum_message(legacy_enum, new_enum),
                    breaking=False,
                    target_suffix=_enum_suffix(target),
                    source_suffix=_enum_suffix(source),
                )
        return True
    attempts = [walk.attempt(site, lambda: rejected, target)]
    if target_enum is not None or source_enum is not None:
        kind = _enum_kind(legacy_enum, new_enum) or "ENUM_ARRAY_CHANGED"
        if target_enum is None and source_enum is not None:
            kind = _failing_keyword_kind(walk, target, rejected[0])
        message = (
            f"{_enum_message(legacy_enum, new_enum)}; "
            f"{walk.target_label} rejects {short_json(rejected[0])}"
        )
        return walk.report(
            kind,
            source,
            target,
            message,
            attempts=attempts,
            target_suffix=_enum_suffix(target),
            source_suffix=_enum_suffix(source),
        )
    return walk.report(
        _type_kind(walk, whole, target),
        source,
        target,
        f"{walk.target_label} rejects {short_json(rejected[0])}, which {walk.source_label} accepts",
        attempts=attempts,
    )


def _type_kind(walk: Walk, whole: Sequence[Node], target: Node) -> str:
    """TYPE_/SUM_TYPE_ EXTENDED/NARROWED/CHANGED from the types each side allows."""
    legacy, new = walk.on(possible_types(*whole), possible_types(target))
    nodes = [*whole, target]
    several = any(len(_type_list(n.value)) > 1 or n.has("anyOf") or n.has("oneOf") for n in nodes)
    if new < legacy:
        return "SUM_TYPE_NARROWED" if several else "TYPE_NARROWED"
    if new > legacy:
        return "SUM_TYPE_EXTENDED" if several else "TYPE_EXTENDED"
    return "TYPE_CHANGED"


def check_type(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """`type`: the target allows every type the source's instances may have."""
    alt, types, target, site, whole = step.alt, step.types, step.target, step.site, step.whole
    target_types = declared_types(target.value)
    if target_types is None:
        return True
    source_declared = _declared(alt)
    legacy_types, new_types = walk.on(source_declared, target_types)
    extra = types - target_types
    kind = _type_kind(walk, whole, target)
    source = pick(alt, "type")
    if not extra:
        if source_declared is not None and source_declared != target_types and len(alt) == 1:
            walk.report(
                kind, source, target, _type_message(legacy_types, new_types), breaking=False
            )
        return True
    return walk.report(
        kind,
        source,
        target,
        _type_message(legacy_types, new_types),
        attempts=[
            walk.attempt(
                site,
                lambda: [v for t in sorted(extra) for v in walk.examples(alt, frozenset({t}))],
                target,
            )
        ],
    )


def check_enum(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """`enum` / `const` on the target against a source with infinitely many values."""
    alt, types, target, site = step.alt, step.types, step.target, step.site
    legacy_enum, new_enum = walk.on(None, _enum_of((target,)))
    kind = _enum_kind(legacy_enum, new_enum) or "ENUM_ARRAY_CHANGED"
    allowed = _enum_of((target,)) or []
    return walk.report(
        kind,
        pick(alt),
        target,
        _enum_message(legacy_enum, new_enum),
        target_suffix=_enum_suffix(target),
        attempts=[
            walk.attempt(
                site,
                lambda: [
                    v
                    for v in walk.examples(alt, types, 6)
                    if not any(same_json(v, a) for a in allowed)
                ],
                target,
            )
        ],
    )


# ---- sizes, strings and numbers ------------------------------------------------------------


def size_bound(
    walk: Walk,
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
    wanted = as_number(target.get(keyword)) if target_value is None else target_value
    if source_value is None:
        source_value = tightest(alt, keyword, lower=lower)
    have, have_node = source_value if source_value else (None, None)
    legacy, new = walk.on(have, wanted)
    if wanted is None:
        return True
    holds = have is not None and (have >= wanted if lower else have <= wanted)
    kind = _bound_kind(keyword, legacy, new)
    if holds and legacy == new:
        return True
    return walk.report(
        kind,
        have_node,
        target,
        _bound_message(keyword, legacy, new),
        breaking=not holds,
        source_suffix=f"/{keyword}" if have_node is not None and have_node.has(keyword) else "",
        target_suffix=f"/{keyword}",
        attempts=[walk.attempt(site, lambda: candidates(have, wanted), target)],
    )


def check_strings(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """minLength, maxLength, pattern, format: only where the target allows strings."""
    if "string" not in step.remaining:
        return True
    alt, target, site = step.alt, step.target, step.site
    seeds = list(strings_within(alt))

    def lengths(*sizes: int | float | None) -> list[str]:
        out = []
        for size in sizes:
            if size is None or size < 0:
                continue
            out += [fit_length(seed, int(size), int(size)) for seed in seeds]
            out.append("a" * int(size))
        return out

    holds = size_bound(
        walk,
        "minLength",
        alt,
        target,
        site,
        lower=True,
        candidates=lambda have, want: lengths(have or 0, want - 1),
    )
    holds &= size_bound(
        walk,
        "maxLength",
        alt,
        target,
        site,
        lower=False,
        candidates=lambda have, want: lengths(want + 1, have),
    )
    pattern = target.get("pattern")
    if isinstance(pattern, str) and not universal_pattern(pattern):
        holds &= _text_keyword_change(
            walk,
            "pattern",
            pattern,
            alt,
            target,
            site,
            short_json,
            [*seeds, "", "a", "0", "-", " "],
        )
    fmt = target.get("format")
    if isinstance(fmt, str) and fmt in target.doc.formats:
        holds &= _text_keyword_change(
            walk, "format", fmt, alt, target, site, json_text, [*seeds, "", "x", f"not a {fmt}"]
        )
    return holds


# Keywords that never reject a string (they apply to other types).
_NOT_FOR_STRINGS = frozenset(
    {
        "properties", "patternProperties", "additionalProperties", "unevaluatedProperties",
        "required", "dependentRequired", "dependentSchemas", "dependencies", "propertyNames",
        "minProperties", "maxProperties", "items", "prefixItems", "additionalItems",
        "unevaluatedItems", "minItems", "maxItems", "uniqueItems", "contains", "minContains",
        "maxContains", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf",
    }
)  # fmt: skip


def accepts_every_string(node: Node, depth: int = 0) -> bool:
    """Whether ``node`` provably accepts every string (for `propertyNames`).

    Conservative: each asserting keyword must be one that cannot reject a
    string (a `type` naming string, a universal `pattern`, `minLength` 0, a
    `format` nobody asserts, keywords for other types), or an `allOf`/`$ref`
    of such schemas.
    """
    if node.is_true:
        return True
    if not isinstance(node.value, dict) or depth > 20:
        return False
    for keyword, value in node.value.items():
        if keyword not in node.doc.asserted or keyword in _NOT_FOR_STRINGS:
            continue
        if keyword == "type":
            holds = "string" in (declared_types(node.value) or ())
        elif keyword == "pattern":
            holds = isinstance(value, str) and universal_pattern(value)
        elif keyword == "minLength":
            holds = (as_number(value) or 0) <= 0
        elif keyword == "format":
            holds = value not in node.doc.formats
        elif keyword == "allOf" and isinstance(value, list):
            holds = all(
                accepts_every_string(node.child("allOf", i), depth + 1) for i in range(len(value))
            )
        elif keyword == "$ref":
            target = node.follow()
            holds = target is not None and accepts_every_string(target, depth + 1)
        else:
            holds = False
        if not holds:
            return False
    return True


def _text_keyword_change(
    walk: Walk,
    keyword: str,
    value: str,
    alt: Alternative,
    target: Node,
    site: Site,
    show: Callable[[Any], str],
    candidates: list[Any],
) -> bool:
    """A `pattern` or `format` the target requires and the source lacks or spells otherwise."""
    mine = [n for n in alt if n.has(keyword)]
    if any(n.value[keyword] == value for n in mine):
        return True
    theirs = mine[0].value[keyword] if mine else None
    legacy, new = walk.on(theirs, value)
    kind = text_kind(keyword, legacy, new)
    message = (
        f"{keyword} {show(legacy)} -> {show(new)}"
        if legacy and new
        else f"{keyword} {show(legacy or new)} {'added' if new else 'removed'}"
    )
    return bool(
        walk.report(
            kind,
            mine[0] if mine else pick(alt),
            target,
            message,
            source_suffix=f"/{keyword}" if mine else "",
            target_suffix=f"/{keyword}",
            attempts=[walk.attempt(site, lambda: candidates, target)],
        )
    )


def text_kind(keyword: str, legacy: Any, new: Any) -> str:
    """PATTERN_/FORMAT_ ADDED, REMOVED or CHANGED for a `pattern` or `format` on either side."""
    name = {"pattern": "PATTERN", "format": "FORMAT"}[keyword]
    if legacy is None:
        return f"{name}_ADDED"
    return f"{name}_REMOVED" if new is None else f"{name}_CHANGED"


def check_numbers(walk: Walk, step: Step, keywords: frozenset[str]) -> bool:
    """(exclusive) minimum and maximum, multipleOf: only where the target allows numbers."""
    if not step.remaining & {"integer", FRACTION}:
        return True
    # Only the numeric types the target's `type` keeps matter here.
    alt, types, target, site = step.alt, step.remaining, step.target, step.site
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
        legacy, new = walk.on(have[0] if have else None, want[0])
        legacy_words, new_words = walk.on(_bound_words(have, lower), _bound_words(want, lower))
        message = f"{'lower' if lower else 'upper'} bound {legacy_words} -> {new_words}"
        if ok:
            if legacy != new:
                walk.report(
                    _bound_kind(keyword, legacy, new),
                    node,
                    target,
                    message,
                    breaking=False,
                    target_suffix=f"/{keyword}",
                )
            continue
        holds &= walk.report(
            _bound_kind(keyword, legacy, new),
            node,
            target,
            message,
            target_suffix=f"/{keyword}",
            attempts=[walk.attempt(site, partial(_near, have, want, lower), target)],
        )
    multiple = as_number(target.get("multipleOf"))
    if multiple:
        mine = [n for n in alt if as_number(n.get("multipleOf"))]
        ok = any(_divides(multiple, n.value["multipleOf"]) for n in mine) or (
            types <= {"integer"} and _divides(multiple, 1)
        )
        theirs = mine[0].value["multipleOf"] if mine else None
        legacy, new = walk.on(theirs, multiple)
        kind = _multiple_kind(legacy, new)
        if ok:
            if legacy != new and mine:
                walk.report(
                    kind,
                    mine[0],
                    target,
                    f"multipleOf {json_text(legacy)} -> {json_text(new)}",
                    breaking=False,
                    source_suffix="/multipleOf",
                    target_suffix="/multipleOf",
                )
        else:
            unit = Fraction(str(theirs)) if theirs else Fraction(1, 2)
            holds &= walk.report(
                kind,
                mine[0] if mine else (pick(alt)),
                target,
                f"multipleOf {json_text(legacy)} -> {json_text(new)}",
                source_suffix="/multipleOf" if mine else "",
                target_suffix="/multipleOf",
                attempts=[
                    walk.attempt(
                        site,
                        lambda: [_plain(unit * k) for k in range(1, 13)] + [1, 0.5],
                        target,
                    )
                ],
            )
    return holds


# ---- naming -------------------------------------------------------------------------------


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


def type_word(type_name: str) -> str:
    """A type for messages (`fraction` is a non-integer number)."""
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
        return "any value" if values is None else short_json(values, 80)

    return f"allowed values {word(legacy)} -> {word(new)}"


def _failing_keyword_kind(walk: Walk, target: Node, value: Any) -> str:
    """The kind for a listed ``value`` the target refuses: after the keyword that refuses it."""
    from jsonschema.exceptions import best_match

    validator = target.doc.validator.evolve(schema=target.value, _resolver=target.resolver)
    error = best_match(validator.iter_errors(value))
    if error is None or error.validator is None:
        # A `false` subschema refuses it (python-jsonschema names no keyword).
        return "SCHEMA_NARROWED" if walk.backward else "SCHEMA_EXTENDED"
    return REFUSED_BY.get(str(error.validator), "UNSUPPORTED_KEYWORD_CHANGED")


def _bound_kind(keyword: str, legacy: Any, new: Any) -> str:
    """{stem}_ADDED/_REMOVED/_INCREASED/_DECREASED, or _CHANGED for the same number
    (`minimum 0` -> `exclusiveMinimum 0`)."""
    name = _KEYWORD_NAMES[keyword]
    if legacy is None:
        return f"{name}_ADDED"
    if new is None:
        return f"{name}_REMOVED"
    if new == legacy:
        return f"{name}_CHANGED"
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
        return pick(alt)
    for node in alt:
        if bounds((node,), lower=lower) == have:
            return node
    return pick(alt)


def tightest(alt: Sequence[Node], keyword: str, *, lower: bool) -> tuple[int | float, Node] | None:
    """The tightest ``keyword`` bound among ``alt``'s nodes, with the node carrying it."""
    best: tuple[int | float, Node] | None = None
    for node in alt:
        value = as_number(node.get(keyword))
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
