"""`cdccheck compare`, compare reports in `report render`/`merge`, and `demo --compare`.

Sources are real: two streams and a shared stream on the session's
redis-server, corpus files written with write_corpus. The expected numbers
come from what the compare demo seeded (CompareDemo.expected), never from a
previous run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.compare.demo import (
    DEMO_CANDIDATE_STREAM,
    DEMO_ENTITY,
    DEMO_KEY,
    DEMO_PRIMARY_STREAM,
    CompareDemo,
    compare_demo,
    seed_compare_streams,
)
from cdccheck.demo import seed_stream
from cdccheck.model import Entry
from cdccheck.sources.corpus import write_corpus
from tests.compare.support import validate
from tests.helpers import SCHEMA_ARGS

runner = CliRunner()
CHANGES = 400
SEED = 11
KEYS = ("--key", DEMO_KEY[0], "--key", DEMO_KEY[1])
DEMO_OPTIONS = (*KEYS, "--entity", DEMO_ENTITY, "--ignore", "/event_id")


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def compare_json(*args: str, codes: tuple[int, ...] = (0, 1)) -> dict[str, Any]:
    """Run compare with --format json; the validated report."""
    result = invoke("compare", *args, "--format", "json")
    assert result.exit_code in codes, result.output
    return validate(json.loads(result.stdout))


def one_line_error(result: Any) -> str:
    """The message of a one-line `cdccheck: error:` (and nothing on stdout)."""
    assert result.stdout == "", result.stdout
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("cdccheck: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return str(result.stderr)


def groups_of(report: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(group["path"], group["kind"]): group["pairs"] for group in report["diffs"]}


def assert_demo_numbers(report: dict[str, Any], expected: dict[str, int]) -> None:
    """The report finds exactly what the demo seeded (with /event_id ignored)."""
    totals = report["totals"]
    assert totals == {
        "pairs": expected["changes"] - expected["missing_in_candidate"],
        "equal": totals["equal"],
        "differing": totals["differing"],
        "missing_in_candidate": expected["missing_in_candidate"],
        "extra_in_candidate": 0,
        "undecodable": 0,
        "unkeyed": 0,
    }
    assert totals["equal"] + totals["differing"] == totals["pairs"]
    assert groups_of(report) == {
        key: count
        for key, count in {
            ("/comment/score", "missing"): expected["zero_score"],
            ("/comment/awards", "null_vs_empty"): expected["null_awards"],
            ("/comment/body", "value_changed"): expected["double_escaped"],
        }.items()
        if count
    }
    assert report["entities"]["total"] == expected["entities"]
    assert report["entities"]["reordered"] == expected["reordered"]
    assert ("/emitted_at", "timestamp_form") in {
        (group["path"], group["kind"]) for group in report["warnings"]
    }


@pytest.fixture(scope="module")
def demo() -> CompareDemo:
    seeded = compare_demo(CHANGES, SEED)
    assert all(seeded.expected.values()), seeded.expected  # every kind of difference is there
    return seeded


@pytest.fixture
def corpora(tmp_path: Path, demo: CompareDemo) -> tuple[Path, Path]:
    primary, candidate = tmp_path / "py.jsonl", tmp_path / "go.jsonl"
    write_corpus(primary, demo.primary)
    write_corpus(candidate, demo.candidate)
    return primary, candidate


# ---------------------------------------------------------------- sources


def test_two_streams(redis_client: Any, redis_url: str) -> None:
    seeded = seed_compare_streams(redis_client, changes=CHANGES, seed=SEED)
    report = compare_json(
        *("--redis-url", redis_url, "--primary-stream", DEMO_PRIMARY_STREAM),
        *("--candidate-stream", DEMO_CANDIDATE_STREAM, "--batch-size", "37"),
        *DEMO_OPTIONS,
    )
    assert_demo_numbers(report, seeded.expected)
    assert report["primary"]["source"]["kind"] == "redis"
    assert report["primary"]["source"]["stream"] == DEMO_PRIMARY_STREAM
    assert report["candidate"]["range"]["last_id"] == seeded.candidate[-1].id
    assert report["ignored"] == [{"path": "/event_id", "reason": None}]


def test_per_side_redis_urls_override_redis_url(redis_client: Any, redis_url: str) -> None:
    seeded = seed_compare_streams(redis_client, changes=CHANGES, seed=SEED)
    nowhere = "redis://127.0.0.1:1/0"  # nothing listens there: only the per-side URLs are used
    report = compare_json(
        *("--redis-url", nowhere, "--primary-stream", DEMO_PRIMARY_STREAM),
        *("--primary-redis-url", redis_url, "--candidate-redis-url", redis_url),
        *("--candidate-stream", DEMO_CANDIDATE_STREAM),
        *DEMO_OPTIONS,
    )
    assert_demo_numbers(report, seeded.expected)


def test_a_range_of_two_streams(redis_client: Any, redis_url: str) -> None:
    seeded = seed_compare_streams(redis_client, changes=CHANGES, seed=SEED)
    # The last primary entry's millisecond ends both ranges; the candidate lags a few ms,
    # so its events after that are cut off and their partners count as missing.
    end = seeded.primary[-1].id.split("-")[0]
    cut = sum(1 for entry in seeded.candidate if int(entry.id.split("-")[0]) > int(end))
    assert cut > 0
    report = compare_json(
        *("--redis-url", redis_url, "--primary-stream", DEMO_PRIMARY_STREAM),
        *("--candidate-stream", DEMO_CANDIDATE_STREAM, "--end", end),
        *DEMO_OPTIONS,
    )
    assert report["candidate"]["events"] == len(seeded.candidate) - cut
    missing = seeded.expected["missing_in_candidate"] + cut
    assert report["totals"]["missing_in_candidate"] == missing
    report = compare_json(
        *("--redis-url", redis_url, "--primary-stream", DEMO_PRIMARY_STREAM),
        *("--candidate-stream", DEMO_CANDIDATE_STREAM, "--count", "10"),
        *DEMO_OPTIONS,
    )
    assert report["primary"]["events"] == report["candidate"]["events"] == 10


def test_two_corpus_files(corpora: tuple[Path, Path], demo: CompareDemo, tmp_path: Path) -> None:
    primary, candidate = corpora
    events_out = tmp_path / "pairs.jsonl"
    report_file = tmp_path / "report.json"
    result = invoke(
        *("compare", "--primary", str(primary), "--candidate", str(candidate)),
        *DEMO_OPTIONS,
        *("--events-out", str(events_out), "--report", str(report_file), "--quiet"),
    )
    assert result.exit_code == 1, result.output  # differences count under --fail-on any
    assert result.output == ""  # --quiet with --report
    report = validate(json.loads(report_file.read_text()))
    assert_demo_numbers(report, demo.expected)
    assert report["primary"]["source"] == {"kind": "file", "files": [str(primary)]}
    lines = [json.loads(line) for line in events_out.read_text().splitlines()]
    results = [line["result"] for line in lines]
    totals = report["totals"]
    assert results.count("equal") == totals["equal"]
    assert results.count("differing") == totals["differing"]
    assert results.count("missing_in_candidate") == totals["missing_in_candidate"]
    assert len(lines) == totals["pairs"] + totals["missing_in_candidate"]


def _interleaved(demo: CompareDemo) -> list[Entry]:
    """Both sides in one stream, in time order, ids renumbered to be unique."""
    both = sorted([*demo.primary, *demo.candidate], key=lambda entry: int(entry.id.split("-")[0]))
    entries, last_ms, seq = [], -1, 0
    for entry in both:
        ms = int(entry.id.split("-")[0])
        seq = seq + 1 if ms == last_ms else 0
        last_ms = ms
        entries.append(Entry(f"{ms}-{seq}", entry.fields))
    return entries


def test_one_stream_split_by_writer(redis_client: Any, redis_url: str, demo: CompareDemo) -> None:
    entries = _interleaved(demo)
    entries.append(Entry("99999999999999-0", {"payload": b"{}", "writer": b"cron"}))
    seed_stream(redis_client, "both", entries)
    writers = {entry.fields["writer"] for entry in demo.primary + demo.candidate}
    assert writers == {b"py-monolith", b"go-comments"}
    result = invoke(
        *("compare", "--redis-url", redis_url, "--stream", "both"),
        *("--split", "writer=py-monolith,go-comments", "--format", "json"),
        *DEMO_OPTIONS,
    )
    assert result.exit_code == 1, result.output
    report = validate(json.loads(result.stdout))
    assert_demo_numbers(report, demo.expected)
    assert report["primary"]["source"]["split"] == "writer=py-monolith"
    assert report["candidate"]["source"]["split"] == "writer=go-comments"
    assert "1 entries of 'both' belong to neither side" in result.stderr


def test_a_baseline_file_marks_noise(corpora: tuple[Path, Path], tmp_path: Path) -> None:
    primary, candidate = corpora
    baseline = tmp_path / "py-second-instance.jsonl"
    # A second legacy instance: the same events, but it draws its own event ids.
    entries = []
    for index, entry in enumerate(compare_demo(CHANGES, SEED).primary):
        value = json.loads(entry.fields["payload"])
        value["event_id"] = f"second-{index}"
        entries.append(Entry(entry.id, {**entry.fields, "payload": json.dumps(value).encode()}))
    write_corpus(baseline, entries)
    options = ("--primary", str(primary), "--candidate", str(candidate), *KEYS)
    report = compare_json(*options, "--baseline", str(baseline))
    noise = {(g["path"], g["kind"]): g["noise"] for g in report["diffs"]}
    assert noise[("/event_id", "value_changed")] == "noise"
    assert {mark for key, mark in noise.items() if key[0] != "/event_id"} == {None}
    assert report["baseline"]["source"] == {"kind": "file", "files": [str(baseline)]}
    without = compare_json(*options)
    marks = {(g["path"], g["kind"]): g["noise"] for g in without["diffs"]}
    assert marks[("/event_id", "value_changed")] == "likely_noise"


def test_configuration_supplies_key_and_reasoned_ignores(
    corpora: tuple[Path, Path], demo: CompareDemo, tmp_path: Path, monkeypatch: Any
) -> None:
    primary, candidate = corpora
    (tmp_path / "pyproject.toml").write_text(
        "[tool.cdccheck.compare]\n"
        f'key = ["{DEMO_KEY[0]}", "{DEMO_KEY[1]}"]\n'
        f'entity = "{DEMO_ENTITY}"\n'
        "[[tool.cdccheck.compare.ignore]]\n"
        'path = "/event_id"\n'
        'reason = "each writer draws its own"\n'
    )
    monkeypatch.chdir(tmp_path)
    report = compare_json("--primary", str(primary), "--candidate", str(candidate))
    assert_demo_numbers(report, demo.expected)
    assert report["ignored"] == [{"path": "/event_id", "reason": "each writer draws its own"}]
    (tmp_path / "cdccheck.toml").write_text('[compare]\nignore = [{path = "/event_id"}]\n')
    result = invoke("compare", "--primary", str(primary), "--candidate", str(candidate))
    assert result.exit_code == 2
    assert "ignore 1 (/event_id) has no reason" in one_line_error(result)


# ---------------------------------------------------------------- exit codes


def _without(path: Path, target: Path, drop: int) -> Path:
    lines = path.read_text().splitlines(keepends=True)
    target.write_text("".join(lines[:drop] + lines[drop + 1 :]))
    return target


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [("differing", 1), ("missing", 1), ("diverged", 1), ("any", 1), ("none", 0)],
)
def test_fail_on_with_the_demo(corpora: tuple[Path, Path], fail_on: str, code: int) -> None:
    primary, candidate = corpora
    result = invoke(
        *("compare", "--primary", str(primary), "--candidate", str(candidate)),
        *DEMO_OPTIONS,
        *("--fail-on", fail_on, "--format", "json"),
    )
    assert result.exit_code == code, result.output


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [("differing", 0), ("missing", 1), ("diverged", 0), ("any", 1), ("none", 0)],
)
def test_fail_on_when_only_one_event_is_missing(
    corpora: tuple[Path, Path], tmp_path: Path, fail_on: str, code: int
) -> None:
    primary, _ = corpora
    candidate = _without(primary, tmp_path / "copy.jsonl", drop=5)
    result = invoke(
        *("compare", "--primary", str(primary), "--candidate", str(candidate)),
        *KEYS,  # no --entity: nothing can diverge
        *("--fail-on", fail_on, "--format", "json"),
    )
    assert result.exit_code == code, result.output
    totals = json.loads(result.stdout)["totals"]
    assert (totals["differing"], totals["missing_in_candidate"]) == (0, 1)


def test_a_copy_of_the_primary_is_clean(corpora: tuple[Path, Path], tmp_path: Path) -> None:
    primary, _ = corpora
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(primary.read_bytes())
    result = invoke("compare", "--primary", str(primary), "--candidate", str(copy), *KEYS)
    assert result.exit_code == 0, result.output
    assert f"all {CHANGES:,} pairs agree" in result.stdout


# ---------------------------------------------------------------- bad input


def test_bad_input_is_a_one_line_error(corpora: tuple[Path, Path], tmp_path: Path) -> None:
    primary, candidate = (str(path) for path in corpora)
    files = ("--primary", primary, "--candidate", candidate)
    cases: list[tuple[tuple[str, ...], int, str]] = [
        ((*files, "--key", "comment/id"), 2, "a JSON Pointer starts with '/'"),
        ((*files, "--key", "/op,"), 2, "bad --key '/op,'"),
        ((*files, "--key", "/a~2b"), 2, "'~' must be written ~0"),
        ((*files, "--key", "/comments/*/id"), 2, "'*' is allowed in --ignore only"),
        ((*files, *KEYS, "--entity", "comment"), 2, "bad --entity 'comment'"),
        ((*files, *KEYS, "--ignore", "event_id"), 2, "bad --ignore 'event_id'"),
        (files, 2, "compare needs --key"),
        ((*files, *KEYS, "--window", "60"), 2, "bad --window '60': add a unit"),
        ((*files, *KEYS, "--time-tolerance", "soon"), 2, "bad --time-tolerance"),
        ((*files, *KEYS, "--noise-ratio", "0"), 2, "bad --noise-ratio"),
        (("--stream", "s", "--split", "writer=go,go", *KEYS), 2, "both 'go'"),
        (("--stream", "s", "--split", "writer=go", *KEYS), 2, "FIELD=PRIMARY,CANDIDATE"),
        (("--stream", "s", *KEYS), 2, "needs --split"),
        (("--split", "py,go", *KEYS), 2, "--split needs --stream"),
        (("--stream", "s", "--split", "py,go", "--primary", primary, *KEYS), 2, "drop --primary"),
        (("--primary", primary, *KEYS), 2, "compare needs a candidate"),
        ((*files, "--primary-stream", "x", *KEYS), 2, "not both"),
        ((*files, "--primary-redis-url", "redis://h/0", *KEYS), 2, "needs --primary-stream"),
        (("--primary", primary, "--candidate", primary, *KEYS), 2, "the same source"),
        ((*files, *KEYS, "--start", "0"), 2, "select a range of a stream"),
        ((*files, *KEYS, "--baseline", str(tmp_path / "none.jsonl")), 3, "none.jsonl"),
        (
            ("--primary", str(tmp_path / "none.jsonl"), "--candidate", candidate, *KEYS),
            3,
            "no such file",
        ),
    ]
    for args, code, words in cases:
        result = invoke("compare", *args)
        assert result.exit_code == code, (args, result.output)
        assert words in one_line_error(result), (args, result.stderr)


def test_a_corrupt_corpus_line_is_exit_3(corpora: tuple[Path, Path], tmp_path: Path) -> None:
    primary, _ = corpora
    broken = tmp_path / "broken.jsonl"
    broken.write_text(primary.read_text() + "not a corpus line\n")
    result = invoke("compare", "--primary", str(primary), "--candidate", str(broken), *KEYS)
    assert result.exit_code == 3
    assert f"broken.jsonl:{CHANGES + 1}: not a corpus entry" in one_line_error(result)


def test_missing_stream_and_bad_bounds(redis_client: Any, redis_url: str) -> None:
    seed_compare_streams(redis_client, changes=50, seed=SEED)
    streams = ("--redis-url", redis_url, "--primary-stream", DEMO_PRIMARY_STREAM)
    result = invoke("compare", *streams, "--candidate-stream", "comments:absent", *KEYS)
    assert result.exit_code == 3
    assert "no stream 'comments:absent'" in one_line_error(result)
    result = invoke(
        "compare",
        *streams,
        "--candidate-stream",
        DEMO_CANDIDATE_STREAM,
        *KEYS,
        "--start",
        "yesterday",
    )
    assert result.exit_code == 2
    assert "bad --start 'yesterday'" in one_line_error(result)
    result = invoke(
        "compare", "--redis-url", redis_url, "--stream", "absent", "--split", "a,b", *KEYS
    )
    assert result.exit_code == 3
    assert "no stream 'absent'" in one_line_error(result)


# ---------------------------------------------------------------- formats, render, merge


@pytest.mark.parametrize("output_format", ["table", "markdown", "junit"])
def test_every_format(corpora: tuple[Path, Path], output_format: str) -> None:
    primary, candidate = corpora
    result = invoke(
        *("compare", "--primary", str(primary), "--candidate", str(candidate)),
        *DEMO_OPTIONS,
        *("--format", output_format),
    )
    assert result.exit_code == 1, result.output
    text = result.stdout
    if output_format == "junit":
        suite = ET.fromstring(text.split("\n", 1)[1])
        assert suite.get("name") == "cdccheck.compare"
        assert int(suite.get("failures", "0")) >= 3
    elif output_format == "markdown":
        assert text.startswith("## cdccheck compare: ❌")
        assert "| `/comment/score` | missing |" in text
    else:
        assert text.startswith("cdccheck compare\n")
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "\x1b[" not in text


def _report_file(corpora: tuple[Path, Path], target: Path) -> Path:
    primary, candidate = corpora
    result = invoke(
        *("compare", "--primary", str(primary), "--candidate", str(candidate)),
        *DEMO_OPTIONS,
        *("--report", str(target), "--quiet"),
    )
    assert result.exit_code == 1, result.output
    return target


def test_report_render_of_a_compare_report(corpora: tuple[Path, Path], tmp_path: Path) -> None:
    path = _report_file(corpora, tmp_path / "compare.json")
    report = json.loads(path.read_text())
    direct = invoke(
        *("compare", "--primary", str(corpora[0]), "--candidate", str(corpora[1])),
        *DEMO_OPTIONS,
        "--format",
        "markdown",
    )
    rendered = invoke("report", "render", str(path), "--format", "markdown")
    assert rendered.exit_code == 0, rendered.output
    # The same document renders the same, except the timing of the two runs.
    assert rendered.stdout.split("\n", 1)[0] == direct.stdout.split("\n", 1)[0]
    assert "| **all** | " + f"{report['totals']['pairs']:,}" in rendered.stdout
    junit = tmp_path / "junit.xml"
    assert (
        invoke("report", "render", str(path), "--format", "junit", "-o", str(junit)).exit_code == 0
    )
    assert ET.parse(junit).getroot().get("name") == "cdccheck.compare"
    as_json = invoke("report", "render", str(path), "--format", "json")
    assert json.loads(as_json.stdout) == report


def test_report_merge_of_compare_reports(corpora: tuple[Path, Path], tmp_path: Path) -> None:
    first = _report_file(corpora, tmp_path / "a.json")
    second = _report_file(corpora, tmp_path / "b.json")
    merged_file = tmp_path / "merged.json"
    result = invoke("report", "merge", str(first), str(second), "-o", str(merged_file))
    assert result.exit_code == 0, result.output
    merged = validate(json.loads(merged_file.read_text()))
    single = json.loads(first.read_text())
    assert merged["totals"] == {name: 2 * value for name, value in single["totals"].items()}
    assert groups_of(merged) == {key: 2 * value for key, value in groups_of(single).items()}
    table = invoke("report", "merge", str(first), str(second), "--format", "table")
    assert table.exit_code == 0
    assert f"{2 * single['totals']['pairs']:,}" in table.stdout


def test_merging_a_compare_report_with_a_check_report_is_an_error(
    corpora: tuple[Path, Path], tmp_path: Path
) -> None:
    compared = _report_file(corpora, tmp_path / "compare.json")
    checked = tmp_path / "check.json"
    check = ("check", str(corpora[0]), *SCHEMA_ARGS, "--report", str(checked), "-q")
    assert invoke(*check).exit_code == 0
    result = invoke("report", "merge", str(compared), str(checked))
    assert result.exit_code == 2
    assert "cannot merge the compare report" in one_line_error(result)
    different = tmp_path / "other.json"
    invoke(
        *("compare", "--primary", str(corpora[0]), "--candidate", str(corpora[1]), *KEYS),
        *("--report", str(different), "--quiet"),
    )
    result = invoke("report", "merge", str(compared), str(different))
    assert result.exit_code == 2
    assert "differ in 'entity'" in one_line_error(result)


# ---------------------------------------------------------------- demo --compare


def test_demo_compare_shows_exactly_what_was_seeded() -> None:
    expected = compare_demo(600, 3).expected
    result = invoke("demo", "--compare", "--events", "600", "--seed", "3")
    assert result.exit_code == 0, result.output  # the demo's --fail-on is none
    table = result.stdout
    pairs = expected["changes"] - expected["missing_in_candidate"]
    assert re.search(
        rf"^ all +{pairs:,} +\S+ +\S+ +{expected['missing_in_candidate']} +0 +0 +0 *$",
        table,
        re.M,
    ), table
    for path, kind, count in (
        ("/comment/score", "missing", expected["zero_score"]),
        ("/comment/awards", "null_vs_empty", expected["null_awards"]),
        ("/comment/body", "value_changed", expected["double_escaped"]),
    ):
        assert re.search(rf"^ {path} +{kind} +{count:,} ", table, re.M), (path, table)
    assert re.search(r"^ /emitted_at +timestamp_form +" + f"{pairs:,} ", table, re.M)
    assert "/event_id" not in table.split("ignored")[1].split("\n", 1)[1]  # ignored, not a diff
    assert f"Entities: {expected['entities']:,}" in table
    assert f"{expected['reordered']:,} reordered" in table
    assert f"{expected['zero_score']:,} zero scores the Go side omits" in result.stderr


def test_demo_compare_fail_on_and_json() -> None:
    result = invoke("demo", "--compare", "--events", "300", "--format", "json", "--fail-on", "any")
    assert result.exit_code == 1
    report = validate(json.loads(result.stdout))
    assert report["ignored"] == [
        {"path": "/event_id", "reason": "each writer draws its own event id"}
    ]
    result = invoke("demo", "--compare", "--fail-on", "legacy")
    assert result.exit_code == 2
    assert "with --compare use any or none" in one_line_error(result)


# ---------------------------------------------------------------- the installed script


def test_the_installed_script(corpora: tuple[Path, Path], demo: CompareDemo) -> None:
    script = Path(sys.executable).with_name("cdccheck")
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    primary, candidate = corpora
    done = subprocess.run(
        [
            *(str(script), "compare", "--primary", str(primary), "--candidate", str(candidate)),
            *(*DEMO_OPTIONS, "--format", "json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    assert_demo_numbers(validate(json.loads(done.stdout)), demo.expected)
