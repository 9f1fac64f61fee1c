"""`cdccheck gate` through typer's CliRunner, plus one run of the installed console script."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.model import Entry
from cdccheck.sources.corpus import write_corpus
from tests.gate.support import GATE_DATA, assert_json_witnesses_verified, load_validators
from tests.helpers import validate_report

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
    from cdccheck.engine.schema import bundled_schema_path
    from cdccheck.samples import SAMPLE_CORPUS

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


# ---- the event options reach the corpus run ---------------------------------------------

_EVENT_SCHEMA = {
    "type": "object",
    "properties": {"kind": {"type": "string"}, "n": {"type": "integer"}},
    "required": ["n"],
}


def _gate_corpus(tmp_path: Path, entries: list[Entry], *options: str) -> dict[str, Any]:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(_EVENT_SCHEMA), encoding="utf-8")
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, entries)
    args = ("--legacy", str(schema), "--new", str(schema), "--corpus", str(corpus))
    code, out, err = _invoke(*args, "--format", "json", *options)
    assert err == ""
    document = json.loads(out)
    assert document["compatible"] == {"backward": True, "forward": True}
    corpus_report: dict[str, Any] = document["corpus"]
    validate_report(corpus_report)
    failing = corpus_report["totals"]["events"] - corpus_report["totals"]["ok"]
    assert code == (1 if failing else 0)
    return corpus_report


def test_gate_corpus_reads_the_payload_where_the_event_options_say(tmp_path: Path) -> None:
    """gate --corpus used to build a bare engine: the event options never reached it."""
    entries = [
        Entry("1-0", {"data": b'{"kind": "create", "n": 1}', "who": b"go-comments"}),
        Entry("1-1", {"data": b'{"kind": "delete", "n": "two"}', "who": b"go-comments"}),
    ]
    ignored = _gate_corpus(tmp_path, entries)
    assert ignored["totals"]["undecodable"] == 2  # no "payload" field in these entries
    report = _gate_corpus(
        tmp_path,
        entries,
        *("--payload-field", "data", "--writer-field", "who", "--op-field", "kind"),
    )
    assert report["totals"] == {
        "events": 2,
        "ok": 1,
        "undecodable": 0,
        "legacy_invalid": 1,
        "new_invalid": 1,
        "both_invalid": 1,
        "errors": 0,
    }
    assert set(report["by_op"]) == {"create", "delete"}
    assert set(report["by_writer"]) == {"go-comments"}


def test_gate_corpus_honours_layout_and_encoding(tmp_path: Path) -> None:
    import msgspec

    debezium = [Entry("1-0", {"t1_abc": b'{"n": 1}'}), Entry("1-1", {"t1_abd": b'{"n": 2}'})]
    assert _gate_corpus(tmp_path, debezium)["totals"]["undecodable"] == 2
    assert _gate_corpus(tmp_path, debezium, "--layout", "debezium")["totals"]["ok"] == 2
    packed = [Entry("1-0", {"payload": msgspec.msgpack.encode({"kind": "create", "n": 1})})]
    assert _gate_corpus(tmp_path, packed)["totals"]["undecodable"] == 1
    assert _gate_corpus(tmp_path, packed, "--encoding", "msgpack")["totals"]["ok"] == 1


# ---- Ctrl-C ------------------------------------------------------------------------------


def test_interrupt_inside_the_gate_run_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    """KeyboardInterrupt from inside run_gate (its corpus step) goes through the decorator."""
    from cdccheck.cli import gate as gate_cli
    from cdccheck.samples import SAMPLE_CORPUS

    def interrupted_corpus_check(events: Any) -> Any:
        def check(*arguments: Any) -> Any:
            raise KeyboardInterrupt

        return check

    monkeypatch.setattr(gate_cli, "corpus_check", interrupted_corpus_check)
    code, out, err = _invoke("--legacy", LEGACY, "--new", NEW, "--corpus", str(SAMPLE_CORPUS))
    assert (code, out, err) == (130, "", "cdccheck: interrupted\n")


def test_sigint_to_a_running_gate_process_exits_130(tmp_path: Path) -> None:
    """A real Ctrl-C (SIGINT) to the console script while the gate is busy.

    The legacy schema is a named pipe: the gate opens it and waits for the
    document, and our open for writing returns only once the gate has opened
    it, so the signal is known to arrive inside the command, not during start-up.
    """
    script = Path(sys.executable).with_name("cdccheck")
    fifo = tmp_path / "legacy.json"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [str(script), "gate", "--legacy", str(fifo), "--new", NEW],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        writer = os.open(fifo, os.O_WRONLY)  # blocks until the gate has opened the pipe
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        os.close(writer)
    finally:
        process.kill()
    assert (process.returncode, out, err) == (130, "", "cdccheck: interrupted\n")


def test_gate_takes_f_like_every_command_and_verbose_lists_harmless_changes() -> None:
    code, quiet, _ = _invoke("--legacy", LEGACY, "--new", NEW, "-f", "text")
    assert code == 1
    code, verbose, _ = _invoke("--legacy", LEGACY, "--new", NEW, "-f", "text", "--verbose")
    assert code == 1
    assert "--verbose lists them" in quiet
    assert "--verbose lists them" not in verbose
    assert len(verbose.splitlines()) > len(quiet.splitlines())
