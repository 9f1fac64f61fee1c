"""Every hostile entry through the installed script: check, replay, consume (issue 10).

Real processes on the session Redis. Each command counts every entry
(events == entries), the three agree exactly (the fleet summary the sidecar
committed equals the replay report), no event is an internal error, memory
stays bounded, and in a consumer group every entry, poison included, is
acknowledged with a verdict in ONE run: nothing is left pending.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cdccheck.demo import seed_stream
from cdccheck.engine.schema import bundled_schema_path
from tests.helpers import validate_report
from tests.hostile.support import HOSTILE_NEW_SCHEMA, hostile_entries, run_measured

pytestmark = pytest.mark.slow

STREAM = "hostile:cdc"
GROUP = "hostile-sidecars"
MAX_RSS_MIB = 800
"""Generous: the measured peaks are far below (see docs/security.md, "Limits")."""


def summary_part(report: dict[str, Any]) -> dict[str, Any]:
    """What a report says about the events: counters and groups, without hints."""

    def groups(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in group.items() if k != "hint"} for group in table]

    return {
        "range": report["range"],
        "totals": report["totals"],
        "by_op": report["by_op"],
        "by_writer": report["by_writer"],
        "findings": groups(report["findings"]),
        "warnings": groups(report["warnings"]),
    }


def identity_holds(counters: dict[str, int]) -> bool:
    return counters["events"] == (
        counters["ok"]
        + counters["undecodable"]
        + counters["legacy_invalid"]
        + counters["new_invalid"]
        - counters["both_invalid"]
        + counters["errors"]
    )


@pytest.fixture
def options(tmp_path: Path) -> list[str]:
    new = tmp_path / "hostile-new.json"
    new.write_text(json.dumps(HOSTILE_NEW_SCHEMA))
    legacy = str(bundled_schema_path("legacy"))
    # Samples enough to keep every undecodable entry's message.
    return ["--legacy", legacy, "--new", str(new), "--pattern-timeout-ms", "20", "--samples", "100"]


def test_check_replay_and_consume_agree_on_every_hostile_entry(
    redis_client: Any, redis_url: str, tmp_path: Path, options: list[str]
) -> None:
    entries = hostile_entries()
    seed_stream(redis_client, STREAM, entries)
    assert redis_client.xlen(STREAM) == len(entries)
    peaks: dict[str, float] = {}

    replay = run_measured(
        "replay", "--redis-url", redis_url, "--stream", STREAM, *options, "-f", "json",
        cwd=tmp_path,
    )  # fmt: skip
    peaks["replay"] = replay.max_rss_mib
    assert replay.returncode == 1, replay.stderr  # findings, and nothing worse
    report = json.loads(replay.stdout)
    validate_report(report)
    totals = report["totals"]
    assert totals["events"] == len(entries)
    assert totals["errors"] == 0
    for counters in (totals, *report["by_op"].values(), *report["by_writer"].values()):
        assert identity_holds(counters)
    messages = " ".join(
        sample["message"] for group in report["findings"] for sample in group["samples"]
    )
    for option in ("--max-int-digits", "--max-key-bytes", "--max-object-keys"):
        assert f"({option})" in messages
    groups = {(g["schema"], g["kind"], g["path"]): g["events"] for g in report["findings"]}
    assert groups[("new", "pattern_timeout", "/slow")] == 1
    assert groups[("new", "constraint", "/name")] == 3  # ^(a+)+b$ refused them, at once

    corpus = tmp_path / "hostile.jsonl"
    exported = run_measured(
        "export", "--redis-url", redis_url, "--stream", STREAM, "--out", str(corpus), cwd=tmp_path
    )
    assert exported.returncode == 0, exported.stderr
    checked = run_measured("check", str(corpus), *options, "-f", "json", cwd=tmp_path)
    peaks["check"] = checked.max_rss_mib
    assert checked.returncode == 1, checked.stderr
    assert summary_part(json.loads(checked.stdout)) == summary_part(report)

    consumed = run_measured(
        "consume", "--redis-url", redis_url, "--stream", STREAM, "--group", GROUP,
        "--start-id", "0", "--until-idle", "2", "--batch", "50", *options,
        "--report", str(tmp_path / "consumer.json"),
        cwd=tmp_path,
    )  # fmt: skip
    peaks["consume"] = consumed.max_rss_mib
    assert consumed.returncode == 1, consumed.stderr  # drain mode: findings
    # Every entry, poison included, acknowledged with a verdict on the first try.
    assert redis_client.xpending(STREAM, GROUP)["pending"] == 0
    fleet = run_measured(
        "report", "--redis-url", redis_url, "--stream", STREAM, "--group", GROUP, "-f", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert fleet.returncode == 0, fleet.stderr
    fleet_report = json.loads(fleet.stdout)
    validate_report(fleet_report)
    assert summary_part(fleet_report) == summary_part(report)
    assert summary_part(json.loads((tmp_path / "consumer.json").read_text())) == summary_part(
        report
    )

    print(f"peak RSS in MiB: {peaks}")  # shown with -s; docs/security.md quotes them
    for command, peak in peaks.items():
        assert peak < MAX_RSS_MIB, (command, peak)


def test_a_poison_entry_is_acknowledged_on_the_first_try(
    redis_client: Any, redis_url: str, tmp_path: Path, options: list[str]
) -> None:
    # Defect 1: `[999...9]` crashed the batch, and every restart crashed on it again.
    poison = b"[" + b"9" * 5000 + b"]"
    redis_client.xadd(STREAM, {"payload": b'{"op": "create"}', "writer": b"py"})
    redis_client.xadd(STREAM, {"payload": poison, "writer": b"go"})
    redis_client.xadd(STREAM, {"payload": b'{"op": "delete"}', "writer": b"py"})
    consumed = run_measured(
        "consume", "--redis-url", redis_url, "--stream", STREAM, "--group", GROUP,
        "--start-id", "0", "--until-idle", "1", *options,
        cwd=tmp_path,
    )  # fmt: skip
    assert consumed.returncode == 1, consumed.stderr
    assert redis_client.xpending(STREAM, GROUP)["pending"] == 0
    [info] = redis_client.xinfo_groups(STREAM)
    assert info["last-delivered-id"] == redis_client.xrevrange(STREAM, count=1)[0][0]
    fleet = run_measured(
        "report", "--redis-url", redis_url, "--stream", STREAM, "--group", GROUP, "-f", "json",
        cwd=tmp_path,
    )  # fmt: skip
    totals = json.loads(fleet.stdout)["totals"]
    assert (totals["events"], totals["undecodable"], totals["errors"]) == (3, 1, 0)
