"""The pipelines a user would write instead of cdccheck; each runs as a process of its own.

    .venv/bin/python benchmarks/peers.py PEER --redis-url URL --stream KEY [--limit N]

PEER is one of:

* ``raw``: XRANGE in batches of 1000 with the raw hiredis reply, payloads
  touched, nothing else (the physical limit of reading the stream);
* ``naive``: XRANGE + json.loads + python-jsonschema ``iter_errors`` with the
  format checker, under both schemas;
* ``rs-valid``: XRANGE + json.loads + jsonschema-rs ``is_valid``
  (``validate_formats=True``) under both schemas: verdicts only;
* ``rs-errors``: the same with ``iter_errors``, every error collected.

The schemas are the bundled pair, schemas/comment/legacy.json and new.json.
Entries whose ``encoding`` field says msgpack are decoded with
msgspec.msgpack, as a user honouring the per-entry field would. A payload
that does not decode, or decodes to values outside JSON (bytes, timestamps),
counts as undecodable. Prints one JSON line: events read, events invalid
under each schema, undecodable events, errors collected, and the seconds
spent in the loop (without process start and imports).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import redis

BATCH = 1000
SCHEMAS = Path(__file__).resolve().parents[1] / "schemas" / "comment"
PEERS = ("raw", "naive", "rs-valid", "rs-errors")
_UNDECODABLE = object()


def schema(role: str) -> Any:
    """The bundled ``legacy`` or ``new`` comment schema as a Python value."""
    return json.loads((SCHEMAS / f"{role}.json").read_bytes())


def batches(url: str, stream: str, limit: int, *, raw: bool = False) -> Iterator[list[Any]]:
    """XRANGE replies of up to BATCH entries, from the start, until ``limit`` entries."""
    client = redis.Redis.from_url(url)
    if raw:
        client.set_response_callback("XRANGE", lambda response, **options: response)
    start, seen = "-", 0
    while seen < limit:
        count = min(BATCH, limit - seen)
        reply = client.execute_command("XRANGE", stream, start, "+", "COUNT", count)
        if not reply:
            break
        yield reply
        seen += len(reply)
        last = reply[-1][0]
        milliseconds, sequence = (last.decode() if isinstance(last, bytes) else last).split("-")
        start = f"{milliseconds}-{int(sequence) + 1}"
    client.close()


def decode(fields: dict[bytes, bytes]) -> Any:
    """The payload's value, or _UNDECODABLE."""
    payload = fields.get(b"payload")
    if payload is None:
        return _UNDECODABLE
    try:
        if fields.get(b"encoding") == b"msgpack":
            return msgspec.msgpack.decode(payload)
        return json.loads(payload)
    except ValueError:  # JSONDecodeError, UnicodeDecodeError and msgspec.DecodeError
        return _UNDECODABLE


def raw_read(url: str, stream: str, limit: int) -> dict[str, Any]:
    """Read and touch every payload."""
    touched = seen = 0
    for reply in batches(url, stream, limit, raw=True):
        for _, fields in reply:
            # The raw reply is the flat [name, value, ...] list of the entry.
            touched += len(fields[1])
        seen += len(reply)
    return {"events": seen, "bytes": touched}


Check = Callable[[Any], int]
"""Errors of one value under one schema (is_valid: 0 or 1); raises ValueError for non-JSON."""


def naive_checks() -> list[Check]:
    """python-jsonschema, as the project's reference, under both schemas."""
    from jsonschema import Draft202012Validator

    out: list[Check] = []
    for role in ("legacy", "new"):
        validator = Draft202012Validator(
            schema(role), format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        out.append(lambda value, v=validator: len(list(v.iter_errors(value))))
    return out


def rs_checks(*, every_error: bool) -> list[Check]:
    """jsonschema-rs under both schemas, formats asserted."""
    import jsonschema_rs

    out: list[Check] = []
    for role in ("legacy", "new"):
        validator = jsonschema_rs.validator_for(schema(role), validate_formats=True)
        if every_error:
            out.append(lambda value, v=validator: len(list(v.iter_errors(value))))
        else:
            out.append(lambda value, v=validator: 0 if v.is_valid(value) else 1)
    return out


def validate(url: str, stream: str, limit: int, checks: list[Check]) -> dict[str, Any]:
    """Decode every payload and run every check on it."""
    legacy, new = checks
    seen = undecodable = legacy_invalid = new_invalid = errors = 0
    for reply in batches(url, stream, limit):
        for _, fields in reply:
            value = decode(fields)
            if value is _UNDECODABLE:
                undecodable += 1
                continue
            try:
                legacy_errors = legacy(value)
                new_errors = new(value)
            except ValueError:  # bytes or a datetime from MessagePack: not JSON
                undecodable += 1
                continue
            legacy_invalid += legacy_errors > 0
            new_invalid += new_errors > 0
            errors += legacy_errors + new_errors
        seen += len(reply)
    return {
        "events": seen,
        "undecodable": undecodable,
        "legacy_invalid": legacy_invalid,
        "new_invalid": new_invalid,
        "errors": errors,
    }


def run(peer: str, url: str, stream: str, limit: int) -> dict[str, Any]:
    """Run one peer; the result carries the seconds spent reading and checking."""
    if peer == "raw":
        started = time.perf_counter()
        result = raw_read(url, stream, limit)
    else:
        every_error = peer == "rs-errors"
        checks = naive_checks() if peer == "naive" else rs_checks(every_error=every_error)
        started = time.perf_counter()
        result = validate(url, stream, limit, checks)
    result["loop_seconds"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("peer", choices=PEERS)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--stream", required=True)
    parser.add_argument("--limit", type=int, default=sys.maxsize, help="read at most N entries")
    options = parser.parse_args()
    result = run(options.peer, options.redis_url, options.stream, options.limit)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
