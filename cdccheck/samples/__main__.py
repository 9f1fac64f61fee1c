"""``python -m cdccheck.samples``: regenerate the bundled sample corpus, or a bigger one."""

from __future__ import annotations

import argparse
import sys
import time

from cdccheck.errors import CdccheckError
from cdccheck.samples import DEFAULT_SEED, SAMPLE_CORPUS, mixed_stream, write_sample_corpus
from cdccheck.sources.corpus import write_corpus


def main(argv: list[str] | None = None) -> int:
    """Write a sample corpus file; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m cdccheck.samples",
        description="Write seeded comment CDC events (Python and Go writers) as a corpus file.",
        epilog="example: python -m cdccheck.samples --out /tmp/mixed.jsonl --events 1000000",
    )
    parser.add_argument(
        "--out", default=str(SAMPLE_CORPUS), help="corpus file to write (default: the bundled one)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--events",
        type=int,
        help="write a mixed stream of this many events instead of the curated sample corpus",
    )
    parser.add_argument(
        "--defect-rate", type=float, default=0.05, help="share of defects with --events"
    )
    options = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        if options.events is None:
            count = write_sample_corpus(options.out, options.seed)
        else:
            stream = mixed_stream(options.events, options.seed, defect_rate=options.defect_rate)
            count = write_corpus(options.out, stream)
    except (CdccheckError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    print(f"wrote {count} events to {options.out} in {elapsed:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
