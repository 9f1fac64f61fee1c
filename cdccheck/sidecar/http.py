"""The sidecar's HTTP endpoints: /metrics for Prometheus, /healthz and /readyz for probes.

Liveness (/healthz) says the consume loop still turns; readiness (/readyz)
says it is connected and not stopping (``docs/sidecar.md``). The server runs
on a daemon thread, so it never keeps a stopping process alive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cdccheck.errors import ConfigError

__all__ = ["HttpServer"]


class HttpServer:
    """/metrics, /healthz and /readyz on a daemon thread, listening from construction.

    ``metrics`` renders the exposition text; ``healthy`` and ``ready`` answer
    (ok, why), served as 200 or 503 with ``why`` as the body. Raises
    ConfigError when the address cannot be bound. ``port`` is the bound
    port (useful with port 0).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        metrics: Callable[[], bytes],
        healthy: Callable[[], tuple[bool, str]],
        ready: Callable[[], tuple[bool, str]],
    ) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    from prometheus_client import CONTENT_TYPE_LATEST

                    self._send(200, metrics(), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    is_healthy, why = healthy()
                    self._send(200 if is_healthy else 503, (why + "\n").encode())
                elif path == "/readyz":
                    is_ready, why = ready()
                    self._send(200 if is_ready else 503, (why + "\n").encode())
                else:
                    self._send(404, b"try /metrics, /healthz or /readyz\n")

            def _send(self, status: int, body: bytes, kind: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return  # scrapes every few seconds would drown the real log lines

        try:
            self.server = ThreadingHTTPServer((host, port), Handler)
        except OSError as error:
            raise ConfigError(
                f"cannot serve metrics on {host}:{port}: {error.strerror or error} "
                "(pick another --metrics-port)"
            ) from None
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="cdccheck-metrics", daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self.server.shutdown()
        self.server.server_close()
