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
