"""Properties: a source compared with itself agrees; swapping the sides swaps missing and extra."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdccheck.compare import CompareSummary, run_compare
from cdccheck.model import Entry
from tests.compare.support import entry

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, 2.5, 1e2])
    | st.sampled_from(["", "a", "é", "<&>", "2026-01-28T12:00:00Z", "2026-01-28T12:00:00+00:00"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c", "k"]), inner, max_size=3)
    ),
    max_leaves=8,
)
streams = st.lists(
    st.tuples(
        st.integers(0, 40),  # gap to the previous entry, ms
        st.one_of(
            st.fixed_dictionaries(
                {"k": st.integers(0, 4)},
                optional={"op": st.sampled_from(["c", "u"]), "v": json_values},
            ),
            json_values,  # often without a key
            st.just(b"{bad"),
        ),
    ),
    max_size=25,
)


def as_entries(drawn: list[tuple[int, Any]], start: int = 1_000) -> list[Entry]:
    out, ms = [], start
    for index, (gap, payload) in enumerate(drawn):
        ms += gap
        out.append(entry(f"{ms}-{index}", payload))
    return out


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(streams, st.integers(0, 100))
def test_a_source_compared_with_itself_has_no_differences(drawn: list[Any], window: int) -> None:
    source = as_entries(drawn)
    summary = run_compare(source, source, key=["/k"], entity="/k", window_ms=window)
    totals = summary.totals
    assert totals.differing == 0
    assert totals.missing_in_candidate == totals.extra_in_candidate == 0
    assert totals.pairs == totals.equal
    assert not summary.diffs
    assert not summary.warnings
    keyed = sum(1 for _, payload in drawn if isinstance(payload, dict) and "k" in payload)
    assert totals.pairs == keyed
    assert totals.pairs + (totals.undecodable + totals.unkeyed) // 2 == len(drawn)
    assert summary.entities is not None
    assert summary.entities.converged == summary.entities.total
    assert summary.entities.transient == summary.entities.reordered == 0


_MIRROR = {"missing": "extra", "extra": "missing"}


def mirrored(summary: CompareSummary) -> dict[tuple[str, str], int]:
    return {
        (path, _MIRROR.get(kind, kind)): group.pairs
        for (path, kind), group in summary.diffs.items()
    }


@SETTINGS
@given(streams, streams, st.integers(0, 60))
def test_swapping_the_sides_swaps_missing_and_extra(
    first: list[Any], second: list[Any], window: int
) -> None:
    a, b = as_entries(first), as_entries(second, start=1_010)
    forward = run_compare(a, b, key=["/k"], entity="/k", window_ms=window)
    backward = run_compare(b, a, key=["/k"], entity="/k", window_ms=window)
    f, r = forward.totals, backward.totals
    assert (f.missing_in_candidate, f.extra_in_candidate) == (
        r.extra_in_candidate,
        r.missing_in_candidate,
    )
    assert (f.pairs, f.equal, f.differing) == (r.pairs, r.equal, r.differing)
    assert (f.undecodable, f.unkeyed) == (r.undecodable, r.unkeyed)
    assert mirrored(forward) == {key: group.pairs for key, group in backward.diffs.items()}
    assert {k: g.pairs for k, g in forward.warnings.items()} == {
        k: g.pairs for k, g in backward.warnings.items()
    }
    assert forward.entities is not None
    assert backward.entities is not None
    assert (forward.entities.converged, forward.entities.reordered) == (
        backward.entities.converged,
        backward.entities.reordered,
    )
