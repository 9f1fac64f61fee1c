"""The compare demo: what was seeded is exactly what compare finds."""

from __future__ import annotations

from cdccheck.compare import run_compare
from cdccheck.compare.demo import DEMO_ENTITY, DEMO_KEY, compare_demo
from cdccheck.compare.noise import LIKELY_NOISE
from tests.compare.support import report_of


def test_the_demo_is_deterministic_and_ids_increase() -> None:
    first, again = compare_demo(300, seed=1), compare_demo(300, seed=1)
    assert first.primary == again.primary
    assert first.candidate == again.candidate
    assert compare_demo(300, seed=2).primary != first.primary
    for side in (first.primary, first.candidate):
        ids = [tuple(map(int, e.id.split("-"))) for e in side]
        assert ids == sorted(ids)
        assert len(set(ids)) == len(ids)


def test_compare_finds_exactly_what_the_demo_seeded() -> None:
    demo = compare_demo()
    expected = demo.expected
    assert all(expected[name] > 0 for name in expected), expected
    summary = run_compare(demo.primary, demo.candidate, key=list(DEMO_KEY), entity=DEMO_ENTITY)
    report = report_of(summary, key=list(DEMO_KEY), entity=DEMO_ENTITY)
    totals = report["totals"]
    assert totals["pairs"] == expected["changes"] - expected["missing_in_candidate"]
    assert totals["missing_in_candidate"] == expected["missing_in_candidate"]
    groups = {(g["path"], g["kind"]): g for g in report["diffs"]}
    assert set(groups) == {
        ("/event_id", "value_changed"),
        ("/comment/score", "missing"),
        ("/comment/awards", "null_vs_empty"),
        ("/comment/body", "value_changed"),
    }
    # Each writer draws its own event ids: every pair differs, all values distinct.
    assert groups[("/event_id", "value_changed")]["noise"] == LIKELY_NOISE
    assert groups[("/event_id", "value_changed")]["pairs"] == totals["pairs"]
    assert groups[("/comment/score", "missing")]["pairs"] == expected["zero_score"]
    assert groups[("/comment/awards", "null_vs_empty")]["pairs"] == expected["null_awards"]
    assert groups[("/comment/body", "value_changed")]["pairs"] == expected["double_escaped"]
    assert {g["noise"] for key, g in groups.items() if key[0] != "/event_id"} == {None}
    warnings = {(w["path"], w["kind"]) for w in report["warnings"]}
    assert ("/emitted_at", "timestamp_form") in warnings
    assert ("/comment/created_at", "timestamp_form") in warnings
    entities = report["entities"]
    assert entities["total"] == expected["entities"]
    assert entities["reordered"] == expected["reordered"]


def test_with_event_ids_ignored_entities_converge_where_the_writers_agree() -> None:
    demo = compare_demo()
    summary = run_compare(
        demo.primary, demo.candidate, key=list(DEMO_KEY), entity=DEMO_ENTITY, ignore=["/event_id"]
    )
    entities = summary.entities
    assert entities is not None
    assert entities.converged + entities.diverged == entities.total
    assert 0 < entities.transient < entities.converged
    assert 0 < entities.diverged < entities.total
    assert summary.totals.equal > summary.totals.differing
