"""Usage errors of the option parser: one line, ``cdccheck: error: ...``, exit 2 (docs/cli.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.samples import SAMPLE_CORPUS

runner = CliRunner()

# (command, arguments): a flag no command has, and a value its option refuses.
BAD_FLAG = [
    ("check", [str(SAMPLE_CORPUS), "--bogus"]),
    ("replay", ["--stream", "s", "--bogus"]),
    ("export", ["--stream", "s", "-o", "x.jsonl", "--bogus"]),
    ("consume", ["--stream", "s", "--bogus"]),
    ("demo", ["--bogus"]),
    ("gate", ["--bogus"]),
    ("report render", ["r.json", "--bogus"]),
    ("report merge", ["r.json", "--bogus"]),
]
BAD_VALUE = [
    ("check", [str(SAMPLE_CORPUS), "--format", "yaml"], "'yaml' is not one of"),
    ("check", [str(SAMPLE_CORPUS), "--samples", "-1"], "--samples"),
    ("replay", ["--stream", "s", "--count", "0"], "--count"),
    ("export", ["--stream", "s", "-o", "x.jsonl", "--batch-size", "many"], "--batch-size"),
    ("consume", ["--stream", "s", "--batch", "0"], "--batch"),
    ("demo", ["--events", "0"], "--events"),
    ("gate", ["--mode", "sideways"], "'sideways' is not one of"),
    ("report render", ["r.json", "--format", "html5"], "'html5' is not one of"),
]


def _one_line_usage_error(output: str, command: str) -> None:
    lines = output.splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("cdccheck: error: "), output
    assert lines[0].endswith(f"(see cdccheck {command} --help)"), output
    assert "Usage:" not in output
    assert "Try '" not in output


@pytest.mark.parametrize(("command", "arguments"), BAD_FLAG)
def test_an_unknown_flag_is_one_line_and_exit_2(command: str, arguments: list[str]) -> None:
    result = runner.invoke(app, [*command.split(), *arguments])
    assert result.exit_code == 2, result.output
    _one_line_usage_error(result.output, command)
    assert "no such option: --bogus" in result.output


@pytest.mark.parametrize(("command", "arguments", "words"), BAD_VALUE)
def test_a_bad_value_is_one_line_and_exit_2(command: str, arguments: list[str], words: str) -> None:
    result = runner.invoke(app, [*command.split(), *arguments])
    assert result.exit_code == 2, result.output
    _one_line_usage_error(result.output, command)
    assert words in result.output
    assert "Value error" not in result.output


def test_missing_argument_and_option_and_unknown_command() -> None:
    missing = runner.invoke(app, ["replay"])
    assert missing.exit_code == 2
    _one_line_usage_error(missing.output, "replay")
    assert "missing option '--stream'" in missing.output
    unknown = runner.invoke(app, ["chek"])
    assert unknown.exit_code == 2
    assert unknown.output == (
        "cdccheck: error: no such command 'chek'. Did you mean 'check', 'schema'? "
        "(see cdccheck --help)\n"
    )


def test_help_still_exits_0() -> None:
    result = runner.invoke(app, ["check", "--help"])
    assert result.exit_code == 0
    assert result.output.startswith("Usage: cdccheck check")


def test_the_installed_script_prints_one_line_on_stderr(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("cdccheck")
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    done = subprocess.run(
        [str(script), "export", "--stream", "s", "--out"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "cdccheck: error: option '--out' requires an argument (see cdccheck export --help)\n"
    )
