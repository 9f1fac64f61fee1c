"""check, replay, consume and show need schemas: flags, environment or [tool.cdccheck] (issue 11).

Falling back to the bundled comment schemas gave dozens of meaningless
findings on anyone else's stream; only `demo` uses them implicitly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.samples import SAMPLE_CORPUS, healthy_entries
from cdccheck.sources.corpus import write_corpus
from tests.helpers import BUNDLED_LEGACY, BUNDLED_NEW

runner = CliRunner()
NO_SCHEMA_ENV: dict[str, str | None] = {"CDCCHECK_LEGACY": None, "CDCCHECK_NEW": None}
UNREACHABLE = "redis://127.0.0.1:1/0"  # never contacted: the schemas are resolved first


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Any:
    from cdccheck.cli import app

    return runner.invoke(app, list(args), env={**NO_SCHEMA_ENV, **(env or {})})


@pytest.fixture(autouse=True)
def _empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The configuration is read from the current directory: start from one without any.
    monkeypatch.chdir(tmp_path)


COMMANDS = [
    ("check", str(SAMPLE_CORPUS)),
    ("replay", "--redis-url", UNREACHABLE, "--stream", "s"),
    ("consume", "--redis-url", UNREACHABLE, "--stream", "s", "--until-idle", "1"),
    ("show", "1-0", "--redis-url", UNREACHABLE, "--stream", "s"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_without_schemas_the_command_says_how_to_give_them(command: tuple[str, ...]) -> None:
    result = invoke(*command)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1, result.output
    line = result.stderr
    assert line.startswith("cdccheck: error: no schemas given: pass --legacy PATH --new PATH")
    for hint in ("CDCCHECK_LEGACY", "[tool.cdccheck]", "cdccheck.toml", "cdccheck schema derive"):
        assert hint in line, hint
    assert "cdccheck schema infer" in line


@pytest.mark.parametrize(("given", "missing"), [("--legacy", "new"), ("--new", "legacy")])
def test_one_schema_is_not_enough(given: str, missing: str) -> None:
    result = invoke("check", str(SAMPLE_CORPUS), given, str(BUNDLED_LEGACY))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"cdccheck: error: no {missing} schema given: pass --{missing} PATH too "
        f"(or set CDCCHECK_{missing.upper()}, "
    )


def _check_json(tmp_path: Path, **env: str) -> dict[str, Any]:
    corpus = tmp_path / "healthy.jsonl"
    write_corpus(corpus, healthy_entries(20))
    result = invoke("check", str(corpus), "--format", "json", env=dict(env))
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["totals"]["ok"] == 20
    return report


def test_the_environment_gives_them(tmp_path: Path) -> None:
    report = _check_json(
        tmp_path, CDCCHECK_LEGACY=str(BUNDLED_LEGACY), CDCCHECK_NEW=str(BUNDLED_NEW)
    )
    assert report["schemas"]["legacy"]["path"].endswith("legacy.json")


def _copy_schemas(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "old.json").write_bytes(BUNDLED_LEGACY.read_bytes())
    (tmp_path / "s" / "cur.json").write_bytes(BUNDLED_NEW.read_bytes())


def test_pyproject_gives_them(tmp_path: Path) -> None:
    _copy_schemas(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.cdccheck]\nlegacy = "s/old.json"\nnew = "s/cur.json"\n'
    )
    report = _check_json(tmp_path)
    assert report["schemas"]["legacy"]["path"].endswith("old.json")
    assert report["schemas"]["new"]["path"].endswith("cur.json")


def test_cdccheck_toml_gives_them_and_a_flag_overrides_one(tmp_path: Path) -> None:
    _copy_schemas(tmp_path)
    (tmp_path / "cdccheck.toml").write_text('legacy = "s/old.json"\nnew = "s/cur.json"\n')
    assert _check_json(tmp_path)["schemas"]["new"]["path"].endswith("cur.json")
    corpus = tmp_path / "healthy.jsonl"
    result = invoke("check", str(corpus), "-f", "json", "--new", str(BUNDLED_NEW))
    report = json.loads(result.stdout)
    assert report["schemas"]["legacy"]["path"].endswith("old.json")
    assert report["schemas"]["new"]["path"] == str(BUNDLED_NEW)


def test_gate_pairs_alone_are_not_the_check_schemas(tmp_path: Path) -> None:
    _copy_schemas(tmp_path)
    (tmp_path / "cdccheck.toml").write_text(
        '[gate]\npairs = [{legacy = "s/old.json", new = "s/cur.json"}]\n'
    )
    result = invoke("check", str(SAMPLE_CORPUS))
    assert result.exit_code == 2
    assert "no schemas given" in result.stderr


def test_demo_still_needs_none() -> None:
    result = invoke("demo", "--help")
    assert result.exit_code == 0
    assert "bundled comment" in " ".join(result.output.split())
