"""cdccheck against the physical limit and the pipelines a user would write, in one run.

    make bench                       # 200,000 events per stream, RSS at 100k and 1M
    .venv/bin/python benchmarks/run.py --events 20000 --repeat 3 --rss 20000,100000 \
        --json out.json              # smaller, and the fastest of 3 rounds per row
    .venv/bin/python benchmarks/run.py --describe   # what the streams hold, by the engine

Everything runs on one embedded redis-server, on the same data, in one go.
Every contender is a process of its own. The first table is wall time from
its start to its exit (process start and imports included, the same for
peers and cdccheck); the second is the time each contender reports for its
own read-and-check loop (the peers' timer, the ``timing`` of cdccheck's JSON
report; consume's timer starts when the consumer is built, so it also holds
connecting and joining the group). The contenders:

* raw: redis-py + hiredis XRANGE in batches of 1000, payloads touched;
* naive: XRANGE + json.loads + python-jsonschema iter_errors (format checker)
  under both schemas; it reads the first --naive-events events only and its
  rate is measured on them (marked * in the table);
* jsonschema-rs is_valid / iter_errors: XRANGE + json.loads + jsonschema-rs
  (validate_formats=True) under both schemas, verdicts only / every error;
* replay: ``cdccheck replay``; replay --jobs 2 once that option exists;
* check: ``cdccheck check`` on the same range exported to a corpus file;
* consume: ``cdccheck consume`` (one consumer, commits included) draining the stream.

Peers decode entries marked ``encoding=msgpack`` with msgspec.msgpack (see
benchmarks/peers.py). Streams (benchmarks/streams.py): (a) realistic, 95%
valid; (b) every event invalid under legacy, structural and pattern/format
drift; (c) a migration mix with MessagePack and a long tail of shapes. Then:
the MessagePack cost (the same events as JSON and as MessagePack through the
engine, in-process), ``cdccheck compare`` on 2 x N events once it exists,
and peak RSS of replay at two stream sizes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import msgspec
import redis
import streams

from cdccheck.demo import seed_stream
from cdccheck.embedded import EmbeddedRedis, redis_server_binary
from cdccheck.engine.engine import Engine
from cdccheck.engine.pipeline import check_batch
from cdccheck.engine.schema import Schema, bundled_schema_path, load_schema
from cdccheck.grouping import aggregate_path
from cdccheck.model import FINDING_KINDS, LEGACY, NEW, READER_REJECTED, UNDECODABLE, WIRE, Entry
from cdccheck.summary import Summary

BATCH = 1000
CDCCHECK = str(Path(sys.executable).with_name("cdccheck"))
# check, replay and consume have no default schemas: the benchmarks use the bundled pair.
SCHEMA_ARGS = (
    *("--legacy", str(bundled_schema_path("legacy"))),
    *("--new", str(bundled_schema_path("new"))),
)
PEERS_SCRIPT = str(Path(__file__).with_name("peers.py"))
PEER_LABELS = {
    "raw": "raw XRANGE",
    "naive": "naive python-jsonschema",
    "rs-valid": "jsonschema-rs is_valid",
    "rs-errors": "jsonschema-rs iter_errors",
}
RATIO_COLUMNS = (
    ("raw", "x raw"),
    ("naive", "x naive"),
    ("rs-valid", "x rs-valid"),
    ("rs-errors", "x rs-errors"),
)


# ---------------------------------------------------------------- processes


class Failed(Exception):
    """A contender exited with a status other than 0 or 1."""


# Linux keeps a process's peak RSS across fork and exec: a child of this
# benchmark (which holds whole streams in memory) would report at least this
# process's own peak. So each contender is started by a small launcher, a fresh
# interpreter whose child's peak starts from the launcher's few megabytes; the
# launcher times the child and reports its wall seconds and peak RSS.
_LAUNCHER = """
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - started
with open(report, "w") as out:
    out.write(f"{elapsed} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_process(argv: list[str]) -> tuple[float, float, str]:
    """(wall seconds from start to exit, peak RSS in MB, stdout) of one process."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r") as report,
    ):
        process = subprocess.Popen(
            [sys.executable, "-S", "-c", _LAUNCHER, report.name, *argv], stdout=out, stderr=err
        )
        process.wait()
        measured = report.read().split()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if len(measured) != 2 or process.returncode not in (0, 1):
        line = (stderr.strip().splitlines() or ["(no message)"])[-1]
        raise Failed(f"{Path(argv[0]).name} {argv[1]} exited {process.returncode}: {line}")
    return float(measured[0]), int(measured[1]) / 1024, stdout


def run_cli(*args: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS and stdout of a cdccheck command (checking ones get the schemas)."""
    schemas = SCHEMA_ARGS if args and args[0] in ("check", "replay", "consume") else ()
    return run_process([CDCCHECK, *args, *schemas])


def report_elapsed(text: str) -> float | None:
    """The seconds a cdccheck report says it spent reading and checking (``timing``)."""
    try:
        elapsed = json.loads(text)["timing"]["elapsed_s"]
    except (ValueError, KeyError, TypeError):
        return None
    return float(elapsed) if elapsed else None


def report_totals(text: str) -> dict[str, Any] | None:
    """The verdict counters of a cdccheck JSON report."""
    try:
        totals: dict[str, Any] = json.loads(text)["totals"]
    except (ValueError, KeyError, TypeError):
        return None
    return totals


def run_peer(peer: str, url: str, stream: str, limit: int) -> tuple[float, dict[str, Any]]:
    """Wall seconds of one peer process and what it counted."""
    elapsed, _, stdout = run_process(
        [
            sys.executable,
            PEERS_SCRIPT,
            peer,
            "--redis-url",
            url,
            "--stream",
            stream,
            "--limit",
            str(limit),
        ]
    )
    return elapsed, json.loads(stdout)


def help_text(*command: str) -> str | None:
    """``cdccheck COMMAND --help`` output, or None when the command does not exist."""
    done = subprocess.run(
        [CDCCHECK, *command, "--help"], capture_output=True, text=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


# ---------------------------------------------------------------- one stream


def row(
    stream: str,
    contender: str,
    events: int,
    seconds: float | None,
    loop_seconds: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One table row; ``seconds`` None means the contender cannot run yet (n/a).

    ``seconds`` is the wall time of the process; ``loop_seconds`` the part the
    contender itself says it spent reading and checking (no process start,
    imports or schema compilation).
    """
    out: dict[str, Any] = {"stream": stream, "contender": contender, "events": events}
    out["seconds"] = seconds
    out["events_per_s"] = events / seconds if seconds else None
    out["loop_seconds"] = loop_seconds
    out["loop_events_per_s"] = events / loop_seconds if loop_seconds else None
    out.update(extra)
    return out


class Timed(NamedTuple):
    """One run of one contender."""

    wall: float
    loop: float | None
    max_rss_mb: float
    events: int
    counted: dict[str, Any] | None = None


Contender = Callable[[int], Timed]
"""Runs a contender once; the argument numbers the attempt (fresh consumer groups)."""


def contenders(
    url: str, name: str, stream: str, events: int, naive_events: int, workdir: Path
) -> dict[str, Contender | str]:
    """Every contender on one stream by label, peers first; a string says why it is n/a."""
    out: dict[str, Contender | str] = {}

    def peer(which: str, limit: int) -> Contender:
        def run(attempt: int) -> Timed:
            elapsed, counted = run_peer(which, url, stream, limit)
            return Timed(elapsed, counted["loop_seconds"], 0.0, counted["events"], counted)

        return run

    def cli(*args: str) -> Contender:
        def run(attempt: int) -> Timed:
            elapsed, rss, out = run_cli(*args)
            return Timed(elapsed, report_elapsed(out), rss, events, report_totals(out))

        return run

    def consume(attempt: int) -> Timed:
        report = workdir / f"consume-{name}-{attempt}.json"
        elapsed, rss, _ = run_cli(
            "consume",
            "--redis-url",
            url,
            "--stream",
            stream,
            "--group",
            f"bench-{name}-{attempt}",
            "--start-id",
            "0",
            "--max-events",
            str(events),
            "--until-idle",
            "2",
            "--report",
            str(report),
            "--log-format",
            "text",
            "--fail-on",
            "none",
        )
        loop = report_elapsed(report.read_text()) if report.exists() else None
        return Timed(elapsed, loop, rss, events)

    for which in ("raw", "naive", "rs-valid", "rs-errors"):
        out[PEER_LABELS[which]] = peer(which, naive_events if which == "naive" else events)
    replay = ("replay", "--redis-url", url, "--stream", stream, "--format", "json", "--quiet")
    out["cdccheck replay"] = cli(*replay)
    if "--jobs" in (help_text("replay") or ""):
        out["cdccheck replay --jobs 2"] = cli(*replay, "--jobs", "2")
    else:
        out["cdccheck replay --jobs 2"] = "no --jobs option yet"
    corpus = workdir / f"{name}.jsonl"
    run_cli("export", "--redis-url", url, "--stream", stream, "--out", str(corpus), "--quiet")
    out["cdccheck check"] = cli("check", str(corpus), "--format", "json", "--quiet")
    has_consume = help_text("consume") is not None
    out["cdccheck consume"] = consume if has_consume else "no consume command"
    return out


def measure_stream(
    url: str,
    name: str,
    stream: str,
    events: int,
    naive_events: int,
    workdir: Path,
    repeats: int = 1,
) -> list[dict[str, Any]]:
    """Every contender on one stream, ``repeats`` rounds; each row keeps its fastest run.

    Rounds go through all contenders in turn, so a burst of load from
    elsewhere on the machine hits one attempt of each rather than all
    attempts of one.
    """
    runnable = contenders(url, name, stream, events, naive_events, workdir)
    runs: dict[str, list[Timed]] = {label: [] for label in runnable}
    for attempt in range(repeats):
        for label, contender in runnable.items():
            if not isinstance(contender, str):
                runs[label].append(contender(attempt))
    (workdir / f"{name}.jsonl").unlink(missing_ok=True)
    rows = []
    for label, contender in runnable.items():
        if isinstance(contender, str):
            rows.append(row(name, label, events, None, note=contender))
            continue
        fastest = min(runs[label], key=lambda timed: timed.wall)
        loops = [timed.loop for timed in runs[label] if timed.loop is not None]
        extra: dict[str, Any] = {"runs": len(runs[label]), "max_rss_mb": fastest.max_rss_mb}
        if fastest.counted is not None:
            extra["counted"] = fastest.counted
        peer = next((key for key, value in PEER_LABELS.items() if value == label), None)
        if peer is not None:
            extra.update(peer=peer, subset=fastest.events < events)
        rows.append(
            row(name, label, fastest.events, fastest.wall, min(loops, default=None), **extra)
        )
    peers = {r["peer"]: r for r in rows if "peer" in r}
    for each in rows:
        for peer, _ in RATIO_COLUMNS:
            for key, prefix in (("events_per_s", "x_"), ("loop_events_per_s", "loop_x_")):
                rate = each[key]
                reference = peers[peer][key] if peer in peers else None
                each[prefix + peer] = rate / reference if rate and reference else None
    return rows


def measure_startup(url: str, client: redis.Redis) -> dict[str, float]:
    """Wall seconds of cdccheck replay and of a jsonschema-rs peer on a 1-event stream."""
    stream = "bench:startup"
    seed_stream(client, stream, streams.stream_a(1))
    replay, _, _ = run_cli(
        "replay", "--redis-url", url, "--stream", stream, "--format", "json", "--quiet"
    )
    peer, _ = run_peer("rs-valid", url, stream, 1)
    client.delete(stream)
    return {"cdccheck_replay_seconds": replay, "rs_peer_seconds": peer}


# ---------------------------------------------------------------- in-process engine


def schemas() -> tuple[Schema, Schema]:
    """The bundled legacy and new schemas, loaded as cdccheck loads them."""
    return (
        load_schema(bundled_schema_path("legacy"), name="legacy"),
        load_schema(bundled_schema_path("new"), name="new"),
    )


def engine_seconds(entries: list[Entry], legacy: Schema, new: Schema) -> tuple[float, Summary]:
    """Seconds for a fresh engine to check ``entries`` in batches (the commands' hot loop)."""
    engine = Engine(legacy, new)
    summary = Summary()
    started = time.perf_counter()
    for index in range(0, len(entries), BATCH):
        check_batch(engine, entries[index : index + BATCH], summary)
    return time.perf_counter() - started, summary


def as_both_wires(entries: Iterable[Entry]) -> tuple[list[Entry], list[Entry]]:
    """The decodable events of ``entries``, rendered as Go JSON and as MessagePack."""
    as_json: list[Entry] = []
    as_msgpack: list[Entry] = []
    for entry in entries:
        fields = entry.fields
        try:
            if fields.get("encoding") == streams.MSGPACK:
                value = msgspec.msgpack.decode(fields["payload"])
            else:
                value = json.loads(fields["payload"])
            payload = streams.go_json(value)
        except (ValueError, TypeError):  # undecodable, NaN, bytes or timestamps
            continue
        writer = fields["writer"]
        as_json.append(Entry(entry.id, {"payload": payload, "writer": writer}))
        as_msgpack.append(
            Entry(
                entry.id,
                {
                    "payload": msgspec.msgpack.encode(value),
                    "writer": writer,
                    "encoding": streams.MSGPACK,
                },
            )
        )
    return as_json, as_msgpack


def measure_msgpack(name: str, entries: Iterable[Entry], repeats: int = 3) -> dict[str, Any]:
    """Engine seconds for the same events as JSON and as MessagePack (best of ``repeats``)."""
    legacy, new = schemas()
    as_json, as_msgpack = as_both_wires(entries)
    json_best = msgpack_best = float("inf")
    json_summary = msgpack_summary = Summary()
    for _ in range(repeats):
        seconds, json_summary = engine_seconds(as_json, legacy, new)
        json_best = min(json_best, seconds)
        seconds, msgpack_summary = engine_seconds(as_msgpack, legacy, new)
        msgpack_best = min(msgpack_best, seconds)
    return {
        "stream": name,
        "events": len(as_json),
        "json_seconds": json_best,
        "msgpack_seconds": msgpack_best,
        "json_events_per_s": len(as_json) / json_best,
        "msgpack_events_per_s": len(as_json) / msgpack_best,
        "cost_ratio": msgpack_best / json_best,
        "same_counters": json_summary.totals == msgpack_summary.totals,
    }


# ---------------------------------------------------------------- compare, RSS


def measure_compare(url: str, client: redis.Redis, events: int, seed: int) -> dict[str, Any]:
    """``cdccheck compare`` of the monolith's and the Go service's renderings of N changes."""
    result: dict[str, Any] = {"events_per_side": events, "seconds": None, "pairs_per_s": None}
    if help_text("compare") is None:
        result["note"] = "no compare command yet"
        return result
    primary, candidate = "bench:compare:primary", "bench:compare:candidate"
    seed_stream(client, primary, streams.compare_side(events, "primary", seed))
    seed_stream(client, candidate, streams.compare_side(events, "candidate", seed))
    try:
        elapsed, rss, _ = run_cli(
            "compare",
            "--redis-url",
            url,
            "--primary-stream",
            primary,
            "--candidate-stream",
            candidate,
            "--key",
            "/op",
            "--key",
            "/comment/id,/comment_id",
            "--format",
            "json",
        )
    except Failed as error:
        result["note"] = str(error)
    else:
        result.update(seconds=elapsed, pairs_per_s=events / elapsed, max_rss_mb=rss)
    client.delete(primary, candidate)
    return result


def measure_rss(url: str, client: redis.Redis, sizes: list[int], seed: int) -> list[dict]:
    """Peak RSS of cdccheck replay on stream (a) at each size."""
    rows = []
    for size in sizes:
        stream = f"bench:rss:{size}"
        seed_stream(client, stream, streams.stream_a(size, seed))
        elapsed, rss, _ = run_cli(
            "replay", "--redis-url", url, "--stream", stream, "--format", "json", "--quiet"
        )
        rows.append({"events": size, "max_rss_mb": rss, "seconds": elapsed})
        client.delete(stream)
    return rows


# ---------------------------------------------------------------- --describe


def describe(events: int, seed: int) -> list[dict[str, Any]]:
    """Run the real engine over the first ``events`` events of each stream."""
    legacy, new = schemas()
    out = []
    for name, (title, make) in streams.STREAMS.items():
        engine = Engine(legacy, new)
        counts: Counter[str] = Counter()
        kinds: Counter[tuple[str, str]] = Counter()
        paths: set[tuple[str, str, str]] = set()
        aggregated: set[tuple[str, str, str]] = set()
        shapes: Counter[frozenset[tuple[str, str, str]]] = Counter()
        for entry in make(events, seed):
            verdict = engine.check(entry)
            counts["events"] += 1
            counts["msgpack"] += entry.fields.get("encoding") == streams.MSGPACK
            counts["writer " + entry.fields["writer"].decode()] += 1
            counts["with warnings"] += bool(verdict.warnings)
            if not verdict.decodable:
                findings = [(WIRE, UNDECODABLE, "")]
                counts["undecodable"] += 1
            else:
                findings = [(LEGACY, f.kind, f.path) for f in verdict.legacy or []]
                findings += [(NEW, f.kind, f.path) for f in verdict.new or []]
                counts["legacy invalid"] += bool(verdict.legacy)
                counts["new invalid"] += bool(verdict.new)
                counts["valid under both"] += verdict.ok
            if findings:
                counts["failing a schema"] += 1
                shapes[frozenset((s, k, aggregate_path(p)) for s, k, p in findings)] += 1
            for schema, kind, path in findings:
                kinds[(schema, kind)] += 1
                counts["array item findings"] += "/awards/" in path
                paths.add((schema, kind, path))
                aggregated.add((schema, kind, aggregate_path(path)))
        array_items = counts.pop("array item findings", 0)
        out.append(
            {
                "stream": name,
                "title": title,
                "counts": dict(counts),
                "finding_kinds": {f"{s} {k}": n for (s, k), n in sorted(kinds.items())},
                "array_item_findings": array_items,
                "distinct_schema_kind_path": len(paths),
                "distinct_schema_kind_path_aggregated": len(aggregated),
                "distinct_failure_shapes": len(shapes),
                "one_off_failure_shapes": sum(1 for n in shapes.values() if n == 1),
                "top_failure_shapes": [
                    {"events": n, "shape": sorted(" ".join(part) for part in shape)}
                    for shape, n in shapes.most_common(5)
                ],
            }
        )
    return out


def describe_checks(stream: dict[str, Any]) -> list[tuple[str, bool]]:
    """What each stream promises, checked on the engine's verdicts."""
    counts = stream["counts"]
    events = counts["events"]
    share = {key: counts.get(key, 0) / events for key in counts}
    kinds = {key.split(" ", 1)[1] for key in stream["finding_kinds"]}
    if stream["stream"] == "a":
        return [("90-98% valid under both", 0.90 <= share.get("valid under both", 0) <= 0.98)]
    if stream["stream"] == "b":
        structural = {
            "missing_required",
            "null_not_allowed",
            "type_mismatch",
            "unknown_field",
            "enum_value",
            "format",
            "constraint",
        }
        return [
            ("every event invalid under legacy", counts.get("legacy invalid") == events),
            ("structural kinds and pattern/format all present", structural <= kinds),
            ("array items drift present", stream["array_item_findings"] > 0),
        ]
    return [
        ("50-65% failing a schema", 0.50 <= share.get("failing a schema", 0) <= 0.65),
        ("8-12% MessagePack", 0.08 <= share.get("msgpack", 0) <= 0.12),
        # reader_rejected comes only from a real reader (py:module:function), not a schema.
        ("every finding kind present", set(FINDING_KINDS) - {READER_REJECTED} <= kinds),
        (">= 12 distinct failure shapes", stream["distinct_failure_shapes"] >= 12),
        ("a long tail of one-off shapes", stream["one_off_failure_shapes"] >= 0.01 * events),
        ("both writers", sum(1 for key in counts if key.startswith("writer ")) >= 2),
    ]


def print_description(described: list[dict[str, Any]]) -> None:
    for stream in described:
        counts = stream["counts"]
        events = counts["events"]
        print(f"stream ({stream['stream']}) {stream['title']}: {events:,} events checked")
        for key in (
            "valid under both",
            "failing a schema",
            "legacy invalid",
            "new invalid",
            "undecodable",
            "with warnings",
            "msgpack",
        ):
            print(f"  {key:<20}{counts.get(key, 0) / events:>8.1%}")
        writers = ", ".join(
            f"{key[7:]} {n / events:.0%}" for key, n in counts.items() if key.startswith("writer ")
        )
        print(f"  writers             {writers}")
        print(
            f"  distinct (schema, kind, path): {stream['distinct_schema_kind_path']} "
            f"({stream['distinct_schema_kind_path_aggregated']} with array indices as *); "
            f"failure shapes: {stream['distinct_failure_shapes']} "
            f"({stream['one_off_failure_shapes']} seen once)"
        )
        kinds = ", ".join(f"{key} {n:,}" for key, n in stream["finding_kinds"].items())
        print(f"  findings by schema and kind: {kinds or 'none'}")
        for check, ok in describe_checks(stream):
            print(f"  [{'ok' if ok else 'OFF'}] {check}")
        print()


# ---------------------------------------------------------------- output


def _rate(value: float | None, width: int, digits: int) -> str:
    return f"{'n/a':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def table(rows: list[dict[str, Any]], *, loop: bool = False) -> str:
    """The contenders of every stream; wall time, or the loop time with ``loop``."""
    rate_key, ratio_prefix = ("loop_events_per_s", "loop_x_") if loop else ("events_per_s", "x_")
    seconds_key = "loop_seconds" if loop else "seconds"
    header = f"{'stream':<7}{'contender':<28}{'events':>9}{'seconds':>9}{'events/s':>10}"
    header += "".join(f"{label:>12}" for _, label in RATIO_COLUMNS)
    lines = [header]
    for each in rows:
        contender = each["contender"] + (" *" if each.get("subset") else "")
        if each[seconds_key] is None:
            why = each.get("note", "not available") if each["seconds"] is None else "not reported"
            lines.append(
                f"{each['stream']:<7}{contender:<28}{'':>9}{'n/a':>9}{'n/a':>10}   ({why})"
            )
            continue
        line = (
            f"{each['stream']:<7}{contender:<28}{each['events']:>9,}{each[seconds_key]:>9.2f}"
            f"{each[rate_key]:>10,.0f}"
        )
        for peer, _ in RATIO_COLUMNS:
            line += _rate(each[ratio_prefix + peer], 12, 3 if peer == "raw" else 2)
        lines.append(line)
    return "\n".join(lines)


def rate_of(rows: list[dict[str, Any]], stream: str, contender: str, key: str) -> float | None:
    """``key`` (events_per_s or loop_events_per_s) of one row, None when absent."""
    for each in rows:
        if each["stream"] == stream and each["contender"] == contender:
            rate: float | None = each[key]
            return rate
    return None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _met(value: float | None, relation: str, bound: float) -> bool | None:
    if value is None:
        return None
    return value >= bound if relation == ">=" else value <= bound


def targets(
    rows: list[dict[str, Any]],
    msgpack: list[dict[str, Any]],
    compare: dict[str, Any],
    rss: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Issue 14's targets, each on wall time and on loop time where both exist."""
    rs_valid, rs_errors = PEER_LABELS["rs-valid"], PEER_LABELS["rs-errors"]
    replay, consume, jobs = "cdccheck replay", "cdccheck consume", "cdccheck replay --jobs 2"
    ratios: list[tuple[str, tuple[str, str], tuple[str, str], float]] = [
        ("(a) replay / jsonschema-rs is_valid", ("a", replay), ("a", rs_valid), 1.0),
        ("(b) replay / jsonschema-rs iter_errors", ("b", replay), ("b", rs_errors), 1.0),
        ("(c) replay / jsonschema-rs iter_errors", ("c", replay), ("c", rs_errors), 1.0),
        ("(c) replay / (a) replay", ("c", replay), ("a", replay), 0.5),
        ("(a) consume / replay", ("a", consume), ("a", replay), 0.6),
        ("(b) consume / replay", ("b", consume), ("b", replay), 0.6),
        ("(c) consume / replay", ("c", consume), ("c", replay), 0.6),
        ("(a) replay --jobs 2 / replay", ("a", jobs), ("a", replay), 1.5),
    ]
    out = []
    for name, top, bottom, bound in ratios:
        wall = _ratio(rate_of(rows, *top, "events_per_s"), rate_of(rows, *bottom, "events_per_s"))
        loop = _ratio(
            rate_of(rows, *top, "loop_events_per_s"), rate_of(rows, *bottom, "loop_events_per_s")
        )
        out.append(
            {"target": name, "relation": ">=", "bound": bound, "wall": wall,
             "met": _met(wall, ">=", bound), "loop": loop, "loop_met": _met(loop, ">=", bound)}
        )  # fmt: skip
    single: list[tuple[str, float | None, str, float]] = [
        (f"({each['stream']}) MessagePack / JSON cost, engine", each["cost_ratio"], "<=", 1.5)
        for each in msgpack
    ]
    single.append(("compare pairs/s (2 x N events)", compare.get("pairs_per_s"), ">=", 20_000))
    if len(rss) >= 2:
        growth = rss[-1]["max_rss_mb"] / rss[0]["max_rss_mb"]
        single.append(
            (f"peak RSS {rss[-1]['events']:,} / {rss[0]['events']:,} events", growth, "<=", 1.10)
        )
    for name, value, relation, bound in single:
        out.append(
            {"target": name, "relation": relation, "bound": bound, "wall": value,
             "met": _met(value, relation, bound), "loop": None, "loop_met": None}
        )  # fmt: skip
    return out


def report(
    info: dict[str, Any],
    startup: dict[str, float],
    rows: list[dict[str, Any]],
    msgpack: list[dict[str, Any]],
    compare: dict[str, Any],
    rss: list[dict[str, Any]],
    goals: list[dict[str, Any]],
    naive_events: int,
    repeats: int,
) -> str:
    """The whole result as text."""
    lines = [
        f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"redis-server {info['redis_server']}",
        "",
    ]
    for name, (title, _) in streams.STREAMS.items():
        lines.append(f"({name}) {title}")
    lines += [
        "",
        f"each row: the fastest of {repeats} round(s) over all contenders",
        "wall: every contender is one process, timed from its start to its exit; start-up on a "
        f"1-event stream: cdccheck replay {startup['cdccheck_replay_seconds']:.2f} s, "
        f"a jsonschema-rs peer {startup['rs_peer_seconds']:.2f} s",
        table(rows),
        "",
        "loop: the seconds each contender reports for reading and checking (its own timer: "
        "no process start, imports or schema compilation)",
        table(rows, loop=True),
    ]
    if any(each.get("subset") for each in rows):
        lines.append(
            f"* naive python-jsonschema read the first {naive_events:,} events of each stream; "
            "its events/s is measured on them"
        )
    lines += [
        "",
        "the same work: events invalid under legacy / new, undecodable (naive: its subset)",
    ]
    for name in streams.STREAMS:
        cells = []
        for label in ("cdccheck replay", PEER_LABELS["rs-valid"], PEER_LABELS["naive"]):
            counted = next(
                (r.get("counted") for r in rows if r["stream"] == name and r["contender"] == label),
                None,
            )
            if counted:
                cells.append(
                    f"{label.split()[0]} {counted['legacy_invalid']:,} / "
                    f"{counted['new_invalid']:,} / {counted['undecodable']:,}"
                )
        lines.append(f"  ({name}) " + ", ".join(cells))
    lines.append(
        "  (json.loads accepts NaN, which cdccheck calls undecodable: strict JSON, "
        "docs/semantics.md rule 1)"
    )
    lines += [
        "",
        "MessagePack cost: the same events as JSON and as MessagePack through the "
        "engine (in-process, best of 3)",
    ]
    for each in msgpack:
        lines.append(
            f"  ({each['stream']}) {each['events']:,} events: JSON {each['json_events_per_s']:,.0f}"
            f" ev/s, MessagePack {each['msgpack_events_per_s']:,.0f} ev/s, cost ratio "
            f"{each['cost_ratio']:.2f}x, same counters: {'yes' if each['same_counters'] else 'NO'}"
        )
    lines.append("")
    if compare["seconds"] is None:
        lines.append(
            f"compare (2 x {compare['events_per_side']:,} events): n/a ({compare['note']})"
        )
    else:
        lines.append(
            f"compare (2 x {compare['events_per_side']:,} events): {compare['seconds']:.2f} s, "
            f"{compare['pairs_per_s']:,.0f} pairs/s, peak RSS {compare['max_rss_mb']:.0f} MB"
        )
    lines += ["", f"{'replay of':<24}{'peak RSS MB':>12}{'seconds':>9}"]
    for each in rss:
        lines.append(
            f"{each['events']:>9,} events{'':<8}{each['max_rss_mb']:>12.1f}{each['seconds']:>9.2f}"
        )
    lines += ["", f"{'targets (issue 14)':<46}{'bound':<12}{'wall':>16}{'loop':>16}"]
    for goal in goals:
        bound = f"{goal['relation']} {goal['bound']:,}"
        cells = ""
        for value_key, met_key in (("wall", "met"), ("loop", "loop_met")):
            value, met = goal[value_key], goal[met_key]
            verdict = {True: "met", False: "MISSED", None: ""}[met]
            shown = "n/a" if value is None else f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
            cells += f"{shown:>9} {verdict:<6}"
        lines.append(f"  {goal['target']:<44}{bound:<12}{cells}")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    server = subprocess.run(
        [redis_server_binary(), "--version"], capture_output=True, text=True, check=False
    ).stdout.split()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "redis_server": next((part for part in server if part.startswith("v=")), "?"),
        "platform": platform.platform(),
    }


def _first(entries: Iterator[Entry], n: int) -> list[Entry]:
    return list(itertools.islice(entries, n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="events per stream")
    parser.add_argument(
        "--naive-events",
        type=int,
        default=10_000,
        help="events the naive python-jsonschema pipeline reads per stream (its rate is "
        "measured on them)",
    )
    parser.add_argument(
        "--msgpack-events",
        type=int,
        default=50_000,
        help="events per stream in the MessagePack cost measurement",
    )
    parser.add_argument(
        "--compare-events", type=int, default=None, help="events per side (default: --events)"
    )
    parser.add_argument("--rss", default="100000,1000000", help="stream sizes for peak RSS")
    parser.add_argument("--seed", type=int, default=streams.SEED)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds over every contender; each row keeps its fastest (for a noisy machine)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--describe",
        action="store_true",
        help="only check the streams' mix with the engine (verdict shares, shapes) and exit",
    )
    parser.add_argument(
        "--describe-events", type=int, default=5000, help="events per stream for --describe"
    )
    options = parser.parse_args()
    if options.describe:
        described = describe(options.describe_events, options.seed)
        print_description(described)
        if options.json:
            options.json.write_text(json.dumps({"describe": described}, indent=2) + "\n")
        return
    rss_sizes = [int(size) for size in options.rss.split(",") if size]
    naive_events = min(options.naive_events, options.events)
    with EmbeddedRedis() as server, tempfile.TemporaryDirectory() as scratch:
        client = redis.Redis.from_url(server.url)
        startup = measure_startup(server.url, client)
        rows: list[dict[str, Any]] = []
        for name, (_, make) in streams.STREAMS.items():
            stream = f"bench:{name}"
            print(f"stream ({name}): writing {options.events:,} events", file=sys.stderr)
            seed_stream(client, stream, make(options.events, options.seed))
            print(f"stream ({name}): measuring", file=sys.stderr)
            rows += measure_stream(
                server.url,
                name,
                stream,
                options.events,
                naive_events,
                Path(scratch),
                options.repeat,
            )
            client.delete(stream)
        print("MessagePack cost", file=sys.stderr)
        msgpack_events = min(options.msgpack_events, options.events)
        msgpack = [
            measure_msgpack(
                name, _first(streams.STREAMS[name][1](msgpack_events, options.seed), msgpack_events)
            )
            for name in ("a", "c")
        ]
        print("compare", file=sys.stderr)
        compare = measure_compare(
            server.url, client, options.compare_events or options.events, options.seed
        )
        print("peak RSS of replay", file=sys.stderr)
        rss = measure_rss(server.url, client, rss_sizes, options.seed)
        client.close()
        info = machine()
    goals = targets(rows, msgpack, compare, rss)
    print(report(info, startup, rows, msgpack, compare, rss, goals, naive_events, options.repeat))
    if options.json:
        document = {
            "machine": info,
            "events": options.events,
            "repeat": options.repeat,
            "startup": startup,
            "throughput": rows,
            "msgpack": msgpack,
            "compare": compare,
            "rss": rss,
            "targets": goals,
        }
        options.json.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
