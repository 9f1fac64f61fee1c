"""The child process behind /metrics, /healthz and /readyz (see ``cdccheck.sidecar.http``).

Run as a script by ``HttpServer``, never imported by the sidecar: it uses
the standard library only, so it starts in a few milliseconds and nothing
the checking does (a regular expression that holds the interpreter for
minutes, a huge payload) can keep it from answering.

    python -I _probe.py LISTEN_FD STATE_FD PARENT_FD LIVENESS_S CONTENT_TYPE

LISTEN_FD is a listening socket, STATE_FD the state file the sidecar
publishes into (layout in ``cdccheck.sidecar.http``), PARENT_FD a pipe whose
end of file means the sidecar is gone (then this process exits too).
"""

from __future__ import annotations

import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Keep in step with cdccheck.sidecar.http (this script cannot import it).
HEADER = struct.Struct("<QdBH")  # sequence, heartbeat, ready, length of the reason
REASON_AT = HEADER.size
METRICS_AT = 512
LENGTH = struct.Struct("<Q")
_ATTEMPTS = 200


def read_state(fd: int) -> tuple[float, bool, str, bytes] | None:
    """(heartbeat, ready, reason, metrics) as last published; None when never consistent.

    The writer makes the sequence number odd while it writes and even when
    done; a read that saw an odd number, or two different ones, is retried.
    """
    for _ in range(_ATTEMPTS):
        head = os.pread(fd, METRICS_AT + LENGTH.size, 0)
        if len(head) < METRICS_AT + LENGTH.size:
            return None
        sequence, heartbeat, ready, reason_length = HEADER.unpack_from(head)
        if sequence % 2:
            time.sleep(0.001)
            continue
        reason = head[REASON_AT : REASON_AT + reason_length].decode("utf-8", "replace")
        (metrics_length,) = LENGTH.unpack_from(head, METRICS_AT)
        metrics = os.pread(fd, metrics_length, METRICS_AT + LENGTH.size)
        if HEADER.unpack_from(os.pread(fd, HEADER.size, 0))[0] == sequence:
            return heartbeat, bool(ready), reason, metrics
    return None


def serve(listen_fd: int, state_fd: int, liveness_s: float, content_type: str) -> None:
    """Answer on the inherited socket until the process ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path not in ("/metrics", "/healthz", "/readyz"):
                self._send(404, b"try /metrics, /healthz or /readyz\n")
                return
            state = read_state(state_fd)
            if state is None:
                self._send(503, b"the sidecar has published no state\n")
                return
            heartbeat, ready, reason, metrics = state
            if path == "/metrics":
                self._send(200, metrics, content_type)
            elif path == "/healthz":
                quiet = time.monotonic() - heartbeat
                if quiet > liveness_s:
                    why = f"the consume loop has not turned for {quiet:.0f}s"
                    self._send(503, (why + "\n").encode())
                else:
                    self._send(200, b"ok\n")
            else:
                self._send(200 if ready else 503, (reason + "\n").encode())

        def _send(self, status: int, body: bytes, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # scrapes every few seconds would drown the sidecar's log

    listener = socket.socket(fileno=listen_fd)
    server = ThreadingHTTPServer(listener.getsockname()[:2], Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listener
    server.daemon_threads = True
    server.serve_forever()


def watch_parent(parent_fd: int) -> None:
    """Exit once the sidecar is gone (its end of the pipe closed, even by SIGKILL)."""
    while os.read(parent_fd, 1):
        pass
    os._exit(0)


def main(arguments: list[str]) -> None:
    listen_fd, state_fd, parent_fd = (int(value) for value in arguments[:3])
    liveness_s, content_type = float(arguments[3]), arguments[4]
    threading.Thread(target=watch_parent, args=(parent_fd,), daemon=True).start()
    serve(listen_fd, state_fd, liveness_s, content_type)


if __name__ == "__main__":
    main(sys.argv[1:])
