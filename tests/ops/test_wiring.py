"""The timeline wired into every report: exact counts through the real pipeline, merge, formats."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.grouping import aggregate_path
from cdccheck.model import Entry
from cdccheck.report.json import merge_reports
from cdccheck.samples import SAMPLE_CORPUS, mixed_stream
from cdccheck.sources.corpus import write_corpus
from cdccheck.timeline import Timeline, stream_ms
from tests.helpers import SCHEMA_ENV, validate_report
from tests.ops.support import ROOT, Page, outside_references
from tests.sidecar.support import engine

runner = CliRunner()
START_MS = 1_769_594_400_000  # 2026-01-28 10:00:00 UTC
HOUR_MS = 3_600_000


def invoke(*args: str) -> Any:
    """The command, the schemas given by the environment (CDCCHECK_LEGACY/NEW)."""
    return runner.invoke(app, list(args), env=SCHEMA_ENV, catch_exceptions=False)


def entries_over(hours: int, n: int, seed: int) -> list[Entry]:
    """``n`` mixed entries (a fifth defective) at random chosen milliseconds over ``hours``."""
    rng = random.Random(seed)
    times = sorted(rng.randrange(START_MS, START_MS + hours * HOUR_MS) for _ in range(n))
    events = mixed_stream(n, seed, defect_rate=0.2)
    return [
        Entry(f"{ms}-{index % 3}", event.fields)
        for index, (ms, event) in enumerate(zip(times, events, strict=True))
    ]


@pytest.fixture
def hours_corpus(tmp_path: Path) -> tuple[Path, list[Entry]]:
    entries = entries_over(hours=7, n=2500, seed=4)
    path = tmp_path / "hours.jsonl"
    write_corpus(path, entries)
    return path, entries


def brute_force(entries: list[Entry], width_s: int) -> tuple[dict[Any, Any], dict[Any, int]]:
    """Each event's full verdict counted in its bucket by hand: (writer counters, group counts)."""
    buckets: dict[tuple[int, str], Counter[str]] = {}
    groups: Counter[tuple[tuple[str, str, str], int]] = Counter()
    for entry in entries:
        verdict = engine().check(entry)
        ms = stream_ms(entry.id)
        assert ms is not None
        start = ms - ms % (width_s * 1000)
        tally = buckets.setdefault((start, verdict.writer), Counter())
        tally["events"] += 1
        if not verdict.decodable:
            tally["undecodable"] += 1
            groups[(("wire", "undecodable", ""), start)] += 1
            continue
        tally["ok"] += verdict.ok
        tally["legacy_invalid"] += bool(verdict.legacy)
        tally["new_invalid"] += bool(verdict.new)
        tally["both_invalid"] += bool(verdict.legacy) and bool(verdict.new)
        keys = {
            (schema, finding.kind, aggregate_path(finding.path))
            for schema, findings in (("legacy", verdict.legacy), ("new", verdict.new))
            for finding in findings or []
        }
        for key in keys:
            groups[(key, start)] += 1
    counters = {key: {k: v for k, v in tally.items() if v} for key, tally in buckets.items()}
    return counters, dict(groups)


def counts_of(timeline: Timeline) -> tuple[dict[Any, Any], dict[Any, int]]:
    counters = {
        (start, writer): {k: v for k, v in c.as_dict().items() if v}
        for start, writers in timeline.buckets.items()
        for writer, c in writers.items()
    }
    groups = {
        (key, start): events
        for key, series in timeline.groups.items()
        for start, events in series.items()
    }
    return counters, groups


# ---------------------------------------------------------------- exact counts, end to end


@pytest.mark.parametrize("bucket", [None, "10m", "1h"])
def test_check_reports_exact_timeline_counts(
    hours_corpus: tuple[Path, list[Entry]], tmp_path: Path, bucket: str | None
) -> None:
    path, entries = hours_corpus
    out = tmp_path / "report.json"
    args = [
        "check",
        str(path),
        "--report",
        str(out),
        "-q",
        *(["--bucket", bucket] if bucket else []),
    ]
    assert invoke(*args).exit_code == 1
    report = json.loads(out.read_text())
    validate_report(report)
    timeline = Timeline.from_json(report["timeline"])
    # Automatic: the finest ladder width that fits 7 hours in 200 buckets (5 minutes).
    assert timeline.width_s == {None: 300, "10m": 600, "1h": 3600}[bucket]
    assert report["timeline"]["max_buckets"] == (200 if bucket is None else None)
    assert counts_of(timeline) == brute_force(entries, timeline.width_s)
    # The timeline adds up to the report's own counters, and keeps only its groups.
    assert {w: c.as_dict() for w, c in timeline.writer_totals().items()} == report["by_writer"]
    assert {(g["schema"], g["kind"], g["path"]) for g in report["timeline"]["groups"]} == {
        (g["schema"], g["kind"], g["path"]) for g in report["findings"]
    }


def test_report_merge_merges_timelines(
    hours_corpus: tuple[Path, list[Entry]], tmp_path: Path
) -> None:
    _, entries = hours_corpus
    halves = []
    for index, part in enumerate((entries[::2], entries[1::2])):
        corpus = tmp_path / f"half{index}.jsonl"
        write_corpus(corpus, part)
        report = tmp_path / f"half{index}.json"
        bucket = ["--bucket", "10m"] if index else []  # two widths: the merge takes the coarser
        assert invoke("check", str(corpus), "--report", str(report), "-q", *bucket).exit_code == 1
        halves.append(report)
    merged_path = tmp_path / "merged.json"
    assert invoke("report", "merge", *map(str, halves), "-o", str(merged_path)).exit_code == 0
    merged = json.loads(merged_path.read_text())
    validate_report(merged)
    timeline = Timeline.from_json(merged["timeline"])
    assert timeline.width_s == 600
    assert counts_of(timeline) == brute_force(entries, 600)
    # Merging with a report without a timeline (an older cdccheck): no timeline.
    older = json.loads(halves[0].read_text())
    del older["timeline"]
    without = merge_reports([older, json.loads(halves[1].read_text())])
    validate_report(without)
    assert "timeline" not in without
    assert without["totals"] == merged["totals"]


def test_a_bad_bucket_is_a_usage_error(hours_corpus: tuple[Path, list[Entry]]) -> None:
    result = runner.invoke(app, ["check", str(hours_corpus[0]), "--bucket", "7m"], env=SCHEMA_ENV)
    assert result.exit_code == 2
    assert result.stderr.startswith("cdccheck: error: bad bucket width '7m'")
    assert "Traceback" not in result.output


def test_the_report_schema_embeds_the_timeline_schema() -> None:
    report_schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    fragment = json.loads((ROOT / "schemas" / "timeline.schema.json").read_text())
    embedded = dict(report_schema["properties"]["timeline"])
    for document in (embedded, fragment):
        document.pop("$schema", None)
        document.pop("$comment", None)
    assert embedded == fragment
    assert "timeline" not in report_schema["required"]  # older reports stay valid


# ---------------------------------------------------------------- where it shows


def test_the_console_table_shows_writers_over_time_and_trends(
    hours_corpus: tuple[Path, list[Entry]],
) -> None:
    result = invoke("check", str(hours_corpus[0]), "--format", "table")
    text = result.stdout
    assert "Over time" in text
    assert "one column per 10m" in text  # 7 hours in at most 65 columns at 80 wide
    rows = [line for line in text.splitlines() if line.startswith("  py-monolith  ")]
    assert len(rows) == 1
    spark = rows[0].removeprefix("  py-monolith  ")
    assert len(spark) == 42
    assert set(spark) <= set(" ▁▂▃▄▅▆▇█")
    assert "first seen 2026-01-28 10:" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_markdown_has_a_small_text_timeline(hours_corpus: tuple[Path, list[Entry]]) -> None:
    text = invoke("check", str(hours_corpus[0]), "--format", "markdown").stdout
    section = text[text.index("### Over time") :]
    block = section[section.index("```text") : section.index("```\n", 10)]
    assert "go-comments" in block
    assert "py-monolith" in block
    assert "- legacy ✗ " in section or "- new ✗ " in section


def test_reports_without_a_timeline_still_render(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert invoke("check", str(SAMPLE_CORPUS), "--report", str(report), "-q").exit_code == 1
    older = json.loads(report.read_text())
    del older["timeline"]
    report.write_text(json.dumps(older))
    for fmt in ("table", "markdown", "junit", "html"):
        result = invoke("report", "render", str(report), "--format", fmt)
        assert result.exit_code == 0, fmt
        assert "Over time" not in result.stdout or fmt == "html"


def test_format_html_for_check_render_and_gate(tmp_path: Path) -> None:
    page = invoke("check", str(SAMPLE_CORPUS), "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>")
    assert Page(page).count("table", "groups") >= 1  # findings (and warnings)
    assert outside_references(page) == []
    report = tmp_path / "report.json"
    invoke("check", str(SAMPLE_CORPUS), "--report", str(report), "-q")
    out = tmp_path / "report.html"
    assert (
        invoke("report", "render", str(report), "--format", "html", "-o", str(out)).exit_code == 0
    )
    rendered_page = Page(out.read_text(encoding="utf-8"))
    assert rendered_page.count("table", "groups") >= 1
    assert rendered_page.count("svg", "stack") == len(json.loads(report.read_text())["by_writer"])
    # A gate result, as JSON, renders through `report render` and `gate --format html`.
    data = ROOT / "tests" / "data" / "gate"
    gate = ["gate", "--legacy", str(data / "legacy.json"), "--new", str(data / "new.json")]
    gate_json = tmp_path / "gate.json"
    runner.invoke(app, [*gate, "--format", "json", "--report", str(gate_json)])
    rendered = invoke("report", "render", str(gate_json), "--format", "html").stdout
    assert "Compatibility" in " ".join(Page(rendered).text)
    direct = runner.invoke(app, [*gate, "--format", "html"])
    assert direct.stdout.startswith("<!DOCTYPE html>")
    assert "Compatibility" in " ".join(Page(direct.stdout).text)
    # Anything else is refused in one line.
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    refused = runner.invoke(app, ["report", "render", str(other), "--format", "html"])
    assert refused.exit_code == 2
    assert refused.stderr.startswith("cdccheck: error: ")


@pytest.mark.redis
def test_replay_takes_bucket_and_html(redis_client: Any, redis_url: str, tmp_path: Path) -> None:
    from cdccheck.demo import seed_stream

    entries = entries_over(hours=2, n=400, seed=9)
    seed_stream(redis_client, "s", entries)
    report = tmp_path / "replay.json"
    result = invoke(
        *("replay", "--redis-url", redis_url, "--stream", "s", "--bucket", "5m"),
        *("--format", "html", "--report", str(report)),
    )
    assert result.stdout.startswith("<!DOCTYPE html>")
    written = json.loads(report.read_text())
    validate_report(written)
    timeline = Timeline.from_json(written["timeline"])
    assert timeline.width_s == 300
    assert counts_of(timeline) == brute_force(entries, 300)


def test_the_readme_shows_pictures_the_script_makes() -> None:
    """Every image the README shows exists and is one scripts/screenshots.py writes."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\]\((docs/images/[^)]+)\)", readme))
    assert {"docs/images/html-report.png", "docs/images/console-timeline.png"} <= shown
    script = (ROOT / "scripts" / "screenshots.py").read_text(encoding="utf-8")
    for path in shown:
        assert (ROOT / path).is_file(), path
        assert f'"{Path(path).name}"' in script, f"{path} is not made by scripts/screenshots.py"
    for section in ("deploy/README.md", "docs/operations.md"):
        assert f"({section})" in readme
