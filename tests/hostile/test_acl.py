"""Least-privilege Redis users for each command, tested with real ACL users (docs/security.md).

The command lists are what each command was measured to send (INFO
commandstats around a real run, see docs/security.md, "Redis ACLs"); here
each role's user, holding only its list and its key patterns, runs the real
command (the installed script) to the end, and a user of another role is
refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cdccheck.demo import seed_stream
from cdccheck.samples import mixed_stream
from tests.helpers import BUNDLED_LEGACY, BUNDLED_NEW
from tests.hostile.support import run_measured

pytestmark = pytest.mark.slow

STREAM = "comments:cdc"
GROUP = "cdccheck"
QUARANTINE = "comments:cdc:quarantine"
SCHEMAS = ("--legacy", str(BUNDLED_LEGACY), "--new", str(BUNDLED_NEW))

# The rules docs/security.md gives, role by role.
READER = "~comments:* +xrange +xrevrange +xlen +type +multi +exec"
FLEET = "~cdccheck:* +info +hgetall +zrange"
CONSUMER = (
    "~comments:* ~cdccheck:* +info +xreadgroup +xack +xautoclaim +xpending +xgroup +xinfo "
    "+exists +eval +evalsha +hget +hgetall +hset +hincrby +hdel +del +sadd +srem +smembers "
    "+zadd +zcard +zscore +zrange +zrangebyscore +zrevrange +zrem +zremrangebyrank "
    "+zremrangebyscore +zunionstore"
)
CONSUMER_QUARANTINE = CONSUMER + " +xadd"
CONSUMER_PATTERN = CONSUMER + " +scan"


@pytest.fixture
def make_user(redis_client: Any, redis_url: str) -> Iterator[Callable[[str, str], str]]:
    """ACL users with exactly ``rules``; returns their URL. Deleted after the test."""
    made: list[str] = []
    port = redis_url.rsplit(":", 1)[1].split("/", maxsplit=1)[0]

    def make(name: str, rules: str) -> str:
        password = f"pw-{name}-7Qz"
        redis_client.execute_command(
            "ACL", "SETUSER", name, "reset", "on", f">{password}", *rules.split()
        )
        made.append(name)
        return f"redis://{name}:{password}@127.0.0.1:{port}/0"

    try:
        yield make
    finally:
        for name in made:
            redis_client.execute_command("ACL", "DELUSER", name)


@pytest.fixture
def seeded(redis_client: Any) -> int:
    return seed_stream(redis_client, STREAM, list(mixed_stream(120, 3, defect_rate=0.2)))


def test_replay_export_and_show_need_only_the_reader_rules(
    make_user: Callable[[str, str], str], seeded: int, redis_client: Any, tmp_path: Path
) -> None:
    url = make_user("reader", READER)
    replay = run_measured(
        "replay", "--redis-url", url, "--stream", STREAM, "-f", "json", "--start",
        "2026-01-28T00:00:00Z", *SCHEMAS, cwd=tmp_path,
    )  # fmt: skip
    assert replay.returncode == 1, replay.stderr
    assert json.loads(replay.stdout)["totals"]["events"] == seeded
    exported = run_measured(
        "export", "--redis-url", url, "--stream", STREAM, "--out", str(tmp_path / "c.jsonl"),
        cwd=tmp_path,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    first = redis_client.xrange(STREAM, count=1)[0][0].decode()
    shown = run_measured(
        "show", first, "--redis-url", url, "--stream", STREAM, *SCHEMAS, cwd=tmp_path
    )
    assert shown.returncode in (0, 1), shown.stderr
    assert f"entry {first}" in shown.stdout
    # The reader cannot join a consumer group: the sidecar needs its own user.
    refused = run_measured(
        "consume", "--redis-url", url, "--stream", STREAM, "--until-idle", "1", *SCHEMAS,
        cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 3
    assert "no permissions" in refused.stderr
    assert "pw-reader" not in refused.stderr + refused.stdout


def test_consume_and_the_fleet_report_need_only_their_rules(
    make_user: Callable[[str, str], str], seeded: int, redis_client: Any, tmp_path: Path
) -> None:
    sidecar = make_user("sidecar", CONSUMER_QUARANTINE)
    consumed = run_measured(
        "consume", "--redis-url", sidecar, "--stream", STREAM, "--group", GROUP,
        "--start-id", "0", "--until-idle", "1", "--quarantine-stream", QUARANTINE,
        *SCHEMAS, cwd=tmp_path,
    )  # fmt: skip
    assert consumed.returncode == 1, consumed.stderr
    assert redis_client.xpending(STREAM, GROUP)["pending"] == 0
    assert redis_client.xlen(QUARANTINE) > 0
    # A second run joins the existing group (no XGROUP CREATE, the script cached).
    again = run_measured(
        "consume", "--redis-url", sidecar, "--stream", STREAM, "--group", GROUP,
        "--until-idle", "1", *SCHEMAS, cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr

    fleet = make_user("fleet", FLEET)
    report = run_measured(
        "report", "--redis-url", fleet, "--stream", STREAM, "--group", GROUP, "-f", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["totals"]["events"] == seeded
    # The fleet report's user cannot read the stream itself.
    denied = run_measured(
        "replay", "--redis-url", fleet, "--stream", STREAM, *SCHEMAS, cwd=tmp_path
    )
    assert denied.returncode == 3
    assert "pw-fleet" not in denied.stderr


def test_a_stream_pattern_needs_scan_too(
    make_user: Callable[[str, str], str], seeded: int, redis_client: Any, tmp_path: Path
) -> None:
    url = make_user("patterned", CONSUMER_PATTERN)
    consumed = run_measured(
        "consume", "--redis-url", url, "--stream-pattern", "comments:*", "--group", GROUP,
        "--start-id", "0", "--until-idle", "1", *SCHEMAS, cwd=tmp_path,
    )  # fmt: skip
    assert consumed.returncode == 1, consumed.stderr
    assert redis_client.xpending(STREAM, GROUP)["pending"] == 0
