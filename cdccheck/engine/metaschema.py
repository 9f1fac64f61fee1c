"""The metaschema check in time linear in the schema's size (issue 10, defect 12).

A schema document is valid under its draft's metaschema exactly when every
subschema in it is: the metaschema constrains each keyword's value, and
applies itself again (``{"$dynamicRef": "#meta"}`` in 2020-12, ``{"$ref":
"#"}`` in draft-07) wherever a keyword holds subschemas. python-jsonschema
walks that recursion through its general `$ref` machinery, about half a
millisecond per subschema: a schema of 80,000 properties took 77 seconds.

This module takes the metaschema apart once per process, keyword by
keyword, out of the very documents python-jsonschema uses
(``jsonschema_specifications``): for each keyword, the constraint on its
value, with the places that hold subschemas marked. Checking a document
then visits each subschema once: each keyword's value is checked against
its constraint (compiled by :mod:`cdccheck.engine.compiled`, with the same
format checker, so ``pattern`` must compile under Python's ``re`` and
``$ref`` must be a URI reference), subschema positions only need to be an
object or a boolean there, and each subschema found is checked the same way
in turn. Same verdict as the whole-document check, in one pass; the tests
hold the two to the same answers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from cdccheck.model import json_pointer, short_repr

__all__ = ["first_error"]

_META = object()
"""Where the metaschema applies itself again: a subschema of the document."""
_SCHEMA_TYPES = {"type": ["object", "boolean"]}
_ROOTS = {
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
    "draft-07": "http://json-schema.org/draft-07/schema#",
}
_SCALARS = (str, int, float, bool, type(None))


class _Keyword:
    """One keyword of the metaschema: its value's constraint, and where subschemas sit."""

    __slots__ = ("constraint", "findings", "holds_schemas")

    def __init__(self, constraint: Any, findings: Callable[[Any], list[Any]]) -> None:
        self.constraint = constraint
        self.findings = findings
        self.holds_schemas = _holds_meta(constraint)
        """False for the many keywords whose value holds no subschema (type, maxLength ...)."""


def first_error(document: Any, draft: str) -> tuple[str, str, str] | None:
    """(JSON Pointer, message, keyword) of the first metaschema error in ``document``, or None.

    ``draft`` is ``2020-12`` or ``draft-07``. Subschemas are visited in
    document order; the first one with an error is reported.
    """
    keywords = _keywords(draft)
    cache: dict[tuple[Any, ...], list[Any]] = {}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(document, ())]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, dict | bool):
            message = f"{short_repr(node)} is not of type 'object', 'boolean'"
            return json_pointer(path) or "/", message, "type"
        if isinstance(node, bool):
            continue
        children: list[tuple[Any, tuple[Any, ...]]] = []
        for name, value in node.items():
            keyword = keywords.get(name)
            if keyword is None:
                continue  # not a keyword of this draft: the metaschema leaves it alone
            key = _cache_key(name, value)
            findings = cache.get(key) if key is not None else None
            if findings is None:
                findings = keyword.findings(value)
                if key is not None:
                    cache[key] = findings
            if findings:
                finding = findings[0]
                where = json_pointer((*path, name)) + finding.path
                return where, finding.message, name
            if keyword.holds_schemas:
                children.extend(
                    (sub, (*path, name, *relative))
                    for relative, sub in _subschemas(keyword.constraint, value)
                )
        stack.extend(reversed(children))
    return None


def _cache_key(name: str, value: Any) -> tuple[Any, ...] | None:
    """A key for values whose check result can be reused: scalars and short scalar lists.

    The type is part of the key: ``1``, ``1.0`` and ``True`` are equal in Python.
    """
    if type(value) in _SCALARS:
        return (name, type(value), value)
    if type(value) is list and len(value) <= 32 and all(type(v) in _SCALARS for v in value):
        return (name, tuple((type(v), v) for v in value))
    return None


def _holds_meta(node: Any) -> bool:
    if node is _META:
        return True
    if isinstance(node, dict):
        return any(map(_holds_meta, node.values()))
    if isinstance(node, list):
        return any(map(_holds_meta, node))
    return False


def _subschemas(constraint: Any, value: Any) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(relative path, subschema) for every place in ``value`` where the metaschema recurses."""
    if constraint is _META:
        if isinstance(value, dict | bool):
            yield (), value
        return
    if not isinstance(constraint, dict):
        return
    seen: set[int] = set()
    for member in (
        *constraint.get("allOf", ()),
        *constraint.get("anyOf", ()),
        *constraint.get("oneOf", ()),
    ):
        for relative, sub in _subschemas(member, value):
            if id(sub) not in seen:
                seen.add(id(sub))
                yield relative, sub
    if isinstance(value, list) and "items" in constraint:
        for index, item in enumerate(value):
            for relative, sub in _subschemas(constraint["items"], item):
                yield (index, *relative), sub
    if isinstance(value, dict):
        properties = constraint.get("properties", {})
        extra = constraint.get("additionalProperties")
        for name, item in value.items():
            inner = properties.get(name, extra)
            if inner is not None:
                for relative, sub in _subschemas(inner, item):
                    yield (name, *relative), sub


@functools.lru_cache(maxsize=2)
def _keywords(draft: str) -> dict[str, _Keyword]:
    """The metaschema of ``draft``, keyword by keyword (built once per process)."""
    from jsonschema_specifications import REGISTRY

    found = REGISTRY.resolver().lookup(_ROOTS[draft])
    root, resolver = found.contents, found.resolver
    parts = [(root, resolver)]
    if draft == "2020-12":
        for member in root.get("allOf", ()):
            resolved = resolver.lookup(member["$ref"])
            parts.append((resolved.contents, resolved.resolver))
    table: dict[str, _Keyword] = {}
    for contents, scope in parts:
        for name, constraint in contents.get("properties", {}).items():
            inlined = _inline(constraint, scope, draft)
            table[name] = _Keyword(inlined, _compiled(_checkable(inlined), draft))
    return table


def _inline(node: Any, resolver: Any, draft: str) -> Any:
    """``node`` with every `$ref` replaced by its target, and the metaschema's self-references
    replaced by ``_META``."""
    if isinstance(node, list):
        return [_inline(item, resolver, draft) for item in node]
    if not isinstance(node, dict):
        return node
    if node == {"$dynamicRef": "#meta"} or (draft == "draft-07" and node == {"$ref": "#"}):
        return _META
    if "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        target = _inline(resolved.contents, resolved.resolver, draft)
        siblings = {
            key: _inline(value, resolver, draft) for key, value in node.items() if key != "$ref"
        }
        # 2020-12 applies a $ref's siblings too; draft-07 ignores them.
        if draft == "draft-07" or not siblings:
            return target
        return {"allOf": [target], **siblings}
    return {key: _inline(value, resolver, draft) for key, value in node.items()}


def _checkable(node: Any) -> Any:
    """An inlined constraint as a plain schema: a subschema position need only be a schema."""
    if node is _META:
        return _SCHEMA_TYPES
    if isinstance(node, list):
        return [_checkable(item) for item in node]
    if isinstance(node, dict):
        return {key: _checkable(value) for key, value in node.items()}
    return node


def _compiled(constraint: Any, draft: str) -> Callable[[Any], list[Any]]:
    """The findings of one keyword's value, by the compiled tier (python-jsonschema's answers)."""
    from jsonschema import Draft7Validator, Draft202012Validator

    from cdccheck.engine.compiled import CompiledSchema
    from cdccheck.engine.schema import DRAFT_7, DRAFT_2020_12, Schema

    validator_class = Draft202012Validator if draft == DRAFT_2020_12 else Draft7Validator
    validator = validator_class(constraint, format_checker=validator_class.FORMAT_CHECKER)
    schema = Schema(
        name="metaschema",
        path=_ROOTS[draft],
        sha256="",
        document=constraint,
        draft=DRAFT_2020_12 if draft == DRAFT_2020_12 else DRAFT_7,
        encoding="json",
        validator=validator,
    )
    return CompiledSchema(schema).findings
