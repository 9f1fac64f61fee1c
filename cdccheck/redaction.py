"""How sample values and messages are shown: types, lengths and shapes, values only on request.

Comment bodies are user content and reports travel through CI logs and pull
requests, so a sample shows its value's shape, never free text, unless
``--show-values`` (docs/semantics.md, rule 5). `cdccheck.summary` uses these
for the samples it keeps; reports and ``--events-out`` lines use
`redact_finding`.
"""

from __future__ import annotations

import contextlib
import functools
import re
from typing import Any

from cdccheck.model import ABSENT, ENUM_VALUE, Finding, short_repr
from cdccheck.shapes import shape_of, shown_as_is

__all__ = ["describe_value", "redact_finding", "safe_message"]

_MAX_SHOWN_VALUE = 200
_MAX_MESSAGE = 300


_JSON_TYPES = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
    dict: "object",
    list: "array",
}


def describe_value(value: Any, show_values: bool, *, closed_set: bool = False) -> dict[str, Any]:
    """Type, length and shape of a value; the value itself (clipped) only with --show-values.

    Comment bodies are user content: reports are shared in CI logs and pull
    requests, so values stay out of them unless the user opts in. The shape
    (:func:`cdccheck.shapes.shape_of`) says what a value looks like without
    showing free text (docs/semantics.md, rule 5). ``closed_set``: the schema
    allows a closed set of values there (an ``enum_value`` finding).
    """
    if value is ABSENT:
        return {"type": "absent", "shape": "absent"}
    kind = _JSON_TYPES.get(type(value), type(value).__name__)
    described: dict[str, Any] = {"type": kind}
    if isinstance(value, str | list | dict):
        described["length"] = len(value)
    described["shape"] = shape_of(value, closed_set=closed_set)
    if show_values:
        described["value"] = _shown(value)
    return described


def _shown(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= _MAX_SHOWN_VALUE else value[:_MAX_SHOWN_VALUE] + "..."
    if isinstance(value, bool | float) or value is None:
        return value
    if isinstance(value, int):
        return value if value.bit_length() < 1000 else short_repr(value)
    return short_repr(value)


_SCALAR_TYPES = (str, int, float, bool, type(None))


def safe_message(message: str, value: Any, show_values: bool, *, closed_set: bool = False) -> str:
    """The message with the offending value replaced by its shape, then clipped.

    Drift repeats itself (``None is not of type 'array'`` on every Go event),
    so the answer for a scalar value is remembered (a bounded cache).
    """
    kind = type(value)
    if (
        kind in _SCALAR_TYPES
        and len(message) <= _CACHED_MESSAGE
        and not (kind is str and len(value) > _CACHED_MESSAGE)
    ):
        return _cached_message(message, kind.__name__, value, show_values, closed_set)
    return _safe_message(message, value, show_values, closed_set)


_CACHED_MESSAGE = 1024
"""Messages and string values longer than this are not cached (long keys: memory for nothing)."""


@functools.lru_cache(maxsize=2048)
def _cached_message(
    message: str, kind: str, value: Any, show_values: bool, closed_set: bool
) -> str:
    # ``kind`` keeps 1, 1.0 and True apart (equal keys otherwise).
    return _safe_message(message, value, show_values, closed_set)


def _safe_message(message: str, value: Any, show_values: bool, closed_set: bool) -> str:
    if not show_values and value is not ABSENT and not shown_as_is(value, closed_set=closed_set):
        placeholder = shape_of(value, closed_set=closed_set)
        for text in _renderings(value):
            if text and text in message:
                # A number only where it stands alone: 5 in "5 is less than 50", not in 50.
                pattern = re.escape(text)
                if not isinstance(value, str):
                    pattern = rf"(?<![\w.]){pattern}(?![\w.])"
                message = re.sub(pattern, lambda _: placeholder, message)
        if isinstance(value, dict | list):
            message = _redact_leaves(message, value)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."


def _redact_leaves(message: str, value: Any, limit: int = 500) -> str:
    """Replace the quoted strings of a container that a message repeats by their shapes.

    A real reader's exception names the value it refused without saying where
    (``ValueError: Invalid isoformat string: '...'`` at path ``""``), so the
    finding's value is the whole payload: its strings are what might leak.
    """
    pending, seen = [value], 0
    while pending and seen < limit:
        node = pending.pop()
        seen += 1
        if isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, str) and node:
            for quoted in (repr(node), f'"{node}"'):
                if quoted in message:
                    message = message.replace(quoted, shape_of(node))
    return message


def _renderings(value: Any) -> list[str]:
    texts = [short_repr(value)]
    with contextlib.suppress(ValueError):  # an int too long for repr
        texts.insert(0, repr(value))
    return texts


def redact_finding(finding: Finding, show_values: bool) -> dict[str, str]:
    """A finding as events-out writes it: kind, path and a redacted message."""
    closed_set = finding.kind == ENUM_VALUE
    return {
        "kind": finding.kind,
        "path": finding.path,
        "message": safe_message(finding.message, finding.value, show_values, closed_set=closed_set),
    }
