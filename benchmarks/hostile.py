"""Memory, report size, Redis keys and rate on a stream of distinct unknown keys.

    .venv/bin/python benchmarks/hostile.py [--events 100000] [--kind keys|ops|findings]
                                           [--skip-check] [--skip-consume]

Every event of the stream is a healthy JSON comment event with one hostile
twist (``--kind``): ``keys`` adds one random unknown top-level key (an
``unknown_field`` finding at a path no other event has), ``ops`` gives it a
random ``op`` and a random writer, ``findings`` is ``samples.mixed_stream``
with every event defective (many finding groups, few distinct paths).

Two measurements, with real processes:

* ``cdccheck check`` on the stream as a corpus file: peak RSS (``/usr/bin/time``),
  wall time and the size of the ``--report`` file;
* ``cdccheck consume --until-idle`` on a private redis-server: the rate read on
  the fleet summary's event counter (first committed batch to last, like
  benchmarks/sidecar.py), the number of Redis keys afterwards (the stream
  itself excluded) and their memory.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from cdccheck.demo import seed_stream
from cdccheck.embedded import EmbeddedRedis
from cdccheck.model import Entry
from cdccheck.samples import GO_HEALTHY, PY_HEALTHY, class_stream, mixed_stream
from cdccheck.sidecar.fleet import FleetKeys, field
from cdccheck.sources.corpus import write_corpus

STREAM = "comments:cdc"
GROUP = "bench"


def hostile_stream(events: int, kind: str, seed: int = 7) -> Iterator[Entry]:
    """The stream described in the module docstring."""
    rng = random.Random(seed + 1)
    if kind == "findings":
        yield from mixed_stream(events, seed, defect_rate=1.0)
        return
    for entry in class_stream(events, [PY_HEALTHY, GO_HEALTHY], seed):
        payload = entry.fields["payload"]
        fields = dict(entry.fields)
        token = f"{rng.getrandbits(48):012x}"
        if kind == "keys":
            fields["payload"] = b'{"x_' + token.encode() + b'": 1, ' + payload[1:]
        else:
            op = b'"op": "op_' + token.encode() + b'"'
            fields["payload"] = re.sub(rb'"op": ?"[a-z]+"', op, payload, count=1)
            fields["writer"] = b"writer_" + token.encode()
        yield Entry(entry.id, fields)


def measure_check(corpus: Path, scratch: Path) -> dict[str, float]:
    report = scratch / "report.json"
    started = time.monotonic()
    completed = subprocess.run(
        [
            "/usr/bin/time", "-f", "%M", sys.executable, "-m", "cdccheck", "check", str(corpus),
            "--report", str(report), "--quiet", "--fail-on", "none",
        ],
        capture_output=True,
        check=False,
    )  # fmt: skip
    wall = time.monotonic() - started
    if completed.returncode != 0:
        raise SystemExit(f"check failed: {completed.stderr.decode()[-2000:]}")
    rss_kb = int(completed.stderr.decode().strip().splitlines()[-1])
    groups = len(json.loads(report.read_bytes())["findings"])
    return {
        "rss_mb": rss_kb / 1024,
        "report_mb": report.stat().st_size / 1e6,
        "groups": groups,
        "wall_s": wall,
    }


def measure_consume(entries: list[Entry], scratch: Path) -> dict[str, float]:
    events = len(entries)
    with EmbeddedRedis() as server:
        client = redis.Redis.from_url(server.url)
        seed_stream(client, STREAM, entries)
        client.xgroup_create(STREAM, GROUP, "$")
        counters = FleetKeys(STREAM, GROUP).counters
        total = field("totals", "events")
        log = scratch / "consume.log"
        process = subprocess.Popen(
            [
                "/usr/bin/time", "-f", "%M", "-o", str(scratch / "consume.rss"),
                sys.executable, "-m", "cdccheck", "consume", "--redis-url", server.url,
                "--stream", STREAM, "--group", GROUP, "--consumer", "c0",
                "--until-idle", "2", "--fail-on", "none",
            ],
            stderr=log.open("wb"),
        )  # fmt: skip
        while b'"consuming"' not in log.read_bytes():
            if process.poll() is not None:
                raise SystemExit(f"consume failed: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        client.xgroup_setid(STREAM, GROUP, "0")
        first: tuple[float, int] | None = None
        done = 0
        rates: list[tuple[int, float]] = []
        last = (time.monotonic(), 0)
        while done < events:
            time.sleep(0.2)
            done = int(client.hget(counters, total) or 0)
            now = time.monotonic()
            if first is None and done:
                first = (now, done)
            if done - last[1] >= events // 5:
                rates.append((done, (done - last[1]) / (now - last[0])))
                last = (now, done)
            if process.poll() not in (None, 0):
                raise SystemExit(f"consume failed: {log.read_text()[-2000:]}")
        finished = time.monotonic()
        process.wait()
        assert first is not None
        keys = int(client.dbsize()) - 1
        memory = int(client.info("memory")["used_memory"])
        rss_kb = int((scratch / "consume.rss").read_text().strip().splitlines()[-1])
        return {
            "rate_ev_s": (events - first[1]) / (finished - first[0]),
            "first_fifth_ev_s": rates[0][1] if rates else 0.0,
            "last_fifth_ev_s": rates[-1][1] if rates else 0.0,
            "redis_keys": keys,
            "redis_used_mb": memory / 1e6,
            "rss_mb": rss_kb / 1024,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--kind", choices=["keys", "ops", "findings"], default="keys")
    parser.add_argument("--skip-check", action="store_true")
    parser.add_argument("--skip-consume", action="store_true")
    arguments = parser.parse_args()
    entries = list(hostile_stream(arguments.events, arguments.kind))
    print(f"{len(entries):,} events, kind {arguments.kind}", flush=True)
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        if not arguments.skip_check:
            corpus = scratch / "corpus.jsonl"
            write_corpus(corpus, entries)
            print("  check:  ", measure_check(corpus, scratch), flush=True)
        if not arguments.skip_consume:
            print("  consume:", measure_consume(entries, scratch), flush=True)


if __name__ == "__main__":
    main()
