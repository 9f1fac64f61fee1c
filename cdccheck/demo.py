"""The demo: a private Redis, a realistic mixed stream, a replay, a report.

The stream is what a comment stream looks like during the migration: the
Python monolith and the Go service both writing, most events healthy, and
every defect class of :mod:`cdccheck.samples` seeded in, each entry carrying
a ``writer`` field so the report attributes drift per writer. Its ids spread
over six hours with a story the report's timeline tells (``story_entries``):
a Go deploy at 10:42 whose RFC3339Nano timestamps legacy readers refuse, at
a rising share; a half-hour spike of null award lists; a few undecodable
MessagePack bodies; a steady trickle of Python datetimes with a space.

``cdccheck demo`` is :class:`Demo` plus rendering::

    with Demo(events=20_000) as demo:        # starts redis-server, seeds the stream
        result = demo.replay()               # the same run as `cdccheck replay`
    print(result.report["totals"])           # the server is gone again
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cdccheck.model import Entry

if TYPE_CHECKING:
    from cdccheck.embedded import EmbeddedRedis
    from cdccheck.engine.pipeline import BatchCallback
    from cdccheck.engine.schema import Schema
    from cdccheck.report.run import CheckRun

DEMO_STREAM = "comments:cdc"
DEMO_EVENTS = 20_000
STORY_START = datetime(2026, 1, 28, 10, 0, tzinfo=UTC)
STORY_MINUTES = 6 * 60
DEPLOY_MINUTE = 42
STORY_SEED = 20260128
_SHOWCASE_SEQUENCE = 1_000_000
_PIPELINE_CHUNK = 2_000


def seed_stream(client: Any, stream: str, entries: Iterable[Entry]) -> int:
    """XADD ``entries`` to ``stream`` with their own ids, pipelined; return how many."""
    written = 0
    pipe = client.pipeline(transaction=False)
    for entry in entries:
        pipe.xadd(stream, entry.fields, id=entry.id)
        written += 1
        if written % _PIPELINE_CHUNK == 0:
            pipe.execute()
    pipe.execute()
    return written


def demo_entries(events: int = DEMO_EVENTS, seed: int | None = None) -> list[Entry]:
    """The demo stream's entries: the six-hour story with one of every sample class in it.

    The showcase entries are spread evenly over the hours after the Go
    deploy, so they neither hide when the story's drift starts nor pile up
    in one bucket; ``events`` entries in all, in id order.
    """
    from cdccheck.samples import DEFAULT_SEED, samples

    chosen = DEFAULT_SEED if seed is None else seed
    showcase = [sample.entry for sample in samples(chosen, per_class=1, extra_healthy=0)]
    showcase = showcase[:events]
    story = story_entries(STORY_SEED if seed is None else seed, events - len(showcase))
    first_ms = int(STORY_START.timestamp() * 1000) + (DEPLOY_MINUTE + 3) * 60_000
    spacing = (STORY_MINUTES - DEPLOY_MINUTE - 6) * 60_000 // max(len(showcase), 1)
    # The story numbers the entries of a minute from 0 up, so a sequence number
    # this high cannot collide with one of its ids.
    placed = [
        Entry(f"{first_ms + index * spacing}-{_SHOWCASE_SEQUENCE}", entry.fields)
        for index, entry in enumerate(showcase)
    ]
    return sorted([*story, *placed], key=_id_order)


def _id_order(entry: Entry) -> tuple[int, int]:
    ms, _, sequence = entry.id.partition("-")
    return int(ms), int(sequence)


def story_entries(seed: int = STORY_SEED, events: int | None = None) -> list[Entry]:
    """Six hours of comment events from 10:00 UTC with a drift story (the module docstring).

    Healthy traffic waves a little through the day and drift is a share of
    it. Without ``events``, about 15,000 entries (what the README's pictures
    show, scripts/screenshots.py); with it, the same story scaled to exactly
    that many entries.
    """
    from cdccheck.samples import (
        GO_MSGPACK_BIN,
        GO_NIL_AWARDS,
        GO_RFC3339NANO,
        PY_SPACE_DATETIME,
        healthy_entries,
    )

    rng = random.Random(seed)
    waves = [38 + 12 * math.sin(minute / 70) for minute in range(STORY_MINUTES)]
    if events is None:
        traffic = [int(wave) for wave in waves]
    else:
        # Spread ``events`` healthy entries in proportion to the waves; the
        # drift comes on top, and thinning below trims the total to ``events``.
        total = sum(waves)
        cumulative = [
            round(events * sum(waves[: minute + 1]) / total) for minute in range(len(waves))
        ]
        traffic = [b - a for a, b in zip([0, *cumulative], cumulative, strict=False)]
    healthy = iter(healthy_entries(max(20_000, sum(traffic)), seed))
    pools = {
        name: _pool(name, seed + index)
        for index, name in enumerate((GO_RFC3339NANO, GO_NIL_AWARDS, PY_SPACE_DATETIME))
    }
    undecodable = _pool(GO_MSGPACK_BIN, seed + 9)
    start_ms = int(STORY_START.timestamp() * 1000)
    entries: list[Entry] = []
    for minute in range(STORY_MINUTES):
        volume = waves[minute] if events is None else traffic[minute]
        picks: list[Entry] = [next(healthy) for _ in range(traffic[minute])]
        if minute >= DEPLOY_MINUTE:
            share = 0.01 + 0.11 * (minute - DEPLOY_MINUTE) / (STORY_MINUTES - DEPLOY_MINUTE)
            picks += [next(pools[GO_RFC3339NANO]) for _ in range(_draws(rng, int(volume) * share))]
        if 150 <= minute < 180:
            picks += [next(pools[GO_NIL_AWARDS]) for _ in range(_draws(rng, int(volume) * 0.06))]
        picks += [next(pools[PY_SPACE_DATETIME]) for _ in range(_draws(rng, int(volume) * 0.005))]
        if 240 <= minute < 250:
            rate = 0.6 if events is None else 0.6 * traffic[minute] / 38
            picks += [next(undecodable) for _ in range(_draws(rng, rate))]
        rng.shuffle(picks)
        offsets = sorted(rng.randrange(60_000) for _ in picks)
        for sequence, (offset, entry) in enumerate(zip(offsets, picks, strict=True)):
            entries.append(Entry(f"{start_ms + minute * 60_000 + offset}-{sequence}", entry.fields))
    entries.sort(key=lambda entry: tuple(int(part) for part in entry.id.split("-")))
    if events is not None and len(entries) > events:
        # Thin the drift and the traffic alike, so the story keeps its shape.
        kept = sorted(random.Random(seed + 1).sample(range(len(entries)), events))
        entries = [entries[index] for index in kept]
    return entries


def _pool(name: str, seed: int, size: int = 400) -> Iterator[Entry]:
    """Endless entries of one sample class (its templates cycle; ids are replaced later)."""
    from cdccheck.samples import class_stream

    while True:
        yield from class_stream(size, [name], seed)


def _draws(rng: random.Random, expected: float) -> int:
    """A whole number of events with the given expectation (the fraction drawn at random)."""
    whole = int(expected)
    return whole + (rng.random() < expected - whole)


class Demo:
    """A private redis-server holding the demo stream; a context manager.

    Entering starts the server and writes ``events`` entries to
    :data:`DEMO_STREAM`; leaving stops it, unless ``keep`` is set and the
    block ended normally: then the server keeps running after this process
    (``url`` and ``pid`` say where). Needs a redis-server on PATH or the
    ``demo`` extra (EmbeddedRedisError, exit 3, otherwise).
    """

    stream = DEMO_STREAM

    def __init__(
        self, events: int = DEMO_EVENTS, seed: int | None = None, *, keep: bool = False
    ) -> None:
        self.events = events
        self.seed = seed
        self.keep = keep
        self.written = 0
        """Entries written to the stream, once started."""
        self.pid: int | None = None
        """The server's process id, once started."""
        self._server: EmbeddedRedis | None = None

    @property
    def url(self) -> str:
        """Where the server listens (``redis://127.0.0.1:PORT/0``)."""
        if self._server is None:
            raise RuntimeError("the demo has not started: use it in a with block")
        return self._server.url

    def start(self) -> Demo:
        """Start the server and seed the stream (what entering the block does)."""
        import redis

        from cdccheck.embedded import EmbeddedRedis

        # A server meant to outlive us must not die with this process.
        self._server = EmbeddedRedis(die_with_parent=not self.keep).start()
        self.pid = self._server.pid
        try:
            client = redis.Redis.from_url(self._server.url)
            try:
                self.written = self._write(client)
            finally:
                client.close()
        except BaseException:
            self.close()
            raise
        return self

    def _write(self, client: Any) -> int:
        """Seed the server (what ``start`` does once it is up); how many entries were written.

        The compare demo (``cdccheck.compare.demo.CompareDemoServer``) writes
        two streams here instead of one.
        """
        return seed_stream(client, self.stream, demo_entries(self.events, self.seed))

    def replay(
        self,
        *,
        on_batch: BatchCallback | None = None,
        legacy: Schema | None = None,
        new: Schema | None = None,
    ) -> CheckRun:
        """Replay the whole stream, as `cdccheck replay` does.

        Under the bundled comment schemas, or ``legacy``/``new`` when given
        (`cdccheck demo --legacy py:...` derives one from code).
        """
        from cdccheck.engine.engine import Engine
        from cdccheck.engine.schema import bundled_schema_path, load_schema
        from cdccheck.report.run import check_run, range_source
        from cdccheck.sources.redis_range import RedisRange

        engine = Engine(
            legacy or load_schema(bundled_schema_path("legacy"), name="legacy"),
            new or load_schema(bundled_schema_path("new"), name="new"),
        )
        source = RedisRange(self.url, self.stream, batch_size=1000)
        with source, engine:
            source.open()
            return check_run(
                source.batches(), engine, source=range_source(source), on_batch=on_batch
            )

    def close(self) -> None:
        """Stop the server and remove its files."""
        if self._server is not None:
            self._server.close()

    def __enter__(self) -> Demo:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.keep and kind is None and self._server is not None:
            self._server.detach()
        else:
            self.close()
