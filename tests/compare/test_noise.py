"""Noise: a legacy baseline marks groups as noise (Diffy's rule); likely noise without one."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from cdccheck.compare import run_compare
from cdccheck.compare.noise import (
    LIKELY_NOISE,
    NOISE,
    SKETCH_SIZE,
    noise_label,
    sketch_add,
    sketch_distinct,
    sketch_merge,
)
from tests.compare.support import entries, report_of


def test_a_baseline_marks_what_also_differs_between_two_legacy_instances() -> None:
    # Every writer instance stamps its own emit time; only the candidate drops the score.
    primary = entries([(f"{i}-0", {"k": i, "emitted": f"p{i}", "score": 0}) for i in range(10)])
    baseline = entries([(f"{i}-1", {"k": i, "emitted": f"b{i}", "score": 0}) for i in range(10)])
    candidate = entries([(f"{i}-2", {"k": i, "emitted": f"c{i}"}) for i in range(10)])
    summary = run_compare(primary, candidate, baseline=baseline, key=["/k"])
    report = report_of(summary, key=["/k"])
    marks = {(group["path"], group["kind"]): group["noise"] for group in report["diffs"]}
    assert marks == {("/emitted", "value_changed"): NOISE, ("/score", "missing"): None}
    assert report["baseline"]["totals"]["pairs"] == 10
    assert report["baseline"]["diffs"] == [
        {"path": "/emitted", "kind": "value_changed", "pairs": 10}
    ]
    # A real regression still fails the run; the noise group alone would not.
    assert summary.counts_failures("differing") == 10
    only_noise = run_compare(
        primary,
        entries([(f"{i}-2", {"k": i, "emitted": f"c{i}", "score": 0}) for i in range(10)]),
        baseline=baseline,
        key=["/k"],
    )
    assert only_noise.totals.differing == 10
    assert only_noise.counts_failures("differing") == 0


def test_the_noise_ratio_compares_rates() -> None:
    # The candidate differs in 8 of 10 pairs, the baseline in 3 of 10.
    primary = entries([(f"{i}-0", {"k": i, "v": 0}) for i in range(10)])
    candidate = entries([(f"{i}-2", {"k": i, "v": int(i < 8)}) for i in range(10)])
    baseline = entries([(f"{i}-1", {"k": i, "v": int(i < 3)}) for i in range(10)])
    for ratio, mark in ((0.5, None), (0.375, NOISE), (0.3, NOISE)):
        summary = run_compare(primary, candidate, baseline=baseline, key=["/k"], noise_ratio=ratio)
        (group,) = summary.diff_groups()
        assert summary.noise(group) == mark, ratio


def test_without_a_baseline_every_pair_with_distinct_values_is_likely_noise() -> None:
    primary = entries(
        [(f"{i}-0", {"k": i, "event_id": f"p-{i}", "v": 1, "w": "x"}) for i in range(200)]
    )
    candidate = entries(
        [
            (f"{i}-1", {"k": i, "event_id": f"c-{i}", "v": 2, "w": "y" if i % 2 else "x"})
            for i in range(200)
        ]
    )
    summary = run_compare(primary, candidate, key=["/k"])
    marks = {(g["path"], g["noise"]) for g in report_of(summary, key=["/k"])["diffs"]}
    # event_id: every pair, distinct values. v: every pair, one repeated value pair.
    # w: distinct enough but only every other pair.
    assert marks == {("/event_id", LIKELY_NOISE), ("/v", None), ("/w", None)}


def test_one_pair_is_never_likely_noise() -> None:
    summary = run_compare(
        entries([("1-0", {"k": 1, "v": 1})]), entries([("1-0", {"k": 1, "v": 2})]), key=["/k"]
    )
    assert summary.noise(summary.diff_groups()[0]) is None


def test_noise_label_edges() -> None:
    common = {"noise_ratio": 0.5, "distinct": True}
    assert (
        noise_label(
            pairs=0, total_pairs=0, baseline_pairs=None, baseline_total_pairs=None, **common
        )
        is None
    )
    assert (
        noise_label(pairs=5, total_pairs=10, baseline_pairs=0, baseline_total_pairs=10, **common)
        is None
    )
    assert (
        noise_label(pairs=5, total_pairs=10, baseline_pairs=3, baseline_total_pairs=0, **common)
        is None
    )
    assert (
        noise_label(
            pairs=10,
            total_pairs=10,
            baseline_pairs=None,
            baseline_total_pairs=None,
            noise_ratio=0.5,
            distinct=False,
        )
        is None
    )


def test_the_sketch_finds_repeats_in_large_streams() -> None:
    rng = random.Random(7)
    distinct: dict[int, int] = {}
    for _ in range(100_000):
        sketch_add(distinct, rng.getrandbits(64))
    assert len(distinct) == SKETCH_SIZE
    assert sketch_distinct(distinct)
    repeated: dict[int, int] = {}
    values = [rng.getrandbits(64) for _ in range(5_000)]
    for _ in range(20_000):
        sketch_add(repeated, rng.choice(values))
    assert not sketch_distinct(repeated)


hashes = st.lists(st.integers(0, 2**64 - 1) | st.sampled_from([1, 2, 3]), max_size=150)


def _sketch(values: list[int]) -> dict[int, int]:
    sketch: dict[int, int] = {}
    for value in values:
        sketch_add(sketch, value)
    return sketch


@given(hashes, hashes, hashes)
def test_sketch_merge_is_the_sketch_of_the_union(a: list[int], b: list[int], c: list[int]) -> None:
    whole = _sketch(a + b + c)
    assert sketch_merge(sketch_merge(_sketch(a), _sketch(b)), _sketch(c)) == whole
    assert sketch_merge(_sketch(a), sketch_merge(_sketch(b), _sketch(c))) == whole
    assert sketch_merge(_sketch(b), _sketch(a)) == sketch_merge(_sketch(a), _sketch(b))
