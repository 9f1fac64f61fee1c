"""Seeded comment CDC events, serialized the way each writer really does it.

Two writers share the comment stream while the backend moves to Go:

* the Python monolith (entry field ``writer=py-monolith``) calls
  ``json.dumps(event, default=...)`` with its defaults: ``", "`` and ``": "``
  separators, non-ASCII text as ``\\u`` escapes, ``NaN`` for a NaN float;
* the Go comment service (``writer=go-comments``) uses ``encoding/json``
  (compact, raw UTF-8, ``<``, ``>`` and ``&`` escaped for HTML, ``omitempty``
  tags, nil slices as ``null``) or, for some consumers, MessagePack.

A healthy event is valid under both bundled schemas and draws no warning.
Each other sample class is one real serialization mistake of one writer;
``EXPECTED`` says exactly what cdccheck must report for an event of that class.

Everything is deterministic for a seed. ``healthy_entries`` and
``mixed_stream`` are for benchmarks: they render a few dozen templates once
and then only stamp a fresh event id and stream id into each copy.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from cdccheck.model import (
    BIG_INTEGER,
    CONSTRAINT,
    DUPLICATE_KEY,
    ENUM_VALUE,
    FORMAT,
    INTEGRAL_FLOAT,
    LEGACY,
    MISSING_REQUIRED,
    NEW,
    NULL_NOT_ALLOWED,
    TYPE_MISMATCH,
    UNDECODABLE,
    UNKNOWN_FIELD,
    UNSAFE_STRING,
    WIRE,
    Entry,
)

PY_WRITER = b"py-monolith"
GO_WRITER = b"go-comments"
MSGPACK = b"msgpack"
DEFAULT_SEED = 20260128
SAMPLE_CORPUS = Path(__file__).with_name("comment-events.jsonl")
"""The bundled sample corpus (package data), written by ``python -m cdccheck.samples``."""

# ---------------------------------------------------------------- sample classes

PY_HEALTHY = "py.healthy"
PY_SPACE_DATETIME = "py.space_datetime"
PY_NAIVE_DATETIME = "py.naive_datetime"
PY_NAN_TOXICITY = "py.nan_toxicity"
PY_BOOL_SCORE = "py.bool_score"
PY_FLOAT_SCORE = "py.float_score"
PY_BIG_SCORE = "py.big_score"
PY_HEX_EVENT_ID = "py.hex_event_id"
PY_DUPLICATE_KEY = "py.duplicate_key"
GO_HEALTHY = "go.healthy"
GO_RFC3339NANO = "go.rfc3339nano"
GO_OMITEMPTY_SCORE = "go.omitempty_score"
GO_NIL_AWARDS = "go.nil_awards"
GO_ZERO_TIME = "go.zero_time"
GO_REPLACEMENT_CHAR = "go.replacement_char"
GO_HTML_ESCAPE = "go.html_escape"
GO_NEW_FIELD = "go.new_field"
GO_NEW_DELETE_REASON = "go.new_delete_reason"
GO_MSGPACK = "go.msgpack"
GO_MSGPACK_BIN = "go.msgpack_bin"
GO_MSGPACK_TIMESTAMP = "go.msgpack_timestamp"


class Expected(NamedTuple):
    """What cdccheck must report for every event of one sample class."""

    writer: bytes
    description: str
    findings: frozenset[tuple[str, str, str]] = frozenset()
    """(schema, kind, path): schema is ``legacy``, ``new`` or ``wire``."""
    warnings: frozenset[tuple[str, str]] = frozenset()
    """(kind, path) portability warnings; they never change a verdict."""


def _expect(writer: bytes, description: str, *items: tuple[str, ...]) -> Expected:
    findings = frozenset((i[0], i[1], i[2]) for i in items if len(i) == 3)
    warnings = frozenset((i[0], i[1]) for i in items if len(i) == 2)
    return Expected(writer, description, findings, warnings)


_UNDECODABLE = (WIRE, UNDECODABLE, "")

EXPECTED: dict[str, Expected] = {
    PY_HEALTHY: _expect(PY_WRITER, "json.dumps with an isoformat() default hook"),
    PY_SPACE_DATETIME: _expect(
        PY_WRITER,
        "json.dumps(default=str) on an update: str(datetime) puts a space before the time",
        (NEW, FORMAT, "/emitted_at"),
        (NEW, FORMAT, "/comment/created_at"),
        (NEW, FORMAT, "/comment/edited_at"),
    ),
    PY_NAIVE_DATETIME: _expect(
        PY_WRITER,
        "created_at from a timestamp-without-time-zone column: isoformat() has no offset",
        (NEW, FORMAT, "/comment/created_at"),
    ),
    PY_NAN_TOXICITY: _expect(
        PY_WRITER, "the classifier returned NaN and json.dumps wrote it as NaN", _UNDECODABLE
    ),
    PY_BOOL_SCORE: _expect(
        PY_WRITER,
        "score=True passed isinstance(score, int) and was written as true",
        (LEGACY, TYPE_MISMATCH, "/comment/score"),
        (NEW, TYPE_MISMATCH, "/comment/score"),
    ),
    PY_FLOAT_SCORE: _expect(
        PY_WRITER,
        "a score computed with / is a float with an integral value: 5.0",
        (INTEGRAL_FLOAT, "/comment/score"),
    ),
    PY_BIG_SCORE: _expect(
        PY_WRITER,
        "an unbounded Python int beyond int64 in score",
        (NEW, CONSTRAINT, "/comment/score"),
        (BIG_INTEGER, "/comment/score"),
    ),
    PY_HEX_EVENT_ID: _expect(
        PY_WRITER,
        "event_id from uuid4().hex: no hyphens",
        (LEGACY, FORMAT, "/event_id"),
        (NEW, FORMAT, "/event_id"),
    ),
    PY_DUPLICATE_KEY: _expect(
        PY_WRITER,
        "op appended to an already serialized event by string concatenation",
        (DUPLICATE_KEY, "/op"),
    ),
    GO_HEALTHY: _expect(GO_WRITER, "encoding/json with a +00:00, microsecond time layout"),
    GO_RFC3339NANO: _expect(
        GO_WRITER,
        "time.Time's own MarshalJSON: RFC3339Nano with Z and up to 9 fraction digits",
        (LEGACY, CONSTRAINT, "/emitted_at"),
        (LEGACY, CONSTRAINT, "/comment/created_at"),
    ),
    GO_OMITEMPTY_SCORE: _expect(
        GO_WRITER,
        "score is int64 with omitempty, so a zero score is left out",
        (LEGACY, MISSING_REQUIRED, "/comment/score"),
    ),
    GO_NIL_AWARDS: _expect(
        GO_WRITER,
        "a nil []Award marshals to null",
        (LEGACY, NULL_NOT_ALLOWED, "/comment/awards"),
        (NEW, NULL_NOT_ALLOWED, "/comment/awards"),
    ),
    GO_ZERO_TIME: _expect(
        GO_WRITER,
        "an unset time.Time edited_at marshals to the zero time",
        (LEGACY, CONSTRAINT, "/comment/edited_at"),
    ),
    GO_REPLACEMENT_CHAR: _expect(
        GO_WRITER,
        "encoding/json silently replaced invalid UTF-8 in the body with U+FFFD",
        (UNSAFE_STRING, "/comment/body"),
    ),
    GO_HTML_ESCAPE: _expect(
        GO_WRITER, "control: encoding/json writes < > & as \\u003c \\u003e \\u0026, still fine"
    ),
    GO_NEW_FIELD: _expect(
        GO_WRITER,
        "the Go service sets collapsed_reason_code, which the Python dataclass lacks",
        (LEGACY, UNKNOWN_FIELD, "/comment/collapsed_reason_code"),
    ),
    GO_NEW_DELETE_REASON: _expect(
        GO_WRITER,
        "a delete with the new reason removed_by_admin",
        (LEGACY, ENUM_VALUE, "/reason"),
    ),
    GO_MSGPACK: _expect(GO_WRITER, "MessagePack with string timestamps: fine"),
    GO_MSGPACK_BIN: _expect(
        GO_WRITER, "MessagePack of a []byte body: a bin value, outside JSON", _UNDECODABLE
    ),
    GO_MSGPACK_TIMESTAMP: _expect(
        GO_WRITER,
        "MessagePack of a time.Time created_at: a timestamp extension, outside JSON",
        _UNDECODABLE,
    ),
}
"""Every sample class and exactly what cdccheck must report for it."""

CLASSES: tuple[str, ...] = tuple(EXPECTED)
"""Every sample class, healthy ones included."""
CLEAN_CLASSES: tuple[str, ...] = tuple(
    name for name, expected in EXPECTED.items() if not expected.findings and not expected.warnings
)
"""Classes whose events are valid under both schemas and draw no warning."""
DEFECT_CLASSES: tuple[str, ...] = tuple(name for name in CLASSES if name not in CLEAN_CLASSES)
"""Classes with at least one finding or warning."""


class Sample(NamedTuple):
    """A generated stream entry and the sample class it belongs to."""

    entry: Entry
    sample_class: str


# ---------------------------------------------------------------- event content

_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STREAM_START_MS = 1_769_601_600_000
"""2026-01-28T12:00:00Z: stream ids are milliseconds since the Unix epoch."""

_AUTHORS = (
    "spez",
    "kn0thing",
    "throwaway_48213",
    "[deleted]",
    "gopher_gal",
    "snake_charmer",
    "AutoModerator",
    "TheRealQA",
)
_SUBREDDITS = ("programming", "golang", "Python", "AskReddit", "redditdev", "aww", "worldnews")
_BODIES = (
    "This is the way.",
    "Rewrote it in Go, kept the wire format.",
    "Source? I'd like to read the postmortem.",
    "Edit: thanks for the gold, kind stranger!",
    "Café au lait is underrated.",
    "This thread 🔥🔥",
    "Multi-line\n\n> quoted text\n\nand a reply",
    'He said "ship it" and left \\o/',
    "日本語のコメントです",
    "`SELECT * FROM comments WHERE score > 10`",
    "Ça marche — merci !",
    "",
)
_HTML_BODIES = (
    "<b>bold</b> & <i>italic</i>",
    "if a < b && b > c { return }",
    "Tom & Jerry <3",
    "<script>alert('x')</script> is not rendered, relax",
)
_BROKEN_UTF8 = (
    b"caf\xe9 au lait",  # Latin-1 text from an old import
    b"cut mid emoji: \xf0\x9f\x94",  # a truncation at a byte limit
    b"\xff\xfe mojibake",
)
_AWARDS = ("Silver", "Gold", "Helpful", "Wholesome", "Take My Energy")
_LEGACY_REASONS = ("deleted_by_user", "removed_by_moderator", "spam")
_COLLAPSE_CODES = ("LOW_SCORE", "CROWD_CONTROL", "DELETED")
_OPS = ("create", "update", "increment", "delete")
_OP_WEIGHTS = (30, 15, 45, 10)
_GO_ZERO_TIME = "0001-01-01T00:00:00Z"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


class _Factory:
    """Draws realistic events and stream ids from one random generator.

    Events are plain dicts holding ``datetime`` and ``uuid.UUID`` objects, as
    the writers' own code has them before serialization; each writer decides
    how they reach the wire.
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now_ms = _STREAM_START_MS
        self.fixed_event_id: uuid.UUID | None = None

    def next_stream_id(self) -> str:
        self.now_ms += self.rng.randrange(1, 40)
        return f"{self.now_ms}-0"

    def _moment(self, ms_before: int) -> datetime:
        micros = (self.now_ms - ms_before) * 1000 + self.rng.randrange(1000)
        return _UNIX_EPOCH + timedelta(microseconds=micros)

    def _id(self, prefix: str) -> str:
        return prefix + _base36(self.rng.randrange(36**6, 36**7))

    def op(self) -> str:
        return self.rng.choices(_OPS, _OP_WEIGHTS)[0]

    def event(self, op: str | None = None) -> dict[str, Any]:
        rng = self.rng
        op = op or self.op()
        event: dict[str, Any] = {
            "op": op,
            "event_id": self.fixed_event_id or uuid.UUID(int=rng.getrandbits(128), version=4),
            "emitted_at": self._moment(rng.randrange(0, 5)),
        }
        if op in ("create", "update"):
            event["comment"] = self.comment(edited=op == "update")
        elif op == "increment":
            event["comment_id"] = self._id("t1_")
            event["field"] = rng.choice(("score", "score", "reply_count"))
            event["delta"] = rng.choice((1, 1, 1, -1, 2))
        else:
            event["comment_id"] = self._id("t1_")
            event["reason"] = rng.choice(_LEGACY_REASONS)
        return event

    def comment(self, *, edited: bool) -> dict[str, Any]:
        rng = self.rng
        link_id = self._id("t3_")
        top_level = rng.random() < 0.4
        created_ms_before = rng.randrange(10_000, 7 * 86_400_000)
        return {
            "id": self._id("t1_"),
            "link_id": link_id,
            "parent_id": link_id if top_level else self._id("t1_"),
            "author": rng.choice(_AUTHORS),
            "subreddit": rng.choice(_SUBREDDITS),
            "body": rng.choice(_BODIES),
            # Never 0: the Go writer would leave a zero score out (its own class).
            "score": rng.randrange(1, 3000) if rng.random() < 0.9 else rng.randrange(-40, 0),
            "created_at": self._moment(created_ms_before),
            "edited_at": self._moment(rng.randrange(0, created_ms_before)) if edited else None,
            "awards": [
                {"name": name, "count": rng.randrange(1, 6)}
                for name in rng.sample(_AWARDS, rng.choice((0, 0, 0, 1, 2)))
            ],
            "depth": 0 if top_level else rng.randrange(1, 9),
            # Rounded inside (0, 1) so it is never an integral float like 0.0.
            "toxicity": round(rng.uniform(0.0005, 0.9995), 4),
        }


# ---------------------------------------------------------------- the Python writer


def _py_default(value: Any) -> str:
    """The monolith's json.dumps default hook."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _py_json(event: dict[str, Any]) -> bytes:
    return json.dumps(event, default=_py_default).encode("ascii")


# ---------------------------------------------------------------- the Go writer


def _go_time(moment: datetime) -> str:
    """The Go service's compatibility layout "2006-01-02T15:04:05.000000-07:00"."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _rfc3339nano(moment: datetime, extra_nanoseconds: int) -> str:
    """time.RFC3339Nano in UTC: Z, fraction trimmed of trailing zeros."""
    fraction = f"{moment.microsecond * 1000 + extra_nanoseconds:09d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def _go_value(value: Any) -> Any:
    """What encoding/json sees: struct tags applied, times in the service's layout."""
    if isinstance(value, dict):
        out = {key: _go_value(item) for key, item in value.items()}
        # `json:"score,omitempty"` on an int64 drops a zero score.
        if "score" in out and "link_id" in out and out["score"] == 0:
            del out["score"]
        return out
    if isinstance(value, list):
        return [_go_value(item) for item in value]
    if isinstance(value, datetime):
        return _go_time(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


_GO_HTML_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _go_json(value: Any) -> bytes:
    """encoding/json.Marshal: compact, raw UTF-8, HTML-safe escapes."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    # Outside strings JSON never has these characters, so replacing them in
    # the whole text only touches string contents, as Go does.
    for character, escape in _GO_HTML_ESCAPES:
        text = text.replace(character, escape)
    return text.encode("utf-8")


def _go_msgpack(value: Any) -> bytes:
    return msgspec.msgpack.encode(value)


# ---------------------------------------------------------------- one builder per class

_Built = tuple[bytes, bytes | None]
"""(payload, encoding or None for JSON)."""


def _py_healthy(factory: _Factory) -> _Built:
    return _py_json(factory.event()), None


def _py_space_datetime(factory: _Factory) -> _Built:
    return json.dumps(factory.event("update"), default=str).encode("ascii"), None


def _py_naive_datetime(factory: _Factory) -> _Built:
    event = factory.event("create")
    event["comment"]["created_at"] = event["comment"]["created_at"].replace(tzinfo=None)
    return _py_json(event), None


def _py_nan_toxicity(factory: _Factory) -> _Built:
    event = factory.event(factory.rng.choice(("create", "update")))
    event["comment"]["toxicity"] = math.nan
    return _py_json(event), None


def _py_bool_score(factory: _Factory) -> _Built:
    event = factory.event(factory.rng.choice(("create", "update")))
    event["comment"]["score"] = True
    return _py_json(event), None


def _py_float_score(factory: _Factory) -> _Built:
    event = factory.event(factory.rng.choice(("create", "update")))
    event["comment"]["score"] = float(factory.rng.randrange(2, 500))
    return _py_json(event), None


def _py_big_score(factory: _Factory) -> _Built:
    event = factory.event(factory.rng.choice(("create", "update")))
    event["comment"]["score"] = 2**63 + factory.rng.randrange(10**6)
    return _py_json(event), None


def _py_hex_event_id(factory: _Factory) -> _Built:
    event = factory.event()
    event["event_id"] = event["event_id"].hex
    return _py_json(event), None


def _py_duplicate_key(factory: _Factory) -> _Built:
    event = factory.event()
    text = json.dumps(event, default=_py_default)
    return f'{text[:-1]}, "op": "{event["op"]}"}}'.encode("ascii"), None


def _go_healthy(factory: _Factory) -> _Built:
    return _go_json(_go_value(factory.event())), None


def _go_rfc3339nano(factory: _Factory) -> _Built:
    event = factory.event("create")
    rng = factory.rng
    # Rounded nanoseconds make the trimming of trailing zeros show up too.
    extra = rng.choice((rng.randrange(1000), 0, 500))
    event["emitted_at"] = _rfc3339nano(event["emitted_at"], extra)
    event["comment"]["created_at"] = _rfc3339nano(
        event["comment"]["created_at"], rng.randrange(1000)
    )
    return _go_json(_go_value(event)), None


def _go_omitempty_score(factory: _Factory) -> _Built:
    event = factory.event(factory.rng.choice(("create", "update")))
    event["comment"]["score"] = 0
    return _go_json(_go_value(event)), None


def _go_nil_awards(factory: _Factory) -> _Built:
    event = factory.event(factory.rng.choice(("create", "update")))
    event["comment"]["awards"] = None
    return _go_json(_go_value(event)), None


def _go_zero_time(factory: _Factory) -> _Built:
    event = _go_value(factory.event("create"))
    event["comment"]["edited_at"] = _GO_ZERO_TIME
    return _go_json(event), None


def _go_replacement_char(factory: _Factory) -> _Built:
    event = factory.event(factory.rng.choice(("create", "update")))
    raw = factory.rng.choice(_BROKEN_UTF8)
    event["comment"]["body"] = raw.decode("utf-8", errors="replace")
    return _go_json(_go_value(event)), None


def _go_html_escape(factory: _Factory) -> _Built:
    event = factory.event(factory.rng.choice(("create", "update")))
    event["comment"]["body"] = factory.rng.choice(_HTML_BODIES)
    return _go_json(_go_value(event)), None


def _go_new_field(factory: _Factory) -> _Built:
    event = factory.event(factory.rng.choice(("create", "update")))
    event["comment"]["collapsed_reason_code"] = factory.rng.choice(_COLLAPSE_CODES)
    return _go_json(_go_value(event)), None


def _go_new_delete_reason(factory: _Factory) -> _Built:
    event = factory.event("delete")
    event["reason"] = "removed_by_admin"
    return _go_json(_go_value(event)), None


def _go_msgpack_healthy(factory: _Factory) -> _Built:
    return _go_msgpack(_go_value(factory.event())), MSGPACK


def _go_msgpack_bin(factory: _Factory) -> _Built:
    event = _go_value(factory.event(factory.rng.choice(("create", "update"))))
    event["comment"]["body"] = event["comment"]["body"].encode("utf-8")
    return _go_msgpack(event), MSGPACK


def _go_msgpack_timestamp(factory: _Factory) -> _Built:
    native = factory.event(factory.rng.choice(("create", "update")))
    event = _go_value(native)
    # msgspec, like Go's msgpack libraries, writes an aware datetime as ext -1.
    event["comment"]["created_at"] = native["comment"]["created_at"]
    return _go_msgpack(event), MSGPACK


_BUILDERS: dict[str, Callable[[_Factory], _Built]] = {
    PY_HEALTHY: _py_healthy,
    PY_SPACE_DATETIME: _py_space_datetime,
    PY_NAIVE_DATETIME: _py_naive_datetime,
    PY_NAN_TOXICITY: _py_nan_toxicity,
    PY_BOOL_SCORE: _py_bool_score,
    PY_FLOAT_SCORE: _py_float_score,
    PY_BIG_SCORE: _py_big_score,
    PY_HEX_EVENT_ID: _py_hex_event_id,
    PY_DUPLICATE_KEY: _py_duplicate_key,
    GO_HEALTHY: _go_healthy,
    GO_RFC3339NANO: _go_rfc3339nano,
    GO_OMITEMPTY_SCORE: _go_omitempty_score,
    GO_NIL_AWARDS: _go_nil_awards,
    GO_ZERO_TIME: _go_zero_time,
    GO_REPLACEMENT_CHAR: _go_replacement_char,
    GO_HTML_ESCAPE: _go_html_escape,
    GO_NEW_FIELD: _go_new_field,
    GO_NEW_DELETE_REASON: _go_new_delete_reason,
    GO_MSGPACK: _go_msgpack_healthy,
    GO_MSGPACK_BIN: _go_msgpack_bin,
    GO_MSGPACK_TIMESTAMP: _go_msgpack_timestamp,
}


def _fields(payload: bytes, writer: bytes, encoding: bytes | None) -> dict[str, bytes]:
    if encoding is None:
        return {"payload": payload, "writer": writer}
    return {"payload": payload, "writer": writer, "encoding": encoding}


def _build(factory: _Factory, sample_class: str) -> Sample:
    payload, encoding = _BUILDERS[sample_class](factory)
    fields = _fields(payload, EXPECTED[sample_class].writer, encoding)
    return Sample(Entry(factory.next_stream_id(), fields), sample_class)


# ---------------------------------------------------------------- public generators


def generate(sample_class: str, count: int, seed: int = DEFAULT_SEED) -> list[Sample]:
    """``count`` events of one sample class, in stream order."""
    if sample_class not in _BUILDERS:
        raise ValueError(f"unknown sample class {sample_class!r} (one of {', '.join(CLASSES)})")
    factory = _Factory(seed)
    return [_build(factory, sample_class) for _ in range(count)]


def samples(
    seed: int = DEFAULT_SEED, *, per_class: int = 12, extra_healthy: int = 100
) -> list[Sample]:
    """``per_class`` events of every class plus ``extra_healthy`` healthy ones, shuffled.

    Stream ids increase in list order, as in a real stream. This is the
    content of the bundled sample corpus for the default arguments.
    """
    factory = _Factory(seed)
    order = [name for name in CLASSES for _ in range(per_class)]
    order += [(PY_HEALTHY, GO_HEALTHY)[index % 2] for index in range(extra_healthy)]
    factory.rng.shuffle(order)
    return [_build(factory, name) for name in order]


class _Template(NamedTuple):
    """A rendered payload with a %-placeholder for the tail of its event id."""

    pattern: bytes
    stamped: bool
    """False when the payload has no canonical event id to stamp (hex ids)."""
    writer: bytes
    encoding: bytes | None
    sample_class: str


# Recognisable so it can be found in rendered bytes, and the same length as
# any canonical UUID, so MessagePack length prefixes stay right after stamping.
_PLACEHOLDER_ID = uuid.UUID("5e5e5e5e-5e5e-4e5e-9e5e-5e5e5e5e5e5e")


def _templates(factory: _Factory, classes: list[str]) -> list[_Template]:
    rng = factory.rng
    id_head = str(uuid.UUID(int=rng.getrandbits(128), version=4))[:24].encode("ascii")
    factory.fixed_event_id = _PLACEHOLDER_ID
    marker = str(_PLACEHOLDER_ID).encode("ascii")
    out = []
    for name in classes:
        payload, encoding = _BUILDERS[name](factory)
        stamped = marker in payload
        pattern = payload.replace(b"%", b"%%").replace(marker, id_head + b"%012x")
        out.append(
            _Template(
                pattern if stamped else payload, stamped, EXPECTED[name].writer, encoding, name
            )
        )
    factory.fixed_event_id = None
    return out


# The healthy mix of a production stream during the migration: both writers
# in JSON, some MessagePack, and a few Go bodies with HTML-escaped characters.
_HEALTHY_MIX = (PY_HEALTHY,) * 18 + (GO_HEALTHY,) * 16 + (GO_MSGPACK,) * 4 + (GO_HTML_ESCAPE,) * 2
_DEFECT_TEMPLATES_PER_CLASS = 8


def healthy_entries(n: int, seed: int = DEFAULT_SEED) -> Iterator[Entry]:
    """``n`` healthy entries (valid under both schemas, no warnings), fast.

    Every entry has its own event id and stream id; the rest of the payload
    cycles through a few dozen events rendered once.
    """
    return _stamp(n, seed, 0.0, tagged=False)


def mixed_stream(n: int, seed: int = DEFAULT_SEED, *, defect_rate: float = 0.05) -> Iterator[Entry]:
    """``n`` entries of which about ``defect_rate`` belong to a defect class."""
    return _stamp(n, seed, defect_rate, tagged=False)


def mixed_samples(
    n: int, seed: int = DEFAULT_SEED, *, defect_rate: float = 0.05
) -> Iterator[Sample]:
    """The entries of ``mixed_stream(n, seed, defect_rate=...)`` with their sample classes.

    Defects are drawn uniformly from ``DEFECT_CLASSES``; healthy entries mix
    the ``CLEAN_CLASSES`` in production-like proportions.
    """
    return _stamp(n, seed, defect_rate, tagged=True)


def class_stream(
    n: int,
    healthy_classes: Sequence[str],
    seed: int = DEFAULT_SEED,
    *,
    defect_classes: Sequence[str] = (),
    defect_rate: float = 0.0,
) -> Iterator[Entry]:
    """``n`` entries cycling through ``healthy_classes``; ``defect_rate`` of them defective.

    For benchmarks that need a given mix, e.g. every event of one defect class
    (``class_stream(n, ["go.rfc3339nano"])``) or JSON-only traffic.
    """
    return _stamp(
        n, seed, defect_rate, tagged=False, healthy_mix=healthy_classes, defect_mix=defect_classes
    )


def _stamp(
    n: int,
    seed: int,
    defect_rate: float,
    *,
    tagged: bool,
    healthy_mix: Sequence[str] = _HEALTHY_MIX,
    defect_mix: Sequence[str] = DEFECT_CLASSES,
) -> Iterator[Any]:
    if not 0.0 <= defect_rate <= 1.0:
        raise ValueError(f"defect_rate must be between 0 and 1, not {defect_rate}")
    if defect_rate and not defect_mix:
        raise ValueError("a defect rate needs defect classes")
    factory = _Factory(seed)
    healthy = _templates(factory, list(healthy_mix))
    factory.rng.shuffle(healthy)
    defects = _templates(
        factory, [name for name in defect_mix for _ in range(_DEFECT_TEMPLATES_PER_CLASS)]
    )
    return _stamped(
        healthy,
        defects,
        rng=factory.rng,
        defect_rate=defect_rate,
        start_ms=factory.now_ms,
        n=n,
        tagged=tagged,
    )


def _stamped(
    healthy: list[_Template],
    defects: list[_Template],
    *,
    rng: random.Random,
    defect_rate: float,
    start_ms: int,
    n: int,
    tagged: bool,
) -> Iterator[Any]:
    # The hot loop of every benchmark's producer: locals only, one dict, one
    # tuple, one %-format per entry.
    draw = rng.random
    healthy_count = len(healthy)
    defect_count = len(defects)
    new_entry = Entry
    for index in range(n):
        if defect_rate and draw() < defect_rate:
            template = defects[int(draw() * defect_count)]
        else:
            template = healthy[index % healthy_count]
        pattern, stamped, writer, encoding, sample_class = template
        fields = {"payload": pattern % index if stamped else pattern, "writer": writer}
        if encoding is not None:
            fields["encoding"] = encoding
        entry = new_entry(f"{start_ms + index}-0", fields)
        yield Sample(entry, sample_class) if tagged else entry


def write_sample_corpus(path: str | Path = SAMPLE_CORPUS, seed: int = DEFAULT_SEED) -> int:
    """Write the bundled sample corpus (``samples(seed)``) to ``path``; return its size."""
    from cdccheck.sources.corpus import write_corpus

    return write_corpus(path, (sample.entry for sample in samples(seed)))
