"""The legacy Python consumers' view of the comment stream.

They build dataclasses straight from the payload, ``CommentEvent(**payload)``
and ``Comment(**payload["comment"])``, so an unknown key is a TypeError and
every field without a default must be there; the values stay the JSON
strings and numbers they were, and the consumers parse timestamps later with
Python 3.10's ``datetime.fromisoformat``. The types say that much:

* a timestamp is a string in the shape 3.10's ``fromisoformat`` parses
  (``Py310Timestamp``): no "Z", a fraction of exactly 3 or 6 digits;
* ``comment`` and the fields of increments and deletes may be absent but are
  never null (``UNSET`` is the default, not ``None``), and the ids and the
  counter name are never empty;
* the deletion reasons are a closed set: each maps to a moderation log entry;
* ``score`` and ``delta`` are plain Python ints, without bounds; depth and
  award counts live in BIGINT columns (``Int64``).

Derive the reader view (``?unknown=forbid``: ``Cls(**payload)`` refuses
unknown keys) with::

    cdccheck schema derive 'py:legacy_consumer:CommentEvent?unknown=forbid' \
        --python-path examples/comment/python

``read_event`` is the consumers' real decode step, timestamps and event ids
included; name it as a real reader with ``py:legacy_consumer:read_event``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import UNSET, Meta, UnsetType

# What datetime.fromisoformat accepted on Python 3.10, which the consumers run:
# a "T" or a space, a fraction of exactly 3 or 6 digits, an optional +hh:mm
# offset and no "Z" (3.11 learned it). Years before 1970 are refused: the
# consumers store epoch seconds in unsigned columns.
PY310_ISOFORMAT = (
    r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{3}|\.[0-9]{6})?"
    r"([+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)
Py310Timestamp = Annotated[str, Meta(pattern=PY310_ISOFORMAT)]
NonEmpty = Annotated[str, Meta(min_length=1)]
Int64 = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]
Reason = Literal["deleted_by_user", "removed_by_moderator", "spam"]


@dataclass
class Award:
    """One award kind on a comment and how many times it was given."""

    name: str
    count: Int64


@dataclass
class Comment:
    """The full comment after a create or an update; no field has a default."""

    id: str
    link_id: str
    parent_id: str
    author: str
    subreddit: str
    body: str
    score: int
    created_at: Py310Timestamp
    edited_at: Py310Timestamp | None
    awards: list[Award]
    depth: Int64
    toxicity: float


@dataclass
class CommentEvent:
    """One change to a comment; which optional parts are there depends on ``op``."""

    op: str  # dispatched through a dict of handlers; an unknown op is logged and skipped
    event_id: str  # the dedup table compares the canonical hyphenated UUID
    emitted_at: Py310Timestamp
    comment: Comment | UnsetType = UNSET
    comment_id: NonEmpty | UnsetType = UNSET
    field: NonEmpty | UnsetType = UNSET
    delta: int | UnsetType = UNSET
    reason: Reason | UnsetType = UNSET


_REASONS = frozenset(("deleted_by_user", "removed_by_moderator", "spam"))


class Rejected(ValueError):
    """The consumers' error for a value they cannot use; ``path`` says where (JSON Pointer).

    cdccheck reads ``path`` off a real reader's exception to place its
    finding; without it the finding is about the payload as a whole.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


def _fromisoformat_310(text: str, path: str) -> datetime:
    """``datetime.fromisoformat`` as Python 3.10 has it (this may run on a later one)."""
    if not isinstance(text, str) or not re.match(PY310_ISOFORMAT, text):
        raise Rejected(path, f"Invalid isoformat string: {text!r}")
    return datetime.fromisoformat(text)


def read_event(payload: bytes) -> CommentEvent:
    """The consumers' decode step: raises where they would fail."""
    raw = json.loads(payload)
    event = CommentEvent(**raw)
    try:
        canonical = str(UUID(event.event_id)) == event.event_id
    except (TypeError, ValueError, AttributeError):
        canonical = False
    if not canonical:
        raise Rejected("/event_id", "event_id is not a canonical hyphenated UUID")
    _fromisoformat_310(event.emitted_at, "/emitted_at")
    if not isinstance(event.reason, UnsetType) and event.reason not in _REASONS:
        raise Rejected("/reason", f"no moderation log entry for reason {event.reason!r}")
    if isinstance(raw.get("comment"), dict):
        comment = Comment(**raw["comment"])
        _fromisoformat_310(comment.created_at, "/comment/created_at")
        if comment.edited_at is not None:
            _fromisoformat_310(comment.edited_at, "/comment/edited_at")
        comment.awards = [Award(**award) for award in raw["comment"]["awards"]]
        event.comment = comment
    return event
