"""The demo: a private Redis, a realistic mixed stream, a replay, a report.

The stream is what a comment stream looks like during the migration: the
Python monolith and the Go service both writing, most events healthy, and
every defect class of :mod:`cdccheck.samples` seeded in, each entry carrying
a ``writer`` field so the report attributes drift per writer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from cdccheck.model import Entry

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
