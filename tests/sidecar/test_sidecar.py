"""The sidecar on a real redis-server: drain mode, poison, signals, scale-out, metrics, CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.embedded import EmbeddedRedis
from cdccheck.engine.pipeline import check_batch
from cdccheck.report.json import load_report, merge_reports
from cdccheck.sidecar.loop import ConsumeOptions, Sidecar, _InDoubt
from cdccheck.summary import Summary
from tests.helpers import SCHEMA_ENV, validate_report
from tests.sidecar.support import (
    GROUP,
    comparable,
    consumer,
    consuming,
    engine,
    finish,
    fleet_summary,
    log_lines,
    replay_summary,
    seed,
    wait_for,
)

runner = CliRunner()


def options(url: str, *streams: str, **more: Any) -> ConsumeOptions:
    chosen: dict[str, Any] = {
        "start_id": "0",
        "block_ms": 50,
        "batch": 64,
        "until_idle_s": 0.3,
        "claim_idle_ms": 1000,
    }
    chosen.update(more)
    return ConsumeOptions(url=url, streams=list(streams), **chosen)


# ---------------------------------------------------------------- drain mode, in process


def test_drain_counts_each_event_once_like_replay(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed(redis_client, "s", 700, defect_rate=0.2)
    report_path = tmp_path / "report.json"
    result = Sidecar(engine(), options(redis_url, "s", report=report_path)).run()
    assert result.stopped_by == "until-idle"
    reference = comparable(replay_summary(redis_url, "s"))
    assert comparable(result.summary) == reference
    assert comparable(fleet_summary(redis_url, "s")) == reference
    assert redis_client.xpending("s", GROUP)["pending"] == 0
    report = load_report(report_path)
    validate_report(report)
    assert report["source"]["kind"] == "group"
    assert report["source"]["stream"] == "s"
    assert report["totals"] == reference["totals"]


def test_max_events_stops_exactly_and_the_next_run_continues(
    redis_client: redis.Redis, redis_url: str
) -> None:
    seed(redis_client, "s", 300)
    first = Sidecar(engine(), options(redis_url, "s", max_events=120, until_idle_s=None)).run()
    assert first.stopped_by == "max-events"
    assert first.summary.totals.events == 120
    assert redis_client.xpending("s", GROUP)["pending"] == 0
    second = Sidecar(engine(), options(redis_url, "s")).run()
    assert second.summary.totals.events == 180
    assert fleet_summary(redis_url, "s").totals.events == 300


def test_poison_payloads_are_counted_acknowledged_and_quarantined(
    redis_client: redis.Redis, redis_url: str
) -> None:
    poison = [
        b"\x00\xff\xfe garbage \x80",
        b'{"comment": {"body": "' + b"x" * (1 << 20) + b'"}}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    ]
    for index, payload in enumerate(poison):
        redis_client.xadd("s", {"payload": payload, "writer": b"go-comments"}, id=f"{index + 1}-0")
    healthy = seed(redis_client, "s", 50, defect_rate=0.0, first_ms=100)
    started = time.monotonic()
    result = Sidecar(
        engine(), options(redis_url, "s", batch=3, quarantine_stream="cdccheck:quarantine")
    ).run()
    assert time.monotonic() - started < 30
    totals = result.summary.totals
    assert totals.events == len(poison) + len(healthy)
    assert totals.ok == len(healthy)
    assert totals.undecodable >= 3  # garbage and both nestings; the 1 MB body decodes
    assert redis_client.xpending("s", GROUP)["pending"] == 0
    quarantined = redis_client.xrange("cdccheck:quarantine")
    assert len(quarantined) == len(poison) == result.report["source"]["quarantined"]
    by_id = {fields[b"cdccheck:id"]: fields for _, fields in quarantined}
    assert by_id[b"1-0"][b"payload"] == poison[0]
    assert by_id[b"2-0"][b"payload"] == poison[1]  # raw fields kept byte for byte
    findings = json.loads(by_id[b"3-0"][b"cdccheck:findings"])
    assert findings["decodable"] is False
    assert "nest" in findings["wire"]["message"] or "deep" in findings["wire"]["message"]


def test_a_pattern_never_reads_its_own_quarantine(
    redis_client: redis.Redis, redis_url: str
) -> None:
    seed(redis_client, "cdc:a", 100, defect_rate=0.5)
    seed(redis_client, "cdc:b", 100, defect_rate=0.5, first_ms=1_900_000_000_000)
    first = Sidecar(
        engine(),
        options(redis_url, pattern="cdc:*", quarantine_stream="cdc:quarantine", until_idle_s=0.5),
    ).run()
    assert first.summary.totals.events == 200
    failing = first.summary.totals.events - first.summary.totals.ok
    assert redis_client.xlen("cdc:quarantine") == failing
    # A second sidecar started now matches the quarantine stream too, and skips it.
    second = Sidecar(
        engine(), options(redis_url, pattern="cdc:*", quarantine_stream="cdc:quarantine")
    ).run()
    assert second.summary.totals.events == 0
    assert "cdc:quarantine" not in second.report["source"]["streams"]


def test_a_pattern_picks_up_streams_created_later(
    redis_client: redis.Redis, redis_url: str
) -> None:
    sidecar = Sidecar(
        engine(), options(redis_url, pattern="later:*", until_idle_s=None, rescan_every_s=0.1)
    )
    thread = threading.Thread(target=sidecar.run)
    thread.start()
    try:
        wait_for(lambda: sidecar.ready, what="readiness")
        assert sidecar.source.streams == []
        seed(redis_client, "later:1", 40)
        wait_for(lambda: sidecar.summary.totals.events == 40, what="the new stream's events")
    finally:
        sidecar.stop("test")
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert sidecar.source.streams == ["later:1"]


def test_a_commit_whose_reply_was_lost_is_settled_by_its_token(
    redis_client: redis.Redis, redis_url: str
) -> None:
    seed(redis_client, "s", 30)
    sidecar = Sidecar(engine(), options(redis_url, "s", consumer="me"))
    sidecar._join()
    (batch,) = sidecar.source.read()
    summary = Summary()
    check_batch(engine(), batch.entries, summary)
    fleet = sidecar._fleet("s")
    assert fleet.commit(consumer="me", token="went-through", ids=batch.ids, summary=summary) == []
    # The reply never arrived: all the sidecar knows is the token it sent.
    sidecar._doubt = _InDoubt("s", "went-through", summary, 0, 0)
    sidecar._settle()
    assert sidecar.summary.totals.events == 30
    sidecar._doubt = _InDoubt("s", "never-arrived", summary, 0, 0)
    sidecar._settle()
    assert sidecar.summary.totals.events == 30  # not counted twice
    assert sidecar._doubt is None
    sidecar.source.close()


def test_entries_claimed_away_mid_batch_are_left_to_their_new_owner(
    redis_client: redis.Redis, redis_url: str
) -> None:
    entries = seed(redis_client, "s", 20, defect_rate=0.5)
    sidecar = Sidecar(engine(), options(redis_url, "s", consumer="slow"))
    sidecar._join()
    (batch,) = sidecar.source.read()
    summary = Summary()
    check_batch(engine(), batch.entries, summary)
    stolen = [entry.id for entry in entries[:5]]
    redis_client.xclaim("s", GROUP, "fast", 0, stolen)
    sidecar._commit(batch, summary, [], time.perf_counter())
    assert sidecar.summary.totals.events == 15
    assert sidecar.lost == 5
    assert fleet_summary(redis_url, "s").totals.events == 15
    pending = redis_client.xpending_range("s", GROUP, "-", "+", 50)
    assert [p["message_id"].decode() for p in pending] == stolen
    sidecar.source.close()


# ---------------------------------------------------------------- metrics and health


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def scrape_while_consuming(
    redis_client: redis.Redis, redis_url: str, events: int, **more: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run a sidecar, seed ``events`` events, scrape /metrics: (metric families, its report)."""
    from prometheus_client.parser import text_string_to_metric_families

    sidecar = Sidecar(
        engine(),
        options(
            redis_url, "s", until_idle_s=None, metrics_port=0, metrics_host="127.0.0.1", **more
        ),
    )
    thread = threading.Thread(target=sidecar.run)
    thread.start()
    try:
        wait_for(lambda: sidecar.metrics_port is not None and sidecar.ready, what="readiness")
        port = sidecar.metrics_port
        assert port is not None
        seed(redis_client, "s", events, defect_rate=0.5)
        wait_for(lambda: sidecar.summary.totals.events == events, what=f"{events} events")
        status, text = http_get(port, "/metrics")
        assert status == 200
        report = sidecar.build_report()
    finally:
        sidecar.stop("test")
        thread.join(timeout=10)
    assert not thread.is_alive()
    return {family.name: family for family in text_string_to_metric_families(text)}, report


def findings_by_labels(families: dict[str, Any]) -> dict[tuple[str, str, str, str], float]:
    return {
        (s.labels["schema"], s.labels["kind"], s.labels["path"], s.labels["writer"]): s.value
        for s in families["cdccheck_findings"].samples
        if s.name == "cdccheck_findings_total"
    }


def test_metric_verdicts_mean_what_the_report_counters_mean(
    redis_client: redis.Redis, redis_url: str
) -> None:
    families, report = scrape_while_consuming(redis_client, redis_url, 300)
    assert report["totals"]["both_invalid"] > 0  # else the two meanings could not differ
    by_verdict = {
        s.labels["verdict"]: s.value
        for s in families["cdccheck_events"].samples
        if s.name == "cdccheck_events_total"
    }
    # A verdict label spelled like a report counter counts exactly what that counter counts.
    for name, value in by_verdict.items():
        if name in report["totals"]:
            assert value == report["totals"][name], name
    assert (
        by_verdict["legacy_only_invalid"] + by_verdict["both_invalid"]
        == (report["totals"]["legacy_invalid"])
    )
    assert "legacy_invalid" not in by_verdict
    assert "legacy_only_invalid" in families["cdccheck_events"].documentation


def test_findings_metric_has_a_bounded_path_and_a_writer(
    redis_client: redis.Redis, redis_url: str
) -> None:
    families, report = scrape_while_consuming(redis_client, redis_url, 300, metrics_paths=3)
    measured = findings_by_labels(families)
    paths = {path for (_schema, _kind, path, _writer) in measured}
    assert len(paths - {"other"}) == 3
    assert "other" in paths
    assert {writer for (*_, writer) in measured} == {"go-comments", "py-monolith"}
    expected: dict[tuple[str, str, str, str], float] = {}
    for group in report["findings"]:
        for writer, events in group["by_writer"].items():
            path = group["path"] if group["path"] in paths else "other"
            key = (group["schema"], group["kind"], path, writer)
            expected[key] = expected.get(key, 0) + events
    assert measured == expected


def test_metrics_parse_and_match_the_report(redis_client: redis.Redis, redis_url: str) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    sidecar = Sidecar(
        engine(),
        options(redis_url, "s", until_idle_s=None, metrics_port=0, metrics_host="127.0.0.1"),
    )
    thread = threading.Thread(target=sidecar.run)
    thread.start()
    try:
        wait_for(lambda: sidecar.metrics_port is not None and sidecar.ready, what="readiness")
        port = sidecar.metrics_port
        assert port is not None
        assert http_get(port, "/healthz") == (200, "ok\n")
        assert http_get(port, "/readyz") == (200, "ready\n")
        seed(redis_client, "s", 400, defect_rate=0.3)
        wait_for(lambda: sidecar.summary.totals.events == 400, what="400 events")
        status, text = http_get(port, "/metrics")
        assert status == 200
        report = sidecar.build_report()
    finally:
        sidecar.stop("test")
        thread.join(timeout=10)
    assert not thread.is_alive()
    families = {family.name: family for family in text_string_to_metric_families(text)}

    def counted(name: str, *labels: str) -> dict[tuple[str, ...], float]:
        return {
            tuple(sample.labels[label] for label in labels): sample.value
            for sample in families[name].samples
            if sample.name == f"{name}_total"
        }

    totals = report["totals"]
    exclusive = {
        "ok": totals["ok"],
        "undecodable": totals["undecodable"],
        "legacy_only_invalid": totals["legacy_invalid"] - totals["both_invalid"],
        "new_only_invalid": totals["new_invalid"] - totals["both_invalid"],
        "both_invalid": totals["both_invalid"],
    }
    by_verdict = counted("cdccheck_events", "verdict")
    assert by_verdict == {(verdict,): n for verdict, n in exclusive.items() if n}
    assert sum(by_verdict.values()) == totals["events"] == 400
    for dimension, table in (("op", "by_op"), ("writer", "by_writer")):
        measured_events: dict[str, float] = {}
        for (key, _verdict), value in counted(
            f"cdccheck_events_by_{dimension}", dimension, "verdict"
        ).items():
            measured_events[key] = measured_events.get(key, 0) + value
        assert measured_events == {k: c["events"] for k, c in report[table].items()}
    ok_by_op = {
        op: value
        for (op, verdict), value in counted("cdccheck_events_by_op", "op", "verdict").items()
        if verdict == "ok"
    }
    assert ok_by_op == {op: c["ok"] for op, c in report["by_op"].items() if c["ok"]}
    # Below --metrics-paths distinct paths, every finding group and writer has its own series.
    findings = {
        (group["schema"], group["kind"], group["path"], writer): events
        for group in report["findings"]
        for writer, events in group["by_writer"].items()
    }
    assert findings_by_labels(families) == findings
    assert families["cdccheck_redis_up"].samples[0].value == 1
    pending = {s.labels["stream"]: s.value for s in families["cdccheck_group_pending"].samples}
    assert pending == {"s": 0}
    histogram = {s.name: s.value for s in families["cdccheck_batch_duration_seconds"].samples}
    assert histogram["cdccheck_batch_duration_seconds_count"] >= 400 / 64


def test_readiness_is_false_until_redis_answers(make_redis: Callable[..., EmbeddedRedis]) -> None:
    server = make_redis()
    port = server.port
    server.stop()
    sidecar = Sidecar(
        engine(),
        options(
            f"redis://127.0.0.1:{port}/0",
            "s",
            until_idle_s=None,
            metrics_port=0,
            metrics_host="127.0.0.1",
            backoff_cap_s=0.2,
        ),
    )
    thread = threading.Thread(target=sidecar.run)
    thread.start()
    try:
        wait_for(lambda: sidecar.metrics_port is not None, what="the metrics server")
        assert sidecar.metrics_port is not None
        status, body = http_get(sidecar.metrics_port, "/readyz")
        assert (status, body) == (503, "not connected to Redis\n")
        assert http_get(sidecar.metrics_port, "/healthz")[0] == 200
        server.start()
        wait_for(lambda: sidecar.ready, what="readiness after Redis started")
        assert http_get(sidecar.metrics_port, "/readyz")[0] == 200
    finally:
        sidecar.stop("test")
        thread.join(timeout=10)
    assert not thread.is_alive()


# ---------------------------------------------------------------- processes and signals


def test_sigterm_exits_0_within_seconds_with_a_final_report(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed(redis_client, "s", 300, defect_rate=0.3)
    log, report = tmp_path / "log", tmp_path / "report.json"
    process = consumer(
        redis_url,
        "--stream",
        "s",
        "--start-id",
        "0",
        "--report",
        str(report),
        "--report-every",
        "3600",
        log=log,
    )
    try:
        wait_for(lambda: consuming(log), timeout=30, what="the consumer to start")
        wait_for(
            lambda: (
                redis_client.xinfo_groups("s")[0]["pending"] == 0
                and redis_client.xinfo_groups("s")[0]["last-delivered-id"] != b"0-0"
            ),
            what="the backlog to be consumed",
        )
        assert not report.exists()  # --report-every is an hour: only the final one
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = finish(process, timeout=10)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 0  # findings do not matter outside drain mode
    assert took < 10
    written = load_report(report)
    validate_report(written)
    assert written["totals"]["events"] == 300
    assert log_lines(log)[-1]["msg"] == "stopped"


def test_a_second_signal_exits_at_once(redis_url: str, tmp_path: Path) -> None:
    log = tmp_path / "log"
    process = consumer(redis_url, "--stream", "s", "--block-ms", "8000", log=log)
    try:
        wait_for(lambda: consuming(log), timeout=30, what="the consumer to start")
        time.sleep(0.2)  # inside the 8 s blocking read
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        code = finish(process, timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 128 + signal.SIGINT
    assert time.monotonic() - started < 3


def test_two_consumers_split_the_load_and_the_fleet_is_their_merge(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    redis_client.xgroup_create("s", GROUP, "$", mkstream=True)
    processes, reports, logs = [], [], []
    for name in ("one", "two"):
        reports.append(tmp_path / f"{name}.json")
        logs.append(tmp_path / f"{name}.log")
        processes.append(
            consumer(
                redis_url,
                "--stream",
                "s",
                "--consumer",
                name,
                "--batch",
                "10",
                "--block-ms",
                "100",
                "--report",
                str(reports[-1]),
                log=logs[-1],
            )
        )
    try:
        for log in logs:
            wait_for(lambda log=log: consuming(log), timeout=30, what="both consumers")
        wait_for(lambda: len(redis_client.xinfo_consumers("s", GROUP)) == 2, what="two readers")
        entries = []
        for part in range(20):  # a steady flow, so both take turns
            entries += seed(
                redis_client,
                "s",
                100,
                defect_rate=0.1,
                seed=part,
                first_ms=1_700_000_000_000 + part * 1000,
            )
            time.sleep(0.02)
        wait_for(
            lambda: fleet_summary(redis_url, "s").totals.events == len(entries),
            timeout=60,
            what="every event counted",
        )
        for process in processes:
            process.send_signal(signal.SIGTERM)
        assert [finish(process, timeout=15) for process in processes] == [0, 0]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    shares = [load_report(path)["totals"]["events"] for path in reports]
    assert all(share > 0 for share in shares), shares
    assert sum(shares) == len(entries) == 2000
    merged = merge_reports([load_report(path) for path in reports])
    fleet = runner.invoke(
        app, ["report", "--redis-url", redis_url, "--stream", "s", "--format", "json"]
    )
    assert fleet.exit_code == 0, fleet.output
    fleet_report = json.loads(fleet.stdout)
    validate_report(fleet_report)
    for key in ("totals", "by_op", "by_writer", "range"):
        assert fleet_report[key] == merged[key], key
    for key in ("findings", "warnings"):
        assert {(g["schema"], g["kind"], g["path"], g["events"]) for g in fleet_report[key]} == {
            (g["schema"], g["kind"], g["path"], g["events"]) for g in merged[key]
        }
    assert sorted(fleet_report["source"]["consumers"]) == ["one", "two"]
    assert comparable(fleet_summary(redis_url, "s")) == comparable(replay_summary(redis_url, "s"))


# ---------------------------------------------------------------- the command line


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), env=SCHEMA_ENV, catch_exceptions=False)


def test_fail_on_counts_only_in_drain_mode(redis_client: redis.Redis, redis_url: str) -> None:
    seed(redis_client, "s", 200, defect_rate=0.3)
    common = [
        "consume",
        "--redis-url",
        redis_url,
        "--stream",
        "s",
        "--block-ms",
        "50",
        "--until-idle",
        "0.3",
        "--log-format",
        "text",
    ]
    assert invoke(*common, "--start-id", "0", "--group", "a").exit_code == 1
    assert invoke(*common, "--start-id", "0", "--group", "b", "--fail-on", "none").exit_code == 0
    clean = invoke(*common, "--group", "c")  # "$": nothing new, nothing failing
    assert clean.exit_code == 0
    assert "stopped" in clean.stderr


def test_the_fleet_report_in_every_format(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    seed(redis_client, "s", 150, defect_rate=0.3)
    Sidecar(engine(), options(redis_url, "s")).run()
    base = ["report", "--redis-url", redis_url, "--stream", "s", "--group", GROUP]
    as_json = invoke(*base, "--format", "json")
    assert as_json.exit_code == 0
    validate_report(json.loads(as_json.stdout))
    assert "150" in invoke(*base, "--format", "table").stdout
    assert invoke(*base, "--format", "markdown").stdout.startswith("#")
    assert "<testsuite" in invoke(*base, "--format", "junit").stdout
    out = tmp_path / "fleet.xml"
    assert invoke(*base, "--format", "junit", "-o", str(out)).exit_code == 0
    assert "<testsuite" in out.read_text()
    # The subcommands still work next to the fleet summary.
    report = tmp_path / "fleet.json"
    assert invoke(*base, "--format", "json", "-o", str(report)).exit_code == 0
    assert invoke("report", "render", str(report), "--format", "markdown").exit_code == 0
    assert invoke("report", "merge", str(report), str(report)).exit_code == 0


def test_the_fleet_report_of_an_unknown_group(redis_url: str) -> None:
    result = invoke("report", "--redis-url", redis_url, "--stream", "s", "--group", "nobody")
    assert result.exit_code == 3
    assert "no fleet summary for group 'nobody'" in result.stderr
    assert "Traceback" not in result.output


def test_redis_down_at_start_in_drain_mode_is_exit_3_without_the_password(
    make_redis: Callable[..., EmbeddedRedis],
) -> None:
    server = make_redis()
    port = server.port
    server.stop()
    result = invoke(
        "consume",
        "--redis-url",
        f"redis://:s3cret@127.0.0.1:{port}/0",
        "--stream",
        "s",
        "--until-idle",
        "1",
        "--log-format",
        "text",
    )
    assert result.exit_code == 3
    assert "s3cret" not in result.output
    assert "cdccheck: error: cannot reach Redis at redis://:***@127.0.0.1" in result.stderr
    assert "Traceback" not in result.output


def test_consume_needs_a_stream(redis_url: str) -> None:
    result = invoke("consume", "--redis-url", redis_url, "--until-idle", "1")
    assert result.exit_code == 2
    assert "pass --stream KEY or --stream-pattern PATTERN" in result.stderr


def test_the_test_crash_hook_is_checked(redis_url: str) -> None:
    os.environ["CDCCHECK_TEST_CRASH_AT"] = "sometime"
    try:
        result = invoke("consume", "--redis-url", redis_url, "--stream", "s", "--until-idle", "1")
    finally:
        del os.environ["CDCCHECK_TEST_CRASH_AT"]
    assert result.exit_code == 2
    assert "CDCCHECK_TEST_CRASH_AT" in result.stderr


def test_summaries_merge_whatever_the_consumer(redis_client: redis.Redis, redis_url: str) -> None:
    """The local Summary of a consumer is the merge of its committed batches."""
    seed(redis_client, "s", 200, defect_rate=0.5)
    result = Sidecar(engine(), options(redis_url, "s", batch=7)).run()
    expected = Summary.from_dict(result.report)
    assert comparable(result.summary) == comparable(expected)


def test_a_committed_batch_walks_only_its_own_groups(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Consume's cost per batch does not grow with the groups seen before (issue 10, defect 8)."""
    from cdccheck.model import EventVerdict, Finding
    from cdccheck.summary import Group

    def verdict(number: int, *paths: str) -> EventVerdict:
        findings = [Finding("unknown_field", path, "m", 1) for path in paths]
        return EventVerdict(f"{number}-0", "create", "go", True, findings, [])

    sidecar = Sidecar(engine(), options(redis_url, "s"))
    seen = Summary()
    for number in range(2000):
        seen.add(verdict(number + 1, f"/p{number // 50}/k{number % 50}"))
    sidecar._committed(seen, 0, 0, None)
    assert len(sidecar.summary.findings) == 2000
    touched: list[Group] = []
    for name in ("plus", "absorb"):
        original = getattr(Group, name, None)
        if original is not None:

            def counting(self: Group, *args: Any, _original: Any = original) -> Any:
                touched.append(self)
                return _original(self, *args)

            monkeypatch.setattr(Group, name, counting)
    batch = Summary()
    batch.add(verdict(5000, "/p0/k0", "/q/new"))
    sidecar._committed(batch, 0, 0, None)
    assert len(sidecar.summary.findings) == 2001
    assert sidecar.summary.findings["legacy", "unknown_field", "/p0/k0"].events == 2
    assert len(touched) <= 4


def test_the_metrics_host_is_this_host_unless_told(redis_url: str) -> None:
    assert ConsumeOptions(url=redis_url).metrics_host == "127.0.0.1"


def test_hostile_ops_and_writers_keep_every_scrape_small(
    redis_client: redis.Redis, redis_url: str
) -> None:
    """20 events with a 1 MB op once made each scrape 80 MB (issue 10, defect 9)."""
    from prometheus_client.parser import text_string_to_metric_families

    from cdccheck.grouping import MAX_LABEL

    huge = "x" * 1_000_000
    for index in range(20):
        payload = json.dumps({"op": f"{huge}{index}"})
        redis_client.xadd("s", {"payload": payload, "writer": f"{huge}{index}"})
    for index in range(300):
        redis_client.xadd("s", {"payload": json.dumps({"op": f"op{index}"}), "writer": "go"})
    sidecar = Sidecar(engine(), options(redis_url, "s", until_idle_s=None, metrics_port=0))
    thread = threading.Thread(target=sidecar.run)
    thread.start()
    try:
        wait_for(lambda: sidecar.summary.totals.events == 320, what="320 events")
        port = sidecar.metrics_port
        assert port is not None
        status, text = http_get(port, "/metrics")
    finally:
        sidecar.stop("test")
        thread.join(timeout=10)
    assert status == 200
    assert len(text) < 100_000
    families = {family.name: family for family in text_string_to_metric_families(text)}
    ops = {sample.labels["op"] for sample in families["cdccheck_events_by_op"].samples}
    writers = {sample.labels["writer"] for sample in families["cdccheck_events_by_writer"].samples}
    assert "(other)" in ops
    assert len(ops) <= 101
    assert all(len(label) <= MAX_LABEL for label in ops | writers)
    counted = sum(
        sample.value
        for sample in families["cdccheck_events_by_op"].samples
        if sample.name == "cdccheck_events_by_op_total"
    )
    assert counted == 320


def test_health_answers_while_the_loop_holds_the_interpreter(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    """A check that never lets go of the interpreter (a backtracking regular expression,
    injected by the test-only stall hook) cannot keep /healthz from answering."""
    from cdccheck.sidecar.crash import STALL_ENV, STALL_OVER, STALLED

    seed(redis_client, "s", 5)
    port = free_port()
    log = tmp_path / "consumer.log"
    process = consumer(
        redis_url,
        "--stream", "s", "--start-id", "0", "--block-ms", "50", "--fail-on", "none",
        "--metrics-port", str(port), "--metrics-host", "127.0.0.1",
        log=log,
        env={STALL_ENV: "8"},
    )  # fmt: skip

    def said(message: str) -> bool:
        return any(line.get("msg") == message for line in log_lines(log))

    try:
        wait_for(lambda: said(STALLED), timeout=60, what="the stall")
        answers = [http_get(port, path, timeout=1.0) for path in ("/healthz", "/readyz")]
        stall_was_on = not said(STALL_OVER)
        status, text = http_get(port, "/metrics", timeout=1.0)
        assert answers == [(200, "ok\n"), (200, "ready\n")]
        assert status == 200
        assert "cdccheck_ready 1.0" in text
        # The answers came while the interpreter was held (else the test proves nothing).
        assert stall_was_on
        wait_for(lambda: said(STALL_OVER), timeout=120, what="the end of the stall")
        wait_for(lambda: fleet_summary(redis_url, "s").totals.events == 5, what="5 events")
        process.send_signal(signal.SIGTERM)
        assert finish(process, timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
