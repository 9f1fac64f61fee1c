"""`check --jobs N` and `replay --jobs N`: the report of one process, from N worker processes."""

from __future__ import annotations

import json
import os
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
from cdccheck.demo import demo_entries, seed_stream
from cdccheck.embedded import EmbeddedRedis
from cdccheck.model import Entry
from cdccheck.samples import SAMPLE_CORPUS, samples
from cdccheck.sources.corpus import write_corpus
from tests.helpers import SCHEMA_ARGS, SCHEMA_ENV, validate_report

runner = CliRunner()
STREAM = "comments:cdc"
SCRIPT = Path(sys.executable).with_name("cdccheck")


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    # check and replay need schemas: the bundled pair, from the environment.
    return runner.invoke(app, list(args), env={**SCHEMA_ENV, **(env or {})}, catch_exceptions=False)


def every_class(extra: int = 3_000) -> list[Entry]:
    """The sample classes, then the demo's stream, with ids three to a millisecond."""
    sampled = [sample.entry for sample in samples(per_class=3, extra_healthy=40)]
    base = int(sampled[0].id.split("-")[0])
    return [
        Entry(f"{base + index // 3}-{index % 3}", entry.fields)
        for index, entry in enumerate([*sampled, *demo_entries(extra)])
    ]


def report_of(result: Any) -> dict[str, Any]:
    assert result.exit_code == 1, result.output  # every stream here has findings
    report = json.loads(result.output)
    validate_report(report)
    return {key: value for key, value in report.items() if key != "timing"}


@pytest.fixture
def stream(redis_client: Any) -> list[Entry]:
    entries = every_class()
    seed_stream(redis_client, STREAM, entries)
    return entries


def replay(url: str, *extra: str, env: dict[str, str] | None = None) -> Any:
    return invoke("replay", "--redis-url", url, "--stream", STREAM, "-f", "json", *extra, env=env)


def test_replay_with_jobs_reports_what_one_process_reports(
    redis_url: str, stream: list[Entry]
) -> None:
    one = report_of(replay(redis_url))
    assert one["totals"]["events"] == len(stream)
    for jobs in ("2", "3", "0"):
        assert report_of(replay(redis_url, "--jobs", jobs)) == one, jobs
    assert report_of(replay(redis_url, env={"CDCCHECK_JOBS": "2"})) == one


def test_replay_with_jobs_over_a_range_and_a_report_file(
    redis_url: str, stream: list[Entry], tmp_path: Path
) -> None:
    bounds = ("--start", stream[10].id, "--end", stream[2_500].id)
    one = report_of(replay(redis_url, *bounds))
    written = tmp_path / "report.json"
    result = replay(redis_url, *bounds, "-j", "2", "--report", str(written), "--quiet")
    assert result.exit_code == 1
    printed = json.loads(result.output)  # -f was asked for: printed even with --quiet
    assert {key: value for key, value in printed.items() if key != "timing"} == one
    report = json.loads(written.read_text())
    assert {key: value for key, value in report.items() if key != "timing"} == one
    assert report["totals"]["events"] == 2_491


def test_events_out_with_jobs_holds_every_event_in_order(
    redis_url: str, stream: list[Entry], tmp_path: Path
) -> None:
    target = tmp_path / "new" / "dir" / "events.jsonl"
    assert replay(redis_url, "--jobs", "2", "--events-out", str(target)).exit_code == 1
    ids = [json.loads(line)["id"] for line in target.read_text().splitlines()]
    assert ids == [entry.id for entry in stream]
    assert os.listdir(target.parent) == ["events.jsonl"]  # the parts' files are gone
    blocked = tmp_path / "file"
    blocked.write_text("")
    result = replay(redis_url, "--jobs", "2", "--events-out", str(blocked / "events.jsonl"))
    assert result.exit_code == 2
    assert result.output.startswith(f"cdccheck: error: cannot write {blocked / 'events.jsonl'}: ")


def test_check_with_jobs_over_several_files_and_one_big_file(tmp_path: Path) -> None:
    entries = every_class(2_000)
    files = []
    for name, chunk in (("a", entries[:300]), ("b", entries[300:1_900]), ("c", entries[1_900:])):
        files.append(tmp_path / f"{name}.jsonl")
        write_corpus(files[-1], chunk)
    big = tmp_path / "big.jsonl"
    big.write_bytes(b"".join(path.read_bytes() for path in files))
    for paths in ([str(path) for path in files], [str(big)], [str(SAMPLE_CORPUS)]):
        one = report_of(invoke("check", *paths, "-f", "json"))
        for jobs in ("2", "3"):
            assert report_of(invoke("check", *paths, "-f", "json", "--jobs", jobs)) == one


def test_check_with_jobs_stops_at_the_same_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    write_corpus(path, every_class(2_000))
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1_500] = b'{"id": 5}\n'
    path.write_bytes(b"".join(lines))
    one = invoke("check", str(path))
    many = invoke("check", str(path), "--jobs", "3")
    assert one.exit_code == many.exit_code == 3
    assert many.output == one.output
    assert "bad.jsonl:1501: not a corpus entry" in many.output


def test_bad_jobs_values_exit_2_with_one_line(redis_url: str, stream: list[Entry]) -> None:
    for args in (
        ("check", str(SAMPLE_CORPUS), "--jobs", "-1"),
        ("replay", "--redis-url", redis_url, "--stream", STREAM, "--jobs", "-1"),
    ):
        result = invoke(*args)
        assert result.exit_code == 2
        assert result.output == (
            "cdccheck: error: bad --jobs -1: it must be 0 (one per core) or a positive number\n"
        )
    counted = replay(redis_url, "--count", "10", "--jobs", "2")
    assert counted.exit_code == 2
    assert counted.output.startswith("cdccheck: error: --count cannot be split over --jobs")
    assert counted.output.count("\n") == 1
    assert invoke("check", str(SAMPLE_CORPUS), "--jobs", "many").exit_code == 2
    assert report_of(replay(redis_url, "--count", "10", "--jobs", "1"))["totals"]["events"] == 10


def test_unreachable_redis_and_a_bad_schema_fail_as_without_jobs(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    schema = tmp_path / "legacy.json"
    schema.write_text('{"type": 5}')
    for args, code in (
        (("replay", "--redis-url", f"redis://127.0.0.1:{port}/0", "--stream", STREAM), 3),
        (("check", str(SAMPLE_CORPUS), "--legacy", str(schema)), 2),
    ):
        one = invoke(*args)
        many = invoke(*args, "--jobs", "2")
        assert one.exit_code == many.exit_code == code
        assert many.output == one.output
        assert many.output.startswith("cdccheck: error: ")
        assert many.output.count("\n") == 1


def test_help_lists_jobs() -> None:
    """benchmarks/run.py turns its `replay --jobs 2` row on when replay's help has --jobs."""
    for command in ("check", "replay"):
        assert "--jobs" in invoke(command, "--help").output


# ---------------------------------------------------------------- processes


def session_processes(session: int) -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every live process in a session."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == session:
            found[int(entry.name)] = (int(fields[1]), command)
    return found


def workers_of(main: int, timeout: float = 60) -> list[int]:
    """The --jobs workers of process ``main``: the children of its fork server."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes = session_processes(main)
        servers = [
            pid
            for pid, (parent, cmd) in processes.items()
            if parent == main and "forkserver" in cmd
        ]
        workers = [pid for pid, (parent, _) in processes.items() if parent in servers]
        if len(workers) == 2:
            return workers
        time.sleep(0.02)
    raise AssertionError(f"no workers under {main}: {session_processes(main)}")


def start_replay(url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(SCRIPT), "replay", "--redis-url", url, "--stream", STREAM, "--batch-size", "10",
         "--jobs", "2", "--quiet", *SCHEMA_ARGS, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip


def wait_gone(session: int, timeout: float = 10) -> dict[int, tuple[int, str]]:
    deadline = time.monotonic() + timeout
    while (left := session_processes(session)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.fixture
def long_stream(redis_client: Any) -> None:
    seed_stream(redis_client, STREAM, every_class(30_000))


def test_progress_on_a_terminal_counts_every_worker(redis_client: Any, redis_url: str) -> None:
    import pty
    import re
    import select

    entries = every_class(20_000)
    seed_stream(redis_client, STREAM, entries)
    terminal, stderr = pty.openpty()
    process = subprocess.Popen(
        [str(SCRIPT), "replay", "--redis-url", redis_url, "--stream", STREAM,
         "--batch-size", "100", "--jobs", "2", "-f", "json"],
        stdout=subprocess.PIPE,
        stderr=stderr,
        env={**os.environ, **SCHEMA_ENV, "COLUMNS": "120"},
    )  # fmt: skip
    os.close(stderr)
    shown = b""
    while process.poll() is None or select.select([terminal], [], [], 0.1)[0]:
        if select.select([terminal], [], [], 0.1)[0]:
            try:
                chunk = os.read(terminal, 1 << 16)
            except OSError:  # the other end closed
                break
            shown += chunk
    process.communicate(timeout=60)
    os.close(terminal)
    assert process.returncode == 1
    text = re.sub(rb"\x1b\[[0-9;?]*[a-zA-Z]", b"", shown).decode()
    counts = [int(done) for done in re.findall(rf"(\d+)/{len(entries)}\b", text)]
    assert counts[-1] == len(entries)
    assert counts == sorted(counts)


@pytest.mark.usefixtures("long_stream")
def test_ctrl_c_stops_every_worker_and_exits_130(redis_url: str) -> None:
    process = start_replay(redis_url, "-f", "json")
    workers_of(process.pid)
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal does: the whole group
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr == "cdccheck: interrupted\n"
    assert stdout == ""
    assert wait_gone(process.pid) == {}


@pytest.mark.usefixtures("long_stream")
def test_a_killed_worker_is_exit_4_in_one_line(redis_url: str) -> None:
    process = start_replay(redis_url)
    victim = workers_of(process.pid)[0]
    time.sleep(0.3)
    os.kill(victim, signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 4, stderr
    assert stderr.count("\n") == 1
    assert stderr.startswith("cdccheck: error: internal error: --jobs worker ")
    assert f"(pid {victim}) was killed by SIGKILL while checking part " in stderr
    assert wait_gone(process.pid) == {}


def test_redis_gone_in_the_workers_is_exit_3_with_a_partial_report(
    make_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    import redis

    server = make_redis()
    client = redis.Redis.from_url(server.url)
    seed_stream(client, STREAM, every_class(30_000))
    report = tmp_path / "partial.json"
    process = start_replay(server.url, "--report", str(report))
    workers_of(process.pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if int(client.info("commandstats").get("cmdstat_xrange", {}).get("calls", 0)) > 200:
            break
        time.sleep(0.01)
    client.close()
    server.stop()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 3, stderr
    assert stderr.startswith(f"cdccheck: error: replay of stream '{STREAM}' at ")
    assert "; resume with --start " in stderr
    assert stderr.count("\n") == 1
    partial = json.loads(report.read_text())
    validate_report(partial)
    read = int(stderr.split("; read ")[1].split(" entries")[0])
    assert 0 < partial["totals"]["events"] == read < 30_000 + len(every_class(0))
    assert partial["range"]["last_id"] == stderr.split(" entries up to ")[1].split(";")[0]
    assert wait_gone(process.pid) == {}
