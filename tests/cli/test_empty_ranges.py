"""A run that checks nothing is not clean (issue 11): reversed ranges, empty ranges and corpora.

`--start` after `--end` is a usage error (2). A range or corpus without any
entry prints its (empty) report, says what the stream holds, and exits 5
unless `--fail-on none` (then 0 with a warning).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.demo import seed_stream
from cdccheck.samples import healthy_entries
from cdccheck.sources.corpus import write_corpus
from tests.helpers import SCHEMA_ENV

runner = CliRunner()
STREAM = "comments:cdc"


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), env=SCHEMA_ENV, catch_exceptions=False)


@pytest.fixture
def stream(redis_client: Any) -> int:
    return seed_stream(redis_client, STREAM, list(healthy_entries(30)))


def test_start_after_end_is_a_usage_error(redis_url: str, stream: int) -> None:
    for command in (["replay"], ["export", "-o", "never.jsonl"]):
        result = invoke(
            *command,
            *("--redis-url", redis_url, "--stream", STREAM),
            *("--start", "2026-01-29", "--end", "2026-01-28"),
        )
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("cdccheck: error: bad range: --start 2026-01-29 (")
        assert result.stderr.count("\n") == 1
    assert not Path("never.jsonl").exists()


def test_a_range_without_entries_exits_5_and_says_what_the_stream_holds(
    redis_url: str, stream: int
) -> None:
    first, last = healthy_first_and_last(redis_url)
    result = invoke(
        *("replay", "--redis-url", redis_url, "--stream", STREAM),
        *("--start", "2030-01-01", "--end", "2030-01-02", "-f", "json"),
    )
    assert result.exit_code == 5, result.output
    report = json.loads(result.stdout)  # the report is still printed: it counts nothing
    assert report["totals"]["events"] == 0
    message = result.stderr
    assert message.count("\n") == 1
    assert message.startswith(
        f"cdccheck: error: no entry in stream {STREAM!r} at {redis_url} "
        "from 2030-01-01T00:00:00.000Z, id 1893456000000-0 "
        "to 2030-01-02T00:00:00.000Z, id 1893542400000-18446744073709551615; "
        f"the stream holds {stream} entries, from "
    )
    assert f", id {first} to " in message
    assert message.endswith(f", id {last}\n")


def healthy_first_and_last(url: str) -> tuple[str, str]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        first = client.xrange(STREAM, count=1)[0][0].decode()
        last = client.xrevrange(STREAM, count=1)[0][0].decode()
    finally:
        client.close()
    return first, last


def test_fail_on_none_makes_it_a_warning(redis_url: str, stream: int) -> None:
    result = invoke(
        *("replay", "--redis-url", redis_url, "--stream", STREAM),
        *("--start", "2030-01-01", "--fail-on", "none", "-f", "json"),
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("cdccheck: warning: no entry in stream ")


def test_an_empty_stream(redis_client: Any, redis_url: str) -> None:
    redis_client.xadd(STREAM, {"payload": b"{}"}, id="5-0")
    redis_client.xdel(STREAM, "5-0")
    result = invoke("replay", "--redis-url", redis_url, "--stream", STREAM, "-f", "json")
    assert result.exit_code == 5
    assert result.stderr.endswith("; the stream is empty\n")


def test_an_empty_corpus_exits_5(tmp_path: Path) -> None:
    empty, healthy = tmp_path / "empty.jsonl", tmp_path / "healthy.jsonl"
    write_corpus(empty, [])
    write_corpus(healthy, healthy_entries(3))
    result = invoke("check", str(empty), "-f", "json")
    assert result.exit_code == 5, result.output
    assert result.stderr == f"cdccheck: error: no entry in corpus {empty}: nothing checked\n"
    # One file with entries is enough: the run checked something.
    assert invoke("check", str(empty), str(healthy), "-f", "json").exit_code == 0
    assert invoke("check", str(empty), "--fail-on", "none").exit_code == 0
