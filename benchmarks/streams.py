"""The benchmark streams, composed from the sample writers' healthy events.

* (a) realistic: JSON traffic from both writers, 5% of it drifting (the
  sample classes of ``cdccheck.samples``, rendered once and stamped);
* (b) systematic drift: every event invalid under the legacy schema, spread
  over structural drift (missing required fields, nulls, wrong types, unknown
  fields, enum values, array items) as well as patterns and formats;
* (c) a migration mix: the Python monolith and the Go service writing the
  same domain, 10% MessagePack, about 60% of events failing a schema in a
  few dozen recurring shapes, and a long tail of one-off shapes (unknown
  fields with names drawn from thousands, wrong types at random paths,
  missing keys at random paths);
* the compare pair: the same changes written by both writers into two streams.

(b), (c) and the compare pair start from pools of healthy events that
``cdccheck.samples.generate`` draws for each writer; every event gets a fresh
event id, then one drift shape is applied to a copy and the copy is rendered
the way its writer renders: the monolith with ``json.dumps`` defaults, the Go
service as compact HTML-safe JSON (``encoding/json``) or as MessagePack.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from cdccheck.model import Entry
from cdccheck.samples import (
    GO_HEALTHY,
    GO_WRITER,
    MSGPACK,
    PY_HEALTHY,
    PY_WRITER,
    class_stream,
    generate,
)

SEED = 20260214
POOL = 1024
"""Healthy events drawn per writer; each output event copies one and changes its id."""
_START_MS = 1_770_000_000_000

Event = dict[str, Any]
Mutation = Callable[[Event, random.Random], None]

# ---------------------------------------------------------------- stream (a)

JSON_HEALTHY = ("py.healthy",) * 9 + ("go.healthy",) * 9 + ("go.html_escape",) * 2
JSON_DRIFT = (
    "py.space_datetime",
    "py.naive_datetime",
    "py.bool_score",
    "py.float_score",
    "py.big_score",
    "py.hex_event_id",
    "go.rfc3339nano",
    "go.omitempty_score",
    "go.nil_awards",
    "go.zero_time",
    "go.new_field",
    "go.new_delete_reason",
)


def stream_a(n: int, seed: int = SEED) -> Iterator[Entry]:
    """Realistic: JSON traffic from both writers, 5% of it drifting."""
    return class_stream(n, JSON_HEALTHY, seed, defect_classes=JSON_DRIFT, defect_rate=0.05)


# ---------------------------------------------------------------- writers


_GO_HTML_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))


def py_json(event: Event) -> bytes:
    """The monolith: ``json.dumps`` with its defaults (ASCII escapes, NaN allowed)."""
    return json.dumps(event).encode("ascii")


def go_json(event: Event) -> bytes:
    """``encoding/json.Marshal``: compact, raw UTF-8, ``< > &`` escaped."""
    text = json.dumps(event, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    for character, escape in _GO_HTML_ESCAPES:
        text = text.replace(character, escape)
    return text.encode("utf-8")


def go_msgpack(event: Event) -> bytes:
    """The Go service's MessagePack rendering."""
    return msgspec.msgpack.encode(event)


# ---------------------------------------------------------------- drift shapes


class Shape(NamedTuple):
    """One way a writer renders an event, healthy or not."""

    name: str
    writer: str
    """``py`` or ``go``; ``any`` draws one of both per event."""
    ops: tuple[str, ...]
    """Ops of the events the shape applies to (empty: any op)."""
    mutate: Mutation
    wire: str = "json"
    """``json``, ``msgpack``, or ``either`` (the stream's MessagePack share decides)."""
    post: Callable[[bytes, random.Random], bytes] | None = None
    """Damage done to the rendered bytes (truncation, a duplicated key)."""


COMMENT_OPS = ("create", "update")


def _keep(event: Event, rng: random.Random) -> None:
    """Healthy: the writer's own rendering, nothing changed."""


def _comment(event: Event) -> Event:
    comment: Event = event["comment"]
    return comment


def _awards(event: Event, rng: random.Random) -> list[Event]:
    awards: list[Event] = _comment(event)["awards"]
    if not awards:
        awards.append({"name": rng.choice(_AWARD_NAMES), "count": rng.randrange(1, 6)})
    return awards


_AWARD_NAMES = ("Silver", "Gold", "Helpful", "Wholesome", "Take My Energy")
_HTML_BODIES = ("<b>bold</b> & <i>it</i>", "if a < b && b > c { return }", "Tom & Jerry <3")


def _rfc3339nano(text: str, rng: random.Random) -> str:
    """``...T12:34:56.123456+00:00`` as Go's time.Time writes it: Z and nanoseconds."""
    head = text[:19]
    micros = text[20:26] if text[19:20] == "." else "000000"
    fraction = f"{micros}{rng.randrange(1000):03d}".rstrip("0")
    return f"{head}.{fraction}Z" if fraction else f"{head}Z"


def _go_rfc3339nano(event: Event, rng: random.Random) -> None:
    event["emitted_at"] = _rfc3339nano(event["emitted_at"], rng)
    if "comment" in event:
        comment = _comment(event)
        comment["created_at"] = _rfc3339nano(comment["created_at"], rng)


def _go_omitempty_score(event: Event, rng: random.Random) -> None:
    del _comment(event)["score"]


def _go_nil_awards(event: Event, rng: random.Random) -> None:
    _comment(event)["awards"] = None


def _go_new_field(event: Event, rng: random.Random) -> None:
    _comment(event)["collapsed_reason_code"] = rng.choice(("LOW_SCORE", "CROWD_CONTROL"))


def _go_new_delete_reason(event: Event, rng: random.Random) -> None:
    event["reason"] = "removed_by_admin"


def _go_zero_time(event: Event, rng: random.Random) -> None:
    _comment(event)["edited_at"] = "0001-01-01T00:00:00Z"


def _go_award_missing_count(event: Event, rng: random.Random) -> None:
    # `json:"count,omitempty"` on an award that was never given.
    awards = _awards(event, rng)
    del awards[rng.randrange(len(awards))]["count"]


def _go_string_delta(event: Event, rng: random.Random) -> None:
    # `json:"delta,string"`: the int64 travels as a string.
    event["delta"] = str(event["delta"])


def _go_new_counter(event: Event, rng: random.Random) -> None:
    event["field"] = "award_count"


def _go_toxicity_percent(event: Event, rng: random.Random) -> None:
    # The new classifier client reports a percentage.
    _comment(event)["toxicity"] = round(_comment(event)["toxicity"] * 100 + 1, 2)


def _go_negative_depth(event: Event, rng: random.Random) -> None:
    # -1 for "not computed yet" in the Go struct.
    _comment(event)["depth"] = -1


def _go_upper_link_id(event: Event, rng: random.Random) -> None:
    # The kind prefix printed by a Go Stringer: T3_ instead of t3_.
    comment = _comment(event)
    comment["link_id"] = comment["link_id"].upper()


def _go_migration_combo(event: Event, rng: random.Random) -> None:
    """An early Go build: every habit at once."""
    _go_rfc3339nano(event, rng)
    comment = _comment(event)
    comment.pop("score", None)
    comment["awards"] = None
    comment["collapsed_reason_code"] = "LOW_SCORE"


def _py_bool_score(event: Event, rng: random.Random) -> None:
    _comment(event)["score"] = True


def _py_string_depth(event: Event, rng: random.Random) -> None:
    # Read back from a form field and never converted.
    _comment(event)["depth"] = str(_comment(event)["depth"])


def _py_award_extra_key(event: Event, rng: random.Random) -> None:
    awards = _awards(event, rng)
    awards[rng.randrange(len(awards))]["icon_url"] = "https://example.invalid/award.png"


def _py_delete_without_reason(event: Event, rng: random.Random) -> None:
    del event["reason"]


def _py_null_body(event: Event, rng: random.Random) -> None:
    _comment(event)["body"] = None


def _py_hex_event_id(event: Event, rng: random.Random) -> None:
    event["event_id"] = event["event_id"].replace("-", "")


def _py_space_datetime(event: Event, rng: random.Random) -> None:
    # json.dumps(default=str): str(datetime) has a space before the time.
    event["emitted_at"] = event["emitted_at"].replace("T", " ", 1)
    comment = _comment(event)
    comment["created_at"] = comment["created_at"].replace("T", " ", 1)
    if comment["edited_at"] is not None:
        comment["edited_at"] = comment["edited_at"].replace("T", " ", 1)


def _py_naive_datetime(event: Event, rng: random.Random) -> None:
    comment = _comment(event)
    comment["created_at"] = comment["created_at"].removesuffix("+00:00")


def _py_big_score(event: Event, rng: random.Random) -> None:
    _comment(event)["score"] = 2**63 + rng.randrange(10**6)


def _py_float_score(event: Event, rng: random.Random) -> None:
    _comment(event)["score"] = float(rng.randrange(2, 500))


def _py_nan_toxicity(event: Event, rng: random.Random) -> None:
    _comment(event)["toxicity"] = float("nan")


def _go_html_escape(event: Event, rng: random.Random) -> None:
    _comment(event)["body"] = rng.choice(_HTML_BODIES)


def _go_replacement_char(event: Event, rng: random.Random) -> None:
    _comment(event)["body"] = "caf\ufffd au lait"


def _go_msgpack_bin(event: Event, rng: random.Random) -> None:
    _comment(event)["body"] = _comment(event)["body"].encode("utf-8")


def _go_msgpack_timestamp(event: Event, rng: random.Random) -> None:
    comment = _comment(event)
    comment["created_at"] = datetime.fromisoformat(comment["created_at"])


def _truncate(payload: bytes, rng: random.Random) -> bytes:
    """A payload cut at a size limit somewhere in its second half."""
    return payload[: rng.randrange(len(payload) // 2, len(payload) - 1)]


def _duplicate_op(payload: bytes, rng: random.Random) -> bytes:
    """op appended to an already serialized event by string concatenation."""
    op = json.loads(payload)["op"]
    return payload[:-1] + f', "op": "{op}"}}'.encode("ascii")


# ---------------------------------------------------------------- the long tail

_TAIL_HEADS = (
    "is", "has", "legacy", "tmp", "debug", "internal", "cached", "raw", "v2", "old", "new",
    "x", "meta", "mod", "user", "go", "py", "client", "server", "shadow", "migr", "cdc",
    "kafka", "db", "orm", "api", "edge", "cdn", "spam", "ml", "rank", "feed", "ui", "ab",
    "exp", "flag", "trace", "span", "req", "sess",
)  # fmt: skip
_TAIL_TAILS = (
    "id", "ids", "at", "ts", "time", "flag", "flags", "count", "score", "hint", "src",
    "version", "hash", "etag", "blob", "note", "kind", "type", "state", "status", "reason",
    "label", "tags", "owner", "seq", "epoch", "shard", "region", "zone", "host", "pid",
    "tid", "ttl", "rev", "lang", "locale", "tz", "color", "weight", "rank", "bucket",
    "cohort", "variant", "origin", "path", "url", "key", "token", "nonce", "salt",
)  # fmt: skip
UNKNOWN_NAMES = tuple(
    f"{head}_{tail}" for head, tail in itertools.product(_TAIL_HEADS, _TAIL_TAILS)
)
"""Two thousand field names a writer might add; the long tail draws from them."""

_WRONG_VALUES: dict[str, tuple[Any, ...]] = {
    "string": ("", "0", "true", "null", "n/a"),
    "integer": (0, 7, -3, 123456789),
    "float": (0.5, -1.25, 3.14159),
    "boolean": (True, False),
    "null": (None,),
    "array": ([], ["x"], [1, 2]),
    "object": ({}, {"value": 1}),
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _containers(event: Event) -> list[Event]:
    """The objects of an event: itself, its comment, its awards."""
    out = [event]
    comment = event.get("comment")
    if isinstance(comment, dict):
        out.append(comment)
        awards = comment.get("awards")
        if isinstance(awards, list):
            out.extend(award for award in awards if isinstance(award, dict))
    return out


def _tail_unknown_field(event: Event, rng: random.Random) -> None:
    target = rng.choice(_containers(event))
    target[rng.choice(UNKNOWN_NAMES)] = rng.choice((rng.randrange(1000), "x", True, None, 0.25, []))


def _tail_wrong_type(event: Event, rng: random.Random) -> None:
    target = rng.choice(_containers(event))
    key = rng.choice([key for key in target if key != "comment"] or list(target))
    current = _json_type(target[key])
    kind = rng.choice([kind for kind in _WRONG_VALUES if kind != current])
    target[key] = rng.choice(_WRONG_VALUES[kind])


def _tail_missing_key(event: Event, rng: random.Random) -> None:
    target = rng.choice(_containers(event))
    del target[rng.choice(list(target))]


# ---------------------------------------------------------------- the catalogue

HEALTHY = (
    Shape("py.healthy", "py", (), _keep),
    Shape("go.healthy", "go", (), _keep, "either"),
    Shape("go.html_escape", "go", COMMENT_OPS, _go_html_escape),
)
STRUCTURAL = (
    Shape("go.omitempty_score", "go", COMMENT_OPS, _go_omitempty_score, "either"),
    Shape("go.nil_awards", "go", COMMENT_OPS, _go_nil_awards, "either"),
    Shape("go.new_field", "go", COMMENT_OPS, _go_new_field, "either"),
    Shape("go.new_delete_reason", "go", ("delete",), _go_new_delete_reason, "either"),
    Shape("go.award_missing_count", "go", COMMENT_OPS, _go_award_missing_count, "either"),
    Shape("go.string_delta", "go", ("increment",), _go_string_delta, "either"),
    Shape("go.new_counter", "go", ("increment",), _go_new_counter, "either"),
    Shape("go.toxicity_percent", "go", COMMENT_OPS, _go_toxicity_percent, "either"),
    Shape("go.negative_depth", "go", COMMENT_OPS, _go_negative_depth, "either"),
    Shape("go.migration_combo", "go", COMMENT_OPS, _go_migration_combo, "either"),
    Shape("py.bool_score", "py", COMMENT_OPS, _py_bool_score),
    Shape("py.string_depth", "py", COMMENT_OPS, _py_string_depth),
    Shape("py.award_extra_key", "py", COMMENT_OPS, _py_award_extra_key),
    Shape("py.delete_without_reason", "py", ("delete",), _py_delete_without_reason),
    Shape("py.null_body", "py", COMMENT_OPS, _py_null_body),
)
PATTERN_FORMAT = (
    Shape("go.rfc3339nano", "go", (), _go_rfc3339nano, "either"),
    Shape("go.zero_time", "go", COMMENT_OPS, _go_zero_time, "either"),
    Shape("go.upper_link_id", "go", COMMENT_OPS, _go_upper_link_id, "either"),
    Shape("py.hex_event_id", "py", (), _py_hex_event_id),
)
NEW_ONLY = (
    Shape("py.space_datetime", "py", COMMENT_OPS, _py_space_datetime),
    Shape("py.naive_datetime", "py", COMMENT_OPS, _py_naive_datetime),
    Shape("py.big_score", "py", COMMENT_OPS, _py_big_score),
)
WARNING_ONLY = (
    Shape("py.float_score", "py", COMMENT_OPS, _py_float_score),
    Shape("py.duplicate_key", "py", (), _keep, post=_duplicate_op),
    Shape("go.replacement_char", "go", COMMENT_OPS, _go_replacement_char),
)
UNDECODABLE = (
    Shape("py.nan_toxicity", "py", COMMENT_OPS, _py_nan_toxicity),
    Shape("go.truncated", "go", (), _keep, post=_truncate),
    Shape("go.msgpack_bin", "go", COMMENT_OPS, _go_msgpack_bin, "msgpack"),
    Shape("go.msgpack_timestamp", "go", COMMENT_OPS, _go_msgpack_timestamp, "msgpack"),
)
TAIL = (
    Shape("tail.unknown_field", "any", (), _tail_unknown_field, "either"),
    Shape("tail.wrong_type", "any", (), _tail_wrong_type, "either"),
    Shape("tail.missing_key", "any", (), _tail_missing_key, "either"),
)
SHAPES = {
    shape.name: shape
    for shape in HEALTHY + STRUCTURAL + PATTERN_FORMAT + NEW_ONLY + WARNING_ONLY + UNDECODABLE
    + TAIL
}  # fmt: skip

MIX_B: dict[str, float] = {shape.name: 1.0 for shape in STRUCTURAL + PATTERN_FORMAT}
"""(b): every structural and pattern/format shape equally often; all fail legacy."""

MIX_C: dict[str, float] = {
    # healthy, about 40%
    "py.healthy": 18,
    "go.healthy": 17.5,
    "go.html_escape": 1.5,
    "py.float_score": 1.5,
    "py.duplicate_key": 0.3,
    "go.replacement_char": 0.4,
    # the migration's recurring drift, about 45%
    "go.rfc3339nano": 6,
    "go.omitempty_score": 5,
    "go.nil_awards": 5,
    "go.new_field": 5,
    "go.migration_combo": 3,
    "go.zero_time": 2,
    "go.new_delete_reason": 1.5,
    "go.award_missing_count": 1.5,
    "go.string_delta": 1.5,
    "go.new_counter": 1,
    "go.toxicity_percent": 1,
    "go.negative_depth": 0.5,
    "go.upper_link_id": 0.5,
    "py.space_datetime": 3,
    "py.naive_datetime": 2,
    "py.hex_event_id": 1.5,
    "py.bool_score": 1,
    "py.string_depth": 1,
    "py.award_extra_key": 1,
    "py.null_body": 1,
    "py.big_score": 0.5,
    "py.delete_without_reason": 0.5,
    # the long tail, about 12%
    "tail.unknown_field": 5,
    "tail.wrong_type": 4.5,
    "tail.missing_key": 2.5,
    # undecodable, about 1.3%
    "py.nan_toxicity": 0.4,
    "go.truncated": 0.3,
    "go.msgpack_bin": 0.3,
    "go.msgpack_timestamp": 0.3,
}
"""(c): the migration mix; weights in percent of events."""
MSGPACK_SHARE_C = 0.17
"""Share of the Go service's ``either`` events sent as MessagePack: about 10% of (c)."""


# ---------------------------------------------------------------- composing


class Pools:
    """Healthy events of both writers, by op, drawn once per seed."""

    def __init__(self, seed: int = SEED, size: int = POOL) -> None:
        self.events: dict[tuple[str, str], list[Event]] = {}
        for offset, (writer, sample_class) in enumerate((("py", PY_HEALTHY), ("go", GO_HEALTHY))):
            for sample in generate(sample_class, size, seed + offset):
                event = json.loads(sample.entry.fields["payload"])
                self.events.setdefault((writer, event["op"]), []).append(event)
                self.events.setdefault((writer, ""), []).append(event)

    def draw(self, rng: random.Random, writer: str, ops: tuple[str, ...]) -> Event:
        """A fresh copy of a healthy event of ``writer`` with one of ``ops`` (any when empty)."""
        op = rng.choice(ops) if ops else ""
        pool = self.events[(writer, op)]
        event = _copy(pool[int(rng.random() * len(pool))])
        event["event_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return event


def _copy(event: Event) -> Event:
    out = dict(event)
    comment = out.get("comment")
    if comment is not None:
        comment = dict(comment)
        comment["awards"] = [dict(award) for award in comment["awards"]]
        out["comment"] = comment
    return out


def render(
    shape: Shape, event: Event, writer: str, msgpack: bool, rng: random.Random
) -> dict[str, bytes]:
    """The entry fields a writer puts on the stream for ``event``."""
    if msgpack:
        payload = go_msgpack(event)
    elif writer == "py":
        payload = py_json(event)
    else:
        payload = go_json(event)
    if shape.post is not None:
        payload = shape.post(payload, rng)
    fields = {"payload": payload, "writer": PY_WRITER if writer == "py" else GO_WRITER}
    if msgpack:
        fields["encoding"] = MSGPACK
    return fields


def shaped_stream(
    n: int, mix: dict[str, float], *, msgpack_share: float = 0.0, seed: int = SEED
) -> Iterator[tuple[Entry, str]]:
    """``n`` entries drawn from ``mix`` ({shape name: weight}), each with its shape's name."""
    rng = random.Random(seed)
    pools = Pools(seed)
    shapes = [SHAPES[name] for name in mix]
    cumulative = list(itertools.accumulate(mix.values()))
    total = cumulative[-1]
    for index in range(n):
        shape = shapes[bisect.bisect_right(cumulative, rng.random() * total)]
        writer = shape.writer if shape.writer != "any" else rng.choice(("py", "go"))
        event = pools.draw(rng, writer, shape.ops)
        shape.mutate(event, rng)
        msgpack = shape.wire == "msgpack" or (
            shape.wire == "either" and writer == "go" and rng.random() < msgpack_share
        )
        fields = render(shape, event, writer, msgpack, rng)
        yield Entry(f"{_START_MS + index}-0", fields), shape.name


def stream_b(n: int, seed: int = SEED) -> Iterator[Entry]:
    """Systematic drift: every event invalid under legacy, structural and pattern/format."""
    return (entry for entry, _ in shaped_stream(n, MIX_B, seed=seed))


def stream_c(n: int, seed: int = SEED) -> Iterator[Entry]:
    """The migration mix: both writers, 10% MessagePack, ~60% failing, a long tail."""
    return (entry for entry, _ in shaped_stream(n, MIX_C, msgpack_share=MSGPACK_SHARE_C, seed=seed))


STREAMS: dict[str, tuple[str, Callable[[int, int], Iterator[Entry]]]] = {
    "a": ("realistic: both writers in JSON, 5% drifting", stream_a),
    "b": ("systematic drift: every event fails legacy, structural + pattern/format", stream_b),
    "c": ("migration mix: both writers, 10% MessagePack, ~60% failing, long tail", stream_c),
}


# ---------------------------------------------------------------- compare


def compare_side(n: int, side: str, seed: int = SEED) -> Iterator[Entry]:
    """One side of the same ``n`` changes: ``primary`` (the monolith) or ``candidate`` (Go).

    Both sides draw the same changes from the same seed, so each is generated
    lazily on its own. The candidate keeps its habits on a few events: a nil
    slice for empty awards (3%) and emitted_at in time.Time's own layout (2%).
    """
    rng = random.Random(seed)
    pools = Pools(seed)
    for index in range(n):
        event = pools.draw(rng, "py", ())
        if "comment" in event:
            event["comment"]["id"] = f"t1_{rng.getrandbits(40):x}"
        else:
            event["comment_id"] = f"t1_{rng.getrandbits(40):x}"
        draw = rng.random()
        if side == "primary":
            yield Entry(f"{_START_MS + index}-0", {"payload": py_json(event), "writer": PY_WRITER})
            continue
        if draw < 0.03 and "comment" in event and not event["comment"]["awards"]:
            event["comment"]["awards"] = None
        elif 0.03 <= draw < 0.05:
            # The same instant in time.Time's own layout: Z instead of +00:00.
            event["emitted_at"] = event["emitted_at"].removesuffix("+00:00") + "Z"
        # The Go service emits a millisecond after the monolith.
        yield Entry(f"{_START_MS + index + 1}-0", {"payload": go_json(event), "writer": GO_WRITER})
