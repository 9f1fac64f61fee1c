"""Faults: consumers killed with SIGKILL, Redis restarted, a Redis Cluster.

Every test ends the same way: the fleet summary equals what a replay (or a
plain check of the written entries) counts, event for event. Consumers run
as real processes (``python -m cdccheck consume``); deterministic crash
instants come from the test-only hook CDCCHECK_TEST_CRASH_AT.
"""

from __future__ import annotations

import json
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from cdccheck.embedded import EmbeddedRedis
from cdccheck.engine.pipeline import check_batch
from cdccheck.summary import Summary
from tests.sidecar.support import (
    GROUP,
    comparable,
    consumer,
    consuming,
    engine,
    finish,
    fleet_summary,
    log_lines,
    replay_summary,
    seed,
    wait_for,
)

pytestmark = pytest.mark.slow

KILLED = -signal.SIGKILL
FIRST_MS = 1_700_000_000_000


def produce(client: Any, stream: str, chunks: int, size: int, pause: float = 0.02) -> int:
    """Write a steady flow (so every consumer of the group gets batches); return the count."""
    written = 0
    for chunk in range(chunks):
        written += len(
            seed(
                client, stream, size, defect_rate=0.1, seed=chunk, first_ms=FIRST_MS + chunk * 1000
            )
        )
        time.sleep(pause)
    return written


def assert_exact(url: str, stream: str, written: int, client: redis.Redis) -> None:
    fleet = fleet_summary(url, stream)
    assert fleet.totals.events == written
    assert comparable(fleet) == comparable(replay_summary(url, stream))
    assert client.xpending(stream, GROUP)["pending"] == 0


def kill_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sigkill_at_every_instant_loses_and_doubles_nothing(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    redis_client.xgroup_create("s", GROUP, "0", mkstream=True)
    common = (
        "--stream",
        "s",
        "--batch",
        "20",
        "--block-ms",
        "100",
        "--claim-idle-ms",
        "500",
        "--fail-on",
        "none",
    )
    crash_at = {"a": "mid-batch:3", "b": "before-commit:2", "c": "after-commit:4"}
    logs = {name: tmp_path / f"{name}.log" for name in (*crash_at, "d", "a-again")}
    crashers = {
        name: consumer(
            redis_url,
            *common,
            "--consumer",
            name,
            log=logs[name],
            env={"CDCCHECK_TEST_CRASH_AT": point},
        )
        for name, point in crash_at.items()
    }
    survivor = consumer(redis_url, *common, "--consumer", "d", "--until-idle", "4", log=logs["d"])
    everyone = [*crashers.values(), survivor]
    try:
        for name in ("a", "b", "c", "d"):
            wait_for(lambda name=name: consuming(logs[name]), timeout=60, what=f"consumer {name}")
        written = produce(redis_client, "s", chunks=60, size=40)
        for name, process in crashers.items():
            assert finish(process, timeout=30) == KILLED, f"{name} did not reach {crash_at[name]}"
        # The crashed "a" comes back under its own name: its pending entries come first.
        restarted = consumer(
            redis_url, *common, "--consumer", "a", "--until-idle", "3", log=logs["a-again"]
        )
        everyone.append(restarted)
        assert finish(survivor, timeout=60) == 0
        assert finish(restarted, timeout=60) == 0
    finally:
        kill_all(everyone)
    assert_exact(redis_url, "s", written, redis_client)
    claims = [line for line in log_lines(logs["d"]) if line["msg"].startswith("claimed")]
    assert claims, "the survivor never claimed the dead consumers' entries"


def test_sigkill_at_a_random_moment(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed_value = random.randrange(1_000_000)
    rng = random.Random(seed_value)
    redis_client.xgroup_create("s", GROUP, "0", mkstream=True)
    common = (
        "--stream",
        "s",
        "--batch",
        "25",
        "--block-ms",
        "100",
        "--claim-idle-ms",
        "400",
        "--fail-on",
        "none",
    )
    victim = consumer(redis_url, *common, "--consumer", "x", log=tmp_path / "x.log")
    other = consumer(redis_url, *common, "--consumer", "y", log=tmp_path / "y.log")
    everyone = [victim, other]
    try:
        for name in ("x", "y"):
            wait_for(lambda name=name: consuming(tmp_path / f"{name}.log"), timeout=60, what=name)
        kill_after = rng.uniform(0.1, 1.5)
        started = time.monotonic()
        written = 0
        for chunk in range(50):
            written += len(
                seed(redis_client, "s", 40, seed=chunk, first_ms=FIRST_MS + chunk * 1000)
            )
            if victim.poll() is None and time.monotonic() - started >= kill_after:
                victim.kill()  # SIGKILL from outside, wherever it is
            time.sleep(0.03)
        victim.kill()
        victim.wait()
        replacement = consumer(
            redis_url, *common, "--consumer", "z", "--until-idle", "3", log=tmp_path / "z.log"
        )
        everyone.append(replacement)
        assert finish(replacement, timeout=60) == 0
        wait_for(
            lambda: fleet_summary(redis_url, "s").totals.events == written,
            timeout=30,
            what=f"every event counted (random seed {seed_value})",
        )
        other.send_signal(signal.SIGTERM)
        assert finish(other, timeout=15) == 0
    finally:
        kill_all(everyone)
    assert_exact(redis_url, "s", written, redis_client)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ready(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def test_redis_restart_while_consuming(
    make_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    server = make_redis(persistence=True)  # append-only file, fsync on every write
    client = redis.Redis.from_url(server.url)
    metrics = free_port()
    log = tmp_path / "log"
    process = consumer(
        server.url,
        "--stream",
        "s",
        "--start-id",
        "0",
        "--batch",
        "10",
        "--block-ms",
        "100",
        "--metrics-port",
        str(metrics),
        "--metrics-host",
        "127.0.0.1",
        log=log,
    )
    try:
        wait_for(lambda: consuming(log), timeout=60, what="the consumer to start")
        written = len(seed(client, "s", 500, seed=1, first_ms=FIRST_MS))
        wait_for(lambda: fleet_summary(server.url, "s").totals.events == 500, what="first 500")
        written += len(seed(client, "s", 1500, seed=2, first_ms=FIRST_MS + 10_000))
        client.close()
        server.stop()  # while the consumer is part way through the second part
        wait_for(lambda: ready(metrics) == 503, timeout=10, what="readiness to drop")
        time.sleep(0.5)
        assert process.poll() is None, "the consumer died with Redis"
        server.start()
        client = redis.Redis.from_url(server.url)
        wait_for(lambda: ready(metrics) == 200, timeout=20, what="readiness to come back")
        wait_for(
            lambda: fleet_summary(server.url, "s").totals.events == written,
            timeout=30,
            what="every event counted after the restart",
        )
        process.send_signal(signal.SIGTERM)
        assert finish(process, timeout=15) == 0
    finally:
        kill_all([process])
    assert_exact(server.url, "s", written, client)
    messages = [line["msg"] for line in log_lines(log)]
    assert "Redis unavailable; retrying" in messages
    assert "Redis is back; reading pending entries again" in messages
    client.close()


# ---------------------------------------------------------------- Redis Cluster


def start_cluster(make_redis: Callable[..., EmbeddedRedis], nodes: int = 3) -> list[EmbeddedRedis]:
    """Three masters on loopback, slots split by CLUSTER ADDSLOTS, joined by CLUSTER MEET."""
    servers = [
        make_redis(
            extra_args=[
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "5000",
            ]
        )
        for _ in range(nodes)
    ]
    clients = [redis.Redis.from_url(server.url) for server in servers]
    bounds = [16384 * index // nodes for index in range(nodes + 1)]
    for client, low, high in zip(clients, bounds, bounds[1:], strict=False):
        client.execute_command("CLUSTER", "ADDSLOTS", *range(low, high))
    for server in servers[1:]:
        clients[0].execute_command("CLUSTER", "MEET", "127.0.0.1", server.port)

    def formed() -> bool:
        for client in clients:
            info = client.execute_command("CLUSTER", "INFO")
            text = info.decode() if isinstance(info, bytes) else str(info)
            if "cluster_state:ok" not in text or f"cluster_known_nodes:{nodes}" not in text:
                return False
        return True

    wait_for(formed, timeout=30, what="the cluster to form")
    for client in clients:
        client.close()
    return servers


def test_a_three_node_cluster_runs_the_same_consume_and_report(
    make_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    from redis.cluster import RedisCluster

    from cdccheck.sources.redis_group import key_slot

    servers = start_cluster(make_redis)
    url = servers[0].url
    cluster = RedisCluster.from_url(url)
    streams = ["cdc:{a}", "cdc:{b}", "cdc:{c}"]
    owners = {cluster.get_node_from_key(stream).port for stream in streams}
    assert len({key_slot(stream) for stream in streams}) == 3
    assert len(owners) >= 2, "the streams should live on different nodes"
    expected = Summary()
    written = 0
    for index, stream in enumerate(streams):
        entries = seed(cluster, stream, 300, defect_rate=0.2, seed=index, first_ms=FIRST_MS)
        written += len(entries)
        part = Summary()
        check_batch(engine(), entries, part)
        expected = expected.merge(part)
    common = (
        "--start-id",
        "0",
        "--batch",
        "30",
        "--block-ms",
        "100",
        "--until-idle",
        "3",
        "--quarantine-stream",
        "cdccheck:quarantine:{stream}",
        "--fail-on",
        "none",
    )
    one = consumer(url, *common, "--stream-pattern", "cdc:*", log=tmp_path / "one.log")
    two = consumer(
        servers[1].url,
        *common,
        *(arg for s in streams for arg in ("--stream", s)),
        log=tmp_path / "two.log",
    )
    try:
        assert finish(one, timeout=90) == 0
        assert finish(two, timeout=90) == 0
    finally:
        kill_all([one, two])
    assert any(line.get("cluster") is True for line in log_lines(tmp_path / "one.log"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cdccheck",
            "report",
            "--redis-url",
            url,
            *(arg for s in streams for arg in ("--stream", s)),
            "--format",
            "json",
        ],
        capture_output=True,
        check=False,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["totals"]["events"] == written
    assert {k: report[k] for k in ("totals", "by_op", "by_writer")} == {
        k: expected.to_dict()[k] for k in ("totals", "by_op", "by_writer")
    }
    fleet = Summary.from_dict(report)
    assert comparable(fleet) == comparable(expected.merge(Summary()))
    failing = expected.totals.events - expected.totals.ok
    quarantined = sum(cluster.xlen(f"cdccheck:quarantine:{{{tag}}}") for tag in "abc")
    assert quarantined == failing == report["source"]["quarantined"]
    for stream in streams:
        assert cluster.xpending(stream, GROUP)["pending"] == 0
    cluster.close()
