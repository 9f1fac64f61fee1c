"""Every file a command writes: its contents, owner-only mode, and the fsync before the rename."""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.demo import seed_stream
from cdccheck.samples import SAMPLE_CORPUS, samples
from cdccheck.sources.corpus import read_corpus
from tests.gate.support import GATE_DATA
from tests.helpers import SCHEMA_ENV, validate_report

STREAM = "comments:cdc"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env=SCHEMA_ENV, catch_exceptions=False)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _permissive_umask() -> Iterator[None]:
    # With umask 022 an ordinary new file is world-readable: owner-only must come from cdccheck.
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_check_report_and_events_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report, events = tmp_path / "report.json", tmp_path / "events.jsonl"
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:  # records what was synced; the real fsync still runs
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    result = invoke(
        "check", str(SAMPLE_CORPUS), "--report", str(report), "--events-out", str(events), "-q"
    )
    assert result.exit_code == 1
    assert mode_of(report) == mode_of(events) == 0o600
    written = json.loads(report.read_text())
    validate_report(written)
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert len(lines) == written["totals"]["events"] == 352
    # --events-out is synced (its temporary file, next to it) before the rename, as reports are.
    temporaries = [Path(path) for path in synced if Path(path).parent == tmp_path]
    assert any(path.name.startswith(".events.jsonl.") for path in temporaries)
    assert any(path.name.startswith(".report.json.") for path in temporaries)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.jsonl", "report.json"]


def test_gate_report(tmp_path: Path) -> None:
    target = tmp_path / "gate.sarif"
    result = invoke(
        "gate",
        *("--legacy", str(GATE_DATA / "legacy.json"), "--new", str(GATE_DATA / "new.json")),
        *("--format", "sarif", "--report", str(target)),
    )
    assert result.exit_code == 1
    assert mode_of(target) == 0o600
    assert json.loads(target.read_text())["version"] == "2.1.0"


def test_rendered_and_merged_reports(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    invoke("check", str(SAMPLE_CORPUS), "--report", str(report), "--quiet")
    junit, merged = tmp_path / "junit.xml", tmp_path / "merged.json"
    assert invoke("report", "render", str(report), "-f", "junit", "-o", str(junit)).exit_code == 0
    assert invoke("report", "merge", str(report), str(report), "-o", str(merged)).exit_code == 0
    assert mode_of(junit) == mode_of(merged) == 0o600
    assert ET.parse(junit).getroot().tag == "testsuite"
    assert json.loads(merged.read_text())["totals"]["events"] == 2 * 352


def test_exported_corpus(redis_client: Any, redis_url: str, tmp_path: Path) -> None:
    entries = [sample.entry for sample in samples(per_class=1, extra_healthy=5)]
    seed_stream(redis_client, STREAM, entries)
    corpus = tmp_path / "corpus.jsonl"
    result = invoke("export", "--redis-url", redis_url, "--stream", STREAM, "-o", str(corpus))
    assert result.exit_code == 0, result.output
    assert mode_of(corpus) == 0o600  # raw events: world-readable before
    assert [entry for batch in read_corpus(corpus) for entry in batch] == entries


def test_sidecar_report(redis_client: Any, redis_url: str, tmp_path: Path) -> None:
    seed_stream(redis_client, STREAM, [s.entry for s in samples(per_class=1, extra_healthy=5)])
    report = tmp_path / "sidecar.json"
    result = invoke(
        "consume",
        *("--redis-url", redis_url, "--stream", STREAM, "--start-id", "0"),
        *("--until-idle", "0.2", "--report", str(report), "--fail-on", "none"),
    )
    assert result.exit_code == 0, result.output
    assert mode_of(report) == 0o600
    validate_report(json.loads(report.read_text()))
