"""The bounds options reach the engine, from flags and CDCCHECK_ variables (docs/security.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.engine import patterns


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    lines = [
        {"id": "1-1", "fields": {"payload": '{"n": ' + "9" * 21 + "}"}},
        {"id": "1-2", "fields": {"payload": json.dumps({"k" * 50: 1})}},
        {"id": "1-3", "fields": {"payload": json.dumps({"s": "a" * 40 + "!"})}},
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.fixture
def schema(tmp_path: Path) -> Path:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"properties": {"s": {"pattern": r"^(?=a)(a|a)*$"}}}))
    return path


@pytest.fixture(autouse=True)
def _budget_restored() -> Iterator[None]:
    before = patterns.timeout_ms()
    yield
    patterns.set_timeout(before)


def undecodable_messages(result: object) -> list[str]:
    report = json.loads(result.stdout)  # type: ignore[attr-defined]
    [group] = [g for g in report["findings"] if g["kind"] == "undecodable"]
    return [sample["message"] for sample in group["samples"]]


def test_limits_from_flags(corpus: Path, schema: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["check", str(corpus), "--legacy", str(schema), "--new", str(schema), "-f", "json",
         "--max-int-digits", "20", "--max-key-bytes", "40", "--pattern-timeout-ms", "10"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    messages = undecodable_messages(result)
    assert any("(--max-int-digits)" in message for message in messages)
    assert any("(--max-key-bytes)" in message for message in messages)
    kinds = {g["kind"] for g in json.loads(result.stdout)["findings"]}
    assert "pattern_timeout" in kinds
    assert patterns.timeout_ms() == 10


def test_limits_from_the_environment(corpus: Path, schema: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["check", str(corpus), "--legacy", str(schema), "--new", str(schema), "-f", "json"],
        env={"CDCCHECK_MAX_INT_DIGITS": "20", "CDCCHECK_MAX_KEY_BYTES": "40"},
    )
    assert result.exit_code == 1, result.output
    assert len(undecodable_messages(result)) == 2


def test_a_limit_below_its_minimum_is_a_usage_error(corpus: Path) -> None:
    result = CliRunner().invoke(app, ["check", str(corpus), "--max-int-digits", "3"])
    assert result.exit_code == 2
