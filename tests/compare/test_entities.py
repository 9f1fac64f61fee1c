"""Entities: converged, transient, diverged and reordered, by hand-built histories."""

from __future__ import annotations

from typing import Any

from cdccheck.compare import EntityCounts, run_compare
from tests.compare.support import entries

KEY = ["/op", "/id"]


def counts(
    primary: list[tuple[str, Any]], candidate: list[tuple[str, Any]], **options: Any
) -> EntityCounts:
    summary = run_compare(
        entries(primary), entries(candidate), **{"key": KEY, "entity": "/id", **options}
    )
    assert summary.entities is not None
    return summary.entities


def test_equal_all_along_converges() -> None:
    history = [
        ("1-0", {"op": "create", "id": "e", "v": 1}),
        ("2-0", {"op": "update", "id": "e", "v": 2}),
    ]
    assert counts(history, history) == EntityCounts(total=1, converged=1)


def test_a_difference_that_heals_is_transient() -> None:
    primary = [
        ("1-0", {"op": "create", "id": "e", "v": 1}),
        ("2-0", {"op": "update", "id": "e", "v": 2}),
    ]
    candidate = [
        ("1-0", {"op": "create", "id": "e", "v": 9}),
        ("2-0", {"op": "update", "id": "e", "v": 2}),
    ]
    assert counts(primary, candidate) == EntityCounts(total=1, converged=1, transient=1)


def test_a_last_difference_diverges() -> None:
    primary = [
        ("1-0", {"op": "create", "id": "e", "v": 1}),
        ("2-0", {"op": "update", "id": "e", "v": 2}),
    ]
    candidate = [
        ("1-0", {"op": "create", "id": "e", "v": 1}),
        ("2-0", {"op": "update", "id": "e", "v": 3}),
    ]
    assert counts(primary, candidate) == EntityCounts(total=1, diverged=1)


def test_an_entity_seen_on_one_side_only_diverges() -> None:
    primary = [("1-0", {"op": "create", "id": "a"}), ("2-0", {"op": "create", "id": "b"})]
    candidate = [("1-0", {"op": "create", "id": "a"})]
    assert counts(primary, candidate) == EntityCounts(total=2, converged=1, diverged=1)


def test_a_different_order_of_ops_is_reordered() -> None:
    primary = [
        ("1-0", {"op": "create", "id": "e", "v": 1}),
        ("2-0", {"op": "update", "id": "e", "v": 2}),
        ("3-0", {"op": "increment", "id": "e", "v": 2}),
    ]
    candidate = [
        ("1-0", {"op": "create", "id": "e", "v": 1}),
        ("2-0", {"op": "increment", "id": "e", "v": 2}),
        ("3-0", {"op": "update", "id": "e", "v": 2}),
    ]
    # The last events differ (op), so the race did not converge.
    assert counts(primary, candidate) == EntityCounts(total=1, diverged=1, reordered=1)
    # Ignoring the op, both sides end in the same state: converged, still reordered.
    assert counts(primary, candidate, ignore=["/op"]) == EntityCounts(
        total=1, converged=1, reordered=1
    )


def test_same_order_on_both_sides_is_not_reordered() -> None:
    history = [
        (f"{i}-0", {"op": op, "id": "e"}) for i, op in enumerate(("create", "update", "delete"), 1)
    ]
    assert counts(history, history).reordered == 0


def test_last_events_compare_whether_paired_or_not() -> None:
    # Each side's last event has no partner (different /n keys), yet they are equal.
    primary = [
        ("1-0", {"id": "e", "n": 1, "state": "a"}),
        ("2-0", {"id": "e", "n": 2, "state": "b"}),
    ]
    candidate = [
        ("1-0", {"id": "e", "n": 1, "state": "a"}),
        ("2-0", {"id": "e", "n": 3, "state": "b"}),
    ]
    assert counts(primary, candidate, key=["/n"], ignore=["/n"]) == EntityCounts(
        total=1, converged=1
    )
    assert counts(primary, candidate, key=["/n"]) == EntityCounts(total=1, diverged=1)


def test_unkeyed_events_still_count_as_the_last_event_of_their_entity() -> None:
    primary = [("1-0", {"op": "create", "id": "e", "v": 1}), ("2-0", {"id": "e", "v": 5})]
    candidate = [("1-0", {"op": "create", "id": "e", "v": 1})]
    assert counts(primary, candidate) == EntityCounts(total=1, diverged=1)


def test_entities_put_away_beyond_the_window_are_still_judged() -> None:
    """Values of inactive entities are replaced by hashes; the verdicts stay the same."""
    primary = [
        ("1000-0", {"op": "create", "id": "same", "t": "2026-01-28T12:00:00Z", "n": 5}),
        ("1000-1", {"op": "create", "id": "healed", "v": 1}),
        ("1000-2", {"op": "create", "id": "broken", "v": 1}),
        ("60000-0", {"op": "touch", "id": "same", "t": "2026-01-28T12:00:00Z", "n": 5}),
        ("60000-1", {"op": "touch", "id": "healed", "v": 2}),
        ("60000-2", {"op": "touch", "id": "broken", "v": 1}),
    ]
    candidate = [
        ("1000-0", {"op": "create", "id": "same", "t": "2026-01-28T12:00:00+00:00", "n": 5.0}),
        ("1000-1", {"op": "create", "id": "healed", "v": 0}),
        ("1000-2", {"op": "create", "id": "broken", "v": 1}),
        ("60000-1", {"op": "touch", "id": "healed", "v": 2}),
        ("60000-5", {"op": "touch", "id": "broken", "v": 2}),
    ]
    # "same": the primary's last (touch) was never sent; it equals the candidate's last
    # (create) except for the op, which is ignored here.
    result = counts(primary, candidate, window_ms=1_000, ignore=["/op"])
    assert result == EntityCounts(total=3, converged=2, diverged=1, transient=1)
    # The same history with a window that keeps everything in memory agrees.
    assert counts(primary, candidate, window_ms=3_600_000, ignore=["/op"]) == result


def test_a_pair_of_two_entities_marks_both() -> None:
    primary = [("1-0", {"k": 1, "id": "x"}), ("2-0", {"k": 2, "id": "y"})]
    candidate = [("1-0", {"k": 1, "id": "y"}), ("2-0", {"k": 2, "id": "y"})]
    result = counts(primary, candidate, key=["/k"])
    assert result.total == 2
    assert result.diverged == 1  # x: no event on the candidate side
    assert result.converged == 1  # y: both last events are {"k": 2, "id": "y"}
    assert result.transient == 1  # y took part in a differing pair


def test_no_entity_option_no_entity_counts() -> None:
    summary = run_compare(entries([("1-0", {"op": "a", "id": 1})]), [], key=KEY)
    assert summary.entities is None
