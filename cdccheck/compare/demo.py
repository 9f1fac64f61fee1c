"""The compare demo: one seeded history of comment changes, written by both writers.

``compare_demo(changes, seed)`` draws a history of comment changes (creates,
updates, increments, deletes; some comments touched many times) and renders
every change twice: through the Python monolith's writer (``json.dumps``
with its ``isoformat`` hook, from :mod:`cdccheck.samples`) into the primary
stream, and through a Go-style writer into the candidate stream. The Go side
differs in known ways, counted in ``CompareDemo.expected``:

* every event has its own ``event_id`` (each writer draws one): a difference
  in every pair, with distinct values, so ``likely_noise`` without a baseline;
* timestamps in RFC3339Nano (``Z``, trimmed fraction) for the same instants:
  ``timestamp_form`` warnings, not differences;
* ``score`` is an ``int64`` with ``omitempty``: a zero score is left out
  (``missing`` at ``/comment/score``);
* a new comment's awards are a nil slice, written ``null`` where Python
  writes ``[]`` (``null_vs_empty`` at ``/comment/awards``, creates only);
* ``<``, ``>`` and ``&`` are escaped for HTML on the wire (``\\u003c``),
  which is equal after decoding; but one field is changed on purpose: the
  Go service HTML-escapes bodies a second time (``&amp;``), a
  ``value_changed`` at ``/comment/body``;
* a few update+increment races of one comment come out in the other order
  (``reordered`` entities), and a few events never reach the Go stream
  (``missing_in_candidate``).

``seed_compare_streams`` writes both streams into Redis with their own ids.
Stream ids of the Go side lag the Python side by a few milliseconds.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cdccheck.demo import Demo, seed_stream
from cdccheck.model import Entry

# The writers of the check demo, reused so both demos speak the same dialects.
from cdccheck.samples import (
    DEFAULT_SEED,
    GO_WRITER,
    PY_WRITER,
    _Factory,
    _go_json,
    _py_json,
    _rfc3339nano,
)

if TYPE_CHECKING:
    from cdccheck.compare.options import CompareSettings
    from cdccheck.compare.session import Compared, Wrap

DEMO_PRIMARY_STREAM = "comments:cdc:py"
DEMO_CANDIDATE_STREAM = "comments:cdc:go"
DEMO_CHANGES = 2_000
DEMO_KEY = ("/op", "/comment/id,/comment_id")
DEMO_ENTITY = "/comment/id,/comment_id"

_ZERO_SCORE_RATE = 0.06
_HTML_BODY_RATE = 0.08
_RACE_RATE = 0.1
"""Of updates: an increment of the same comment follows within a millisecond."""
_DROP_RATE = 0.01
_HTML_BODIES = (
    "<b>bold</b> & <i>italic</i>",
    "if a < b && b > c { return }",
    "Tom & Jerry <3",
)


@dataclass
class CompareDemo:
    """Both sides of the demo and what the seeding put into them."""

    primary: list[Entry]
    candidate: list[Entry]
    expected: dict[str, int] = field(default_factory=dict)
    """Exact counts of what was seeded: changes, entities, missing_in_candidate (events
    dropped), reordered (entities with a race), and the pairs that differ in each known way:
    zero_score, null_awards, double_escaped."""


def _go_event(event: dict[str, Any], *, created: bool) -> dict[str, Any]:
    """What the Go service marshals for the same change."""
    out: dict[str, Any] = {}
    for name, value in event.items():
        if name == "event_id":
            continue
        out[name] = _go_scalar(value)
    out["event_id"] = "pending"  # drawn by the caller, in the writer's own order
    comment = event.get("comment")
    if comment is not None:
        go_comment = {name: _go_scalar(value) for name, value in comment.items()}
        if go_comment["score"] == 0:
            del go_comment["score"]  # `json:"score,omitempty"`
        if created and not go_comment["awards"]:
            go_comment["awards"] = None  # a nil []Award marshals to null
        body = go_comment["body"]
        if any(character in body for character in "<>&"):
            go_comment["body"] = html.escape(body, quote=False)  # the bug, on purpose
        out["comment"] = go_comment
    return out


def _go_scalar(value: Any) -> Any:
    if isinstance(value, datetime):
        return _rfc3339nano(value, 0)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def compare_demo(changes: int = DEMO_CHANGES, seed: int = DEFAULT_SEED) -> CompareDemo:
    """A seeded history of ``changes`` comment changes, written by both writers."""
    factory = _Factory(seed)
    rng = factory.rng
    live: list[dict[str, Any]] = []
    history: list[tuple[int, dict[str, Any], bool]] = []  # (ms, event, is a create)
    races: set[int] = set()
    expected = dict.fromkeys(
        ("changes", "missing_in_candidate", "reordered", "zero_score", "null_awards"), 0
    )
    expected["double_escaped"] = 0

    def envelope(op: str) -> dict[str, Any]:
        return {
            "op": op,
            "event_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "emitted_at": factory._moment(0),
        }

    while len(history) < changes:
        factory.next_stream_id()
        roll = rng.random()
        if not live or roll < 0.25:
            comment = factory.comment(edited=False)
            if rng.random() < _ZERO_SCORE_RATE:
                comment["score"] = 0
            if rng.random() < _HTML_BODY_RATE:
                comment["body"] = rng.choice(_HTML_BODIES)
            live.append(comment)
            event = envelope("create")
            event["comment"] = dict(comment)
            history.append((factory.now_ms, event, True))
            continue
        comment = rng.choice(live)
        if roll < 0.45:
            comment["body"] = rng.choice(
                (*_HTML_BODIES, "Edited: fixed a typo.", "Edit: never mind.", "Thanks!")
            )
            comment["edited_at"] = factory._moment(0)
            comment["score"] = rng.choice((0, comment["score"], comment["score"] + 1))
            event = envelope("update")
            event["comment"] = dict(comment)
            history.append((factory.now_ms, event, False))
            if rng.random() < _RACE_RATE and len(history) < changes:
                # A race: an increment right behind the update; Go emits them swapped.
                races.add(len(history) - 1)
                history.append((factory.now_ms + 1, _increment(envelope, comment, rng), False))
        elif roll < 0.92:
            history.append((factory.now_ms, _increment(envelope, comment, rng), False))
        else:
            live.remove(comment)
            event = envelope("delete")
            event["comment_id"] = comment["id"]
            event["reason"] = rng.choice(("deleted_by_user", "removed_by_moderator", "spam"))
            history.append((factory.now_ms, event, False))
    del history[changes:]
    races = {index for index in races if index + 1 < len(history)}

    key_counts: dict[tuple[str, str], int] = {}
    for _, event, _ in history:
        key = _key_of(event)
        key_counts[key] = key_counts.get(key, 0) + 1

    primary_order: list[tuple[int, bytes]] = []
    candidate_order: list[tuple[int, dict[str, Any]]] = []
    raced: set[str] = set()
    index = 0
    while index < len(history):
        ms, event, created = history[index]
        primary_order.append((ms, _py_json(event)))
        go = _go_event(event, created=created)
        lag = rng.randrange(1, 5)
        dropped = (
            index not in races
            and index - 1 not in races
            and key_counts[_key_of(event)] == 1
            and rng.random() < _DROP_RATE
        )
        if dropped:
            expected["missing_in_candidate"] += 1
        else:
            _count(expected, event, go)
            candidate_order.append((ms + lag, go))
        if index in races:
            following_ms, following, following_created = history[index + 1]
            primary_order.append((following_ms, _py_json(following)))
            go_following = _go_event(following, created=following_created)
            _count(expected, following, go_following)
            # The increment overtakes the update on the Go side.
            candidate_order.insert(len(candidate_order) - 1, (ms + lag, go_following))
            raced.add(_key_of(event)[1])
            index += 2
            continue
        index += 1
    expected["reordered"] = len(raced)
    expected["changes"] = len(history)
    expected["entities"] = len({_key_of(event)[1] for _, event, _ in history})

    for _, go in candidate_order:
        go["event_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    primary = _stream(((ms, payload) for ms, payload in primary_order), PY_WRITER)
    candidate = _stream(((ms, _go_json(go)) for ms, go in candidate_order), GO_WRITER)
    return CompareDemo(primary, candidate, expected)


def _stream(payloads: Any, writer: bytes) -> list[Entry]:
    """Entries with strictly increasing ids: a millisecond already used gets the next sequence."""
    entries = []
    last_ms, last_seq = -1, -1
    for ms, payload in payloads:
        if ms > last_ms:
            last_ms, last_seq = ms, 0
        else:
            last_seq += 1
        entries.append(Entry(f"{last_ms}-{last_seq}", {"payload": payload, "writer": writer}))
    return entries


def _increment(envelope: Any, comment: dict[str, Any], rng: Any) -> dict[str, Any]:
    event: dict[str, Any] = envelope("increment")
    event["comment_id"] = comment["id"]
    event["field"] = rng.choice(("score", "score", "reply_count"))
    event["delta"] = rng.choice((1, 1, 1, -1, 2))
    return event


def _key_of(event: dict[str, Any]) -> tuple[str, str]:
    comment = event.get("comment")
    return event["op"], comment["id"] if comment is not None else event["comment_id"]


def _count(expected: dict[str, int], event: dict[str, Any], go: dict[str, Any]) -> None:
    comment = event.get("comment")
    if comment is None:
        return
    go_comment = go["comment"]
    expected["zero_score"] += "score" not in go_comment
    expected["null_awards"] += go_comment["awards"] is None
    expected["double_escaped"] += go_comment["body"] != comment["body"]


def seed_compare_streams(
    client: Any,
    *,
    primary_stream: str = DEMO_PRIMARY_STREAM,
    candidate_stream: str = DEMO_CANDIDATE_STREAM,
    changes: int = DEMO_CHANGES,
    seed: int = DEFAULT_SEED,
) -> CompareDemo:
    """Write the demo's two sides into two Redis streams (XADD with their own ids)."""
    demo = compare_demo(changes, seed)
    seed_stream(client, primary_stream, demo.primary)
    seed_stream(client, candidate_stream, demo.candidate)
    return demo


DEMO_IGNORE_REASON = "each writer draws its own event id"
"""Why ``cdccheck demo --compare`` ignores ``/event_id`` (docs/compare.md, "Ignore")."""


class CompareDemoServer(Demo):
    """A private redis-server holding both demo streams: what ``cdccheck demo --compare`` runs.

    The server's life (``keep``, ``url``, ``pid``) is that of :class:`cdccheck.demo.Demo`;
    ``events`` is the number of changes, each written once per writer. After
    entering, ``demo`` holds what was seeded (``demo.expected``) and
    ``written`` the entries of both streams together. ``replay`` is the check
    demo's and does not apply here.
    """

    primary_stream = DEMO_PRIMARY_STREAM
    candidate_stream = DEMO_CANDIDATE_STREAM

    def __init__(
        self, changes: int = DEMO_CHANGES, seed: int | None = None, *, keep: bool = False
    ) -> None:
        super().__init__(changes, seed, keep=keep)
        self.demo: CompareDemo | None = None

    def __enter__(self) -> CompareDemoServer:
        self.start()
        return self

    def _write(self, client: Any) -> int:
        self.demo = seed_compare_streams(
            client,
            primary_stream=self.primary_stream,
            candidate_stream=self.candidate_stream,
            changes=self.events,
            seed=DEFAULT_SEED if self.seed is None else self.seed,
        )
        return len(self.demo.primary) + len(self.demo.candidate)

    def compare(self, *, wrap: Wrap | None = None) -> Compared:
        """Compare the two seeded streams with the demo's settings (``demo_settings``)."""
        from cdccheck.compare.session import RunOptions, compare_report
        from cdccheck.compare.sides import stream_side
        from cdccheck.sources.redis_range import RedisRange

        with (
            RedisRange(self.url, self.primary_stream) as primary,
            RedisRange(self.url, self.candidate_stream) as candidate,
        ):
            primary.open()
            candidate.open()
            return compare_report(
                stream_side(primary),
                stream_side(candidate),
                demo_settings(),
                options=RunOptions(wrap=wrap),
            )


def demo_settings() -> CompareSettings:
    """Key, entity and the one ignore of the demo; configuration files are not read.

    So ``cdccheck demo --compare`` shows the same everywhere.
    """
    from cdccheck.compare.options import CompareConfig, Ignore, resolve_settings

    return resolve_settings(
        key=DEMO_KEY,
        entity=DEMO_ENTITY,
        config=CompareConfig(ignores=(Ignore("/event_id", DEMO_IGNORE_REASON),)),
    )
