"""Small front-door defects of issue 11: help texts, -q, install instructions, snippets."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.samples import SAMPLE_CORPUS
from tests.helpers import ROOT, SCHEMA_ENV, validate_report

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env={**SCHEMA_ENV, **(env or {})}, catch_exceptions=False)


def test_export_help_mentions_no_option_it_lacks() -> None:
    text = invoke("export", "--help").output
    offered = set(re.findall(r"(--[a-z][a-z-]+)", text))
    lacking = {"--report", "--format", "--legacy", "--new", "--fail-on"}
    assert offered & lacking == set(), offered & lacking


def test_quiet_keeps_the_output_asked_for_with_format(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    asked = invoke("check", str(SAMPLE_CORPUS), "-q", "-f", "json", "--report", str(report))
    assert asked.exit_code == 1
    printed = json.loads(asked.stdout)
    validate_report(printed)
    assert printed["totals"] == json.loads(report.read_text())["totals"]
    from_env = invoke(
        "check", str(SAMPLE_CORPUS), "-q", "--report", str(report), env={"CDCCHECK_FORMAT": "json"}
    )
    assert json.loads(from_env.stdout)["totals"] == printed["totals"]
    # Not asked for: the report file is the output, stdout stays empty.
    default = invoke("check", str(SAMPLE_CORPUS), "-q", "--report", str(report))
    assert default.exit_code == 1
    assert default.stdout == ""
    # Without --report, -q never hides the report.
    assert invoke("check", str(SAMPLE_CORPUS), "-q").stdout.count("missing_required") >= 1


def test_no_placeholder_in_install_and_hook_snippets() -> None:
    for name in ("README.md", "docs/gate.md", ".pre-commit-hooks.yaml", "deploy/README.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "<owner>" not in text, name
        assert "pip install cdccheck\n" not in text, name
        assert "pip install --no-cache-dir cdccheck\n" not in text, name
