"""Remembered failure shapes explain drift exactly as the full path does, shape by shape.

Each drift shape below is applied to many healthy events (both writers,
every op it applies to); the events go through one Engine, which remembers
the shape after a few of them and explains the rest from memory. Every
verdict must equal the full path's (an Engine without the fast tier) in
everything: op, findings with their kind, path, message, value and order,
and warnings. And the memory must really have explained them: a test that
only ever took the full path would prove nothing.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdccheck.engine.engine import Engine
from cdccheck.engine.plans import LOOSE, MISSING, Plan, Program, Writer
from cdccheck.engine.remembered import RememberedShapes, refusal_path
from cdccheck.engine.schema import Schema, bundled_schema_path, load_schema
from cdccheck.engine.shapes import ITEMS
from cdccheck.model import LEGACY, NEW, Entry, EventVerdict, Finding, distinct
from cdccheck.samples import GO_HEALTHY, PY_HEALTHY, generate
from tests.helpers import schema_from

Event = dict[str, Any]


@pytest.fixture(scope="module")
def bundled() -> tuple[Schema, Schema]:
    return (
        load_schema(bundled_schema_path("legacy"), name="legacy"),
        load_schema(bundled_schema_path("new"), name="new"),
    )


def _healthy(count: int, seed: int) -> list[Event]:
    return [
        json.loads(sample.entry.fields["payload"])
        for sample_class in (PY_HEALTHY, GO_HEALTHY)
        for sample in generate(sample_class, count, seed=seed)
    ]


def _comment(event: Event) -> Event:
    comment: Event = event["comment"]
    return comment


def _awards(event: Event, rng: random.Random) -> list[Event]:
    awards: list[Event] = _comment(event)["awards"]
    while len(awards) < 2:
        awards.append({"name": rng.choice(["Gold", "Silver"]), "count": rng.randrange(1, 9)})
    return awards


def _set(path: tuple[str, ...], value: Callable[[random.Random], Any]) -> Callable[..., None]:
    def mutate(event: Event, rng: random.Random) -> None:
        target = event
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value(rng)

    return mutate


def _drop(*path: str) -> Callable[..., None]:
    def mutate(event: Event, rng: random.Random) -> None:
        target = event
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


def _each_award(change: Callable[[Event, random.Random], None]) -> Callable[..., None]:
    def mutate(event: Event, rng: random.Random) -> None:
        for award in _awards(event, rng):
            change(award, rng)

    return mutate


def _one_award(change: Callable[[Event, random.Random], None]) -> Callable[..., None]:
    def mutate(event: Event, rng: random.Random) -> None:
        awards = _awards(event, rng)
        change(awards[rng.randrange(len(awards))], rng)

    return mutate


def _both(*changes: Callable[[Event, random.Random], None]) -> Callable[..., None]:
    def mutate(event: Event, rng: random.Random) -> None:
        for change in changes:
            change(event, rng)

    return mutate


def _rfc3339nano(text: str, rng: random.Random) -> str:
    return f"{text[:19]}.{rng.randrange(10**9):09d}Z"


COMMENT_OPS = ("create", "update")
SHAPES: dict[str, tuple[tuple[str, ...], Callable[..., None]]] = {
    # missing_required: omitempty fields, a reason a writer forgets
    "missing score": (COMMENT_OPS, _drop("comment", "score")),
    "missing body": (COMMENT_OPS, _drop("comment", "body")),
    "missing comment": (COMMENT_OPS, _drop("comment")),
    "missing reason": (("delete",), _drop("reason")),
    "missing delta": (("increment",), _drop("delta")),
    "missing emitted_at": ((), _drop("emitted_at")),
    # null_not_allowed, type_mismatch
    "null awards": (COMMENT_OPS, _set(("comment", "awards"), lambda rng: None)),
    "null body": (COMMENT_OPS, _set(("comment", "body"), lambda rng: None)),
    "bool score": (COMMENT_OPS, _set(("comment", "score"), lambda rng: rng.random() < 0.5)),
    "string depth": (COMMENT_OPS, _set(("comment", "depth"), lambda rng: str(rng.randrange(9)))),
    "string delta": (("increment",), _set(("delta",), lambda rng: str(rng.randrange(-5, 5)))),
    "list comment": (COMMENT_OPS, _set(("comment",), lambda rng: [rng.randrange(3)])),
    "object event_id": ((), _set(("event_id",), lambda rng: {"value": rng.randrange(9)})),
    # unknown_field: one at a time per object, and two in one object
    "unknown comment field": (
        COMMENT_OPS,
        _set(("comment", "collapsed_reason_code"), lambda rng: rng.choice(["LOW_SCORE", None])),
    ),
    "unknown root field": ((), _set(("trace_id",), lambda rng: rng.randrange(10**6))),
    "two unknown comment fields": (
        COMMENT_OPS,
        _both(
            _set(("comment", "x_flag"), lambda rng: True),
            _set(("comment", "x_note"), lambda rng: rng.choice(["a", "b"])),
        ),
    ),
    # enum_value, constraint, pattern, format
    "new delete reason": (("delete",), _set(("reason",), lambda rng: "removed_by_admin")),
    "new counter": (("increment",), _set(("field",), lambda rng: "award_count")),
    "negative depth": (COMMENT_OPS, _set(("comment", "depth"), lambda rng: -rng.randrange(1, 9))),
    "toxicity percent": (
        COMMENT_OPS,
        _set(("comment", "toxicity"), lambda rng: round(rng.uniform(1.01, 99.9), 3)),
    ),
    "long body": (COMMENT_OPS, _set(("comment", "body"), lambda rng: "x" * 10001)),
    "upper link id": (COMMENT_OPS, _set(("comment", "link_id"), lambda rng: "T3_ABC")),
    "hex event id": ((), _set(("event_id",), lambda rng: f"{rng.getrandbits(128):032x}")),
    "go timestamps": (
        (),
        lambda event, rng: event.update(emitted_at=_rfc3339nano(event["emitted_at"], rng)),
    ),
    "zero edited_at": (
        COMMENT_OPS,
        _set(("comment", "edited_at"), lambda rng: "0001-01-01T00:00:00Z"),
    ),
    # array items: missing, unknown, wrong type, out of range, wrong item type
    "award without count": (COMMENT_OPS, _one_award(_drop("count"))),
    "awards without counts": (COMMENT_OPS, _each_award(_drop("count"))),
    "award with icon": (
        COMMENT_OPS,
        _one_award(_set(("icon_url",), lambda rng: "https://example.invalid/a.png")),
    ),
    "award count zero": (COMMENT_OPS, _one_award(_set(("count",), lambda rng: 0))),
    "award name null": (COMMENT_OPS, _each_award(_set(("name",), lambda rng: None))),
    "award as string": (
        COMMENT_OPS,
        lambda event, rng: _awards(event, rng).__setitem__(0, rng.choice(["Gold", "x"])),
    ),
    # several at once, as an early Go build writes
    "migration combo": (
        COMMENT_OPS,
        _both(
            lambda event, rng: event.update(emitted_at=_rfc3339nano(event["emitted_at"], rng)),
            _drop("comment", "score"),
            _set(("comment", "awards"), lambda rng: None),
            _set(("comment", "collapsed_reason_code"), lambda rng: "LOW_SCORE"),
        ),
    ),
}


def _render(event: Event, style: int) -> bytes:
    if style == 2:
        return msgspec.msgpack.encode(event)
    if style == 0:
        return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    return json.dumps(event).encode()


def _shaped(name: str, count: int, seed: int, *, msgpack: bool = False) -> list[bytes]:
    ops, mutate = SHAPES[name]
    rng = random.Random(seed)
    events = [event for event in _healthy(count * 6, seed) if not ops or event["op"] in ops]
    rng.shuffle(events)
    payloads = []
    for index, event in enumerate(events[:count]):
        drifted = copy.deepcopy(event)
        mutate(drifted, rng)
        payloads.append(_render(drifted, 2 if msgpack else index % 2))
    return payloads


def _same(verdict: EventVerdict, expected: EventVerdict) -> None:
    """Everything equal: findings with their messages, values and order, and warnings."""
    assert verdict.op == expected.op
    assert verdict.decodable == expected.decodable
    assert verdict.legacy == expected.legacy
    assert verdict.new == expected.new
    assert verdict.warnings == expected.warnings


@pytest.mark.parametrize("wire", ["json", "msgpack"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_remembered_shape_explains_exactly_as_the_full_path(
    bundled: tuple[Schema, Schema], shape: str, wire: str
) -> None:
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    fast = engine.fast_path
    assert fast is not None
    msgpack = wire == "msgpack"
    answer = fast.answer_msgpack if msgpack else fast.answer
    payloads = _shaped(shape, 24, seed=len(shape), msgpack=msgpack)
    assert len(payloads) >= 12, shape
    explained = 0
    for index, payload in enumerate(payloads):
        fields = {"payload": payload, **({"encoding": b"msgpack"} if msgpack else {})}
        entry = Entry(f"{index + 1}-0", fields)
        expected = slow.check(entry)
        assert expected.legacy or expected.new, (shape, "the drift must fail a schema")
        if answer(payload).findings is not None:
            explained += 1
        _same(engine.check(entry), expected)
        # The batch loop decides through the same tiers.
        _, [batched] = engine.check_batch([entry])
        _same(batched, expected)
    assert explained >= len(payloads) // 2, (shape, explained)


_WITHOUT_EXTRA_POINTS = sorted(
    name for name in SHAPES if not any(word in name for word in ("unknown", "icon", "combo"))
)
"""Shapes without an extra point: those the plans can also walk uninterpreted."""


@pytest.mark.parametrize("shape", _WITHOUT_EXTRA_POINTS)
def test_the_plans_walked_as_they_are_explain_as_the_written_functions(
    bundled: tuple[Schema, Schema], shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A written function hands a value whose type is only known after decoding
    # (a union) to its plan, walked as it is: the walk must give the same
    # findings. Here every event takes that walk.
    def walked(writer: Writer, plans: dict[str, Plan], kind: type) -> Program:
        def program(event: Any, root: Any) -> tuple[list[Finding], list[Finding]]:
            found: dict[str, list[Finding]] = {LEGACY: [], NEW: []}
            for role, out in found.items():
                plans[role].run(event, None, out, writer.memo)
            return distinct(found[LEGACY]), distinct(found[NEW])

        return program

    monkeypatch.setattr(Writer, "program", walked)
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    assert engine.fast_path is not None
    payloads = _shaped(shape, 24, seed=len(shape))
    explained = 0
    for index, payload in enumerate(payloads):
        entry = Entry(f"{index + 1}-0", {"payload": payload})
        if engine.fast_path.answer(payload).findings is not None:
            explained += 1
        _same(engine.check(entry), slow.check(entry))
    assert explained >= len(payloads) // 2, (shape, explained)


def test_shapes_cover_every_structural_finding_kind(bundled: tuple[Schema, Schema]) -> None:
    slow = Engine(*bundled, fast_path=False)
    kinds = set()
    for shape in SHAPES:
        for payload in _shaped(shape, 2, seed=1):
            verdict = slow.check(Entry("1-0", {"payload": payload}))
            kinds |= {finding.kind for finding in (*(verdict.legacy or []), *(verdict.new or []))}
            paths = {finding.path for finding in (*(verdict.legacy or []), *(verdict.new or []))}
            if shape.startswith("award"):
                assert any("/awards/" in path for path in paths), shape
    assert kinds >= {
        "missing_required",
        "null_not_allowed",
        "type_mismatch",
        "unknown_field",
        "enum_value",
        "format",
        "constraint",
    }


def test_shapes_mixed_in_one_stream_match_the_full_path(bundled: tuple[Schema, Schema]) -> None:
    """Many remembered shapes at once: whichever decoder accepts an event explains it exactly."""
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    payloads = [payload for shape in SHAPES for payload in _shaped(shape, 8, seed=7)]
    random.Random(3).shuffle(payloads)
    entries = [Entry(f"{index + 1}-0", {"payload": p}) for index, p in enumerate(payloads * 2)]
    _, verdicts = engine.check_batch(entries)
    assert len(verdicts) == len(entries)
    for entry, verdict in zip(entries, verdicts, strict=True):
        _same(verdict, slow.check(entry))
    memory = engine.fast_path.memory if engine.fast_path else None
    assert memory is not None
    assert len(memory._known) >= 10


# ---------------------------------------------------------------- warnings and odd values


@pytest.mark.parametrize(
    "value",
    [
        2**53 + 1,
        -(2**53) - 1,
        5.0,
        -0.0,
        "caf\ufffd",
        "nul\x00",
        {"a": 2**60},
        [1.0],
        {"a": {"b": []}},
    ],
)
def test_a_loose_value_the_decoder_would_warn_about_takes_the_full_path(
    bundled: tuple[Schema, Schema], value: Any
) -> None:
    """A value at a remembered loose point that draws a warning is left to the full path."""
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    drifted = _shaped("object event_id", 6, seed=5)
    for index, payload in enumerate(drifted):
        entry = Entry(f"{index + 1}-0", {"payload": payload})
        _same(engine.check(entry), slow.check(entry))
    event = json.loads(drifted[0])
    event["event_id"] = value
    payload = json.dumps(event).encode()
    entry = Entry("99-0", {"payload": payload})
    _same(engine.check(entry), slow.check(entry))


def test_unknown_fields_in_key_order_are_reported_in_key_order(
    bundled: tuple[Schema, Schema],
) -> None:
    """Two unknown properties in one object: the full path reports them in payload order."""
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    for index, event in enumerate(_healthy(12, seed=11)):
        if event["op"] not in COMMENT_OPS:
            continue
        pairs = [("x_b", 1), ("x_a", 2)] if index % 2 else [("x_a", 2), ("x_b", 1)]
        event["comment"].update(pairs)
        entry = Entry(f"{index + 1}-0", {"payload": json.dumps(event).encode()})
        _same(engine.check(entry), slow.check(entry))


@pytest.mark.parametrize("wire", ["json", "msgpack"])
def test_unknown_fields_with_ever_new_names_share_one_shape(
    bundled: tuple[Schema, Schema], wire: str
) -> None:
    """A long tail of unknown property names, at the root, in the comment, in an award."""
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    fast = engine.fast_path
    assert fast is not None
    rng = random.Random(5)
    events = [event for event in _healthy(40, seed=4) if event["op"] in COMMENT_OPS]
    explained = 0
    for index, healthy in enumerate(events * 2):
        event = copy.deepcopy(healthy)
        where = [event, event["comment"], *_awards(event, rng)][index % 3]
        value = rng.choice([index, f"v{index}", None, [index, "x"], {"k": index}, 0.25, True])
        where[f"field_{index}"] = value
        if index % 7 == 0:  # sometimes two, in either order
            where[f"another_{index}"] = index
        if wire == "msgpack":
            fields = {"payload": msgspec.msgpack.encode(event), "encoding": b"msgpack"}
        else:
            fields = {"payload": _render(event, index % 2)}
        entry = Entry(f"{index + 1}-0", fields)
        answer = fast.answer_msgpack if wire == "msgpack" else fast.answer
        explained += answer(fields["payload"]).findings is not None
        _same(engine.check(entry), slow.check(entry))
    assert explained > len(events)
    memory = fast.memory
    assert memory is not None
    extra = [points for points in memory._known if any(kind == "extra" for kind, _ in points)]
    assert 1 <= len(extra) <= 6


def test_a_repeated_unknown_key_is_left_to_the_full_path(bundled: tuple[Schema, Schema]) -> None:
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    for index, event in enumerate(_healthy(12, seed=6)):
        event[f"x_{index}"] = index
        entry = Entry(f"{index + 1}-0", {"payload": json.dumps(event).encode()})
        _same(engine.check(entry), slow.check(entry))
    payload = json.dumps(_healthy(1, seed=7)[0]).encode()[:-1] + b', "x_a": 1, "x_a": 2}'
    entry = Entry("99-0", {"payload": payload})
    verdict = engine.check(entry)
    _same(verdict, slow.check(entry))
    assert [warning.kind for _, warning in verdict.warnings] == ["duplicate_key"]


# ---------------------------------------------------------------- generated schemas and values


@st.composite
def _closed_schema(draw: st.DrawFn) -> dict[str, Any]:
    leaves = st.sampled_from(
        [
            {"type": "string"},
            {"type": "string", "maxLength": 3},
            {"type": "string", "pattern": "^[a-c]+$"},
            {"type": ["string", "null"]},
            {"enum": ["a", "b"]},
            {"type": "integer", "minimum": 0},
            {"type": "number", "maximum": 2.5},
            {"type": "boolean"},
        ]
    )
    item = st.fixed_dictionaries(
        {
            "type": st.just("object"),
            "properties": st.dictionaries(st.sampled_from("pq"), leaves, min_size=1),
            "additionalProperties": st.just(False),
        }
    ).map(lambda node: {**node, "required": sorted(node["properties"])})
    members = st.dictionaries(
        st.sampled_from("abcd"),
        st.one_of(leaves, st.builds(lambda it: {"type": "array", "items": it}, item), item),
        min_size=1,
        max_size=4,
    )
    properties = draw(members)
    required = draw(st.lists(st.sampled_from(sorted(properties)), unique=True))
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_VALUES = st.recursive(
    st.sampled_from([None, True, 0, -1, 7, 2.5, 1.5, "a", "ab", "abcd", "z"]),
    lambda children: st.one_of(
        st.lists(children, max_size=2),
        st.dictionaries(st.sampled_from("abcdpqx"), children, max_size=4),
    ),
    max_leaves=8,
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(_closed_schema(), _closed_schema(), st.lists(_VALUES, min_size=1, max_size=4), st.data())
def test_generated_schemas_repeated_drift_matches_the_full_path(
    first: dict[str, Any], second: dict[str, Any], values: list[Any], data: Any
) -> None:
    """Each value several times, with fresh scalars: the memory learns and explains them."""
    legacy, new = schema_from(first, "legacy"), schema_from(second, "new")
    engine = Engine(legacy, new)
    slow = Engine(legacy, new, fast_path=False)
    rounds = RememberedShapes.REMEMBER_AFTER + 2
    for index in range(rounds * len(values)):
        value = values[index % len(values)]
        payload = json.dumps(value, separators=(",", ":")).encode()
        entry = Entry(f"{index + 1}-0", {"payload": payload})
        _same(engine.check(entry), slow.check(entry))


# ---------------------------------------------------------------- small parts


def test_refusal_paths_name_the_point() -> None:
    assert refusal_path("Expected `int`, got `str` - at `$.comment.score`") == ("comment", "score")
    assert refusal_path("Object missing required field `count` - at `$.comment.awards[1]`") == (
        "comment",
        "awards",
        ITEMS,
        "count",
    )
    assert refusal_path("Object contains unknown field `x`") == ("x",)
    assert refusal_path("Expected `object`, got `array`") == ()


def test_points_generalise_array_indices_and_stop_at_the_tag(
    bundled: tuple[Schema, Schema],
) -> None:
    engine = Engine(*bundled)
    memory = engine.fast_path.memory if engine.fast_path else None
    assert memory is not None
    assert memory._settle(MISSING, ("comment", "awards", "3", "count")) == (
        MISSING,
        ("comment", "awards", ITEMS, "count"),
    )
    assert memory._settle(LOOSE, ("comment", "awards", "0")) == (
        LOOSE,
        ("comment", "awards", ITEMS),
    )
    # Below a property one schema does not know, the property itself is the point.
    assert memory._settle(LOOSE, ("comment", "x", "y")) == (LOOSE, ("comment", "x"))
    assert memory._settle(LOOSE, ("op",)) is None
    assert memory._settle(LOOSE, ()) is None


def test_the_memory_is_bounded(bundled: tuple[Schema, Schema]) -> None:
    """Old shapes are forgotten, and a builder grown too large starts afresh."""
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    memory = engine.fast_path.memory if engine.fast_path else None
    assert memory is not None
    memory.LIMIT = 3
    memory.TYPES = 46
    remembered: set[frozenset[Any]] = set()
    builders = set()
    events = [event for event in _healthy(12, seed=1) if event["op"] in COMMENT_OPS][:3]
    fields = ["id", "link_id", "parent_id", "author", "subreddit", "body", "score", "depth"]
    for name in fields:  # eight failure shapes, one after the other
        for index in range(RememberedShapes.REMEMBER_AFTER + 2):
            event = copy.deepcopy(events[index % len(events)])
            event["comment"][name] = [index]
            entry = Entry(f"{index + 1}-0", {"payload": json.dumps(event).encode()})
            _same(engine.check(entry), slow.check(entry))
            assert len(memory._known) <= memory.LIMIT
            remembered |= set(memory._known)
            builders.add(id(memory.builder))
    assert len(remembered) == 8  # every shape was remembered, and most forgotten again
    assert sum(len(shapes) for shapes in memory._by_point.values()) <= memory.LIMIT
    assert len(builders) > 1


def test_an_undecodable_or_msgpack_payload_is_never_explained(
    bundled: tuple[Schema, Schema],
) -> None:
    engine = Engine(*bundled)
    slow = Engine(*bundled, fast_path=False)
    for payload in _shaped("null awards", 6, seed=2):
        engine.check(Entry("1-0", {"payload": payload}))
    broken = _shaped("null awards", 1, seed=3)[0][:-1]
    entry = Entry("2-0", {"payload": broken})
    _same(engine.check(entry), slow.check(entry))
    packed = msgspec.msgpack.encode(json.loads(_shaped("null awards", 1, seed=4)[0]))
    entry = Entry("3-0", {"payload": packed, "encoding": b"msgpack"})
    _same(engine.check(entry), slow.check(entry))
