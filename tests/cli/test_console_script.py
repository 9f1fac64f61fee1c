"""The installed ``cdccheck`` script, once per command not run that way elsewhere.

check (tests/cli/test_check.py), gate (tests/cli/test_gate.py) and replay
(tests/cli/test_replay.py) have their own end-to-end runs; these cover export,
demo, consume and report, so every command is run once as a user runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cdccheck.demo import seed_stream
from cdccheck.samples import SAMPLE_CORPUS, samples
from cdccheck.sources.corpus import read_corpus
from tests.helpers import SCHEMA_ARGS, validate_report

STREAM = "comments:cdc"
SCRIPT = Path(sys.executable).with_name("cdccheck")


def cdccheck(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def seeded(redis_client: Any) -> int:
    entries = [sample.entry for sample in samples(per_class=2, extra_healthy=20)]
    return seed_stream(redis_client, STREAM, entries)


def test_export(redis_url: str, seeded: int, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    done = cdccheck("export", "--redis-url", redis_url, "--stream", STREAM, "--out", str(corpus))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr == f"exported {seeded:,} entries of {STREAM!r} to {corpus}\n"
    assert sum(len(batch) for batch in read_corpus(corpus)) == seeded


def test_consume_in_drain_mode(redis_url: str, seeded: int, tmp_path: Path) -> None:
    report = tmp_path / "sidecar.json"
    done = cdccheck(
        *("consume", "--redis-url", redis_url, "--stream", STREAM, "--start-id", "0"),
        *("--until-idle", "0.5", "--report", str(report), "--log-format", "text"),
        *SCHEMA_ARGS,
    )
    assert done.returncode == 1, done.stderr  # the seeded defects count under --fail-on any
    written = json.loads(report.read_text())
    validate_report(written)
    assert written["totals"]["events"] == seeded


def test_demo(tmp_path: Path) -> None:
    page = tmp_path / "demo.html"
    done = cdccheck(
        "demo", "--events", "300", "--format", "json", "--seed", "7", "--html", str(page)
    )
    assert done.returncode == 0, done.stderr  # the demo's --fail-on is none
    assert done.stderr.startswith("wrote 300 events to 'comments:cdc' on redis://127.0.0.1:")
    assert f"HTML report: {page.resolve()}" in done.stderr
    report = json.loads(done.stdout)
    validate_report(report)
    assert report["totals"]["events"] == 300
    assert "timeline" in report
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_render_and_merge(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    checked = cdccheck("check", str(SAMPLE_CORPUS), *SCHEMA_ARGS, "--report", str(report), "-q")
    assert checked.returncode == 1
    rendered = cdccheck("report", "render", str(report), "--format", "markdown")
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.startswith("## cdccheck: ❌")
    merged = cdccheck("report", "merge", str(report), str(report))
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout)["totals"]["events"] == 2 * 352
    missing = cdccheck("report", "render", str(tmp_path / "missing.json"))
    assert missing.returncode == 2
    assert missing.stderr.startswith("cdccheck: error: cannot read report ")
