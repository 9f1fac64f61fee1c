"""The command line: exit codes, messages, outputs; typer's CliRunner plus one real script run."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.samples import CLASSES, EXPECTED, SAMPLE_CORPUS, generate, healthy_entries
from cdccheck.sources.corpus import write_corpus
from tests.helpers import ROOT, SCHEMA_ARGS, SCHEMA_ENV, validate_report

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    """Run cdccheck with the bundled schemas given by the environment (``env`` may unset them)."""
    return runner.invoke(app, list(args), env={**SCHEMA_ENV, **(env or {})}, catch_exceptions=False)


@pytest.fixture
def healthy_corpus(tmp_path: Path) -> Path:
    path = tmp_path / "healthy.jsonl"
    write_corpus(path, healthy_entries(300))
    return path


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if getattr(command, "commands", None):
            found.extend(_commands(command, (*prefix, name)))
    return found


def all_commands() -> list[tuple[str, ...]]:
    import typer.main

    return _commands(typer.main.get_group(app))


def test_every_command_has_help_with_an_example() -> None:
    commands = all_commands()
    assert {("check",), ("replay",), ("export",), ("demo",), ("report", "render")} <= set(commands)
    for command in commands:
        result = invoke(*command, "--help")
        assert result.exit_code == 0, command
        assert "Example" in result.output, f"cdccheck {' '.join(command)} --help has no example"
        assert "cdccheck " + command[0] in result.output.split("Example", 1)[1], command


def test_top_level_help_and_version() -> None:
    assert "Example" in invoke("--help").output
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.startswith("cdccheck ")


def test_clean_corpus_exits_0(healthy_corpus: Path) -> None:
    result = invoke("check", str(healthy_corpus), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    validate_report(report)
    assert report["totals"]["events"] == report["totals"]["ok"] == 300
    assert set(report["by_writer"]) == {"py-monolith", "go-comments"}


def test_sample_corpus_finds_every_seeded_defect_class(tmp_path: Path) -> None:
    report_file = tmp_path / "out" / "report.json"
    result = invoke("check", str(SAMPLE_CORPUS), "--report", str(report_file), "--quiet")
    assert result.exit_code == 1
    assert result.output == ""  # --quiet with --report: nothing on stdout
    report = json.loads(report_file.read_text())
    validate_report(report)
    groups = {(g["schema"], g["kind"], g["path"]) for g in report["findings"]}
    warnings = {(g["kind"], g["path"]) for g in report["warnings"]}
    for sample_class in CLASSES:
        expected = EXPECTED[sample_class]
        assert set(expected.findings) <= groups, sample_class
        assert {(kind, path) for kind, path in expected.warnings} <= warnings, sample_class


@pytest.mark.parametrize(("fail_on", "code"), [("any", 1), ("legacy", 1), ("new", 1), ("none", 0)])
def test_fail_on(fail_on: str, code: int) -> None:
    result = invoke("check", str(SAMPLE_CORPUS), "--fail-on", fail_on, "--format", "json")
    assert result.exit_code == code


def test_fail_on_counts_only_the_named_schema(tmp_path: Path) -> None:
    corpus = tmp_path / "omitempty.jsonl"
    write_corpus(corpus, [s.entry for s in generate("go.omitempty_score", 3)])
    assert invoke("check", str(corpus), "--fail-on", "new").exit_code == 0
    assert invoke("check", str(corpus), "--fail-on", "legacy").exit_code == 1


def test_options_come_from_the_environment(healthy_corpus: Path) -> None:
    result = invoke("check", str(healthy_corpus), env={"CDCCHECK_FORMAT": "markdown"})
    assert result.output.startswith("## cdccheck: ✅")


@pytest.mark.parametrize("output_format", ["table", "json", "markdown", "junit"])
def test_every_format_renders(output_format: str) -> None:
    result = invoke("check", str(SAMPLE_CORPUS), "--format", output_format)
    assert result.exit_code == 1
    if output_format == "junit":
        suite = ET.fromstring(result.output.split("\n", 1)[1])
        assert int(suite.get("failures", "0")) == len(suite.findall("testcase/failure")) > 10
        names = {p.get("name") for p in suite.findall("properties/property")}
        assert {"by_writer.go-comments.events", "by_op.create.ok", "events"} <= names
    elif output_format == "table":
        assert "legacy" in result.output
        assert "missing_required" in result.output
        assert max(len(line) for line in result.output.splitlines()) <= 80
        assert "\x1b[" not in result.output  # no colour when not a terminal


def test_events_out_lines(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    corpus = tmp_path / "c.jsonl"
    entries = [
        s.entry
        for name in ("py.nan_toxicity", "go.omitempty_score", "py.healthy")
        for s in generate(name, 1)
    ]
    write_corpus(corpus, entries)
    result = invoke("check", str(corpus), "--events-out", str(events), "--format", "json")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert [line["id"] for line in lines] == [entry.id for entry in entries]
    nan, omitted, healthy = lines
    assert nan["decodable"] is False
    assert nan["legacy"] is None
    assert nan["new"] is None
    assert "NaN" in nan["wire"]["message"]
    assert omitted["legacy"]["valid"] is False
    assert omitted["legacy"]["findings"] == [
        {
            "kind": "missing_required",
            "path": "/comment/score",
            "message": "'score' is a required property",
        }
    ]
    assert omitted["new"] == {"valid": True, "findings": []}
    assert healthy["legacy"]["valid"]
    assert healthy["new"]["valid"]
    assert set(healthy) >= {"id", "op", "writer", "decodable", "legacy", "new"}


def test_bad_schema_path_is_one_line_and_exit_2(healthy_corpus: Path, tmp_path: Path) -> None:
    result = invoke("check", str(healthy_corpus), "--legacy", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert "cannot read legacy schema" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ('{"type": "integr"}', "invalid schema"),
        ('{"properties": {"score": {"minimum": "zero"}}}', "/properties/score/minimum"),
        ('{"pattern": "\\\\p{Letter}"}', "'regex'"),
        ('{"$ref": "https://example.com/comment.json"}', "remote $ref"),
        ('{"$ref": "#/$defs/missing"}', "does not resolve"),
        ('{"$schema": "http://json-schema.org/draft-04/schema#"}', "unsupported $schema"),
        ("{not json", "invalid JSON"),
    ],
)
def test_invalid_schemas_exit_2(
    healthy_corpus: Path, tmp_path: Path, document: str, words: str
) -> None:
    schema = tmp_path / "bad.json"
    schema.write_text(document)
    result = invoke("check", str(healthy_corpus), "--new", str(schema))
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1, result.output
    assert words in result.output


def test_local_file_refs_resolve(healthy_corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "anything.json").write_text('{"type": "object"}')
    (tmp_path / "root.json").write_text('{"$ref": "defs/anything.json"}')
    result = invoke("check", str(healthy_corpus), "--new", str(tmp_path / "root.json"))
    assert result.exit_code == 0, result.output


def test_corrupt_and_missing_corpus_exit_3(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.jsonl"
    corrupt.write_text('{"id": "1-0", "fields": {"payload": "{}"}}\nnot json\n')
    result = invoke("check", str(corrupt))
    assert result.exit_code == 3
    assert "corrupt.jsonl:2" in result.output
    assert invoke("check", str(tmp_path / "missing.jsonl")).exit_code == 3


def test_usage_errors_exit_2(healthy_corpus: Path) -> None:
    assert invoke("check", str(healthy_corpus), "--format", "yaml").exit_code == 2
    assert invoke("check").exit_code == 2
    assert invoke("check", str(healthy_corpus), "--samples", "-1").exit_code == 2


def test_report_render_and_merge(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    invoke("check", str(SAMPLE_CORPUS), "--report", str(first), "--quiet")
    corpus = tmp_path / "more.jsonl"
    write_corpus(corpus, [s.entry for s in generate("go.nil_awards", 4)])
    invoke("check", str(corpus), "--report", str(second), "--quiet")
    markdown = invoke("report", "render", str(first), "--format", "markdown")
    assert markdown.exit_code == 0
    assert markdown.output.startswith("## cdccheck: ❌")
    junit = tmp_path / "junit.xml"
    assert (
        invoke("report", "render", str(first), "--format", "junit", "-o", str(junit)).exit_code == 0
    )
    ET.parse(junit)
    merged_file = tmp_path / "merged.json"
    assert invoke("report", "merge", str(first), str(second), "-o", str(merged_file)).exit_code == 0
    merged = json.loads(merged_file.read_text())
    validate_report(merged)
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    assert merged["totals"]["events"] == a["totals"]["events"] + b["totals"]["events"]
    not_a_report = tmp_path / "x.json"
    not_a_report.write_text("[]")
    result = invoke("report", "render", str(not_a_report))
    assert result.exit_code == 2
    assert "not a cdccheck report" in result.output


def test_cli_import_stays_light() -> None:
    """--help must not pay for jsonschema's format checkers or redis: they load lazily."""
    code = (
        "import sys, cdccheck.cli; "
        "print(sorted(m for m in ('jsonschema', 'redis', 'rich') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"


def test_installed_script_end_to_end(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("cdccheck")
    report = tmp_path / "r.json"
    done = subprocess.run(
        [
            str(script),
            "check",
            str(SAMPLE_CORPUS),
            *SCHEMA_ARGS,
            "-f",
            "json",
            "--report",
            str(report),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout)["totals"] == json.loads(report.read_text())["totals"]
    bad = subprocess.run(
        [str(script), "check", "missing.jsonl", *SCHEMA_ARGS],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 3
    assert bad.stderr == "cdccheck: error: cannot read corpus missing.jsonl: no such file\n"


def test_debezium_layout_reads_the_single_field(tmp_path: Path) -> None:
    from cdccheck.model import Entry

    healthy = next(iter(healthy_entries(1))).fields["payload"]
    corpus = tmp_path / "debezium.jsonl"
    write_corpus(
        corpus,
        [
            Entry("1-0", {"t1_abc": healthy}),
            Entry("1-1", {"t1_abd": b'{"op": "create"}'}),
            Entry("1-2", {"a": healthy, "b": healthy}),
        ],
    )
    result = invoke("check", str(corpus), "--layout", "debezium", "--format", "json")
    report = json.loads(result.output)
    assert report["totals"]["ok"] == 1
    assert report["totals"]["legacy_invalid"] == 1
    assert report["totals"]["undecodable"] == 1
    [undecodable] = [g for g in report["findings"] if g["kind"] == "undecodable"]
    assert "debezium layout expects one field" in undecodable["samples"][0]["message"]


def test_a_wrong_payload_field_is_explained_in_the_table(tmp_path: Path) -> None:
    from cdccheck.model import Entry

    corpus = tmp_path / "orders.jsonl"
    write_corpus(corpus, [Entry(f"1-{i}", {"data": b"{}", "source": b"orders"}) for i in range(3)])
    result = invoke("check", str(corpus), env={"COLUMNS": "80"})
    assert result.exit_code == 1
    assert "entry has no 'payload' field (fields: data, source)" in result.output


@pytest.mark.parametrize("columns", ["80", "120"])
def test_a_piped_table_follows_columns(columns: str) -> None:
    result = invoke("check", str(SAMPLE_CORPUS), env={"COLUMNS": columns})
    assert max(len(line) for line in result.output.splitlines()) <= int(columns)
    # The first id of every group is there at any width (it vanished below 100 columns).
    report = json.loads(invoke("check", str(SAMPLE_CORPUS), "-f", "json").output)
    for group in report["findings"]:
        assert f"{group['first_id']} .. {group['last_id']}" in result.output
    if columns == "120":
        assert max(len(line) for line in result.output.splitlines()) > 80
