"""Measure a real ``cdccheck consume``: resident memory and SIGTERM-to-exit time.

    python scripts/measure_sidecar.py [--backlog 200000] [--live-seconds 20] [--rounds 5]

The numbers behind deploy/kubernetes/sidecar.yaml (resource requests and
terminationGracePeriodSeconds). On a private embedded Redis it seeds a
backlog of the mixed sample stream (5 % defects), starts ``cdccheck consume``
as its own process with the bundled schemas and /metrics on, and samples
VmRSS and VmHWM from /proc while it drains the backlog and then while new
events arrive live. Then it sends SIGTERM, both while the sidecar waits in
its blocking read and while it is in the middle of a backlog, and times how
long the process takes to exit (the batch in hand is finished, committed,
the final report written). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cdccheck.demo import seed_stream  # noqa: E402
from cdccheck.embedded import EmbeddedRedis  # noqa: E402
from cdccheck.engine.schema import bundled_schema_path  # noqa: E402
from cdccheck.model import Entry  # noqa: E402
from cdccheck.samples import mixed_stream  # noqa: E402

STREAM = "comments:cdc"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def entries(count: int, first_ms: int, seed: int) -> list[Entry]:
    return [
        Entry(f"{first_ms + index}-0", entry.fields)
        for index, entry in enumerate(mixed_stream(count, seed, defect_rate=0.05))
    ]


def start_consumer(url: str, workdir: Path, port: int, log_name: str) -> subprocess.Popen[bytes]:
    log = (workdir / log_name).open("ab")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cdccheck",
            "consume",
            "--redis-url",
            url,
            "--stream",
            STREAM,
            "--start-id",
            "0",
            "--legacy",
            str(bundled_schema_path("legacy")),
            "--new",
            str(bundled_schema_path("new")),
            "--metrics-port",
            str(port),
            "--metrics-host",
            "127.0.0.1",
            "--report",
            str(workdir / "report.json"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )


def group_state(client: Any) -> tuple[int, bytes]:
    groups = client.xinfo_groups(STREAM)
    if not groups:
        return -1, b""
    return int(groups[0]["pending"]), groups[0]["last-delivered-id"]


def wait_drained(client: Any, last_id: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pending, delivered = group_state(client)
        except Exception:  # the group is created by the consumer; not there yet
            pending, delivered = -1, b""
        if pending == 0 and delivered.decode() == last_id:
            return
        time.sleep(0.05)
    raise SystemExit("measure: the consumer did not drain the backlog in time")


def sigterm_seconds(process: subprocess.Popen[bytes]) -> float:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=120)
    took = time.monotonic() - started
    if code != 0:
        raise SystemExit(f"measure: consume exited {code} after SIGTERM")
    return took


class Sampler(threading.Thread):
    """Samples a process's memory every 50 ms until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.rss: list[int] = []
        self.hwm = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                rss, hwm = memory_kib(self.pid)
            except (FileNotFoundError, ProcessLookupError, KeyError):
                return
            self.rss.append(rss)
            self.hwm = max(self.hwm, hwm)
            time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backlog", type=int, default=200_000)
    parser.add_argument("--live-seconds", type=float, default=20.0)
    parser.add_argument("--live-rate", type=int, default=2_000, help="events per second")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()

    import redis

    results: dict[str, Any] = {"backlog": arguments.backlog}
    with tempfile.TemporaryDirectory(prefix="cdccheck-measure-") as temporary:
        workdir = Path(temporary)
        server = EmbeddedRedis().start()
        client = redis.Redis.from_url(server.url)
        try:
            results["redis"] = client.info()["redis_version"]
            first_ms = 1_769_594_400_000
            backlog = entries(arguments.backlog, first_ms, 1)
            seed_stream(client, STREAM, backlog)
            port = free_port()
            process = start_consumer(server.url, workdir, port, "consume.log")
            sampler = Sampler(process.pid)
            sampler.start()
            started = time.monotonic()
            wait_drained(client, backlog[-1].id)
            results["drain_s"] = round(time.monotonic() - started, 2)
            results["drain_events_per_s"] = round(arguments.backlog / results["drain_s"])
            drained_samples = len(sampler.rss)
            # Live traffic: the steady state a sidecar lives in.
            next_ms = first_ms + arguments.backlog
            cpu_before, live_started = cpu_seconds(process.pid), time.monotonic()
            live_end = time.monotonic() + arguments.live_seconds
            chunk = max(arguments.live_rate // 10, 1)
            seed = 2
            while time.monotonic() < live_end:
                seed_stream(client, STREAM, entries(chunk, next_ms, seed))
                next_ms += chunk
                seed += 1
                time.sleep(0.1)
            wait_drained(client, f"{next_ms - 1}-0")
            live_cpu = cpu_seconds(process.pid) - cpu_before
            results["live_events_per_s"] = round(
                (next_ms - first_ms - arguments.backlog) / (time.monotonic() - live_started)
            )
            results["live_cpu_cores"] = round(live_cpu / (time.monotonic() - live_started), 3)
            live = sampler.rss[drained_samples:] or sampler.rss
            results["rss_mib_drain_peak"] = round(max(sampler.rss[:drained_samples]) / 1024, 1)
            results["rss_mib_live_max"] = round(max(live) / 1024, 1)
            results["rss_mib_live_last"] = round(live[-1] / 1024, 1)
            # SIGTERM while idle: the blocking read (--block-ms 1000) ends first.
            time.sleep(1.5)
            idle = [sigterm_seconds(process)]
            sampler.done.set()
            results["vmhwm_mib"] = round(sampler.hwm / 1024, 1)
            for index in range(arguments.rounds - 1):
                process = start_consumer(server.url, workdir, free_port(), f"idle{index}.log")
                time.sleep(3.0)  # started, joined, waiting in its read
                idle.append(sigterm_seconds(process))
            # SIGTERM in the middle of a backlog: the batch in hand is finished first.
            busy = []
            for index in range(arguments.rounds):
                batch = entries(50_000, next_ms, 100 + index)
                next_ms += len(batch)
                process = start_consumer(server.url, workdir, free_port(), f"busy{index}.log")
                time.sleep(2.5)
                seed_stream(client, STREAM, batch)
                time.sleep(0.5)
                busy.append(sigterm_seconds(process))
            results["sigterm_idle_s"] = [round(value, 2) for value in idle]
            results["sigterm_busy_s"] = [round(value, 2) for value in busy]
            results["last_report_events"] = json.loads((workdir / "report.json").read_text())[
                "totals"
            ]["events"]
        finally:
            client.close()
            server.close()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
