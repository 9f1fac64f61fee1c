"""An event whose check raises is counted, committed and acknowledged like any other (defect 1).

The sidecar in process, with an engine whose format checker breaks on one
value: the broken events count under ``errors`` in the consumer's summary,
the fleet summary in Redis and the metrics, and the stream has nothing
pending after one run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from cdccheck.engine.pipeline import run
from cdccheck.sidecar.fleet import Fleet
from cdccheck.sidecar.loop import ConsumeOptions, Sidecar
from cdccheck.sidecar.metrics import verdict_classes
from cdccheck.sources.redis_group import connect_any
from cdccheck.sources.redis_range import RedisRange
from cdccheck.summary import Summary
from tests.engine.test_robust import exploding_engine

STREAM = "broken:cdc"
GROUP = "sidecars"


@pytest.fixture(autouse=True)
def _quiet_logging() -> Iterator[None]:
    logging.getLogger("cdccheck").setLevel(logging.WARNING)
    yield
    logging.getLogger("cdccheck").setLevel(logging.NOTSET)


def seed(client: Any) -> int:
    for i in range(60):
        note = "explode" if i % 7 == 3 else "fine"
        payload = json.dumps({"op": "create" if i % 2 else "update", "note": note})
        client.xadd(STREAM, {"payload": payload, "writer": "go" if i % 3 else "py"})
    return 60


def test_errors_are_committed_acknowledged_and_counted_by_the_fleet(
    redis_client: Any, redis_url: str
) -> None:
    entries = seed(redis_client)
    engine = exploding_engine()
    options = ConsumeOptions(
        url=redis_url,
        streams=[STREAM],
        group=GROUP,
        start_id="0",
        block_ms=50,
        batch=16,
        until_idle_s=0.3,
    )
    result = Sidecar(engine, options).run()
    assert result.summary.totals.events == entries
    broken = sum(1 for i in range(60) if i % 7 == 3)
    assert result.summary.totals.errors == broken
    assert redis_client.xpending(STREAM, GROUP)["pending"] == 0

    client, cluster = connect_any(redis_url)
    try:
        fleet = Fleet(client, STREAM, GROUP, cluster=cluster).read().summary
    finally:
        client.close()
    replayed = Summary()
    with RedisRange(redis_url, STREAM) as source:
        run(source.batches(), engine, replayed)
    assert fleet.to_dict() == replayed.to_dict() == result.summary.to_dict()
    assert fleet.totals.errors == broken
    assert verdict_classes(fleet.totals)["internal_error"] == broken
    assert sum(verdict_classes(fleet.totals).values()) == entries


def test_errors_reach_the_timeline_and_the_capped_groups(redis_client: Any, redis_url: str) -> None:
    """The errors counter and the internal_error group are timeline series too.

    In the consumer's own summary and in the fleet summary read back from
    Redis; with a writer cap of one, the group's writers fold as the
    summary's ``by_writer`` does.
    """
    entries = seed(redis_client)
    engine = exploding_engine()
    broken = sum(1 for i in range(60) if i % 7 == 3)
    options = ConsumeOptions(
        url=redis_url,
        streams=[STREAM],
        group=GROUP,
        start_id="0",
        block_ms=50,
        batch=16,
        until_idle_s=0.3,
    )
    result = Sidecar(engine, options).run()
    client, cluster = connect_any(redis_url)
    try:
        fleet = Fleet(client, STREAM, GROUP, cluster=cluster).read().summary
    finally:
        client.close()
    key = ("engine", "internal_error", "")
    for summary in (result.summary, fleet):
        timeline = summary.timeline
        assert timeline is not None
        totals = timeline.writer_totals()
        assert sum(counters.errors for counters in totals.values()) == broken
        assert sum(counters.events for counters in totals.values()) == entries
        assert sum(timeline.groups[key].values()) == broken
        assert summary.findings[key].events == broken
        assert sum(summary.findings[key].by_writer.values()) == broken

    capped = Summary(max_labels=1)
    with RedisRange(redis_url, STREAM) as source:
        run(source.batches(), engine, capped)
    assert capped.totals.errors == broken
    assert set(capped.by_writer) == {"go", "(other)"}
    assert sum(counters.errors for counters in capped.by_writer.values()) == broken
    assert set(capped.findings[key].by_writer) <= {"go", "(other)"}
    assert sum(capped.findings[key].by_writer.values()) == broken
