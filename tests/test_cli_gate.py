"""`cdccheck gate` through typer's CliRunner, plus one run of the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from tests.gate.support import GATE_DATA, assert_json_witnesses_verified, load_validators

LEGACY = str(GATE_DATA / "legacy.json")
NEW = str(GATE_DATA / "new.json")


@pytest.fixture(autouse=True)
def _clean_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No stray configuration or CDCCHECK_* variables from the machine running the tests.
    monkeypatch.chdir(tmp_path)
    for name in ("LEGACY", "NEW", "MODE", "AGAINST", "CORPUS", "FORMAT", "REPORT", "FAIL_ON"):
        monkeypatch.delenv(f"CDCCHECK_{name}", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["gate", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_help_has_an_example() -> None:
    code, out, _ = _invoke("--help")
    assert code == 0
    assert "Example" in out
    assert "cdccheck gate --legacy" in out


def test_compatible_pair_exits_0() -> None:
    code, out, err = _invoke("--legacy", LEGACY, "--new", LEGACY)
    assert (code, err) == (0, "")
    assert out.rstrip().endswith("compatible backward yes, forward yes")


def test_breaking_pair_exits_1_and_explains() -> None:
    code, out, _ = _invoke("--legacy", LEGACY, "--new", NEW)
    assert code == 1
    assert "/$defs/comment/properties/body/maxLength  MAX_LENGTH_DECREASED  breaks backward" in out
    assert "witness: /comment/body = " in out


def test_missing_schema_is_one_clear_line_and_exit_2() -> None:
    code, out, err = _invoke("--legacy", "missing.json", "--new", NEW)
    assert code == 2
    assert out == ""
    assert err == (
        "cdccheck: error: cannot read legacy schema missing.json: no such file "
        "(pass --legacy PATH)\n"
    )


def test_invalid_schema_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"type": 12}', encoding="utf-8")
    code, _, err = _invoke("--legacy", "bad.json", "--new", NEW)
    assert code == 2
    assert err.startswith("cdccheck: error: invalid schema bad.json")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ("--legacy", LEGACY),
        ("--mode", "sideways", "--legacy", LEGACY, "--new", NEW),
        ("--format", "yaml", "--legacy", LEGACY, "--new", NEW),
        (),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    code, _, err = _invoke(*args)
    assert code == 2
    assert "Traceback" not in err


def test_environment_variables_are_options() -> None:
    env = {"CDCCHECK_LEGACY": LEGACY, "CDCCHECK_NEW": NEW, "CDCCHECK_FORMAT": "json"}
    code, out, _ = _invoke(env=env)
    assert code == 1
    document = json.loads(out)
    assert set(document) == {"compatible", "changes", "corpus"}
    assert assert_json_witnesses_verified(document, *load_validators(LEGACY, NEW)) == 8


def test_mode_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"enum": ["x"]}', encoding="utf-8")
    (tmp_path / "b.json").write_text('{"enum": ["x", "y"]}', encoding="utf-8")
    assert _invoke("--legacy", "a.json", "--new", "b.json")[0] == 1
    env = {"CDCCHECK_MODE": "backward"}
    assert _invoke("--legacy", "a.json", "--new", "b.json", env=env)[0] == 0


def test_report_is_written_and_stdout_gets_the_summary(tmp_path: Path) -> None:
    code, out, _ = _invoke(
        "--legacy", LEGACY, "--new", NEW, "--format", "sarif", "--report", "out/gate.sarif"
    )
    assert code == 1
    document = json.loads((tmp_path / "out" / "gate.sarif").read_text(encoding="utf-8"))
    assert document["version"] == "2.1.0"
    assert "FAIL (mode full)" in out
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["gate.sarif"]  # no temp file left


def test_github_format_appends_the_step_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    code, out, _ = _invoke(
        "--legacy", LEGACY, "--new", NEW, "--format", "github",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert code == 1
    assert out.startswith("::error file=")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## cdccheck gate: FAIL")


def test_missing_corpus_file_is_a_source_error() -> None:
    code, _, err = _invoke("--legacy", LEGACY, "--new", NEW, "--corpus", "missing-events.jsonl")
    assert code == 3
    assert err == "cdccheck: error: cannot read corpus missing-events.jsonl: no such file\n"


def test_installed_console_script_end_to_end() -> None:
    script = Path(sys.executable).with_name("cdccheck")
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    run = subprocess.run(
        [str(script), "gate", "--legacy", LEGACY, "--new", NEW, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    document = json.loads(run.stdout)
    assert document["compatible"] == {"backward": False, "forward": False}
    assert all(c["proven"] for c in document["changes"] if any(c["breaking"].values()))
    assert assert_json_witnesses_verified(document, *load_validators(LEGACY, NEW)) == 8


def test_gate_corpus_runs_the_check_engine(tmp_path: Path) -> None:
    """--corpus replays captured events: "could break" next to "did break on N of M events"."""
    from cdccheck.samples import SAMPLE_CORPUS
    from cdccheck.schema import bundled_schema_path

    legacy, new = str(bundled_schema_path("legacy")), str(bundled_schema_path("new"))
    runner = CliRunner()
    text = runner.invoke(
        app, ["gate", "--legacy", legacy, "--new", new, "--corpus", str(SAMPLE_CORPUS)]
    )
    assert text.exit_code == 1
    assert "corpus: did break at /reason: 12 enum_value under legacy (of 352 events)" in text.output
    result = runner.invoke(
        app,
        [
            "gate",
            "--legacy",
            legacy,
            "--new",
            new,
            "--corpus",
            str(SAMPLE_CORPUS),
            "--format",
            "json",
        ],
    )
    report = json.loads(result.output)
    assert report["corpus"]["totals"]["events"] == 352
    from tests.helpers import validate_report

    validate_report(report["corpus"])
    healthy = tmp_path / "healthy.jsonl"
    from cdccheck.samples import healthy_entries
    from cdccheck.sources.corpus import write_corpus

    write_corpus(healthy, healthy_entries(50))
    same = runner.invoke(
        app, ["gate", "--legacy", legacy, "--new", legacy, "--corpus", str(healthy)]
    )
    assert same.exit_code == 0, same.output
