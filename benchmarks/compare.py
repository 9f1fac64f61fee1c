"""Compare throughput and memory: two writers' streams of 200,000 events each, in process.

    .venv/bin/python benchmarks/compare.py                    # 2 x 200,000 events
    .venv/bin/python benchmarks/compare.py --events 50000 --json out.json
    .venv/bin/python benchmarks/compare.py --write-corpora /tmp/cmp   # then time the CLI

The two sides are the compare demo's history (cdccheck.compare.demo: the
Python writer against the Go-style writer, with omitted zero scores, null
awards, other timestamp forms, races and dropped events) rendered once for
``--template`` changes and then repeated with fresh comment ids and stream
ids, produced lazily so the input itself takes no memory. Reported:

* pairs/s of ``run_compare`` (key ``/op`` + ``/comment/id,/comment_id``,
  ``--ignore /event_id``), with the time to merely produce the entries
  measured separately and taken out;
* the same with ``--entity`` (converged/transient/reordered per comment);
* resident memory sampled every 20,000 primary entries: flat means bounded
  by the window, not by the range.

Wall-clock rates suffer when other processes share the CPUs, so pairs per
CPU-second (``time.process_time``) is reported next to them.

Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Iterator
from typing import Any

from cdccheck.compare import run_compare
from cdccheck.compare.demo import DEMO_ENTITY, DEMO_KEY, compare_demo
from cdccheck.model import Entry

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """Resident memory of this process now, in MiB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE / 2**20


def sides(events: int, template: int, seed: int) -> tuple[Iterator[Entry], Iterator[Entry]]:
    """Lazy primary and candidate entries: the demo history repeated with fresh ids."""
    demo = compare_demo(template, seed)
    first_ms = min(int(demo.primary[0].id.split("-")[0]), int(demo.candidate[0].id.split("-")[0]))
    last_ms = max(int(demo.primary[-1].id.split("-")[0]), int(demo.candidate[-1].id.split("-")[0]))
    cycle_ms = last_ms - first_ms + 1_000

    def parts(entries: list[Entry]) -> list[tuple[int, str, bytes, bytes]]:
        out = []
        for entry in entries:
            ms, _, seq = entry.id.partition("-")
            out.append((int(ms) - first_ms, seq, entry.fields["payload"], entry.fields["writer"]))
        return out

    def side(template_parts: list[tuple[int, str, bytes, bytes]], limit: int) -> Iterator[Entry]:
        produced = 0
        cycle = 0
        while True:
            base = first_ms + cycle * cycle_ms
            # Fresh comment ids per cycle, the same on both sides, so pairs stay pairs.
            marker = b'"t1_%x_' % cycle
            for offset, seq, payload, writer in template_parts:
                if produced == limit:
                    return
                yield Entry(
                    f"{base + offset}-{seq}",
                    {"payload": payload.replace(b'"t1_', marker), "writer": writer},
                )
                produced += 1
            cycle += 1

    primary_parts, candidate_parts = parts(demo.primary), parts(demo.candidate)
    cycles = -(-events // len(primary_parts))
    candidate_events = min(events, cycles * len(candidate_parts))
    return side(primary_parts, events), side(candidate_parts, candidate_events)


def sampled(
    entries: Iterator[Entry], every: int, samples: list[tuple[int, float]]
) -> Iterator[Entry]:
    """``entries`` unchanged, noting (count, RSS) every ``every`` entries."""
    for count, entry in enumerate(entries, 1):
        if count % every == 0:
            samples.append((count, rss_mb()))
        yield entry


def measure(events: int, template: int, seed: int, *, entity: bool) -> dict[str, Any]:
    """One compare run over fresh lazy sides; seconds, pairs/s and the RSS samples."""
    gc.collect()
    primary, candidate = sides(events, template, seed)
    started, started_cpu = time.perf_counter(), time.process_time()
    produced = sum(1 for _ in primary) + sum(1 for _ in candidate)
    produce_s = time.perf_counter() - started
    produce_cpu_s = time.process_time() - started_cpu

    primary, candidate = sides(events, template, seed)
    samples: list[tuple[int, float]] = []
    gc.collect()
    before = rss_mb()
    started, started_cpu = time.perf_counter(), time.process_time()
    summary = run_compare(
        sampled(primary, 20_000, samples),
        candidate,
        key=list(DEMO_KEY),
        entity=DEMO_ENTITY if entity else None,
        ignore=["/event_id"],
    )
    total_s = time.perf_counter() - started
    total_cpu_s = time.process_time() - started_cpu
    compare_s = total_s - produce_s
    compare_cpu_s = total_cpu_s - produce_cpu_s
    pairs = summary.totals.pairs
    return {
        "entity": entity,
        "events": produced,
        "pairs": pairs,
        "differing": summary.totals.differing,
        "missing_in_candidate": summary.totals.missing_in_candidate,
        "entities": None if summary.entities is None else summary.entities.total,
        "seconds_total": round(total_s, 3),
        "seconds_producing_entries": round(produce_s, 3),
        "cpu_seconds_total": round(total_cpu_s, 3),
        "pairs_per_s": round(pairs / compare_s, 1),
        "pairs_per_cpu_s": round(pairs / compare_cpu_s, 1),
        "pairs_per_s_including_production": round(pairs / total_s, 1),
        "rss_mb_before": round(before, 1),
        "rss_mb": [(count, round(mb, 1)) for count, mb in samples],
    }


COMMAND_LINE = (
    "cdccheck compare --primary {primary} --candidate {candidate} "
    "--key {key} --ignore /event_id --format json --report {directory}/compare.json --quiet"
)


def write_corpora(directory: str, events: int, template: int, seed: int) -> int:
    """The two lazy sides as corpus files, for timing ``cdccheck compare`` itself."""
    from pathlib import Path

    from cdccheck.sources.corpus import write_corpus

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    primary, candidate = sides(events, template, seed)
    paths = {"primary": target / "primary.jsonl", "candidate": target / "candidate.jsonl"}
    written = {
        name: write_corpus(path, entries)
        for (name, path), entries in zip(paths.items(), (primary, candidate), strict=True)
    }
    print(f"wrote {written['primary']:,} + {written['candidate']:,} entries; time the CLI with:")
    print(
        "  /usr/bin/time -v "
        + COMMAND_LINE.format(
            primary=paths["primary"],
            candidate=paths["candidate"],
            key=" --key ".join(DEMO_KEY),
            directory=target,
        )
    )
    print("  (timing.pairs_per_s in the report is the rate inside the run)")
    return 0


def main() -> int:
    """Run the measurements and print a table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000, help="events per side")
    parser.add_argument("--template", type=int, default=2_000, help="changes rendered once")
    parser.add_argument("--seed", type=int, default=20260128)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument(
        "--write-corpora",
        metavar="DIR",
        help="instead, write the two sides as DIR/primary.jsonl and DIR/candidate.jsonl "
        "and print the `cdccheck compare` command that times them from the command line",
    )
    options = parser.parse_args()
    if options.write_corpora:
        return write_corpora(options.write_corpora, options.events, options.template, options.seed)
    results = {
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, Python {sys.version.split()[0]}",
        "runs": [
            measure(options.events, options.template, options.seed, entity=False),
            measure(options.events, options.template, options.seed, entity=True),
        ],
    }
    print(f"compare, 2 x {options.events:,} events ({results['machine']})")
    print(
        f"{'run':<16}{'pairs':>10}{'pairs/s':>12}{'(incl. input)':>15}{'pairs/CPU-s':>13}"
        f"{'RSS MiB':>16}"
    )
    for run in results["runs"]:
        rss = run["rss_mb"]
        curve = f"{rss[0][1]:.0f} -> {rss[-1][1]:.0f}" if rss else "-"
        print(
            f"{'with --entity' if run['entity'] else 'key + ignore':<16}{run['pairs']:>10,}"
            f"{run['pairs_per_s']:>12,.0f}{run['pairs_per_s_including_production']:>15,.0f}"
            f"{run['pairs_per_cpu_s']:>13,.0f}{curve:>16}"
        )
    if options.json:
        with open(options.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
