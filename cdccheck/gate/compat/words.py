"""Showing values and naming changes: the helpers several keyword families share."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cdccheck.gate.schemaview import Node


def as_number(value: Any) -> int | float | None:
    """``value`` if it is a JSON number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def json_text(value: Any) -> str:
    """``value`` as JSON text, for messages."""
    return json.dumps(value, ensure_ascii=False)


def short_json(value: Any, limit: int = 60) -> str:
    """``value`` as JSON text, cut to ``limit`` characters."""
    text = json_text(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def escape_token(name: str) -> str:
    """``name`` escaped as one JSON Pointer token."""
    return name.replace("~", "~0").replace("/", "~1")


def pick(alt: Sequence[Node], *keywords: str) -> Node | None:
    """The node of an alternative a change is best located at.

    The last node carrying one of ``keywords`` (or just the last): expansion
    appends what `$ref`s and combinators lead to after the referring node, so
    the last is the most specific and the same from both walks.
    """
    for node in reversed(alt):
        if not keywords or any(node.has(k) for k in keywords):
            return node
    return alt[-1] if alt else None


def is_bool(node: Node | None) -> bool:
    """Whether ``node`` is a boolean schema (`true` or `false`)."""
    return node is not None and isinstance(node.value, bool)


def schema_state(node: Node | None) -> str:
    """How much an additional/rest schema allows: ``any``, ``none`` or ``schema``."""
    if node is None or node.is_true:
        return "any"
    if node.is_false:
        return "none"
    return "schema"


def additional_kind(legacy: Node | None, new: Node | None, what: str) -> str:
    """ADDITIONAL_{what}_ADDED/REMOVED/NARROWED/EXTENDED/CHANGED from both sides' states."""
    legacy_state, new_state = schema_state(legacy), schema_state(new)
    if legacy_state == "none":
        return f"ADDITIONAL_{what}_ADDED"
    if new_state == "none":
        return f"ADDITIONAL_{what}_REMOVED"
    if legacy_state == "any":
        return f"ADDITIONAL_{what}_NARROWED"
    if new_state == "any":
        return f"ADDITIONAL_{what}_EXTENDED"
    return f"ADDITIONAL_{what}_CHANGED"


def openness(values: Sequence[Node]) -> str:
    """How open a content model is where ``values`` apply: open, closed or partial."""
    if not values or all(v.is_true for v in values):
        return "open"
    if any(v.is_false for v in values):
        return "closed"
    return "partial"


def presence_message(
    what: str,
    added: bool,
    state: str,
    detail: str,
    labels: Mapping[str, str],
    rest: str = "patternProperties/additionalProperties",
) -> str:
    """Describe a property (or tuple item) declared on one side only, in legacy -> new terms.

    ``labels`` name the sides (``legacy``/``new``, or ``base``/``head``).
    """
    other = labels["legacy" if added else "new"]
    if state == "closed":
        return (
            f"{what} {'added' if added else 'removed'}; the {other} schema does not allow it "
            "(closed content model)"
        )
    if state == "open":
        text = (
            f"{what} {'added' if added else 'removed'}; the {other} schema accepts any value there"
        )
    else:
        text = (
            f"{what} {'added' if added else 'removed'}; the {other} schema gives it its "
            f"{rest} schema"
        )
    return f"{text} ({detail})" if detail else text


def covered_kind(covered: str, not_covered: str) -> Callable[[bool, bool], str]:
    """A kind namer: ``not_covered`` when the change breaks backward, else ``covered``."""
    # Confluent's "covered": the partially open side already accepted what the
    # explicit schema accepts there, so only a backward break uncovers it.
    return lambda backward, forward: not_covered if backward else covered
