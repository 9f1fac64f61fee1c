"""The tests' own reading of python-jsonschema: findings and big integers, without the engine.

The differential and conformance tests hold the engine to python-jsonschema.
If they mapped python-jsonschema's errors with the engine's own mapping
(cdccheck.engine.reference), every schema object the compiled checks leave
to that mapping (anyOf, oneOf, unevaluatedProperties, ...) would be checked
against itself. So this module maps the errors by itself, from the table in
docs/semantics.md (rule 3), and picks the ``anyOf``/``oneOf`` branch with
python-jsonschema's own ``best_match``. Nothing here imports cdccheck except
the finding kind names and the JSON Pointer spelling.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from jsonschema import _utils as jsonschema_utils
from jsonschema.exceptions import ValidationError, best_match, relevance

from cdccheck.model import (
    CONSTRAINT,
    ENUM_VALUE,
    FORMAT,
    MISSING_REQUIRED,
    NULL_NOT_ALLOWED,
    TYPE_MISMATCH,
    UNKNOWN_FIELD,
    json_pointer,
)

FindingSet = set[tuple[str, str]]
SAFE_INTEGER = 2**53

# "... ('a', 'b' were unexpected)" / "... ('a' was unevaluated and invalid)"
_LISTED = re.compile(r"\((.*) (?:was|were) (?:unexpected|unevaluated and invalid)\)$", re.S)


def oracle_findings(validator: Any, value: Any) -> FindingSet:
    """(kind, path) of every finding docs/semantics.md (rule 3) derives from ``validator``."""
    found: FindingSet = set()
    for error in validator.iter_errors(value):
        _map(error, found)
    return found


def big_integers(value: Any, path: tuple[Any, ...] = ()) -> set[str]:
    """Paths of integers beyond +-2**53 (docs/semantics.md, rule 6: big_integer)."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {json_pointer(path)} if abs(value) > SAFE_INTEGER else set()
    if isinstance(value, dict):
        return set().union(*(big_integers(child, (*path, key)) for key, child in value.items()))
    if isinstance(value, list):
        return set().union(*(big_integers(child, (*path, i)) for i, child in enumerate(value)))
    return set()


def _map(error: ValidationError, found: FindingSet) -> None:
    keyword = error.validator
    path = tuple(error.absolute_path)
    instance = error.instance
    if keyword in ("anyOf", "oneOf"):
        if not error.context:  # a oneOf that several branches match
            found.add((CONSTRAINT, json_pointer(path)))
            return
        for inner in best_branch(error):
            _map(inner, found)
        return
    if keyword == "required":
        for name in error.validator_value:  # type: ignore[union-attr]
            if isinstance(instance, dict) and name not in instance:
                found.add((MISSING_REQUIRED, json_pointer((*path, name))))
        return
    if keyword in ("dependentRequired", "dependencies"):
        for trigger, needed in error.validator_value.items():  # type: ignore[union-attr]
            if isinstance(needed, list) and trigger in instance:
                for name in needed:
                    if name not in instance:
                        found.add((MISSING_REQUIRED, json_pointer((*path, name))))
        return
    if keyword == "additionalProperties" and error.validator_value is False:
        # python-jsonschema's own notion of "additional" (properties and patternProperties).
        for name in jsonschema_utils.find_additional_properties(instance, error.schema):
            found.add((UNKNOWN_FIELD, json_pointer((*path, name))))
        return
    if keyword == "unevaluatedProperties":
        names = _listed_names(error.message)
        if names is not None and all(name in instance for name in names):
            kind = UNKNOWN_FIELD if error.validator_value is False else CONSTRAINT
            for name in names:
                found.add((kind, json_pointer((*path, name))))
            return
    if keyword == "type":
        found.add((NULL_NOT_ALLOWED if instance is None else TYPE_MISMATCH, json_pointer(path)))
    elif keyword in ("enum", "const"):
        found.add((ENUM_VALUE, json_pointer(path)))
    elif keyword == "format":
        found.add((FORMAT, json_pointer(path)))
    else:
        found.add((CONSTRAINT, json_pointer(path)))


def best_branch(error: ValidationError) -> list[ValidationError]:
    """The errors of the branch holding python-jsonschema's best match (docs/semantics.md, rule 3).

    ``best_match`` descends from the ``anyOf``/``oneOf`` error into the most
    relevant error of its context; the branch is the one that error sits in.
    When the most relevant errors tie, ``best_match`` stops at the error
    itself, and the rule takes the first branch holding such an error.
    """
    chosen = best_match([error])
    if chosen is error:
        first = min(error.context, key=relevance)
    else:
        first = chosen
        while first.parent is not error:
            assert first.parent is not None
            first = first.parent
    branch = _branch(first)
    return [inner for inner in error.context if _branch(inner) == branch]


def _branch(error: ValidationError) -> Any:
    # A `false` branch's error carries no schema path: it is a branch of its own.
    return error.relative_schema_path[0] if error.relative_schema_path else id(error)


def _listed_names(message: str) -> list[str] | None:
    match = _LISTED.search(message)
    if match is None:
        return None
    try:
        names = ast.literal_eval(f"({match.group(1)},)")
    except (ValueError, SyntaxError):
        return None
    return [name for name in names if isinstance(name, str)]
