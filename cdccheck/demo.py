"""The demo: a private Redis, a realistic mixed stream, a replay, a report.

The stream is what a comment stream looks like during the migration: the
Python monolith and the Go service both writing, most events healthy, and
every defect class of :mod:`cdccheck.samples` seeded in, each entry carrying
a ``writer`` field so the report attributes drift per writer.

``cdccheck demo`` is :class:`Demo` plus rendering::

    with Demo(events=20_000) as demo:        # starts redis-server, seeds the stream
        result = demo.replay()               # the same run as `cdccheck replay`
    print(result.report["totals"])           # the server is gone again
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cdccheck.model import Entry

if TYPE_CHECKING:
    from cdccheck.embedded import EmbeddedRedis
    from cdccheck.pipeline import BatchCallback
    from cdccheck.report.run import CheckRun

DEMO_STREAM = "comments:cdc"
DEMO_EVENTS = 20_000
DEMO_DEFECT_RATE = 0.05
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


def demo_entries(events: int = DEMO_EVENTS, seed: int | None = None) -> Iterable[Entry]:
    """The demo stream's entries: one of every sample class, then a production-like mix.

    Ids are renumbered one millisecond apart so they increase through both parts.
    """
    from cdccheck.samples import DEFAULT_SEED, mixed_stream, samples

    chosen = DEFAULT_SEED if seed is None else seed
    showcase = [sample.entry for sample in samples(chosen, per_class=1, extra_healthy=0)]
    mix = mixed_stream(max(events - len(showcase), 0), chosen, defect_rate=DEMO_DEFECT_RATE)
    first_ms = int(showcase[0].id.split("-")[0])
    for index, entry in enumerate(itertools.chain(showcase, mix)):
        yield Entry(f"{first_ms + index}-0", entry.fields)


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

    def replay(self, *, on_batch: BatchCallback | None = None) -> CheckRun:
        """Replay the whole stream under the bundled comment schemas, as `cdccheck replay` does."""
        from cdccheck.check import Engine
        from cdccheck.report.run import check_run, range_source
        from cdccheck.schema import bundled_schema_path, load_schema
        from cdccheck.sources.redis_range import RedisRange

        engine = Engine(
            load_schema(bundled_schema_path("legacy"), name="legacy"),
            load_schema(bundled_schema_path("new"), name="new"),
        )
        source = RedisRange(self.url, self.stream, batch_size=1000)
        with source:
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
