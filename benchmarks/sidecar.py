"""Sustained events/s of `cdccheck consume` with 1 and 2 consumers, commits included.

    .venv/bin/python benchmarks/sidecar.py [--events 200000] [--consumers 1 2] [--batch 500]

For each consumer count: a private redis-server, a stream of mostly healthy
mixed events (samples.mixed_stream, 2 % defects) and that many `python -m
cdccheck consume` processes in drain mode. The group starts at the end of
the stream and is moved back to its start (XGROUP SETID 0) once every
consumer is up, so process start-up stays out of the measurement. The rate
is read on the fleet summary's event counter (every counted event has been
checked and committed), from the first committed batch to the last.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from cdccheck.demo import seed_stream
from cdccheck.embedded import EmbeddedRedis
from cdccheck.engine.schema import bundled_schema_path
from cdccheck.samples import mixed_stream
from cdccheck.sidecar.fleet import FleetKeys, field

STREAM = "comments:cdc"
GROUP = "bench"


def measure(events: int, consumers: int, batch: int) -> tuple[float, float]:
    """(sustained events/s, wall seconds) for ``consumers`` processes on ``events`` events."""
    with EmbeddedRedis() as server, tempfile.TemporaryDirectory() as scratch:
        client = redis.Redis.from_url(server.url)
        seed_stream(client, STREAM, mixed_stream(events, defect_rate=0.02))
        client.xgroup_create(STREAM, GROUP, "$")
        counters = FleetKeys(STREAM, GROUP).counters
        total = field("totals", "events")
        processes = [
            subprocess.Popen(
                [
                    sys.executable, "-m", "cdccheck", "consume", "--redis-url", server.url,
                    "--stream", STREAM, "--group", GROUP, "--consumer", f"c{index}",
                    "--batch", str(batch), "--until-idle", "2", "--fail-on", "none",
                    "--legacy", str(bundled_schema_path("legacy")),
                    "--new", str(bundled_schema_path("new")),
                ],
                stderr=(Path(scratch) / f"c{index}.log").open("wb"),
            )
            for index in range(consumers)
        ]  # fmt: skip
        logs = [Path(scratch) / f"c{index}.log" for index in range(consumers)]
        while not all(b'"consuming"' in log.read_bytes() for log in logs):
            time.sleep(0.05)
        client.xgroup_setid(STREAM, GROUP, "0")
        started = time.monotonic()
        first: tuple[float, int] | None = None
        done = 0
        while done < events:
            time.sleep(0.05)
            done = int(client.hget(counters, total) or 0)
            if first is None and done:
                first = (time.monotonic(), done)
            if any(process.poll() not in (None, 0) for process in processes):
                raise SystemExit(f"a consumer failed; see its log in {scratch}")
        finished = time.monotonic()
        for process in processes:
            process.wait()
        assert first is not None
        return (events - first[1]) / (finished - first[0]), finished - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--consumers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, default=500)
    arguments = parser.parse_args()
    print(f"{arguments.events:,} events, batch {arguments.batch}")
    for consumers in arguments.consumers:
        rate, wall = measure(arguments.events, consumers, arguments.batch)
        print(f"  {consumers} consumer(s): {rate:10,.0f} events/s sustained  ({wall:.1f}s wall)")


if __name__ == "__main__":
    main()
