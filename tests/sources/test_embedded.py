"""The embedded redis-server: starts, answers, stops, and never outlives its owner."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from cdccheck.embedded import SERVER_ENV, EmbeddedRedis, EmbeddedRedisError, redis_server_binary

# Every test here runs a real redis-server binary.
pytestmark = pytest.mark.redis


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie nobody reaped yet counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def client_for() -> Iterator[Callable[..., redis.Redis]]:
    clients: list[redis.Redis] = []

    def make(server: EmbeddedRedis, **options: object) -> redis.Redis:
        client = redis.Redis(
            host=server.host, port=server.port, retry=Retry(NoBackoff(), 0), **options
        )  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_binary_is_found_and_executable() -> None:
    binary = redis_server_binary()
    assert os.access(binary, os.X_OK)
    version = subprocess.run([binary, "--version"], capture_output=True, check=True, text=True)
    assert "Redis server" in version.stdout


def test_binary_from_environment_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SERVER_ENV, "/nonexistent/redis-server")
    with pytest.raises(EmbeddedRedisError, match=f"{SERVER_ENV}=/nonexistent/redis-server"):
        redis_server_binary()


def test_starts_answers_and_stops_leaving_nothing(
    client_for: Callable[..., redis.Redis],
) -> None:
    with EmbeddedRedis() as server:
        pid = server.pid
        directory = server.directory
        assert pid is not None
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        client = client_for(server)
        assert client.ping()
        # No persistence unless asked for.
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
    assert not alive(pid)
    assert not server.running
    assert server.pid is None
    assert not directory.exists()


def test_stop_is_idempotent_and_start_restarts_on_the_same_port(
    make_redis: Callable[..., EmbeddedRedis], client_for: Callable[..., redis.Redis]
) -> None:
    server = make_redis()
    port, first_pid = server.port, server.pid
    server.stop()
    server.stop()
    assert first_pid is not None
    assert not alive(first_pid)
    server.start()
    assert server.port == port
    assert server.pid != first_pid
    assert client_for(server).ping()


def test_restart_with_persistence_keeps_data(
    make_redis: Callable[..., EmbeddedRedis], client_for: Callable[..., redis.Redis]
) -> None:
    server = make_redis(persistence=True)
    client = client_for(server)
    client.xadd("events", {"payload": b"\xff\x00raw"}, id="5-1")
    server.stop()
    server.start()
    assert client.xrange("events") == [(b"5-1", {b"payload": b"\xff\x00raw"})]


def test_restart_without_persistence_starts_empty(
    make_redis: Callable[..., EmbeddedRedis], client_for: Callable[..., redis.Redis]
) -> None:
    server = make_redis()
    client = client_for(server)
    client.set("key", "value")
    server.stop()
    server.start()
    assert client.get("key") is None


def test_requirepass(
    make_redis: Callable[..., EmbeddedRedis], client_for: Callable[..., redis.Redis]
) -> None:
    server = make_redis(requirepass="s3cret-pass")
    with pytest.raises(redis.AuthenticationError):
        client_for(server).ping()
    assert client_for(server, password="s3cret-pass").ping()
    assert "s3cret-pass" not in server.url


def test_cluster_enabled_node_starts(
    make_redis: Callable[..., EmbeddedRedis], client_for: Callable[..., redis.Redis]
) -> None:
    server = make_redis(extra_args=["--cluster-enabled", "yes"])
    info = client_for(server).execute_command("CLUSTER", "INFO")
    assert b"cluster_enabled:1" in info or "cluster_state" in str(info)


def test_bad_option_fails_fast_with_the_log_tail() -> None:
    server = EmbeddedRedis(extra_args=["--no-such-directive", "1"])
    with pytest.raises(EmbeddedRedisError, match=r"exited with code 1 at startup") as caught:
        server.start()
    assert "no-such-directive" in str(caught.value)
    assert not server.running


def test_port_in_use_is_reported() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(EmbeddedRedisError, match="in use"):
            EmbeddedRedis(port=port).start()


def test_timeout_stops_the_server_it_gave_up_on() -> None:
    # A server that cannot answer PING in time (a zero timeout) must not be left running.
    server = EmbeddedRedis(startup_timeout=0)
    with pytest.raises(EmbeddedRedisError, match="did not answer PING"):
        server.start()
    assert not server.running


_OWNER = textwrap.dedent(
    """
    import os, sys, time
    from cdccheck.embedded import EmbeddedRedis
    how = sys.argv[1]
    server = EmbeddedRedis(die_with_parent=how != "detach").start()
    print(server.pid, server.directory, flush=True)
    if how == "detach":
        server.detach()
        sys.exit(0)
    if how == "exit":
        sys.exit(0)  # never stopped explicitly: atexit must do it
    with server:
        time.sleep(60)
    """
)


def _owner(how: str) -> tuple[subprocess.Popen[str], int, Path]:
    owner = subprocess.Popen([sys.executable, "-c", _OWNER, how], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    pid, directory = owner.stdout.readline().split()
    return owner, int(pid), Path(directory)


@pytest.mark.parametrize(
    ("how", "signum"),
    [("exit", None), ("ctrl-c", signal.SIGINT), ("killed", signal.SIGKILL)],
)
def test_server_never_outlives_its_owner(how: str, signum: signal.Signals | None) -> None:
    owner, pid, directory = _owner(how)
    try:
        if signum is not None:
            owner.send_signal(signum)
        owner.wait(timeout=20)
        assert wait_gone(pid), f"redis-server {pid} outlived its owner ({how})"
        if signum != signal.SIGKILL:
            assert not directory.exists()
    finally:
        owner.kill()
        owner.wait()
        assert owner.stdout is not None
        owner.stdout.close()
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)


def test_detached_server_keeps_running() -> None:
    owner, pid, directory = _owner("detach")
    try:
        assert owner.wait(timeout=20) == 0
        time.sleep(0.2)
        assert alive(pid)
    finally:
        assert owner.stdout is not None
        owner.stdout.close()
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
        wait_gone(pid)
        shutil.rmtree(directory, ignore_errors=True)
