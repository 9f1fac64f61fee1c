"""cdccheck against the physical limit and against the naive pipeline, in one run.

    make bench                      # 200,000 events per stream, RSS at 100k and 1M
    .venv/bin/python benchmarks/run.py --events 50000 --rss 20000,100000 --json out.json

Everything runs on one embedded redis-server, on the same data, in one go:

* raw: redis-py + hiredis XRANGE in batches of 1000, payloads touched, nothing else;
* naive: XRANGE + json.loads + python-jsonschema iter_errors (format checker on)
  under both schemas, the pipeline a user would write first;
* replay: ``cdccheck replay`` as a subprocess, wall time including process start;
* check: ``cdccheck check`` on the same range exported to a corpus file;
* consume: ``cdccheck consume`` (one consumer, commits included) draining the stream.

Streams: (a) realistic, about 95% of events valid under both schemas and 5%
drifting; (b) systematic drift, every event invalid under the legacy schema
(Go's RFC3339Nano timestamps). Then peak RSS of replay at two stream sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis

from cdccheck.demo import seed_stream
from cdccheck.embedded import EmbeddedRedis, redis_server_binary
from cdccheck.model import Entry
from cdccheck.samples import class_stream
from cdccheck.schema import bundled_schema_path

BATCH = 1000
JSON_HEALTHY = ("py.healthy",) * 9 + ("go.healthy",) * 9 + ("go.html_escape",) * 2
JSON_DRIFT = (
    "py.space_datetime",
    "py.naive_datetime",
    "py.bool_score",
    "py.float_score",
    "py.big_score",
    "py.hex_event_id",
    "go.rfc3339nano",
    "go.omitempty_score",
    "go.nil_awards",
    "go.zero_time",
    "go.new_field",
    "go.new_delete_reason",
)
CDCCHECK = str(Path(sys.executable).with_name("cdccheck"))


def stream_a(n: int) -> Iterator[Entry]:
    """Realistic: JSON traffic from both writers, 5% of it drifting."""
    return class_stream(n, JSON_HEALTHY, defect_classes=JSON_DRIFT, defect_rate=0.05)


def stream_b(n: int) -> Iterator[Entry]:
    """Systematic drift: every event carries Go timestamps the legacy schema refuses."""
    return class_stream(n, ["go.rfc3339nano"])


# ---------------------------------------------------------------- the contenders


def raw_read(url: str, stream: str) -> int:
    """XRANGE in batches with the raw hiredis reply; touch every payload."""
    client = redis.Redis.from_url(url)
    client.set_response_callback("XRANGE", lambda response, **options: response)
    start, touched, seen = "-", 0, 0
    while True:
        reply = client.execute_command("XRANGE", stream, start, "+", "COUNT", BATCH)
        if not reply:
            break
        for _, fields in reply:
            touched += len(fields[1])
        seen += len(reply)
        last = reply[-1][0].decode()
        milliseconds, sequence = last.split("-")
        start = f"{milliseconds}-{int(sequence) + 1}"
    client.close()
    return seen


def naive(url: str, stream: str, limit: int) -> int:
    """What a user writes first: json.loads and python-jsonschema under both schemas."""
    from jsonschema import Draft202012Validator

    validators = [
        Draft202012Validator(
            json.loads(bundled_schema_path(role).read_text()),
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        for role in ("legacy", "new")
    ]
    client = redis.Redis.from_url(url)
    start, seen, invalid = "-", 0, 0
    while seen < limit:
        reply = client.xrange(stream, start, "+", count=BATCH)
        if not reply:
            break
        for _, fields in reply:
            try:
                value = json.loads(fields[b"payload"])
            except ValueError:
                invalid += 1
                continue
            for validator in validators:
                invalid += bool(list(validator.iter_errors(value)))
        seen += len(reply)
        milliseconds, sequence = reply[-1][0].decode().split("-")
        start = f"{milliseconds}-{int(sequence) + 1}"
    client.close()
    return seen


def run_cli(*args: str) -> tuple[float, dict[str, Any]]:
    """Wall time of a cdccheck command (process start included) and its rusage."""
    started = time.perf_counter()
    process = subprocess.Popen([CDCCHECK, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode not in (0, 1):
        raise SystemExit(f"cdccheck {' '.join(args)} failed ({process.returncode}): {stderr}")
    return elapsed, {"max_rss_mb": usage.ru_maxrss / 1024}


def timed(function: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    count = function()
    return time.perf_counter() - started, count


# ---------------------------------------------------------------- one stream


def measure_stream(
    url: str, name: str, stream: str, events: int, naive_events: int, workdir: Path
) -> list[dict[str, Any]]:
    rows = []
    elapsed, seen = timed(lambda: raw_read(url, stream))
    rows.append({"stream": name, "contender": "raw XRANGE", "events": seen, "seconds": elapsed})
    elapsed, seen = timed(lambda: naive(url, stream, naive_events))
    rows.append(
        {"stream": name, "contender": "naive json+jsonschema", "events": seen, "seconds": elapsed}
    )
    elapsed, _ = run_cli(
        "replay", "--redis-url", url, "--stream", stream, "--format", "json", "--quiet"
    )
    rows.append(
        {"stream": name, "contender": "cdccheck replay", "events": events, "seconds": elapsed}
    )
    corpus = workdir / f"{name}.jsonl"
    run_cli("export", "--redis-url", url, "--stream", stream, "--out", str(corpus), "--quiet")
    elapsed, _ = run_cli("check", str(corpus), "--format", "json", "--quiet")
    rows.append(
        {"stream": name, "contender": "cdccheck check", "events": events, "seconds": elapsed}
    )
    if _has_consume():
        elapsed, _ = run_cli(
            "consume",
            "--redis-url",
            url,
            "--stream",
            stream,
            "--group",
            f"bench-{name}",
            "--start-id",
            "0",
            "--max-events",
            str(events),
            "--until-idle",
            "2",
            "--log-format",
            "text",
            "--fail-on",
            "none",
        )
        rows.append(
            {"stream": name, "contender": "cdccheck consume", "events": events, "seconds": elapsed}
        )
    for row in rows:
        row["events_per_s"] = row["events"] / row["seconds"]
    raw = rows[0]["events_per_s"]
    slow = rows[1]["events_per_s"]
    for row in rows:
        row["vs_raw"] = row["events_per_s"] / raw
        row["vs_naive"] = row["events_per_s"] / slow
    return rows


def _has_consume() -> bool:
    done = subprocess.run([CDCCHECK, "consume", "--help"], capture_output=True, check=False)
    return done.returncode == 0


def measure_rss(url: str, sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    client = redis.Redis.from_url(url)
    for size in sizes:
        stream = f"bench:rss:{size}"
        seed_stream(client, stream, stream_a(size))
        elapsed, usage = run_cli(
            "replay", "--redis-url", url, "--stream", stream, "--format", "json", "--quiet"
        )
        rows.append({"events": size, "max_rss_mb": usage["max_rss_mb"], "seconds": elapsed})
        client.delete(stream)
    client.close()
    return rows


# ---------------------------------------------------------------- output


def table(rows: list[dict[str, Any]], rss: list[dict[str, Any]]) -> str:
    lines = [
        f"{'stream':<8}{'contender':<24}{'events':>9}{'seconds':>9}{'events/s':>11}"
        f"{'x raw':>8}{'x naive':>9}"
    ]
    for row in rows:
        lines.append(
            f"{row['stream']:<8}{row['contender']:<24}{row['events']:>9,}{row['seconds']:>9.2f}"
            f"{row['events_per_s']:>11,.0f}{row['vs_raw']:>8.3f}{row['vs_naive']:>9.1f}"
        )
    lines.append("")
    lines.append(f"{'replay of':<24}{'peak RSS MB':>12}{'seconds':>9}")
    for row in rss:
        lines.append(
            f"{row['events']:>9,} events{'':<8}{row['max_rss_mb']:>12.1f}{row['seconds']:>9.2f}"
        )
    if len(rss) >= 2:
        lines.append(
            f"RSS growth {rss[0]['events']:,} -> {rss[-1]['events']:,} events: "
            f"{rss[-1]['max_rss_mb'] - rss[0]['max_rss_mb']:+.1f} MB"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    server = subprocess.run(
        [redis_server_binary(), "--version"], capture_output=True, text=True, check=False
    ).stdout.split()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "redis_server": next((part for part in server if part.startswith("v=")), "?"),
        "platform": platform.platform(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="events per stream")
    parser.add_argument(
        "--naive-events",
        type=int,
        default=None,
        help="events the naive pipeline reads (default: all)",
    )
    parser.add_argument("--rss", default="100000,1000000", help="stream sizes for peak RSS")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    options = parser.parse_args()
    rss_sizes = [int(size) for size in options.rss.split(",") if size]
    with EmbeddedRedis() as server, tempfile.TemporaryDirectory() as scratch:
        client = redis.Redis.from_url(server.url)
        rows: list[dict[str, Any]] = []
        for name, make in (("a", stream_a), ("b", stream_b)):
            stream = f"bench:{name}"
            print(f"writing stream ({name}): {options.events:,} events", file=sys.stderr)
            seed_stream(client, stream, make(options.events))
            rows += measure_stream(
                server.url,
                name,
                stream,
                options.events,
                options.naive_events or options.events,
                Path(scratch),
            )
            client.delete(stream)
        client.close()
        print("measuring peak RSS of replay", file=sys.stderr)
        rss = measure_rss(server.url, rss_sizes)
        info = machine()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"redis-server {info['redis_server']}"
    )
    print(table(rows, rss))
    if options.json:
        options.json.write_text(
            json.dumps({"machine": info, "throughput": rows, "rss": rss}, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
