"""The sidecar package: what it exports, what importing it loads, its small parts alone."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import CONTENT_TYPE_LATEST

import cdccheck.fleet
import cdccheck.sidecar
import cdccheck.sidecar.fleet
from cdccheck.errors import ConfigError
from cdccheck.sidecar.crash import CRASH_POINTS, CrashHook
from cdccheck.sidecar.http import HttpServer

OLD_NAMES = (
    "CRASH_ENV",
    "CRASH_POINTS",
    "ConsumeOptions",
    "ConsumeResult",
    "QUARANTINE_TEMPLATE",
    "Sidecar",
    "configure_logging",
    "consume",
    "fleet_report",
    "verdict_classes",
)


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize(
    "statement", ["import cdccheck.sidecar.fleet", "from cdccheck.sidecar import fleet_report"]
)
def test_the_fleet_report_comes_without_the_loop(statement: str) -> None:
    loaded = loaded_after(statement)
    assert "cdccheck.sidecar.fleet" in loaded
    assert not {"cdccheck.sidecar.loop", "prometheus_client"} & loaded


def test_the_old_module_names_still_resolve() -> None:
    assert set(cdccheck.sidecar.__all__) <= set(OLD_NAMES)
    for name in OLD_NAMES:
        assert getattr(cdccheck.sidecar, name) is not None, name
        assert name in dir(cdccheck.sidecar)
    assert cdccheck.sidecar.fleet_report is cdccheck.sidecar.fleet.fleet_report
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        cdccheck.sidecar.nothing  # noqa: B018


def test_the_fleet_shim_is_the_same_module_contents() -> None:
    for name in cdccheck.fleet.__all__:
        assert getattr(cdccheck.fleet, name) is getattr(cdccheck.sidecar.fleet, name), name


def test_the_crash_hook_fires_on_the_nth_time_only() -> None:
    hook = CrashHook("before-commit:3")
    fired = [
        hook.reached(point) for point in ("before-commit", "mid-batch", *["before-commit"] * 3)
    ]
    assert fired == [False, False, False, True, False]
    assert not any(CrashHook(None).reached(point) for point in CRASH_POINTS)
    for spec in ("sometime", "mid-batch:0", "mid-batch:x", "later:1"):
        with pytest.raises(ConfigError, match="CDCCHECK_TEST_CRASH_AT"):
            CrashHook(spec)


def get(port: int, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as reply:
            return reply.status, reply.headers["Content-Type"], reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_the_http_server_answers_from_what_was_published() -> None:
    server = HttpServer("127.0.0.1", 0, liveness_s=60, content_type=CONTENT_TYPE_LATEST)
    try:
        assert get(server.port, "/readyz") == (503, "text/plain", "starting\n")
        assert get(server.port, "/metrics")[:2] == (200, CONTENT_TYPE_LATEST)
        server.publish(heartbeat=time.monotonic(), ready=(True, "ready"))
        server.publish(metrics=b"cdccheck_ready 1.0\n")
        status, kind, body = get(server.port, "/metrics")
        assert (status, body) == (200, "cdccheck_ready 1.0\n")
        assert kind == CONTENT_TYPE_LATEST
        assert get(server.port, "/healthz?verbose") == (200, "text/plain", "ok\n")
        assert get(server.port, "/readyz") == (200, "text/plain", "ready\n")
        assert get(server.port, "/")[0] == 404
        server.publish(heartbeat=time.monotonic() - 200, ready=(False, "stopping (SIGTERM)"))
        assert get(server.port, "/healthz") == (
            503,
            "text/plain",
            "the consume loop has not turned for 200s\n",
        )
        assert get(server.port, "/readyz") == (503, "text/plain", "stopping (SIGTERM)\n")
        # A shorter text replaces a longer one whole.
        server.publish(metrics=b"x" * 100_000)
        server.publish(metrics=b"short\n")
        assert get(server.port, "/metrics")[2] == "short\n"
    finally:
        server.close()
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        get(server.port, "/healthz")


def test_the_endpoints_process_goes_with_the_sidecar() -> None:
    """Killed with SIGKILL, a sidecar leaves no process behind holding its port."""
    code = (
        "import sys, time; from cdccheck.sidecar.http import HttpServer; "
        "server = HttpServer('127.0.0.1', 0, liveness_s=60); "
        "print(server.port, server._child.pid, flush=True); time.sleep(600)"
    )
    sidecar = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert sidecar.stdout is not None
        port, child = (int(word) for word in sidecar.stdout.readline().split())
        assert get(port, "/readyz")[0] == 503
    finally:
        sidecar.kill()
        sidecar.wait()
        if sidecar.stdout is not None:
            sidecar.stdout.close()
    assert_exits(child)
    # Refused, or reset by whatever took the free port since: not answered.
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        get(port, "/healthz")


def assert_exits(pid: int, timeout: float = 30.0) -> None:
    """Wait until process ``pid`` has exited (gone, or a zombie its new parent has to reap)."""
    stat = Path(f"/proc/{pid}/stat")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still runs {timeout}s after its sidecar died")


def test_a_dead_endpoints_process_is_started_again() -> None:
    server = HttpServer("127.0.0.1", 0, liveness_s=60)
    try:
        assert server.check() is False
        assert server._child is not None
        server._child.kill()
        server._child.wait()
        assert server.check() is True
        server.publish(ready=(True, "ready"))
        assert get(server.port, "/readyz")[:1] == (200,)
    finally:
        server.close()


def test_a_taken_port_is_a_config_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        with pytest.raises(ConfigError, match=f"cannot serve metrics on 127.0.0.1:{port}"):
            HttpServer("127.0.0.1", port, liveness_s=60)
