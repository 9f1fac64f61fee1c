"""Shift-left inputs of `check` (issue 11): bare payloads, golden files, compressed corpora."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import zstandard
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.demo import seed_stream
from cdccheck.samples import SAMPLE_CORPUS, healthy_entries, samples
from cdccheck.sources.corpus import read_corpus, write_corpus
from tests.gate.support import GATE_DATA
from tests.helpers import SCHEMA_ENV, validate_report

runner = CliRunner()
COMPRESS = {".gz": gzip.compress, ".zst": zstandard.ZstdCompressor().compress}


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), env=SCHEMA_ENV, catch_exceptions=False)


def check_json(*args: str, code: int) -> dict[str, Any]:
    result = invoke("check", *args, "-f", "json")
    assert result.exit_code == code, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    validate_report(report)
    return report


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key not in ("timing", "source")}


def test_a_golden_directory_is_checked_file_by_file(tmp_path: Path) -> None:
    golden = tmp_path / "testdata"
    golden.mkdir()
    every = samples(per_class=1, extra_healthy=0)
    for sample in every:
        suffix = ".msgpack" if "encoding" in sample.entry.fields else ".golden"
        (golden / f"{sample.sample_class}{suffix}").write_bytes(sample.entry.fields["payload"])
    report = check_json("--payloads", str(golden), code=1)
    assert report["totals"]["events"] == len(every)
    # The same payloads as stream entries give the same verdicts.
    corpus = tmp_path / "same.jsonl"
    write_corpus(corpus, [sample.entry for sample in every])
    as_corpus = check_json(str(corpus), code=1)
    for key in ("undecodable", "legacy_invalid", "new_invalid", "ok"):
        assert report["totals"][key] == as_corpus["totals"][key], key
    # Samples name the golden file they came from; the source says which ids each file got.
    [omitempty] = [
        g for g in report["findings"] if (g["schema"], g["kind"]) == ("legacy", "missing_required")
    ]
    assert [s["file"] for s in omitempty["samples"]] == [str(golden / "go.omitempty_score.golden")]
    spans = report["source"]["payloads"]
    assert len(spans) == len(every)
    assert {span["file"] for span in spans} == {str(path) for path in golden.iterdir()}


def test_a_payload_lines_file(tmp_path: Path) -> None:
    path = tmp_path / "payloads.jsonl"
    json_only = [e for e in healthy_entries(40) if "encoding" not in e.fields][:20]
    lines = [entry.fields["payload"] for entry in json_only]
    path.write_bytes(b"\n".join(lines) + b"\n\n" + b'{"op": "create"}\n')
    report = check_json("--payloads", str(path), code=1)
    assert report["totals"]["events"] == 21
    assert report["totals"]["ok"] == 20
    files = {s["file"] for g in report["findings"] for s in g["samples"]}
    assert files == {f"{path}:22"}  # line 21 is blank: ids and lines agree
    assert check_json("--payloads", str(path), "--fail-on", "none", code=0)["totals"]["ok"] == 20


def test_payloads_and_corpus_files_together(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    healthy = next(e for e in healthy_entries(10) if "encoding" not in e.fields)
    path.write_bytes(healthy.fields["payload"] + b"\n")
    report = check_json(str(SAMPLE_CORPUS), "--payloads", str(path), code=1)
    assert report["totals"]["events"] == 352 + 1
    assert report["source"]["files"] == [str(SAMPLE_CORPUS)]


def test_nothing_to_check(tmp_path: Path) -> None:
    result = invoke("check")
    assert result.exit_code == 2
    assert (
        result.stderr == "cdccheck: error: nothing to check: pass corpus FILEs or --payloads PATH\n"
    )
    (tmp_path / "empty").mkdir()
    empty = invoke("check", "--payloads", str(tmp_path / "empty"))
    assert empty.exit_code == 5
    assert (
        empty.stderr
        == f"cdccheck: error: no entry in payloads {tmp_path / 'empty'}: nothing checked\n"
    )
    missing = invoke("check", "--payloads", str(tmp_path / "nope"))
    assert missing.exit_code == 3
    assert "cannot read payloads" in missing.stderr


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_compressed_corpora_give_the_same_report(tmp_path: Path, suffix: str) -> None:
    packed = tmp_path / f"sample.jsonl{suffix}"
    packed.write_bytes(COMPRESS[suffix](SAMPLE_CORPUS.read_bytes()))
    assert comparable(check_json(str(packed), code=1)) == comparable(
        check_json(str(SAMPLE_CORPUS), code=1)
    )


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_export_compresses_by_name_and_check_reads_it(
    redis_client: Any, redis_url: str, tmp_path: Path, suffix: str
) -> None:
    entries = [sample.entry for sample in samples(per_class=1, extra_healthy=10)]
    seed_stream(redis_client, "comments:cdc", entries)
    out = tmp_path / f"export.jsonl{suffix}"
    result = invoke("export", "--redis-url", redis_url, "--stream", "comments:cdc", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] in (b"\x1f\x8b", b"\x28\xb5")
    assert [entry for batch in read_corpus(out) for entry in batch] == entries
    replayed = invoke("replay", "--redis-url", redis_url, "--stream", "comments:cdc", "-f", "json")
    assert comparable(check_json(str(out), code=1)) == comparable(json.loads(replayed.stdout))


def test_gate_reads_a_compressed_corpus(tmp_path: Path) -> None:
    packed = tmp_path / "sample.jsonl.zst"
    packed.write_bytes(COMPRESS[".zst"](SAMPLE_CORPUS.read_bytes()))
    legacy, new = GATE_DATA / "legacy.json", GATE_DATA / "new.json"
    common = ("gate", "--legacy", str(legacy), "--new", str(new), "-f", "json")
    plain = invoke(*common, "--corpus", str(SAMPLE_CORPUS))
    zstd = invoke(*common, "--corpus", str(packed))
    assert zstd.exit_code == plain.exit_code
    assert (
        json.loads(zstd.stdout)["corpus"]["totals"] == json.loads(plain.stdout)["corpus"]["totals"]
    )
