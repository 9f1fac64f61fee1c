"""Small speed budgets that used to be asserted in unit tests (speed lives here, not in tests/).

    .venv/bin/python benchmarks/micro.py            # print each budget and the measurement
    .venv/bin/python benchmarks/micro.py --check    # exit 1 when one is missed

* sample generation: ``cdccheck.samples.healthy_entries`` writes the healthy
  events of every benchmark stream; at 1,000,000 events it must not dominate
  the run, so it must stay above 100,000 events/s;
* gate comparison: ``cdccheck.gate.compat.compare`` on the bundled-style
  schema pair of the gate tests (tests/data/gate) must take under 2 s, the
  time a pull-request check can spend on it.

Each budget is the best of ``--repeat`` rounds, so a busy machine is not
mistaken for a slow program.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent


class Budget(NamedTuple):
    name: str
    unit: str
    target: float
    higher_is_better: bool
    measure: Callable[[], float]


def sample_generation(count: int = 200_000) -> float:
    """Healthy entries generated per second."""
    from cdccheck.samples import healthy_entries

    started = time.perf_counter()
    made = sum(1 for _ in itertools.islice(healthy_entries(count), count))
    elapsed = time.perf_counter() - started
    assert made == count
    return count / elapsed


def gate_comparison() -> float:
    """Seconds for one comparison of the gate tests' bundled-style schema pair."""
    from cdccheck.engine.schema import load_schema
    from cdccheck.gate.compat import compare

    data = ROOT / "tests" / "data" / "gate"
    legacy = load_schema(data / "legacy.json", name="legacy")
    new = load_schema(data / "new.json", name="new")
    started = time.perf_counter()
    comparison = compare(legacy, new)
    elapsed = time.perf_counter() - started
    assert comparison.changes
    return elapsed


BUDGETS = [
    Budget("sample generation (healthy_entries)", "events/s", 100_000, True, sample_generation),
    Budget("gate comparison (tests/data/gate pair)", "s", 2.0, False, gate_comparison),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds per budget (best counts)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a budget is missed")
    args = parser.parse_args()
    missed = 0
    for budget in BUDGETS:
        rounds = [budget.measure() for _ in range(args.repeat)]
        best = max(rounds) if budget.higher_is_better else min(rounds)
        met = best >= budget.target if budget.higher_is_better else best <= budget.target
        missed += not met
        relation = ">=" if budget.higher_is_better else "<="
        print(
            f"{budget.name:42} {best:>12,.2f} {budget.unit:9} "
            f"(budget {relation} {budget.target:,g}) {'ok' if met else 'MISSED'}"
        )
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
