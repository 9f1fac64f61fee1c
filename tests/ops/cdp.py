"""A tiny Chrome DevTools Protocol client on the standard library, for the browser tests.

Headless chromium runs with ``--remote-debugging-port=0`` on 127.0.0.1 and
writes the port it picked to ``DevToolsActivePort`` in its profile. This
client speaks just enough WebSocket (RFC 6455: masked text frames out,
unmasked frames in, fragments, ping) to send commands and collect events,
so a test can watch every request a page makes.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class CdpError(RuntimeError):
    """The browser answered a command with an error, or went away."""


class Cdp:
    """One WebSocket connection to a DevTools target."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        self.timeout = timeout
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise CdpError("the browser closed the connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise CdpError(f"no WebSocket upgrade: {head[:200]!r}")
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        self.sock.close()

    # -- frames ----------------------------------------------------------------

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise CdpError("the browser closed the connection")
            data += chunk
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _message(self) -> dict[str, Any]:
        pieces: list[bytes] = []
        while True:
            first, second = self._read(2)
            opcode, final = first & 0x0F, bool(first & 0x80)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8))
            mask = self._read(4) if second & 0x80 else b""
            payload = self._read(length)
            if mask:
                payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
            if opcode == 0x8:
                raise CdpError("the browser closed the WebSocket")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x1, 0x2, 0x0):
                pieces.append(payload)
                if final:
                    message: dict[str, Any] = json.loads(b"".join(pieces))
                    return message

    # -- protocol ----------------------------------------------------------------

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its result; events seen meanwhile are kept."""
        self.next_id += 1
        ident = self.next_id
        self._send_frame(
            0x1, json.dumps({"id": ident, "method": method, "params": params}).encode()
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = self._message()
            if message.get("id") == ident:
                if "error" in message:
                    raise CdpError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)
        raise CdpError(f"{method}: no answer within {self.timeout}s")

    def wait_for(self, method: str) -> dict[str, Any]:
        """The first event ``method`` (already received or still to come)."""
        for event in self.events:
            if event["method"] == method:
                return event
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = self._message()
            if "method" in message:
                self.events.append(message)
                if message["method"] == method:
                    return message
        raise CdpError(f"no {method} event within {self.timeout}s")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise CdpError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")


def _page_target(port: int, timeout: float) -> str:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/json/list")
            targets = json.loads(connection.getresponse().read())
        except OSError:
            time.sleep(0.1)
            continue
        finally:
            connection.close()
        for target in targets:
            if target.get("type") == "page" and target.get("webSocketDebuggerUrl"):
                return str(target["webSocketDebuggerUrl"])
        time.sleep(0.1)
    raise CdpError("chromium offered no page target")


@contextmanager
def browser(command: list[str], profile: Path, timeout: float = 60.0) -> Iterator[Cdp]:
    """Run ``command`` (headless chromium with ``profile``) and connect to its blank page."""
    log = profile.parent / f"{profile.name}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [
                *command,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (active.exists() and active.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                error = log.read_text(errors="replace")
                raise CdpError(f"chromium did not open its DevTools port: {error[-500:]}")
            time.sleep(0.05)
        port = int(active.read_text().split()[0])
        client = Cdp(_page_target(port, timeout), timeout=timeout)
        try:
            yield client
        finally:
            client.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
