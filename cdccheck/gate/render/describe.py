"""The description hook: what a schema derived from code says about the place of a change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdccheck.gate.compat import Change
from cdccheck.gate.run import SchemaResult

DERIVED_PREFIXES = ("go:", "py:")
"""Schema origins that are references to code (docs/schemas-from-code.md)."""


CODE_WORDS = ("Go", "Python")
"""The first word of a derived property's description (cdccheck.refs.go, cdccheck.refs.python)."""


def is_derived(origin: str | None) -> bool:
    """Whether a schema came from a reference to code (``go:``, ``py:``), not a file."""
    return origin is not None and origin.startswith(DERIVED_PREFIXES)


def property_description(document: Any, pointer: str) -> str | None:
    """The `description` of the property schema nearest above ``pointer``, if any.

    Derived schemas put the code's field and tag there (``Comment.Score,
    json:"score,omitempty"``), which tells the reader of a change which field
    of which type to fix.
    """
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    nodes: list[Any] = [document]
    for token in tokens:
        node = nodes[-1]
        if isinstance(node, dict) and token in node:
            nodes.append(node[token])
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            nodes.append(node[int(token)])
        else:
            break
    for depth in range(len(nodes) - 1, 1, -1):
        node = nodes[depth]
        if tokens[depth - 2] == "properties" and isinstance(node, dict):
            description = node.get("description")
            if isinstance(description, str) and description.strip():
                return description.strip()
    return None


def describe(schema: SchemaResult, change: Change) -> str | None:
    """The hook: the code-side description of what a change touches, for derived schemas.

    Only schemas from a code reference (`is_derived`) are asked: in a
    hand-written schema a description is prose for humans, not a locator.
    ``describe_sides`` has each side on its own; this joins them.
    """
    found = describe_sides(schema, change)
    if len(found) > 1:
        return " ".join(f"{side}: {text}" for side, text in found)
    return found[0][1] if found else None


def describe_sides(schema: SchemaResult, change: Change) -> list[tuple[str, str]]:
    """(side, description) for each side derived from code that describes the change.

    With a witness, each side is asked about the property the witness points
    at, so a change found on one side (a ``required`` that went away in the
    legacy dataclass) also names the field on the other (the Go field with
    ``omitempty``); without one, the side the change points into is asked
    about the changed place. The change's own side comes first.
    """
    first = change.primary
    sides = [
        (side, origin, loaded)
        for side, origin, loaded in (
            ("new", schema.new, schema.new_schema),
            ("legacy", schema.legacy, schema.legacy_schema),
        )
        if loaded is not None and is_derived(origin)
    ]
    sides.sort(key=lambda item: item[0] != first)
    found: list[tuple[str, str]] = []
    for side, _, loaded in sides:
        if change.witness is not None:
            pointer = pointer_at_instance(loaded.document, change.witness.path)
        else:
            location = change.legacy if side == "legacy" else change.new
            pointer = location.pointer if location is not None else None
        text = property_description(loaded.document, pointer) if pointer is not None else None
        if text and all(text != seen for _, seen in found):
            found.append((side, text))
    return found


def named_sides(
    schema: SchemaResult, change: Change, labels: Mapping[str, str]
) -> list[tuple[str | None, str]]:
    """`describe_sides`, each with the run's name of its side where the text needs it.

    A Go field and a Python attribute say which side they are; two
    descriptions of one language (a Go struct gated ``--against`` its base)
    do not, so each is given its side's name (``base``, ``head``). None: the
    text says it already.
    """
    found = describe_sides(schema, change)
    languages = [text.split(" ", 1)[0] for _, text in found]
    alike = len(set(languages)) < len(languages)
    return [
        (labels[side] if alike and language in CODE_WORDS else None, text)
        for (side, text), language in zip(found, languages, strict=True)
    ]


def pointer_at_instance(document: Any, path: str) -> str | None:
    """The schema pointer of the property schema an instance path leads to, or None.

    Follows ``properties``, ``items``, local ``$ref`` and the ``anyOf``/``oneOf``
    branches that lead on; enough for the documents derived from code.
    """
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]
    pointer, node = "", document
    for token in tokens:
        step = _step_into(document, node, pointer, token)
        if step is None:
            return None
        pointer, node = step
    return pointer or None


def _step_into(document: Any, node: Any, pointer: str, token: str) -> tuple[str, Any] | None:
    seen: set[str] = set()
    pending = [(pointer, node)]
    while pending:
        at, here = pending.pop(0)
        if not isinstance(here, dict):
            continue
        ref = here.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and ref not in seen:
            seen.add(ref)
            target = _resolve_local(document, ref[1:])
            if target is not None:
                pending.append((ref[1:], target))
        properties = here.get("properties")
        if isinstance(properties, dict) and token in properties:
            escaped = token.replace("~", "~0").replace("/", "~1")
            return f"{at}/properties/{escaped}", properties[token]
        if token.isdigit() and isinstance(here.get("items"), dict):
            return f"{at}/items", here["items"]
        for keyword in ("anyOf", "oneOf", "allOf"):
            branches = here.get(keyword)
            if isinstance(branches, list):
                pending += [(f"{at}/{keyword}/{i}", b) for i, b in enumerate(branches)]
    return None


def _resolve_local(document: Any, pointer: str) -> Any:
    node = document
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return None
    return node
