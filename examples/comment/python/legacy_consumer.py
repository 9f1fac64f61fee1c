"""The legacy Python consumers' view of the comment stream.

They build dataclasses straight from the payload, ``CommentEvent(**payload)``
and ``Comment(**payload["comment"])``, so an unknown key is a TypeError and
every field without a default must be there. Derive the reader view with::

    cdccheck schema derive 'py:legacy_consumer:CommentEvent?unknown=forbid' \
        --python-path examples/comment/python

``read_event`` is the consumers' real decode step, timestamps included, as a
Python 3.10 ``datetime.fromisoformat`` parses them (no "Z", a fraction of
exactly 3 or 6 digits); name it as a real reader with
``py:legacy_consumer:read_event``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

Op = Literal["create", "update", "increment", "delete"]
Counter = Literal["score", "reply_count"]
Reason = Literal["deleted_by_user", "removed_by_moderator", "spam"]


@dataclass
class Award:
    """One award kind on a comment and how many times it was given."""

    name: str
    count: int


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
    created_at: datetime
    edited_at: datetime | None
    awards: list[Award]
    depth: int
    toxicity: float


@dataclass
class CommentEvent:
    """One change to a comment."""

    op: Op
    event_id: UUID
    emitted_at: datetime
    comment: Comment | None = None
    comment_id: str | None = None
    field: Counter | None = None
    delta: int | None = None
    reason: Reason | None = None


# What datetime.fromisoformat accepted on Python 3.10, which the consumers run.
_PY310_ISOFORMAT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6})?([+-]\d{2}:\d{2})?$"
)


def _fromisoformat_310(text: str) -> datetime:
    if not _PY310_ISOFORMAT.match(text):
        raise ValueError(f"Invalid isoformat string: {text!r}")
    return datetime.fromisoformat(text)


def read_event(payload: bytes) -> CommentEvent:
    """The consumers' decode step: raises where they would fail."""
    raw = json.loads(payload)
    event = CommentEvent(**raw)
    event.emitted_at = _fromisoformat_310(raw["emitted_at"])
    if raw.get("comment") is not None:
        comment = Comment(**raw["comment"])
        comment.created_at = _fromisoformat_310(raw["comment"]["created_at"])
        if raw["comment"]["edited_at"] is not None:
            comment.edited_at = _fromisoformat_310(raw["comment"]["edited_at"])
        comment.awards = [Award(**award) for award in raw["comment"]["awards"]]
        event.comment = comment
    return event
