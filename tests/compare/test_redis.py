"""Compare two real Redis streams read with RedisRange (the session's redis-server)."""

from __future__ import annotations

from typing import Any

import pytest

from cdccheck.compare import run_compare, split_entries
from cdccheck.compare.demo import DEMO_ENTITY, DEMO_KEY, seed_compare_streams
from cdccheck.demo import seed_stream
from cdccheck.errors import SourceError
from cdccheck.sources.redis_range import RedisRange
from tests.compare.support import entry, report_of


def test_two_streams_of_the_demo(redis_client: Any, redis_url: str) -> None:
    demo = seed_compare_streams(
        redis_client, primary_stream="py", candidate_stream="go", changes=400, seed=5
    )
    with (
        RedisRange(redis_url, "py", batch_size=7) as primary,
        RedisRange(redis_url, "go", batch_size=13) as candidate,
    ):
        summary = run_compare(
            primary, candidate, key=list(DEMO_KEY), entity=DEMO_ENTITY, ignore=["/event_id"]
        )
    expected = demo.expected
    totals = summary.totals
    assert summary.primary.events == expected["changes"] == 400
    assert totals.missing_in_candidate == expected["missing_in_candidate"]
    assert totals.extra_in_candidate == totals.undecodable == totals.unkeyed == 0
    assert totals.pairs == expected["changes"] - expected["missing_in_candidate"]
    groups = {key: group.pairs for key, group in summary.diffs.items()}
    assert groups == {
        key: count
        for key, count in {
            ("/comment/score", "missing"): expected["zero_score"],
            ("/comment/awards", "null_vs_empty"): expected["null_awards"],
            ("/comment/body", "value_changed"): expected["double_escaped"],
        }.items()
        if count
    }
    assert ("/emitted_at", "timestamp_form") in summary.warnings
    assert summary.entities is not None
    assert summary.entities.total == expected["entities"]
    assert summary.entities.reordered == expected["reordered"]
    report = report_of(
        summary,
        key=list(DEMO_KEY),
        entity=DEMO_ENTITY,
        ignore=["/event_id"],
        primary={"kind": "redis", "stream": "py"},
        candidate={"kind": "redis", "stream": "go"},
    )
    assert report["primary"]["range"]["first_id"] == demo.primary[0].id
    assert report["candidate"]["range"]["last_id"] == demo.candidate[-1].id


def test_one_stream_split_by_writer(redis_client: Any, redis_url: str) -> None:
    seed_stream(
        redis_client,
        "both",
        [
            entry("1000-0", {"op": "create", "id": "a", "score": 0}, writer=b"py"),
            entry("1000-1", {"op": "create", "id": "a"}, writer=b"go"),
            entry("1001-0", {"op": "delete", "id": "a"}, writer=b"py"),
            entry("1002-0", {"op": "delete", "id": "a"}, writer=b"go"),
            entry("1003-0", {"op": "noise"}, writer=b"cron"),
        ],
    )
    with RedisRange(redis_url, "both", batch_size=2) as source:
        primary, candidate, counts = split_entries(source, "writer", "py", "go")
        summary = run_compare(primary, candidate, key=["/op", "/id"])
    assert (summary.totals.pairs, summary.totals.equal) == (2, 1)
    assert set(summary.diffs) == {("/score", "missing")}
    assert counts == {"other": 1}


def test_a_missing_stream_is_a_one_line_source_error(redis_client: Any, redis_url: str) -> None:
    seed_stream(redis_client, "present", [entry("1-0", {"id": 1})])
    with (
        RedisRange(redis_url, "present") as primary,
        RedisRange(redis_url, "absent") as candidate,
        pytest.raises(SourceError) as caught,
    ):
        run_compare(primary, candidate, key=["/id"])
    assert "no stream 'absent'" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 3
