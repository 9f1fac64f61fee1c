"""python-jsonschema's errors turned into findings (docs/semantics.md, rule 3).

python-jsonschema is the reference that decides validity. This module maps
each of its ``ValidationError`` objects to findings ``(kind, path)``:

==================  ==========================================  ======================
kind                from keyword                                path points at
==================  ==========================================  ======================
missing_required    required, dependentRequired, dependencies   the missing property
unknown_field       additionalProperties / unevaluatedProperties the extra property
                    false
null_not_allowed    type, when the instance is null             the value
type_mismatch       type, otherwise                             the value
enum_value          enum, const                                 the value
format              format                                      the value
constraint          anything else                               the value
==================  ==========================================  ======================

For ``anyOf``/``oneOf`` the errors of the best-matching branch are reported:
the branch holding the most relevant error by python-jsonschema's own
relevance key (the first such branch on a tie). ``allOf``, ``$ref`` and
``if``/``then``/``else`` already surface their inner errors.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from typing import Any

from cdccheck.model import (
    ABSENT,
    CONSTRAINT,
    ENUM_VALUE,
    FORMAT,
    MISSING_REQUIRED,
    NULL_NOT_ALLOWED,
    TYPE_MISMATCH,
    UNKNOWN_FIELD,
    Finding,
    json_pointer,
)

_KIND_BY_KEYWORD = {
    "enum": ENUM_VALUE,
    "const": ENUM_VALUE,
    "format": FORMAT,
}
_LISTED_KEYS = re.compile(r"\((.*) (?:was|were) (?:unexpected|unevaluated and invalid)\)$", re.S)


def reference_findings(validator: Any, value: Any) -> list[Finding]:
    """All findings for ``value`` under ``validator`` (a python-jsonschema validator)."""
    return list(findings_from_errors(validator.iter_errors(value), ()))


def findings_from_errors(errors: Iterable[Any], base: tuple[Any, ...]) -> Iterator[Finding]:
    """Map python-jsonschema errors to findings; ``base`` prefixes every path."""
    for error in errors:
        yield from _findings_from_error(error, base)


def _findings_from_error(error: Any, base: tuple[Any, ...]) -> Iterator[Finding]:
    keyword = error.validator
    path = (*base, *error.absolute_path)
    instance = error.instance
    if keyword in ("anyOf", "oneOf"):
        if not error.context:
            # oneOf matched more than one branch: nothing inside is wrong.
            yield Finding(CONSTRAINT, json_pointer(path), error.message, instance)
            return
        yield from findings_from_errors(_best_branch(error.context), base)
        return
    if keyword == "required":
        for name in error.validator_value:
            if isinstance(instance, dict) and name not in instance:
                yield _missing(path, name, f"{name!r} is a required property")
        return
    if keyword in ("dependentRequired", "dependencies"):
        for trigger, needed in error.validator_value.items():
            if trigger in instance and isinstance(needed, list):
                for name in needed:
                    if name not in instance:
                        yield _missing(path, name, f"{name!r} is a dependency of {trigger!r}")
        return
    if keyword == "additionalProperties" and error.validator_value is False:
        for name in additional_properties(instance, error.schema):
            yield Finding(
                UNKNOWN_FIELD,
                json_pointer((*path, name)),
                f"additional property {name!r} is not allowed",
                instance[name],
            )
        return
    if keyword == "unevaluatedProperties":
        names = _listed_keys(error.message)
        if names is not None and all(name in instance for name in names):
            closed = error.validator_value is False
            for name in names:
                yield Finding(
                    UNKNOWN_FIELD if closed else CONSTRAINT,
                    json_pointer((*path, name)),
                    f"unevaluated property {name!r} is "
                    + ("not allowed" if closed else "invalid under unevaluatedProperties"),
                    instance[name],
                )
            return
    if keyword == "type":
        kind = NULL_NOT_ALLOWED if instance is None else TYPE_MISMATCH
    else:
        kind = _KIND_BY_KEYWORD.get(keyword, CONSTRAINT)
    yield Finding(kind, json_pointer(path), _clip(error.message), instance)


def _best_branch(context: list[Any]) -> list[Any]:
    """Errors of the branch that python-jsonschema's relevance ranks best."""
    from jsonschema.exceptions import relevance

    best = min(context, key=relevance)
    branch = _branch_of(best)
    return [error for error in context if _branch_of(error) == branch]


def _branch_of(error: Any) -> Any:
    # A `false` branch yields its error without a schema path: it is its own branch.
    return error.relative_schema_path[0] if error.relative_schema_path else id(error)


def additional_properties(instance: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Properties of ``instance`` that neither ``properties`` nor ``patternProperties`` cover.

    Patterns are joined into one alternation exactly as python-jsonschema does,
    so odd patterns behave the same way in both, and searched with a bounded
    engine (cdccheck.engine.patterns; PatternTimeout beyond the budget).
    """
    from cdccheck.engine.patterns import search

    declared = schema.get("properties", {})
    patterns = "|".join(schema.get("patternProperties", {}))
    return [
        name
        for name in instance
        if name not in declared and not (patterns and search(patterns, name))
    ]


def _listed_keys(message: str) -> list[str] | None:
    """Keys named in an unevaluatedProperties message, which lists their reprs."""
    match = _LISTED_KEYS.search(message)
    if match is None:
        return None
    try:
        names = ast.literal_eval(f"({match.group(1)},)")
    except (ValueError, SyntaxError):
        return None
    return [name for name in names if isinstance(name, str)]


def _missing(path: tuple[Any, ...], name: str, message: str) -> Finding:
    return Finding(MISSING_REQUIRED, json_pointer((*path, name)), message, ABSENT)


def _clip(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
