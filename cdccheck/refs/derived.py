"""What deriving a schema reference gives: the document, its warnings, maybe a reader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cdccheck.model import READER_REJECTED

__all__ = ["READER_REJECTED", "Derived", "Reader", "ReaderFinding"]


class ReaderFinding(NamedTuple):
    """One reason a real reader refused a payload."""

    path: str
    """RFC 6901 JSON Pointer to the refused value ('' for the payload as a whole)."""
    message: str
    """The exception's type and text, e.g. ``ValueError: Invalid isoformat string: '...Z'``."""


Reader = Callable[[bytes], list[ReaderFinding]]
"""Checks one payload with the real decoder: ``[]`` when it accepts it."""


@dataclass
class Derived:
    """A schema derived from a reference (``go:...``, ``py:...``) or read from a file."""

    document: dict[str, Any] | None
    """Draft 2020-12 JSON Schema; None for a real reader (a callable has no schema)."""
    source: str
    """Human label of where it came from, e.g. ``go:./svc/events:Event``."""
    warnings: list[str] = field(default_factory=list)
    """Where the schema is wider than the code (or the code unknown), each naming the spot."""
    reader: Reader | None = None
    """The real decoder, when the schema cannot say exactly what it accepts."""
