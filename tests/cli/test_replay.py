"""`cdccheck replay`, `export` and `demo` against a real redis-server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.demo import seed_stream
from cdccheck.embedded import EmbeddedRedis
from cdccheck.model import Entry
from cdccheck.samples import CLASSES, EXPECTED, mixed_stream, samples
from cdccheck.sources.corpus import read_corpus
from tests.helpers import ROOT, SCHEMA_ARGS, SCHEMA_ENV, validate_report

runner = CliRunner()
STREAM = "comments:cdc"


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    """Run cdccheck with the bundled schemas given by the environment (``env`` may unset them)."""
    return runner.invoke(app, list(args), env={**SCHEMA_ENV, **(env or {})}, catch_exceptions=False)


def replay_report(url: str, *extra: str) -> dict[str, Any]:
    result = invoke("replay", "--redis-url", url, "--stream", STREAM, "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    validate_report(report)
    return report


def without_timing(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key not in ("timing", "source")}


@pytest.fixture
def sample_stream(redis_client: Any) -> list[Entry]:
    """Every sample class, 3 of each, plus healthy events, in one stream."""
    entries = [sample.entry for sample in samples(per_class=3, extra_healthy=40)]
    seed_stream(redis_client, STREAM, entries)
    return entries


def test_replay_finds_every_class_per_writer(redis_url: str, sample_stream: list[Entry]) -> None:
    report = replay_report(redis_url)
    assert report["totals"]["events"] == len(sample_stream)
    assert report["source"] == {
        "kind": "redis",
        "stream": STREAM,
        "url": redis_url,
        "start": "0-0",
        "end": sample_stream[-1].id,
    }
    groups = {(g["schema"], g["kind"], g["path"]) for g in report["findings"]}
    for sample_class in CLASSES:
        assert set(EXPECTED[sample_class].findings) <= groups, sample_class
    assert set(report["by_writer"]) == {"py-monolith", "go-comments"}
    assert sum(c["events"] for c in report["by_writer"].values()) == len(sample_stream)


def test_ranges_by_id_timestamp_and_count(redis_url: str, sample_stream: list[Entry]) -> None:
    ids = [entry.id for entry in sample_stream]
    middle = ids[10:20]
    by_id = replay_report(redis_url, "--start", middle[0], "--end", middle[-1])
    assert by_id["totals"]["events"] == 10
    assert (by_id["range"]["first_id"], by_id["range"]["last_id"]) == (middle[0], middle[-1])
    start_ms = int(middle[0].split("-")[0])
    end_ms = int(middle[-1].split("-")[0])
    by_ms = replay_report(redis_url, "--start", str(start_ms), "--end", str(end_ms))
    assert without_timing(by_ms) == without_timing(by_id)
    from datetime import UTC, datetime

    iso = [datetime.fromtimestamp(ms / 1000, UTC).isoformat() for ms in (start_ms, end_ms)]
    by_time = replay_report(redis_url, "--start", iso[0], "--end", iso[1])
    assert without_timing(by_time) == without_timing(by_id)
    counted = replay_report(redis_url, "--start", middle[0], "--count", "7", "--batch-size", "3")
    assert counted["totals"]["events"] == 7
    assert counted["range"]["last_id"] == middle[6]


def test_empty_range_and_trimmed_entries(
    redis_url: str, redis_client: Any, sample_stream: list[Entry]
) -> None:
    # An empty range still reports (nothing), but does not pass as clean: exit 5.
    empty = replay_report(redis_url, "--start", "1-0", "--end", "2-0", "--fail-on", "none")
    assert empty["totals"]["events"] == 0
    assert empty["range"] == {"first_id": None, "last_id": None}
    deleted = [entry.id for entry in sample_stream[5:15]]
    redis_client.xdel(STREAM, *deleted)
    report = replay_report(redis_url, "--batch-size", "4")
    assert report["totals"]["events"] == len(sample_stream) - len(deleted)
    redis_client.xtrim(STREAM, maxlen=20, approximate=False)
    assert replay_report(redis_url)["totals"]["events"] == 20


def test_export_then_check_equals_replay_byte_exact(
    redis_url: str, redis_client: Any, sample_stream: list[Entry], tmp_path: Path
) -> None:
    odd = [
        Entry("9999999999999-0", {"payload": b'{"toxicity": NaN}', "writer": b"py-monolith"}),
        Entry("9999999999999-1", {"payload": b"\xff\xfe\x00garbage", "writer": b"\xc3\x28"}),
        Entry("9999999999999-2", {"payload": b'{"body": "\\ud800"}', "encoding": b"json"}),
        Entry("9999999999999-3", {"payload": b""}),
    ]
    seed_stream(redis_client, STREAM, odd)
    corpus = tmp_path / "corpus.jsonl"
    result = invoke("export", "--redis-url", redis_url, "--stream", STREAM, "--out", str(corpus))
    assert result.exit_code == 0, result.output
    exported = [entry for batch in read_corpus(corpus) for entry in batch]
    raw = redis_client.xrange(STREAM)
    assert [(e.id, {k.encode(): v for k, v in e.fields.items()}) for e in exported] == [
        (stream_id.decode(), fields) for stream_id, fields in raw
    ]
    checked = invoke("check", str(corpus), "--format", "json")
    replayed = replay_report(redis_url)
    assert without_timing(json.loads(checked.output)) == without_timing(replayed)


def test_unreachable_redis_exits_3(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = invoke("replay", "--redis-url", f"redis://127.0.0.1:{port}/0", "--stream", STREAM)
    assert result.exit_code == 3
    assert "cannot reach Redis" in result.output
    assert result.output.count("\n") == 1


def test_bad_password_exits_3_without_echoing_it(make_redis: Callable[..., EmbeddedRedis]) -> None:
    server = make_redis(requirepass="s3cret-pw")
    wrong = f"redis://:wrong-pw@127.0.0.1:{server.port}/0"
    result = invoke("replay", "--redis-url", wrong, "--stream", STREAM)
    assert result.exit_code == 3
    assert "wrong-pw" not in result.output
    assert "refused the credentials" in result.output
    none = invoke("replay", "--redis-url", server.url, "--stream", STREAM)
    assert none.exit_code == 3
    assert "requires a password" in none.output
    right = invoke(
        "replay",
        "--redis-url",
        server.url,
        "--stream",
        STREAM,
        env={"CDCCHECK_REDIS_PASSWORD": "s3cret-pw"},
    )
    assert right.exit_code == 3  # authenticated, but no such stream
    assert "no stream" in right.output
    assert "s3cret-pw" not in right.output


def test_missing_stream_and_wrong_type_exit_3(redis_url: str, redis_client: Any) -> None:
    missing = invoke("replay", "--redis-url", redis_url, "--stream", "nope")
    assert missing.exit_code == 3
    assert "does not exist" in missing.output
    redis_client.set("plain", "x")
    wrong = invoke("replay", "--redis-url", redis_url, "--stream", "plain")
    assert wrong.exit_code == 3
    assert "not a stream but a string" in wrong.output


def test_usage_errors_exit_2(redis_url: str) -> None:
    assert invoke("replay", "--redis-url", "http://x", "--stream", STREAM).exit_code == 2
    assert (
        invoke(
            "replay", "--redis-url", redis_url, "--stream", STREAM, "--start", "yesterday"
        ).exit_code
        == 2
    )
    assert invoke("replay", "--redis-url", redis_url).exit_code == 2  # no --stream


def test_replay_stops_at_a_dead_server_with_resume_point(
    make_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    """The server dies mid-replay: exit 3, a partial report, and the id to resume from."""
    import redis

    server = make_redis()
    client = redis.Redis.from_url(server.url)
    seed_stream(client, STREAM, mixed_stream(20_000))
    report = tmp_path / "partial.json"
    script = Path(sys.executable).with_name("cdccheck")
    process = subprocess.Popen(
        [
            str(script),
            "replay",
            "--redis-url",
            server.url,
            "--stream",
            STREAM,
            "--batch-size",
            "10",
            "--report",
            str(report),
            "--quiet",
            *SCHEMA_ARGS,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Stop the server once the replay is well under way (2,000 XRANGE calls in all).
    deadline = time.monotonic() + 60
    while _xrange_calls(client) < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    client.close()
    server.stop()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 3, stderr
    assert "resume with --start" in stderr
    partial = json.loads(report.read_text())
    validate_report(partial)
    assert 0 < partial["totals"]["events"] < 20_000


def _xrange_calls(client: Any) -> int:
    stats = client.info("commandstats")
    return int(stats.get("cmdstat_xrange", {}).get("calls", 0))


def test_demo_command_runs_on_its_own_redis(tmp_path: Path) -> None:
    page = tmp_path / "demo.html"
    result = invoke("demo", "--events", "400", "--format", "json", "--quiet", "--html", str(page))
    assert result.exit_code == 0, result.output
    assert page.exists()
    report = json.loads(result.output)
    validate_report(report)
    assert report["totals"]["events"] == 400
    groups = {(g["schema"], g["kind"], g["path"]) for g in report["findings"]}
    for sample_class in CLASSES:
        assert set(EXPECTED[sample_class].findings) <= groups, sample_class


def test_demo_keep_leaves_the_server_running(tmp_path: Path) -> None:
    page = str(tmp_path / "demo.html")
    result = invoke(
        "demo", "--events", "50", "--keep", "--quiet", "--format", "json", "--html", page
    )
    assert result.exit_code == 0
    line = next(line for line in result.output.splitlines() if "keeps running" in line)
    url = line.split(" at ")[1].split(" ")[0]
    pid = int(line.split("(pid ")[1].split(")")[0])
    try:
        assert replay_report(url)["totals"]["events"] == 50
    finally:
        os.kill(pid, signal.SIGTERM)


@pytest.mark.slow
def test_replay_memory_stays_flat_over_200k_entries(redis_client: Any, redis_url: str) -> None:
    """RSS after 200,000 checked entries stays within a generous bound of RSS after warm-up."""
    from cdccheck.engine.engine import Engine
    from cdccheck.engine.pipeline import check_batch
    from cdccheck.engine.schema import bundled_schema_path, load_schema
    from cdccheck.sources.redis_range import RedisRange
    from cdccheck.summary import Summary

    seed_stream(redis_client, STREAM, mixed_stream(200_000))
    engine = Engine(
        load_schema(bundled_schema_path("legacy"), name="legacy"),
        load_schema(bundled_schema_path("new"), name="new"),
    )
    summary = Summary()
    rss_after_warmup = 0
    with RedisRange(redis_url, STREAM, batch_size=1000) as source:
        for index, batch in enumerate(source.batches()):
            check_batch(engine, batch, summary)
            if index == 5:
                rss_after_warmup = _rss_kb()
    grown_mb = (_rss_kb() - rss_after_warmup) / 1024
    assert summary.totals.events == 200_000
    assert grown_mb < 50, f"RSS grew by {grown_mb:.1f} MB"


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_make_demo_on_a_fresh_clone(tmp_path: Path) -> None:
    """`make demo` works on a clone with nothing but the README's command."""
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("needs git and make")
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, check=False
    )
    if head.returncode:
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    done = subprocess.run(
        ["make", "demo"],
        cwd=clone,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "events need attention" in done.stdout
    assert "go-comments" in done.stdout
    assert "py-monolith" in done.stdout
    # The legacy side is derived from examples/comment/python (docs/schemas-from-code.md).
    assert "legacy py:legacy_consumer:CommentEvent?unknown=forbid" in done.stdout
    # It ends with the timeline and an HTML page, and says where the page is.
    assert "Over time" in done.stdout
    assert "rising since" in done.stdout
    page = clone / "demo-report.html"
    assert f"HTML report: {page.resolve()}" in done.stderr
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
