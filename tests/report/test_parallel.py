"""--jobs as a library: worker processes, merged summaries, the same report as one process."""

from __future__ import annotations

import functools
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cdccheck.demo import demo_entries, seed_stream
from cdccheck.embedded import EmbeddedRedis
from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import bundled_schema_path, load_schema
from cdccheck.errors import ConfigError, SourceError, SourceInterrupted
from cdccheck.model import Entry
from cdccheck.report.parallel import (
    WorkerCrashed,
    check_corpus_jobs,
    cpu_count,
    replay_jobs,
    resolve_jobs,
)
from cdccheck.report.run import CheckRun, check_corpus, check_run, range_source
from cdccheck.samples import CLASSES, EXPECTED, samples
from cdccheck.sources.corpus import write_corpus
from cdccheck.sources.redis_range import RedisRange
from tests.helpers import BUNDLED_LEGACY, BUNDLED_NEW, validate_report

STREAM = "comments:cdc"


def bundled_engine() -> Engine:
    """The engine factory the workers call (module level, so that it pickles)."""
    return Engine(
        load_schema(bundled_schema_path("legacy"), name="legacy"),
        load_schema(bundled_schema_path("new"), name="new"),
    )


class _Exploding(Engine):
    def check_batch(self, entries: list[Entry]) -> Any:
        raise ValueError("planted bug")


class _Vanishing(Engine):
    def check_batch(self, entries: list[Entry]) -> Any:
        os.kill(os.getpid(), signal.SIGKILL)


def exploding_engine() -> Engine:
    engine = bundled_engine()
    return _Exploding(engine.legacy, engine.new)


def vanishing_engine() -> Engine:
    engine = bundled_engine()
    return _Vanishing(engine.legacy, engine.new)


def every_class(extra: int = 3_000) -> list[Entry]:
    """Every sample class, then the demo's mixed stream; three ids per millisecond.

    Sharing milliseconds puts ids of one millisecond on both sides of a cut.
    """
    sampled = [sample.entry for sample in samples(per_class=3, extra_healthy=40)]
    mixed = list(demo_entries(extra))
    base = int(sampled[0].id.split("-")[0])
    return [
        Entry(f"{base + index // 3}-{index % 3}", entry.fields)
        for index, entry in enumerate(sampled + mixed)
    ]


def events_lines(path: Path) -> list[dict[str, Any]]:
    """``--events-out`` lines, findings of each verdict in one order.

    The engine lists one event's findings in an order that depends on what
    it checked before (a failure shape seen for the first time, or again), in
    one process as well; a worker starts with no history.
    """
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for line in lines:
        for role in ("legacy", "new"):
            if line.get(role):
                line[role]["findings"].sort(key=lambda f: (f["kind"], f["path"], f["message"]))
    return lines


def without_timing(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key != "timing"}


def single(url: str, **options: Any) -> CheckRun:
    with RedisRange(url, STREAM) as source:
        source.open()
        return check_run(source.batches(), bundled_engine(), source=range_source(source), **options)


def jobs(
    url: str, workers: int, factory: Callable[[], Engine] = bundled_engine, **options: Any
) -> CheckRun:
    with RedisRange(url, STREAM, batch_size=options.pop("batch_size", 1000)) as source:
        return replay_jobs(source, bundled_engine(), factory, jobs=workers, **options)


@pytest.fixture
def stream(redis_client: Any, redis_url: str) -> list[Entry]:
    entries = every_class()
    seed_stream(redis_client, STREAM, entries)
    return entries


@pytest.mark.parametrize("workers", [2, 3])
def test_replay_over_workers_equals_one_process(
    redis_url: str, stream: list[Entry], workers: int
) -> None:
    from cdccheck.sources._redis import connect
    from cdccheck.sources.split import plan_range

    client = connect(redis_url)
    bounds = plan_range(client, STREAM, "0-0", stream[-1].id, workers)
    client.close()
    assert len(bounds) == workers
    assert any(not start.endswith("-0") for start, _ in bounds[1:])  # a millisecond is cut
    expected = single(redis_url).report
    seen: list[int] = []
    result = jobs(redis_url, workers, on_progress=lambda totals: seen.append(totals.events))
    validate_report(result.report)
    assert without_timing(result.report) == without_timing(expected)
    assert result.interrupted is None
    groups = {(g["schema"], g["kind"], g["path"]) for g in result.report["findings"]}
    for sample_class in CLASSES:
        assert set(EXPECTED[sample_class].findings) <= groups, sample_class
    assert seen[-1] == len(stream)


def test_samples_values_and_events_out_equal_one_process(
    redis_url: str, stream: list[Entry], tmp_path: Path
) -> None:
    options = {"samples": 2, "show_values": True}
    expected = single(redis_url, events_out=tmp_path / "one.jsonl", **options).report
    result = jobs(redis_url, 3, events_out=tmp_path / "three.jsonl", **options)
    assert without_timing(result.report) == without_timing(expected)
    one = events_lines(tmp_path / "one.jsonl")
    assert events_lines(tmp_path / "three.jsonl") == one
    assert [line["id"] for line in one] == [entry.id for entry in stream]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.jsonl", "three.jsonl"]


def test_a_sub_range_and_one_entry(redis_url: str, stream: list[Entry]) -> None:
    start, end = stream[100].id, stream[2_000].id
    with RedisRange(redis_url, STREAM, start=start, end=end) as source:
        source.open()
        expected = check_run(source.batches(), bundled_engine(), source=range_source(source))
    with RedisRange(redis_url, STREAM, start=start, end=end) as source:
        result = replay_jobs(source, bundled_engine(), bundled_engine, jobs=4)
    assert without_timing(result.report) == without_timing(expected.report)
    assert result.report["totals"]["events"] == 1_901
    with RedisRange(redis_url, STREAM, start=start, end=start) as source:
        one = replay_jobs(source, bundled_engine(), bundled_engine, jobs=4)
    assert one.report["totals"]["events"] == 1


def test_count_cannot_be_split(redis_url: str, stream: list[Entry]) -> None:
    with (
        RedisRange(redis_url, STREAM, count=10) as source,
        pytest.raises(ConfigError, match="--count"),
    ):
        replay_jobs(source, bundled_engine(), bundled_engine, jobs=2)


def test_resolve_jobs() -> None:
    assert resolve_jobs(0) == cpu_count() >= 1
    assert resolve_jobs(3) == 3
    assert resolve_jobs(1, count=5) == 1
    with pytest.raises(ConfigError, match="bad --jobs -1"):
        resolve_jobs(-1)
    with pytest.raises(ConfigError, match="--count"):
        resolve_jobs(2, count=5)


# ---------------------------------------------------------------- corpus files


@pytest.fixture
def corpus_files(tmp_path: Path) -> list[Path]:
    entries = every_class(2_000)
    paths = []
    for name, chunk in (("a", entries[:500]), ("b", entries[500:1_700]), ("c", entries[1_700:])):
        paths.append(tmp_path / f"{name}.jsonl")
        write_corpus(paths[-1], chunk)
    return paths


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_corpus_files_over_workers_equal_one_process(
    corpus_files: list[Path], workers: int, tmp_path: Path
) -> None:
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"".join(path.read_bytes() for path in corpus_files))
    for files in (corpus_files, [big]):
        expected = check_corpus(files, bundled_engine())
        result = check_corpus_jobs(files, bundled_engine(), bundled_engine, jobs=workers)
        validate_report(result.report)
        assert without_timing(result.report) == without_timing(expected.report)


def test_out_of_order_ids_keep_the_range_as_read(corpus_files: list[Path], tmp_path: Path) -> None:
    """A hand-made corpus: the range is the first and last id read, as one process says."""
    shuffled = tmp_path / "shuffled.jsonl"
    lines = corpus_files[1].read_bytes().splitlines(keepends=True)
    shuffled.write_bytes(b"".join(lines[600:] + lines[:600]))
    expected = check_corpus([shuffled], bundled_engine())
    result = check_corpus_jobs([shuffled], bundled_engine(), bundled_engine, jobs=3)
    assert without_timing(result.report) == without_timing(expected.report)
    first, last = (json.loads(line)["id"] for line in (lines[600], lines[599]))
    assert result.report["range"] == {"first_id": first, "last_id": last}


def test_the_first_bad_line_wins_as_in_one_process(corpus_files: list[Path]) -> None:
    for index in (0, 2):
        lines = corpus_files[index].read_bytes().splitlines(keepends=True)
        lines[50] = b"not json\n"
        corpus_files[index].write_bytes(b"".join(lines))
    with pytest.raises(SourceError) as one:
        check_corpus(corpus_files, bundled_engine())
    with pytest.raises(SourceError) as many:
        check_corpus_jobs(corpus_files, bundled_engine(), bundled_engine, jobs=3)
    assert many.value.message == one.value.message
    assert "a.jsonl:51:" in many.value.message


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("factory", "said"),
    [
        (exploding_engine, "ValueError: planted bug at test_parallel.py"),
        (vanishing_engine, "SIGKILL"),
    ],
)
def test_a_worker_that_dies_is_an_internal_error(
    redis_url: str, stream: list[Entry], factory: Callable[[], Engine], said: str
) -> None:
    with pytest.raises(WorkerCrashed) as crashed:
        jobs(redis_url, 2, factory)
    assert crashed.value.exit_code == 4
    assert said in crashed.value.message
    assert "\n" not in crashed.value.message


def test_redis_gone_mid_run_gives_the_contiguous_prefix_and_where_to_resume(
    make_redis: Callable[..., EmbeddedRedis],
) -> None:
    import redis

    server = make_redis()
    client = redis.Redis.from_url(server.url)
    entries = every_class(20_000)
    seed_stream(client, STREAM, entries)
    stopper = threading.Thread(target=_stop_when_busy, args=(server, client), daemon=True)
    stopper.start()
    result = jobs(server.url, 2, batch_size=10)
    stopper.join()
    assert isinstance(result.interrupted, SourceInterrupted)
    message, last = result.interrupted.message, result.interrupted.last_id
    assert last is not None, message
    # The report is exactly one process's report of the entries up to the last id read.
    prefix = [entry for entry in entries if _order(entry.id) <= _order(last)]
    assert 0 < result.report["totals"]["events"] == len(prefix) < len(entries)
    expected = check_run(_batches(prefix), bundled_engine(), source=result.report["source"])
    assert without_timing(result.report) == without_timing(expected.report)
    following = entries[len(prefix)].id
    assert f"read {len(prefix)} entries up to {last}; resume with --start " in message
    assert _order(message.rsplit(" ", 1)[1]) <= _order(following)


def _stop_when_busy(server: EmbeddedRedis, client: Any) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        calls = int(client.info("commandstats").get("cmdstat_xrange", {}).get("calls", 0))
        if calls > 300:
            break
        time.sleep(0.01)
    client.close()
    server.stop()


def _order(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq)


def _batches(entries: list[Entry]) -> Iterator[list[Entry]]:
    for start in range(0, len(entries), 1000):
        yield entries[start : start + 1000]


def test_a_partial_of_a_module_function_is_a_factory(redis_url: str, stream: list[Entry]) -> None:
    """What the command line hands over: build_engine with its options, bound by a partial."""
    from cdccheck.cli.common import EventOptions, build_engine

    factory = functools.partial(build_engine, BUNDLED_LEGACY, BUNDLED_NEW, EventOptions())
    assert without_timing(jobs(redis_url, 2, factory).report) == without_timing(
        single(redis_url).report
    )
