"""The engine alone, in-process: events/s per stream in CPU time, for decisions on a busy machine.

    .venv/bin/python benchmarks/engine.py                 # 20,000 events per stream, best of 5
    .venv/bin/python benchmarks/engine.py --events 5000 --repeat 3 --profile c

``make bench`` (benchmarks/run.py) times whole processes against their peers
in wall time, which other processes on the machine disturb. This times
``pipeline.check_batch`` over the streams of benchmarks/streams.py, batches
of 1000 as the commands read them, with a fresh Engine per round (so the
first events of every round are checked cold, as in a replay), in CPU time
(``time.process_time``), and keeps the fastest round. Alongside, the same
loop for the jsonschema-rs pipelines of benchmarks/peers.py (``json.loads``
or msgspec.msgpack, then is_valid / iter_errors under both schemas), and
the MessagePack cost: the decodable events of (a) and (c) as Go JSON and as
MessagePack. No Redis: add the XRANGE cost of run.py's "raw" row to both.

The streams are built before timing and frozen out of the garbage
collector (``gc.freeze``): a replay holds one batch, not 60,000 entries,
and should not be charged for collecting them. ``--profile STREAM``
prints a pyinstrument profile of one round instead.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable

import msgspec
import peers
import streams
from run import as_both_wires, schemas

from cdccheck.engine import Engine, check_batch
from cdccheck.model import Entry
from cdccheck.summary import Summary

BATCH = 1000


def engine_seconds(entries: list[Entry]) -> float:
    """CPU seconds of one fresh engine over ``entries`` (the commands' hot loop)."""
    legacy, new = schemas()
    engine = Engine(legacy, new)
    summary = Summary()
    started = time.process_time()
    for index in range(0, len(entries), BATCH):
        check_batch(engine, entries[index : index + BATCH], summary)
    return time.process_time() - started


def peer_seconds(entries: list[Entry], every_error: bool) -> float:
    """CPU seconds of the jsonschema-rs pipeline over ``entries`` (no Redis)."""
    legacy, new = peers.rs_checks(every_error=every_error)
    started = time.process_time()
    for entry in entries:
        fields = entry.fields
        try:
            if fields.get("encoding") == streams.MSGPACK:
                value = msgspec.msgpack.decode(fields["payload"])
            else:
                value = json.loads(fields["payload"])
            legacy(value)
            new(value)
        except ValueError:
            continue
    return time.process_time() - started


def best(run: Callable[[], float], repeat: int) -> float:
    return min(run() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=streams.SEED)
    parser.add_argument("--profile", choices=sorted(streams.STREAMS), default=None)
    options = parser.parse_args()
    built = {
        name: list(make(options.events, options.seed))
        for name, (_, make) in streams.STREAMS.items()
    }
    wires = {name: as_both_wires(built[name]) for name in ("a", "c")}
    gc.collect()
    gc.freeze()
    if options.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        engine_seconds(built[options.profile])
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
        return
    print(f"events/s in CPU time, best of {options.repeat}")
    print(f"{'stream':<8}{'cdccheck':>12}{'rs is_valid':>14}{'rs iter_errors':>16}"
          f"{'x is_valid':>12}{'x iter_errors':>15}")  # fmt: skip
    rates = {}
    for name, entries in built.items():
        ours = len(entries) / best(lambda e=entries: engine_seconds(e), options.repeat)
        valid = len(entries) / best(lambda e=entries: peer_seconds(e, False), options.repeat)
        errors = len(entries) / best(lambda e=entries: peer_seconds(e, True), options.repeat)
        rates[name] = ours
        print(f"({name}){'':<5}{ours:>12,.0f}{valid:>14,.0f}{errors:>16,.0f}"
              f"{ours / valid:>12.2f}{ours / errors:>15.2f}")  # fmt: skip
    print(f"(c) / (a): {rates['c'] / rates['a']:.2f}")
    for name, (as_json, as_msgpack) in wires.items():
        json_seconds = best(lambda e=as_json: engine_seconds(e), options.repeat)
        msgpack_seconds = best(lambda e=as_msgpack: engine_seconds(e), options.repeat)
        print(
            f"MessagePack / JSON cost, the same {len(as_json):,} events of ({name}): "
            f"{msgpack_seconds / json_seconds:.2f}x "
            f"({len(as_json) / json_seconds:,.0f} vs {len(as_json) / msgpack_seconds:,.0f} ev/s)"
        )


if __name__ == "__main__":
    main()
