"""Every change kind the gate reports: what it means, and what it does to events.

ONE table, `KINDS`: kind -> `Kind`, with

* ``explanation``: one plain-English line, in legacy -> new terms, shown by
  the text, Markdown and SARIF renderers and mirrored in docs/gate.md ("Change
  kinds"; a test holds the two together). ``{legacy}`` and ``{new}`` stand
  for the sides' labels (``base``/``head`` with ``--against``);
* ``findings``: the finding kinds (docs/semantics.md, rule 3) that the change
  can cause in an event at the change's place. ``gate --corpus`` counts the
  corpus events with such findings as the evidence that a change did break
  (docs/gate.md, "Replaying captured events").

Kind names keep Confluent Schema Registry's spelling where one fits. The
bound families (``MIN_LENGTH_ADDED``, ``MAXIMUM_DECREASED``, ...) are
generated from `BOUND_KEYWORDS` below; every other kind is written out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cdccheck.model import (
    CONSTRAINT,
    ENUM_VALUE,
    FORMAT,
    MISSING_REQUIRED,
    NULL_NOT_ALLOWED,
    TYPE_MISMATCH,
    UNKNOWN_FIELD,
)


@dataclass(frozen=True)
class Kind:
    """What one change kind means, and which findings it can cause."""

    explanation: str
    findings: frozenset[str]


_TYPES = frozenset({TYPE_MISMATCH, NULL_NOT_ALLOWED})
_VALUE = frozenset({TYPE_MISMATCH, NULL_NOT_ALLOWED, ENUM_VALUE, FORMAT, CONSTRAINT})
"""What a subschema at the place of the change can say about the value there."""
_ANY = _VALUE | {MISSING_REQUIRED, UNKNOWN_FIELD}
_EXTRA = frozenset({UNKNOWN_FIELD, CONSTRAINT})
"""A name refused by `additionalProperties: false` (unknown_field) or a `false` property."""
_NOTHING: frozenset[str] = frozenset()


def _kind(explanation: str, findings: Iterable[str]) -> Kind:
    return Kind(explanation, frozenset(findings))


BOUND_KEYWORDS = {
    # stem: (keyword, what it bounds, True for a lower bound)
    "MIN_LENGTH": ("minLength", "string length", True),
    "MAX_LENGTH": ("maxLength", "string length", False),
    "MINIMUM": ("minimum", "number", True),
    "MAXIMUM": ("maximum", "number", False),
    "EXCLUSIVE_MINIMUM": ("exclusiveMinimum", "number", True),
    "EXCLUSIVE_MAXIMUM": ("exclusiveMaximum", "number", False),
    "MIN_ITEMS": ("minItems", "array length", True),
    "MAX_ITEMS": ("maxItems", "array length", False),
    "MIN_PROPERTIES": ("minProperties", "number of properties", True),
    "MAX_PROPERTIES": ("maxProperties", "number of properties", False),
    "MIN_CONTAINS": ("minContains", "number of matching items", True),
    "MAX_CONTAINS": ("maxContains", "number of matching items", False),
}
"""The min*/max* keywords, by the stem of their kinds' names."""


def _bound_kinds() -> dict[str, Kind]:
    kinds: dict[str, Kind] = {}
    for stem, (keyword, what, lower) in BOUND_KEYWORDS.items():
        up, down = ("fewer", "more") if lower else ("more", "fewer")
        findings = frozenset({CONSTRAINT})
        kinds[f"{stem}_ADDED"] = _kind(
            f"`{keyword}` appeared: a {what} beyond it is now refused", findings
        )
        kinds[f"{stem}_REMOVED"] = _kind(
            f"`{keyword}` went away: a {what} beyond the old bound is now accepted", findings
        )
        kinds[f"{stem}_INCREASED"] = _kind(
            f"`{keyword}` moved up: {up} values are accepted", findings
        )
        kinds[f"{stem}_DECREASED"] = _kind(
            f"`{keyword}` moved down: {down} values are accepted", findings
        )
        kinds[f"{stem}_CHANGED"] = _kind(
            f"`{keyword}` refuses a value the other side accepts (the same number became "
            "exclusive, or a listed value falls outside it)",
            findings,
        )
    return kinds


KINDS: dict[str, Kind] = {
    # ---- types and values
    "TYPE_NARROWED": _kind(
        "the {new} schema accepts fewer JSON types here (number -> integer)", _TYPES
    ),
    "TYPE_EXTENDED": _kind(
        "the {new} schema accepts more JSON types here (integer -> number)", _TYPES
    ),
    "TYPE_CHANGED": _kind(
        "the accepted JSON types differ both ways (integer -> string)", _TYPES | _VALUE
    ),
    "SUM_TYPE_NARROWED": _kind(
        "a union of types lost a member (a type list, `anyOf` or `oneOf`)", _ANY
    ),
    "SUM_TYPE_EXTENDED": _kind(
        "a union of types gained a member (a type list, `anyOf` or `oneOf`)", _ANY
    ),
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED": _kind(
        "no `anyOf`/`oneOf` branch on one side accepts all the values the other side accepts",
        _ANY,
    ),
    "ONE_OF_AMBIGUOUS": _kind(
        "cannot prove that exactly one `oneOf` branch matches; a value matching two is refused",
        _ANY,
    ),
    "ENUM_ARRAY_EXTENDED": _kind(
        "the allowed values grew: {legacy} readers refuse the added ones", {ENUM_VALUE}
    ),
    "ENUM_ARRAY_NARROWED": _kind(
        "the allowed values shrank: {new} readers refuse the dropped ones", {ENUM_VALUE}
    ),
    "ENUM_ARRAY_CHANGED": _kind("allowed values were both added and removed", {ENUM_VALUE}),
    "ENUM_ARRAY_ADDED": _kind("an `enum`/`const` appeared: other values are refused", {ENUM_VALUE}),
    "ENUM_ARRAY_REMOVED": _kind("an `enum`/`const` went away: any value is accepted", {ENUM_VALUE}),
    "SCHEMA_NARROWED": _kind("a subschema became `false`: nothing is accepted there", {CONSTRAINT}),
    "SCHEMA_EXTENDED": _kind(
        "a subschema stopped being `false`: values are accepted there now", {CONSTRAINT}
    ),
    # ---- numbers, strings
    "MULTIPLE_OF_ADDED": _kind("`multipleOf` appeared: other numbers are refused", {CONSTRAINT}),
    "MULTIPLE_OF_REMOVED": _kind("`multipleOf` went away: any number is accepted", {CONSTRAINT}),
    "MULTIPLE_OF_EXPANDED": _kind(
        "the new step is a multiple of the old one (2 -> 4): fewer numbers", {CONSTRAINT}
    ),
    "MULTIPLE_OF_REDUCED": _kind(
        "the new step divides the old one (4 -> 2): more numbers", {CONSTRAINT}
    ),
    "MULTIPLE_OF_CHANGED": _kind("the `multipleOf` steps do not divide each other", {CONSTRAINT}),
    "PATTERN_ADDED": _kind(
        "a `pattern` appeared: strings that do not match are refused", {CONSTRAINT}
    ),
    "PATTERN_REMOVED": _kind("a `pattern` went away: any string is accepted", {CONSTRAINT}),
    "PATTERN_CHANGED": _kind(
        "the `pattern` was rewritten: some strings match only one", {CONSTRAINT}
    ),
    "FORMAT_ADDED": _kind("a `format` appeared: strings not in that format are refused", {FORMAT}),
    "FORMAT_REMOVED": _kind("a `format` went away: any string is accepted", {FORMAT}),
    "FORMAT_CHANGED": _kind("the `format` changed: some strings fit only one", {FORMAT}),
    # ---- objects
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": _kind(
        "a property was declared where the {legacy} object accepted any other: {new} readers "
        "refuse old values under that name that do not fit it",
        _VALUE,
    ),
    "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL": _kind(
        "a property accepting anything was declared in an open object: harmless", _NOTHING
    ),
    "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": _kind(
        "a property was added where the {legacy} object allows no other: {legacy} readers "
        "refuse events that carry it",
        _EXTRA,
    ),
    "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _kind(
        "a property was declared that the {legacy} schema's "
        "`patternProperties`/`additionalProperties` already allowed",
        _VALUE | _EXTRA,
    ),
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _kind(
        "a property was declared that refuses values the {legacy} schema's "
        "`patternProperties`/`additionalProperties` allowed",
        _VALUE | _EXTRA,
    ),
    "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL": _kind(
        "a property is no longer declared; the {new} object accepts anything under that name",
        _VALUE,
    ),
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL": _kind(
        "a property was removed from a closed object: {new} readers refuse old events that "
        "carry it",
        _EXTRA,
    ),
    "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL": _kind(
        "a property declared `false` was dropped from a closed object: nothing changes", _NOTHING
    ),
    "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _kind(
        "a property is no longer declared; its name falls under a "
        "`patternProperties`/`additionalProperties` schema that accepts what it did",
        _VALUE | _EXTRA,
    ),
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _kind(
        "a property is no longer declared; the `patternProperties`/`additionalProperties` "
        "schema its name falls under refuses values it allowed",
        _VALUE | _EXTRA,
    ),
    "REQUIRED_ATTRIBUTE_ADDED": _kind(
        "a property became required: {new} readers refuse events without it", {MISSING_REQUIRED}
    ),
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": _kind(
        "a property the {legacy} schema did not know is now required, in an object not open",
        {MISSING_REQUIRED},
    ),
    "REQUIRED_ATTRIBUTE_REMOVED": _kind(
        "a property is no longer required: {new} writers may leave it out, {legacy} readers "
        "refuse that",
        {MISSING_REQUIRED},
    ),
    "REQUIRED_CHANGED": _kind(
        "a value one side lists lacks a property the other side requires",
        {MISSING_REQUIRED},
    ),
    "ADDITIONAL_PROPERTIES_ADDED": _kind(
        "extra properties were forbidden and are now allowed: {legacy} readers refuse them",
        _EXTRA,
    ),
    "ADDITIONAL_PROPERTIES_REMOVED": _kind(
        "extra properties were allowed and are now forbidden: {new} readers refuse them", _EXTRA
    ),
    "ADDITIONAL_PROPERTIES_NARROWED": _kind(
        "the schema for extra properties became stricter", _VALUE | _EXTRA
    ),
    "ADDITIONAL_PROPERTIES_EXTENDED": _kind(
        "the schema for extra properties became looser", _VALUE | _EXTRA
    ),
    "ADDITIONAL_PROPERTIES_CHANGED": _kind(
        "the schema for extra properties changed both ways", _VALUE | _EXTRA
    ),
    "PATTERN_PROPERTY_ADDED": _kind(
        "a `patternProperties` entry appeared: matching names get its schema", _VALUE | _EXTRA
    ),
    "PATTERN_PROPERTY_REMOVED": _kind(
        "a `patternProperties` entry went away: matching names fall to `additionalProperties`",
        _VALUE | _EXTRA,
    ),
    "PATTERN_PROPERTY_CHANGED": _kind(
        "a `patternProperties` schema changed: some values fit only one side", _VALUE | _EXTRA
    ),
    "DEPENDENCY_ARRAY_ADDED": _kind(
        '"when A is present, B is required" appeared (`dependentRequired`)', {MISSING_REQUIRED}
    ),
    "DEPENDENCY_ARRAY_REMOVED": _kind(
        '"when A is present, B is required" went away (`dependentRequired`)', {MISSING_REQUIRED}
    ),
    "DEPENDENCY_ARRAY_EXTENDED": _kind(
        "a `dependentRequired` entry requires more names", {MISSING_REQUIRED}
    ),
    "DEPENDENCY_ARRAY_NARROWED": _kind(
        "a `dependentRequired` entry requires fewer names", {MISSING_REQUIRED}
    ),
    "DEPENDENCY_ARRAY_CHANGED": _kind(
        "a `dependentRequired` entry requires other names", {MISSING_REQUIRED}
    ),
    "DEPENDENCY_SCHEMA_ADDED": _kind(
        '"when A is present, the object must also match S" appeared (`dependentSchemas`)', _ANY
    ),
    "DEPENDENCY_SCHEMA_REMOVED": _kind(
        '"when A is present, the object must also match S" went away (`dependentSchemas`)', _ANY
    ),
    "PROPERTY_NAMES_ADDED": _kind("`propertyNames` now constrains the names of properties", _VALUE),
    "PROPERTY_NAMES_REMOVED": _kind(
        "`propertyNames` no longer constrains the names of properties", _VALUE
    ),
    # ---- arrays
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL": _kind(
        "a tuple position was declared where the {legacy} array accepted any item", _VALUE
    ),
    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL": _kind(
        "a tuple position accepting anything was declared: harmless", _NOTHING
    ),
    "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL": _kind(
        "a tuple position was added where the {legacy} array allows no more items", _VALUE
    ),
    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _kind(
        "a tuple position was declared that the {legacy} schema for later items allowed",
        _VALUE,
    ),
    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _kind(
        "a tuple position was declared that refuses items the {legacy} schema for later "
        "items allowed",
        _VALUE,
    ),
    "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL": _kind(
        "a tuple position is no longer declared; the {new} array accepts any item there", _VALUE
    ),
    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL": _kind(
        "a tuple position was removed where the {new} array allows no more items", _VALUE
    ),
    "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL": _kind(
        "a tuple position declared `false` was dropped: nothing changes", _NOTHING
    ),
    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _kind(
        "a tuple position was removed; the schema for later items accepts what it did", _VALUE
    ),
    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": _kind(
        "a tuple position was removed; the schema for later items refuses values it allowed",
        _VALUE,
    ),
    "ADDITIONAL_ITEMS_ADDED": _kind(
        "items after the tuple were forbidden and are now allowed", _VALUE
    ),
    "ADDITIONAL_ITEMS_REMOVED": _kind(
        "items after the tuple were allowed and are now forbidden", _VALUE
    ),
    "ADDITIONAL_ITEMS_NARROWED": _kind(
        "the schema for items after the tuple became stricter", _VALUE
    ),
    "ADDITIONAL_ITEMS_EXTENDED": _kind(
        "the schema for items after the tuple became looser", _VALUE
    ),
    "ADDITIONAL_ITEMS_CHANGED": _kind(
        "the schema for items after the tuple changed both ways", _VALUE
    ),
    "SCHEMA_ADDED": _kind("an `items` schema appeared: items that do not fit are refused", _ANY),
    "SCHEMA_REMOVED": _kind("the `items` schema went away: any item is accepted", _ANY),
    "UNIQUE_ITEMS_ADDED": _kind("items must now be unique", {CONSTRAINT}),
    "UNIQUE_ITEMS_REMOVED": _kind("items no longer need to be unique", {CONSTRAINT}),
    "UNIQUE_ITEMS_CHANGED": _kind(
        "a listed array has duplicate items, which the other side refuses", {CONSTRAINT}
    ),
    "CONTAINS_ADDED": _kind("arrays must now contain a matching item (`contains`)", {CONSTRAINT}),
    "CONTAINS_REMOVED": _kind("arrays no longer need a matching item (`contains`)", {CONSTRAINT}),
    "CONTAINS_CHANGED": _kind("the `contains` schema changed", {CONSTRAINT}),
    # ---- combinators and the rest
    "NOT_ADDED": _kind("a `not` now excludes values the other side accepts", {CONSTRAINT}),
    "NOT_REMOVED": _kind("a `not` went away: the values it excluded are accepted", {CONSTRAINT}),
    "NOT_TYPE_EXTENDED": _kind(
        "the {new} schema's `not` excludes values the {legacy} schema's `not` let through",
        {CONSTRAINT},
    ),
    "NOT_TYPE_NARROWED": _kind(
        "the {legacy} schema's `not` excludes values the {new} schema's `not` lets through",
        {CONSTRAINT},
    ),
    "CONDITIONAL_CHANGED": _kind(
        "an `if`/`then`/`else` constrains values the other side accepts", _ANY
    ),
    "UNRESOLVED_REF": _kind(
        "a `$ref` cannot be followed without the network; treated as breaking", _ANY
    ),
    "UNSUPPORTED_KEYWORD_CHANGED": _kind(
        "a keyword cdccheck cannot compare differs (e.g. `$dynamicRef`); treated as breaking", _ANY
    ),
    "ANALYSIS_INCOMPLETE": _kind(
        "the comparison gave up after 20,000 steps; treated as breaking", _ANY
    ),
    # ---- annotations: never breaking
    "TITLE_CHANGED": _kind("`title` changed: an annotation, never breaking", _NOTHING),
    "DESCRIPTION_CHANGED": _kind("`description` changed: an annotation, never breaking", _NOTHING),
    "COMMENT_CHANGED": _kind("`$comment` changed: an annotation, never breaking", _NOTHING),
    "DEFAULT_CHANGED": _kind("`default` changed: an annotation, never breaking", _NOTHING),
    "EXAMPLES_CHANGED": _kind("`examples` changed: an annotation, never breaking", _NOTHING),
    "DEPRECATED_CHANGED": _kind("`deprecated` changed: an annotation, never breaking", _NOTHING),
    "READ_ONLY_CHANGED": _kind("`readOnly` changed: an annotation, never breaking", _NOTHING),
    "WRITE_ONLY_CHANGED": _kind("`writeOnly` changed: an annotation, never breaking", _NOTHING),
    "ID_CHANGED": _kind("`$id` changed (draft-07): an annotation, never breaking", _NOTHING),
    # ---- files (--against)
    "SCHEMA_FILE_ADDED": _kind("a schema file is new: nothing to be compatible with", _NOTHING),
    "SCHEMA_FILE_REMOVED": _kind(
        "a schema file was deleted: events of that schema may still sit in the streams", _ANY
    ),
    **_bound_kinds(),
}
"""Every change kind the comparison (`cdccheck.gate.compat`) and the run can report."""

REFUSED_BY: dict[str, str] = {
    "type": "TYPE_CHANGED",
    "enum": "ENUM_ARRAY_CHANGED",
    "const": "ENUM_ARRAY_CHANGED",
    "pattern": "PATTERN_CHANGED",
    "format": "FORMAT_CHANGED",
    "multipleOf": "MULTIPLE_OF_CHANGED",
    "required": "REQUIRED_CHANGED",
    "dependentRequired": "DEPENDENCY_ARRAY_CHANGED",
    "dependencies": "DEPENDENCY_ARRAY_CHANGED",
    "additionalProperties": "ADDITIONAL_PROPERTIES_CHANGED",
    "unevaluatedProperties": "ADDITIONAL_PROPERTIES_CHANGED",
    "items": "ADDITIONAL_ITEMS_CHANGED",
    "additionalItems": "ADDITIONAL_ITEMS_CHANGED",
    "unevaluatedItems": "ADDITIONAL_ITEMS_CHANGED",
    "uniqueItems": "UNIQUE_ITEMS_CHANGED",
    "contains": "CONTAINS_CHANGED",
    "not": "NOT_ADDED",
    "anyOf": "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
    "oneOf": "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
    **{keyword: f"{stem}_CHANGED" for stem, (keyword, _, _) in BOUND_KEYWORDS.items()},
}
"""The kind for a listed value (`enum`/`const`) that keyword X of the other side refuses.

Keyed by the keyword python-jsonschema names in its error; a keyword outside
the table is named UNSUPPORTED_KEYWORD_CHANGED.
"""

UNKNOWN_KIND = Kind("a change cdccheck has no explanation for", frozenset(_ANY))
"""What `kind_info` answers for a name outside `KINDS` (a bug; kept harmless)."""

LABELS = {"legacy": "legacy", "new": "new"}
"""The default side labels (``--against`` uses ``base`` and ``head``)."""


def kind_info(kind: str) -> Kind:
    """The table's entry for ``kind``."""
    return KINDS.get(kind, UNKNOWN_KIND)


def explain(kind: str, labels: dict[str, str] | None = None) -> str:
    """The one-line explanation of ``kind``, with the sides named by ``labels``."""
    sides = labels or LABELS
    return kind_info(kind).explanation.format(legacy=sides["legacy"], new=sides["new"])


def findings_caused(kind: str) -> frozenset[str]:
    """The finding kinds a change of ``kind`` can cause at its place."""
    return kind_info(kind).findings
