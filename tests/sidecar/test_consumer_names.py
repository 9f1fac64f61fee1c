"""Consumer names that survive restarts, and the lineage clean-up on start (issue 11).

Names were host-pid, so every restart left a stale consumer in the group.
The default is now the pod or host name; idle consumers of the same lineage
(a replaced pod of the same ReplicaSet, an old host-pid name) that hold no
pending entry are removed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from cdccheck.sidecar import ConsumeOptions, Sidecar
from cdccheck.sources.redis_group import RedisGroup, default_consumer, lineage_prefixes
from tests.sidecar.support import GROUP, consumer, engine, finish, seed


def names(client: redis.Redis, stream: str = "s") -> set[str]:
    return {c["name"].decode() for c in client.xinfo_consumers(stream, GROUP)}


def test_the_default_name_is_the_host_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTNAME", "comments-7d4b9c8f6-x2x9z")
    assert default_consumer() == "comments-7d4b9c8f6-x2x9z"
    monkeypatch.delenv("HOSTNAME")
    import socket

    assert default_consumer() == socket.gethostname()


def test_lineage_prefixes() -> None:
    assert lineage_prefixes("comments-7d4b9c8f6-x2x9z") == (
        "comments-7d4b9c8f6-x2x9z-",
        "comments-7d4b9c8f6-",
    )
    assert lineage_prefixes("worker") == ("worker-",)
    assert lineage_prefixes("-x") == ("-x-",)


def test_a_restarted_sidecar_takes_its_name_back(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed(redis_client, "s", 40)
    common = ("--stream", "s", "--start-id", "0", "--until-idle", "0.3", "--fail-on", "none")
    for run in range(2):
        process = consumer(
            redis_url, *common, log=tmp_path / f"{run}.log", env={"HOSTNAME": "pod-a"}
        )
        assert finish(process) == 0, (tmp_path / f"{run}.log").read_text()
    assert names(redis_client) == {"pod-a"}


def test_idle_consumers_of_the_lineage_without_pending_entries_go_on_start(
    redis_client: redis.Redis, redis_url: str
) -> None:
    seed(redis_client, "s", 10)
    redis_client.xgroup_create("s", GROUP, "0")
    # A replaced pod of the same ReplicaSet that holds an entry, one that holds
    # none, an old host-pid name of this pod, and a consumer of another lineage.
    redis_client.xreadgroup(GROUP, "comments-7d4b9c8f6-old1", {"s": ">"}, count=1)
    for name in ("comments-7d4b9c8f6-old2", "comments-7d4b9c8f6-new-4242", "other-5"):
        redis_client.xgroup_createconsumer("s", GROUP, name)
    time.sleep(0.2)  # all of them idle longer than --claim-idle-ms below
    options = ConsumeOptions(
        url=redis_url,
        streams=["s"],
        group=GROUP,
        consumer="comments-7d4b9c8f6-new",
        claim_idle_ms=100,  # what counts as a dead consumer (of the lineage)
        until_idle_s=0.3,
        block_ms=50,
    )
    Sidecar(engine(), options).run()
    # The clean-up runs before the first read, so old1 still held its entry then
    # (claimed afterwards); an hourly pass removes it once it holds nothing.
    assert names(redis_client) == {
        "comments-7d4b9c8f6-new",
        "comments-7d4b9c8f6-old1",
        "other-5",  # not of the lineage: only the hourly clean-up removes it
    }


def test_a_consumer_with_pending_entries_is_never_removed(
    redis_client: redis.Redis, redis_url: str
) -> None:
    seed(redis_client, "s", 3)
    redis_client.xgroup_create("s", GROUP, "0")
    redis_client.xreadgroup(GROUP, "pod-b-old", {"s": ">"}, count=2)
    time.sleep(0.05)
    source = RedisGroup(redis_url, ["s"], group=GROUP, consumer="pod-b-new")
    source.open()
    try:
        assert source.forget_stale_consumers(10, lineage_prefixes("pod-b-new")) == []
        redis_client.xgroup_createconsumer("s", GROUP, "pod-b-gone")
        time.sleep(0.05)
        assert source.forget_stale_consumers(10, lineage_prefixes("pod-b-new")) == ["pod-b-gone"]
    finally:
        source.close()
    assert names(redis_client) == {"pod-b-old"}
