"""Which keywords the comparison understands, and which check compares each.

ONE table: a keyword of the accepting side (the target) that appears here is
compared by its check; any other keyword the reference validator asserts,
and which the other side does not carry identically, is reported as
UNSUPPORTED_KEYWORD_CHANGED (a break that cannot be proven either way).

A check is called once per (source alternative, target node) when the
target carries at least one of its keywords, in the order of first
appearance below, with those keywords; see `Walk._alternative`. Keywords
that only modify another one (`then`/`else` for `if`, `minContains` and
`maxContains` for `contains`) are read by that keyword's check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cdccheck.gate.compat import arrays, combinators, objects, scalars

if TYPE_CHECKING:
    from cdccheck.gate.compat.walker import Step, Walk

Check = Callable[["Walk", "Step", frozenset[str]], bool]
"""``check(walk, step, keywords) -> holds``; problems go to ``walk.report``."""

KEYWORDS: dict[str, Check] = {
    # scalars.py
    "type": scalars.check_type,
    "enum": scalars.check_enum,
    "const": scalars.check_enum,
    "minLength": scalars.check_strings,
    "maxLength": scalars.check_strings,
    "pattern": scalars.check_strings,
    "format": scalars.check_strings,
    "minimum": scalars.check_numbers,
    "maximum": scalars.check_numbers,
    "exclusiveMinimum": scalars.check_numbers,
    "exclusiveMaximum": scalars.check_numbers,
    "multipleOf": scalars.check_numbers,
    # objects.py
    "properties": objects.check_objects,
    "patternProperties": objects.check_objects,
    "additionalProperties": objects.check_objects,
    "unevaluatedProperties": objects.check_objects,
    "required": objects.check_objects,
    "dependentRequired": objects.check_objects,
    "dependentSchemas": objects.check_objects,
    "dependencies": objects.check_objects,
    "propertyNames": objects.check_objects,
    "minProperties": objects.check_objects,
    "maxProperties": objects.check_objects,
    # arrays.py
    "items": arrays.check_arrays,
    "prefixItems": arrays.check_arrays,
    "additionalItems": arrays.check_arrays,
    "unevaluatedItems": arrays.check_arrays,
    "minItems": arrays.check_arrays,
    "maxItems": arrays.check_arrays,
    "uniqueItems": arrays.check_arrays,
    "contains": arrays.check_arrays,
    # combinators.py
    "$ref": combinators.check_ref,
    "allOf": combinators.check_all_of,
    "anyOf": combinators.check_any_of,
    "oneOf": combinators.check_one_of,
    "not": combinators.check_not,
    "if": combinators.check_if,
}

HANDLED = frozenset(KEYWORDS)
"""Every keyword some check compares."""

CHECKS: tuple[tuple[Check, frozenset[str]], ...] = tuple(
    (check, frozenset(k for k, c in KEYWORDS.items() if c is check))
    for check in dict.fromkeys(KEYWORDS.values())
)
"""Each check once, in table order, with the keywords it is registered for."""
