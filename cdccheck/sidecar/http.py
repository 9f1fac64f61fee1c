"""The sidecar's HTTP endpoints: /metrics for Prometheus, /healthz and /readyz for probes.

Liveness (/healthz) says the consume loop still turns; readiness (/readyz)
says it is connected and not stopping (``docs/sidecar.md``).

They are served by a small child process (``_probe.py``, standard library
only), not by a thread: checking an event may hold the interpreter for a
long time (a regular expression that backtracks holds it for as long as it
runs), and a thread of this process could not answer meanwhile. The sidecar
publishes what the endpoints say into a state file the child reads on each
request: the loop's heartbeat, its readiness and the rendered metrics text.
The child computes liveness from the heartbeat, so a stuck loop shows as
unhealthy while the endpoints keep answering.

State file layout (little-endian): at 0 a sequence number (odd while the
sidecar writes, so a reader retries), the heartbeat (``time.monotonic()``,
the same clock in both processes), readiness and the length of its reason;
the reason at 19; at 512 the length of the metrics text, then the text.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cdccheck.errors import ConfigError

__all__ = ["HttpServer"]

_HEADER = struct.Struct("<QdBH")  # sequence, heartbeat, ready, length of the reason
_METRICS_AT = 512
_LENGTH = struct.Struct("<Q")
_MAX_REASON = _METRICS_AT - _HEADER.size
_CHILD = Path(__file__).with_name("_probe.py")


class HttpServer:
    """/metrics, /healthz and /readyz, served by a child process from published state.

    Listens from construction (raises ConfigError when the address cannot be
    bound); ``port`` is the bound port (useful with port 0). Until the first
    ``publish`` the endpoints say: not ready, no metrics. ``/healthz`` turns
    503 once the last heartbeat is older than ``liveness_s``.
    """

    def __init__(
        self, host: str, port: int, *, liveness_s: float, content_type: str = "text/plain"
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self._listener = socket.create_server((host, port), family=family, backlog=64)
        except OSError as error:
            raise ConfigError(
                f"cannot serve metrics on {host}:{port}: {error.strerror or error} "
                "(pick another --metrics-port)"
            ) from None
        self.port = int(self._listener.getsockname()[1])
        self.liveness_s = liveness_s
        self.content_type = content_type
        self._lock = threading.Lock()
        self._sequence = 0
        self._heartbeat = time.monotonic()
        self._ready = (False, "starting")
        self._metrics = b""
        # Closed by close(): the file lives as long as the server.
        self._state = tempfile.TemporaryFile(prefix="cdccheck-probe-")  # noqa: SIM115
        self._write(metrics=True)
        self._child: subprocess.Popen[bytes] | None = None
        self._parent_end: int | None = None
        self._start_child()

    def _start_child(self) -> None:
        # The child holds the read end of a pipe; when this process goes
        # (even by SIGKILL), the write end closes and the child exits.
        child_end, parent_end = os.pipe()
        try:
            self._child = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    str(_CHILD),
                    str(self._listener.fileno()),
                    str(self._state.fileno()),
                    str(child_end),
                    repr(self.liveness_s),
                    self.content_type,
                ],
                pass_fds=(self._listener.fileno(), self._state.fileno(), child_end),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        except OSError:
            os.close(parent_end)
            raise
        finally:
            os.close(child_end)
        self._parent_end = parent_end

    def check(self) -> bool:
        """Start the child again if it died; True when it had to."""
        if self._child is None or self._child.poll() is None:
            return False
        if self._parent_end is not None:
            os.close(self._parent_end)
            self._parent_end = None
        self._start_child()
        return True

    def publish(
        self,
        *,
        heartbeat: float | None = None,
        ready: tuple[bool, str] | None = None,
        metrics: bytes | None = None,
    ) -> None:
        """Publish what changed: the loop's heartbeat, its readiness, the metrics text.

        Thread-safe; a few small writes to a file (the metrics text only when given).
        """
        with self._lock:
            if heartbeat is not None:
                self._heartbeat = heartbeat
            if ready is not None:
                self._ready = ready
            if metrics is not None:
                self._metrics = metrics
            self._write(metrics=metrics is not None)

    def _write(self, *, metrics: bool) -> None:
        fd = self._state.fileno()
        self._sequence += 1  # odd: a reader retries
        os.pwrite(fd, _HEADER.pack(self._sequence, 0.0, 0, 0)[:8], 0)
        ready, reason = self._ready
        text = reason.encode("utf-8", "replace")[:_MAX_REASON]
        body = _HEADER.pack(self._sequence, self._heartbeat, int(ready), len(text)) + text
        os.pwrite(fd, body[8:], 8)
        if metrics:
            os.pwrite(fd, _LENGTH.pack(len(self._metrics)) + self._metrics, _METRICS_AT)
        self._sequence += 1  # even: consistent
        os.pwrite(fd, _HEADER.pack(self._sequence, 0.0, 0, 0)[:8], 0)

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._child is not None:
            self._child.terminate()
            try:
                self._child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()
            self._child = None
        if self._parent_end is not None:
            os.close(self._parent_end)
            self._parent_end = None
        self._listener.close()
        self._state.close()
