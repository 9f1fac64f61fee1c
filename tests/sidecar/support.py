"""Helpers for the consumer-group, fleet and sidecar tests: streams, engines, processes."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cdccheck.demo import seed_stream
from cdccheck.engine.engine import Engine
from cdccheck.engine.pipeline import run
from cdccheck.engine.schema import bundled_schema_path, load_schema
from cdccheck.model import Entry
from cdccheck.samples import mixed_stream
from cdccheck.sources.redis_range import RedisRange
from cdccheck.summary import Summary
from tests.helpers import SCHEMA_ARGS

GROUP = "cdccheck"


@functools.cache
def engine() -> Engine:
    """The bundled schemas' engine, built once per session (it takes a while)."""
    return Engine(
        load_schema(bundled_schema_path("legacy"), name="legacy"),
        load_schema(bundled_schema_path("new"), name="new"),
    )


def seed(
    client: Any,
    stream: str,
    n: int,
    *,
    defect_rate: float = 0.05,
    seed: int = 7,
    first_ms: int | None = None,
) -> list[Entry]:
    """Write ``n`` mixed entries to ``stream`` (ids one ms apart) and return them."""
    entries = list(mixed_stream(n, seed, defect_rate=defect_rate))
    if first_ms is not None:
        entries = [Entry(f"{first_ms + i}-0", entry.fields) for i, entry in enumerate(entries)]
    seed_stream(client, stream, entries)
    return entries


def replay_summary(url: str, stream: str, samples: int = 5) -> Summary:
    """What ``cdccheck replay`` counts for the whole stream (the reference for the sidecar)."""
    summary = Summary(samples=samples)
    with RedisRange(url, stream) as source:
        run(source.batches(), engine(), summary)
    return summary


def fleet_summary(url: str, stream: str, group: str = GROUP) -> Summary:
    from cdccheck.sidecar.fleet import Fleet
    from cdccheck.sources.redis_group import connect_any

    client, cluster = connect_any(url)
    try:
        return Fleet(client, stream, group, cluster=cluster).read().summary
    finally:
        client.close()


def consumer(
    url: str,
    *args: str,
    log: Path,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``python -m cdccheck consume`` as a real process, logs (JSON lines) to ``log``."""
    environment = {**os.environ, **(env or {})}
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "cdccheck", "consume", "--redis-url", url, *SCHEMA_ARGS, *args],
            stdout=subprocess.DEVNULL,
            stderr=handle,
            env=environment,
        )


def finish(process: subprocess.Popen[bytes], timeout: float = 60.0) -> int:
    """Wait for the process; kill it if it overstays, so a failing test never hangs."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")


def comparable(summary: Summary) -> dict[str, Any]:
    """Everything a report says about the events (no timing, no source)."""
    return summary.to_dict()


def log_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON log lines a consumer wrote to ``path`` (a line that is not JSON fails)."""
    if not path.exists():
        return []
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"a log line that is not JSON: {line!r}")
    return lines


def consuming(path: Path) -> bool:
    """Whether the consumer logging to ``path`` has joined its group and started reading."""
    return any(line.get("msg") == "consuming" for line in log_lines(path))
