"""Hostile stream entries, and running the installed script as a measured process.

``hostile_entries`` is every kind of payload issue 10 names: random bytes,
truncations, deep nesting, NaN, lone surrogates, a byte order mark, invalid
UTF-8, duplicate keys, MessagePack garbage, missing fields, objects of
10,000 keys, long keys, 5,000-digit integers in arrays, a 500,000-digit
integer, and strings that make ``^(a+)+b$`` backtrack, mixed with ordinary
events. ``run_measured`` runs ``cdccheck`` and reports the peak RSS of that
process alone (``os.wait4``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest

from cdccheck.model import Entry
from cdccheck.samples import mixed_stream

SCRIPT = Path(sys.executable).with_name("cdccheck")
CATASTROPHIC = r"^(a+)+b$"
SLOW = r"^(?=a)(a|a)*$"
"""Exponential, and not RE2's: the regex module under --pattern-timeout-ms."""

HOSTILE_NEW_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "op": {"enum": ["create", "update", "delete", "increment"]},
        "name": {"type": "string", "pattern": CATASTROPHIC},
        "slow": {"type": "string", "pattern": SLOW},
        "items": {"type": "array"},
    },
    "required": ["op"],
}


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def hostile_entries(seed: int = 11, ordinary: int = 200) -> list[Entry]:
    """Ordinary events with every hostile payload kind among them (about 300 entries)."""
    rng = random.Random(seed)
    payloads: list[dict[str, bytes]] = []

    def add(payload: bytes | None, writer: bytes = b"hostile", **fields: bytes) -> None:
        entry = {"writer": writer, **fields}
        if payload is not None:
            entry["payload"] = payload
        payloads.append(entry)

    valid = _json({"op": "create", "name": "aab", "comment": {"id": 1}})
    for _ in range(10):
        add(rng.randbytes(rng.randrange(1, 200)))  # random bytes
    for cut in (1, 5, len(valid) // 2, len(valid) - 1):
        add(valid[:cut])  # truncations
    add(b"[" * 512 + b"]" * 512)  # as deep as rule 1 allows
    add(b"[" * 513 + b"]" * 513)  # one level too deep
    add(b"[" * 100_000)  # very deep and unfinished
    add(b'{"op": "create", "score": NaN}')
    add(b'{"op": "create", "score": Infinity}')
    add(b'{"op": "create", "name": "\\ud800"}')  # an escaped lone surrogate
    add(b"\xef\xbb\xbf" + valid)  # a byte order mark
    add(b'{"op": "create", "name": "\xff\xfe"}')  # invalid UTF-8
    add(b'{"op": "create", "op": "delete"}')  # duplicate keys
    add(b"\xc1\xc1\xc1", encoding=b"msgpack")  # msgpack garbage
    add(b"\x81\xa2op", encoding=b"msgpack")  # truncated msgpack map
    extension = msgspec.msgpack.Ext(1, b"x")
    add(msgspec.msgpack.encode({"op": "create", "when": extension}), encoding=b"msgpack")
    add(msgspec.msgpack.encode({1: "not a string key"}), encoding=b"msgpack")
    add(None)  # no payload field at all
    add(b"")  # an empty payload
    add(_json({"comment": {"body": "no op"}}))  # missing fields
    add(_json({"op": "create", "bag": {f"k{i}": i for i in range(10_000)}}))  # 10k keys
    add(_json({"op": "create", "bag": {f"k{i}": i for i in range(100_001)}}))  # beyond the limit
    add(_json({"op": "create", "k" * 30_000: 1}))  # a long key, within the limit
    add(_json({"op": "create", "k" * 70_000: 1}))  # a key beyond --max-key-bytes
    add(b"[" + b"9" * 5000 + b"]")  # defect 1's poison, beyond --max-int-digits
    add(b'{"op": "create", "items": [' + b"9" * 4300 + b"]}")  # as long as allowed
    add(b'{"op": "create", "n": ' + b"9" * 500_000 + b"}")  # defect 2: minutes to decode
    for length in (40, 60, 200):
        add(_json({"op": "create", "name": "a" * length + "!"}))  # defect 4: backtracking
    add(_json({"op": "create", "slow": "a" * 40 + "!"}))  # beyond the pattern budget
    add(_json({"op": "create", "slow": "aaa"}))
    for writer in (b"py", b"go"):
        add(_json({"op": "x" * 5000, "comment": {}}), writer=writer)  # a long op
    add(valid, writer=b"w" * 5000)  # a long writer
    rng.shuffle(payloads)
    normal = list(mixed_stream(ordinary, seed, defect_rate=0.2))
    fields = [entry.fields for entry in normal] + payloads
    rng.shuffle(fields)
    return [Entry(f"{1769601600000 + i}-0", f) for i, f in enumerate(fields)]


@dataclass
class Finished:
    """A finished process: exit code, output, and its own peak RSS in MiB."""

    returncode: int
    stdout: str
    stderr: str
    max_rss_mib: float


def run_measured(*args: str, cwd: Path, timeout: float = 600) -> Finished:
    """Run the installed ``cdccheck`` with ``args``; kill it (and fail) if it overstays."""
    if not SCRIPT.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen([str(SCRIPT), *args], stdout=stdout, stderr=stderr, cwd=cwd)
    overstayed = threading.Event()

    def kill() -> None:
        overstayed.set()
        os.kill(process.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)  # the Popen must not wait again
    if overstayed.is_set():
        pytest.fail(f"cdccheck {args[0]} did not finish within {timeout} s")
    return Finished(
        process.returncode,
        out.read_text(errors="replace"),
        err.read_text(errors="replace"),
        usage.ru_maxrss / 1024,  # KiB on Linux
    )
