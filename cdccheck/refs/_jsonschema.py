"""Small helpers every deriver shares to build reviewable JSON Schema documents.

A derived schema is committed and diffed, so its shape must not depend on the
order a deriver happened to visit things in: keys come out in one canonical
order (:func:`ordered`), ``$defs`` sorted by name, properties in the order the
code declares its fields.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

DRAFT_2020_12_URI = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any] | bool
"""A JSON Schema: an object, or ``true``/``false``."""

_KEY_ORDER = (
    "$schema",
    "$id",
    "title",
    "description",
    "$ref",
    "type",
    "const",
    "enum",
    "format",
    "pattern",
    "contentEncoding",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "prefixItems",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "propertyNames",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "not",
    "anyOf",
    "oneOf",
    "allOf",
    "if",
    "then",
    "else",
    "examples",
    "$defs",
)
_RANK = {key: index for index, key in enumerate(_KEY_ORDER)}
_SCHEMA_MAPS = ("properties", "$defs")
_SCHEMA_LISTS = ("prefixItems", "anyOf", "oneOf", "allOf")
_SCHEMA_VALUES = (
    "items",
    "additionalProperties",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
)


def ordered(schema: Any) -> Any:
    """``schema`` with every object's keys in the canonical order, ``$defs`` sorted.

    Properties keep their declared order (the order a writer emits them).
    """
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key in sorted(schema, key=lambda name: (_RANK.get(name, len(_RANK)), name)):
        value = schema[key]
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            names = sorted(value) if key == "$defs" else list(value)
            out[key] = {name: ordered(value[name]) for name in names}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [ordered(item) for item in value]
        elif key in _SCHEMA_VALUES:
            out[key] = ordered(value)
        else:
            out[key] = value
    return out


def def_ref(name: str, root_name: str | None = None) -> str:
    """The ``$ref`` to ``$defs/name`` (``#`` for the root type itself)."""
    if name == root_name:
        return "#"
    escaped = name.replace("~", "~0").replace("/", "~1")
    return "#/$defs/" + quote(escaped, safe="~-._!$&'()*+,;=:@")


def nullable(schema: Schema) -> Schema:
    """``schema`` that also admits ``null``."""
    if schema is True or schema == {}:
        return schema
    if schema is False:
        return {"type": "null"}
    types = schema.get("type")
    only_type_keywords = set(schema) <= {
        "type",
        "description",
        "format",
        "pattern",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "items",
        "minItems",
        "maxItems",
        "properties",
        "required",
        "propertyNames",
        "additionalProperties",
        "contentEncoding",
        "minProperties",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    }
    if isinstance(types, str) and only_type_keywords:
        # Every keyword here only constrains instances of its own type, so
        # adding "null" to the type admits null and nothing else.
        return {**schema, "type": [types, "null"]}
    if isinstance(types, list) and only_type_keywords:
        return schema if "null" in types else {**schema, "type": [*types, "null"]}
    if "enum" in schema and set(schema) <= {"enum", "description"}:
        values = schema["enum"]
        return schema if None in values else {**schema, "enum": [*values, None]}
    if "const" in schema and set(schema) <= {"const", "description"}:
        return (
            {**schema, "const": None}
            if schema["const"] is None
            else {
                **{k: v for k, v in schema.items() if k != "const"},
                "enum": [schema["const"], None],
            }
        )
    description = schema.get("description") if isinstance(schema, dict) else None
    inner = {key: value for key, value in schema.items() if key != "description"}
    out: dict[str, Any] = {"anyOf": [inner, {"type": "null"}]}
    if description:
        out = {"description": description, **out}
    return out


def with_description(schema: Schema, description: str) -> Schema:
    """``schema`` carrying ``description`` (a boolean schema becomes an object)."""
    if schema is True:
        return {"description": description}
    if schema is False:
        return {"description": description, "not": {}}
    return {**schema, "description": description}
