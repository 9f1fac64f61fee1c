"""The fleet summary's timeline in Redis: equal to a replay's, bounded by its rolling horizon."""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.demo import seed_stream
from cdccheck.engine.pipeline import check_batch
from cdccheck.errors import ConfigError
from cdccheck.model import Entry
from cdccheck.report.json import load_report, merge_reports
from cdccheck.report.run import check_run, range_source
from cdccheck.samples import mixed_stream
from cdccheck.sidecar.fleet import Fleet
from cdccheck.sidecar.loop import ConsumeOptions, Sidecar
from cdccheck.sources.redis_range import RedisRange
from cdccheck.summary import Summary
from cdccheck.timeline import Timeline, horizon_width, parse_duration
from tests.helpers import validate_report
from tests.sidecar.support import GROUP, consumer, consuming, engine, finish, wait_for

runner = CliRunner()


START_MS = 1_769_594_400_000  # 2026-01-28 10:00:00 UTC
HOUR_MS = 3_600_000
DAY_S = 86_400


def entries_over(hours: float, n: int, seed: int) -> list[Entry]:
    """``n`` mixed entries (a fifth defective) at random chosen milliseconds over ``hours``."""
    rng = random.Random(seed)
    times = sorted(rng.randrange(START_MS, START_MS + int(hours * HOUR_MS)) for _ in range(n))
    events = mixed_stream(n, seed, defect_rate=0.2)
    return [
        Entry(f"{ms}-{index}", event.fields)
        for index, (ms, event) in enumerate(zip(times, events, strict=True))
    ]


def replay_timeline(url: str, stream: str, bucket_s: int) -> tuple[Timeline, dict[str, Any]]:
    """What `cdccheck replay --bucket` puts in its report for the whole stream."""
    with RedisRange(url, stream) as source:
        source.open()
        run = check_run(source.batches(), engine(), source=range_source(source), bucket_s=bucket_s)
    return Timeline.from_json(run.report["timeline"]), run.report


def fleet_timeline(client: redis.Redis, stream: str) -> Timeline:
    snapshot = Fleet(client, stream, GROUP).read()
    assert snapshot.summary.timeline is not None
    return snapshot.summary.timeline.restrict(snapshot.summary.findings)


def test_the_fleet_width_follows_the_horizon() -> None:
    assert horizon_width(7 * DAY_S) == 3600  # a week in 168 buckets
    assert horizon_width(DAY_S) == 600
    assert horizon_width(DAY_S, 300) == 300
    assert parse_duration("7d") == 7 * DAY_S
    with pytest.raises(ConfigError, match="shorter than one bucket"):
        horizon_width(3600, 86400)
    with pytest.raises(ConfigError, match="at most 2,048"):
        horizon_width(7 * DAY_S, 60)
    with pytest.raises(ConfigError, match="--timeline-horizon"):
        parse_duration("0d")


@pytest.mark.redis
def test_a_sidecar_fleet_timeline_equals_the_replay(
    redis_client: redis.Redis, redis_url: str
) -> None:
    entries = entries_over(hours=3, n=1500, seed=3)
    seed_stream(redis_client, "s", entries)
    options = ConsumeOptions(
        url=redis_url,
        streams=["s"],
        start_id="0",
        block_ms=50,
        batch=64,
        until_idle_s=0.3,
        timeline_horizon_s=DAY_S,  # -> 10-minute buckets
    )
    result = Sidecar(engine(), options).run()
    replay, report = replay_timeline(redis_url, "s", 600)
    fleet = fleet_timeline(redis_client, "s")
    assert fleet.width_s == 600
    assert fleet.to_json() == replay.to_json()
    assert len(replay.buckets) == 18
    # This consumer's own report: an automatic width, the same counts once coarsened.
    own = result.summary.timeline
    assert own is not None
    assert own.width_s < 600
    coarse = own.coarsen(600).restrict(result.summary.findings)
    assert (coarse.buckets, coarse.groups) == (replay.buckets, replay.groups)
    # The fleet report carries it, restricted to its findings, and validates.
    fleet_report = json.loads(
        runner.invoke(
            app, ["report", "--redis-url", redis_url, "--stream", "s", "--format", "json"]
        ).stdout
    )
    validate_report(fleet_report)
    assert fleet_report["timeline"] == report["timeline"]
    page = runner.invoke(
        app, ["report", "--redis-url", redis_url, "--stream", "s", "--format", "html"]
    ).stdout
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('class="stack"') == len(fleet_report["by_writer"])


@pytest.mark.redis
def test_the_horizon_bounds_the_keys_whatever_the_commit_order(redis_client: redis.Redis) -> None:
    """Three days of events, a one-day horizon: the same state for any order of commits."""
    entries = entries_over(hours=72, n=900, seed=8)
    batches = [entries[i : i + 50] for i in range(0, len(entries), 50)]
    width_s, horizon_s = 3600, DAY_S
    states = []
    shuffled_order = list(range(len(batches)))
    random.Random(1).shuffle(shuffled_order)
    for order, stream in ((range(len(batches)), "forward"), (shuffled_order, "shuffled")):
        redis_client.xgroup_create(stream, GROUP, "$", mkstream=True)
        fleet = Fleet(redis_client, stream, GROUP)
        fleet.register(
            samples=5,
            show_values=False,
            schemas={
                "legacy": {"path": "l", "sha256": "a"},
                "new": {"path": "n", "sha256": "b"},
            },
            timeline=(width_s, horizon_s),
        )
        for index in order:
            summary = Summary(timeline=Timeline(width_s, None))
            check_batch(engine(), batches[index], summary)
            assert fleet.commit(consumer="c", token=str(index), ids=[], summary=summary) == []
        keys = fleet.keys
        assert redis_client.hlen(keys.timeline) < 1000
        states.append(
            (
                fleet.read().summary.timeline,
                redis_client.zcard(keys.timeline_index),
                redis_client.hlen(keys.timeline),
            )
        )
    (forward, *sizes), (shuffled, *shuffled_sizes) = states
    assert forward == shuffled
    assert sizes == shuffled_sizes
    assert forward is not None
    # Only the last day (24 one-hour buckets at most) is kept ...
    assert len(forward.starts()) <= 24
    newest = max(forward.buckets) + width_s * 1000
    assert min(forward.buckets) + width_s * 1000 > newest - horizon_s * 1000
    # ... and every event is still counted once: buckets plus before_horizon.
    whole = Summary()
    for batch in batches:
        check_batch(engine(), batch, whole)
    assert {w: c.as_dict() for w, c in forward.writer_totals().items()} == {
        w: c.as_dict() for w, c in whole.by_writer.items()
    }
    assert sum(c.events for c in forward.before_horizon.values()) > 0
    # Exactly the one-pass timeline of everything, trimmed at the same cutoff.
    one_pass = Summary(timeline=Timeline(width_s, None))
    for batch in batches:
        check_batch(engine(), batch, one_pass)
    assert one_pass.timeline is not None
    expected = one_pass.timeline.trim(newest - horizon_s * 1000)
    assert (forward.buckets, forward.groups, forward.before_horizon) == (
        expected.buckets,
        expected.groups,
        expected.before_horizon,
    )


@pytest.mark.redis
def test_a_fleet_made_without_a_timeline_keeps_none(redis_client: redis.Redis) -> None:
    redis_client.xgroup_create("old", GROUP, "$", mkstream=True)
    schemas = {"legacy": {"path": "l", "sha256": "a"}, "new": {"path": "n", "sha256": "b"}}
    Fleet(redis_client, "old", GROUP).register(samples=5, show_values=False, schemas=schemas)
    later = Fleet(redis_client, "old", GROUP)
    later.register(samples=5, show_values=False, schemas=schemas, timeline=(3600, 7 * DAY_S))
    summary = Summary(timeline=Timeline(3600, None))
    check_batch(engine(), entries_over(1, 20, seed=2), summary)
    assert later.commit(consumer="c", token="1", ids=[], summary=summary) == []
    read = later.read().summary
    assert read.totals.events == 20
    assert read.timeline is None


@pytest.mark.redis
def test_sidecars_with_another_horizon_are_refused(redis_client: redis.Redis) -> None:
    redis_client.xgroup_create("s", GROUP, "$", mkstream=True)
    schemas = {"legacy": {"path": "l", "sha256": "a"}, "new": {"path": "n", "sha256": "b"}}
    Fleet(redis_client, "s", GROUP).register(
        samples=5, show_values=False, schemas=schemas, timeline=(3600, 7 * DAY_S)
    )
    with pytest.raises(ConfigError, match="timeline_horizon_s"):
        Fleet(redis_client, "s", GROUP).register(
            samples=5, show_values=False, schemas=schemas, timeline=(3600, 14 * DAY_S)
        )


@pytest.mark.redis
@pytest.mark.slow
def test_real_consumers_give_the_replays_timeline(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    """Two `cdccheck consume` processes share a stream spanning hours; the fleet report's
    timeline is the replay's, and the merge of their own reports' timelines too."""
    redis_client.xgroup_create("s", GROUP, "$", mkstream=True)
    processes, reports, logs = [], [], []
    for name in ("one", "two"):
        reports.append(tmp_path / f"{name}.json")
        logs.append(tmp_path / f"{name}.log")
        processes.append(
            consumer(
                redis_url,
                *("--stream", "s", "--consumer", name, "--batch", "25", "--block-ms", "100"),
                *("--timeline-horizon", "1d", "--report", str(reports[-1])),
                *("--html", str(tmp_path / f"{name}.html")),
                log=logs[-1],
            )
        )
    entries = entries_over(hours=5, n=2000, seed=21)
    try:
        for log in logs:
            wait_for(lambda log=log: consuming(log), timeout=60, what="both consumers")
        for start in range(0, len(entries), 100):  # a steady flow, so both take turns
            seed_stream(redis_client, "s", entries[start : start + 100])
            time.sleep(0.02)
        wait_for(
            lambda: Fleet(redis_client, "s", GROUP).read().summary.totals.events == len(entries),
            timeout=120,
            what="every event counted",
        )
        for process in processes:
            process.send_signal(signal.SIGTERM)
        assert [finish(process, timeout=30) for process in processes] == [0, 0]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    replay, replay_report = replay_timeline(redis_url, "s", 600)
    fleet = runner.invoke(
        app, ["report", "--redis-url", redis_url, "--stream", "s", "--format", "json"]
    )
    assert fleet.exit_code == 0, fleet.output
    fleet_report = json.loads(fleet.stdout)
    validate_report(fleet_report)
    assert fleet_report["timeline"] == replay_report["timeline"]
    assert len(replay.buckets) == 30  # five hours of ten-minute buckets
    # Each consumer's own report has a timeline; merged, they count what the replay counts.
    own = [load_report(path) for path in reports]
    assert all(report["totals"]["events"] > 0 for report in own)
    merged = Timeline.from_json(merge_reports(own)["timeline"])
    coarse = merged.coarsen(max(merged.width_s, 600))
    expected = replay.coarsen(coarse.width_s)
    assert (coarse.buckets, coarse.groups) == (expected.buckets, expected.groups)
    assert all(
        (tmp_path / f"{name}.html").read_text().startswith("<!DOCTYPE") for name in ("one", "two")
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bucket", "7m"], "bad bucket width '7m'"),
        (["--timeline-horizon", "1h", "--bucket", "1d"], "shorter than one bucket"),
        (["--timeline-horizon", "7d", "--bucket", "1m"], "at most 2,048"),
        (["--timeline-horizon", "soon"], "bad --timeline-horizon 'soon'"),
    ],
)
def test_consume_refuses_a_bad_timeline_before_connecting(args: list[str], message: str) -> None:
    result = runner.invoke(
        app, ["consume", "--redis-url", "redis://127.0.0.1:1/0", "--stream", "s", *args]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("cdccheck: error: ")
    assert message in result.stderr
