"""Telling noise from real differences, after Twitter's Diffy (docs/compare.md, "Noise").

Diffy sends every request to the primary, to a second primary (its
"secondary") and to the candidate. Primary against secondary shows what
differs between two runs of the SAME code: timestamps, random ids,
nondeterministic ordering. A field that differs between primary and
candidate about as often as between primary and secondary is noise, not a
regression.

cdccheck does the same per diff group: with ``--baseline`` (a second source
written by the legacy stack for the same changes), primary against baseline
is compared under the same rules, and a candidate group ``(path, kind)``
whose baseline rate is at least ``noise_ratio`` times its candidate rate is
marked ``noise``. It stays in the report; the mark explains it.

Without a baseline there is only a heuristic: a group that differs in every
single pair, with values that are all distinct (fresh ids, emit times), is
marked ``likely_noise``. "All distinct" is decided on a bottom-k sample: the
``SKETCH_SIZE`` value pairs with the smallest hashes, each with how often it
was seen. A repeat among them means the values repeat; no repeat means they
very likely do not. The sample of a union is the sample of the two samples,
so merging stays exact, associative and commutative.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from cdccheck.model import ABSENT

NOISE = "noise"
LIKELY_NOISE = "likely_noise"
NOISE_LABELS = (NOISE, LIKELY_NOISE)
SKETCH_SIZE = 64
LIKELY_NOISE_MIN_PAIRS = 2
"""One pair is trivially "all distinct"; it takes two to say anything."""

Sketch = dict[int, int]
"""Bottom-k sample: hash of a (primary, candidate) value pair -> times seen."""

_ENCODER = msgspec.json.Encoder(order="sorted")


def value_hash(primary: Any, candidate: Any) -> int:
    """A stable 64-bit hash of the two values of one difference (same in every process)."""
    pair = ([] if primary is ABSENT else [primary], [] if candidate is ABSENT else [candidate])
    try:
        text = _ENCODER.encode(pair)
    except (TypeError, OverflowError):  # pragma: no cover - decoded JSON always encodes
        text = repr(pair).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def sketch_add(sketch: Sketch, value: int) -> None:
    """Count one value into the bottom-k sample."""
    seen = sketch.get(value)
    if seen is not None:
        sketch[value] = seen + 1
        return
    if len(sketch) < SKETCH_SIZE:
        sketch[value] = 1
        return
    largest = max(sketch)
    if value < largest:
        del sketch[largest]
        sketch[value] = 1


def sketch_merge(first: Sketch, second: Sketch) -> Sketch:
    """The bottom-k sample of the union of what both samples summarise."""
    counts = dict(first)
    for value, seen in second.items():
        counts[value] = counts.get(value, 0) + seen
    return {value: counts[value] for value in sorted(counts)[:SKETCH_SIZE]}


def sketch_distinct(sketch: Sketch) -> bool:
    """Whether no sampled value was seen twice."""
    return all(seen == 1 for seen in sketch.values())


def noise_label(
    *,
    pairs: int,
    total_pairs: int,
    baseline_pairs: int | None,
    baseline_total_pairs: int | None,
    noise_ratio: float,
    distinct: bool,
) -> str | None:
    """``noise``, ``likely_noise`` or None for one candidate diff group.

    ``baseline_total_pairs`` is None when there is no baseline; then only the
    ``likely_noise`` heuristic applies.
    """
    if not pairs or not total_pairs:
        return None
    if baseline_total_pairs is not None:
        if not baseline_total_pairs or not baseline_pairs:
            return None
        # Diffy's comparison of rates: the baseline differs here at least
        # noise_ratio times as often as the candidate does.
        if baseline_pairs * total_pairs >= noise_ratio * pairs * baseline_total_pairs:
            return NOISE
        return None
    if pairs == total_pairs and pairs >= LIKELY_NOISE_MIN_PAIRS and distinct:
        return LIKELY_NOISE
    return None
