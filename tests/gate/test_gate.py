"""The gate: pairs, --against a git ref, configuration, corpus injection, renderers."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from cdccheck.engine.schema import Schema
from cdccheck.errors import ConfigError
from cdccheck.gate import (
    FAIL_ON,
    GateConfig,
    GateResult,
    corpus_failures,
    load_config,
    resolve_request,
    run_gate,
)
from cdccheck.gate.render import line_of, pointer_lines, render
from cdccheck.model import EventVerdict, Finding
from cdccheck.report import render as render_report
from cdccheck.summary import Summary
from tests.gate.support import (
    GATE_DATA,
    assert_json_witnesses_verified,
    assert_witnesses_verified,
    load_validators,
)

LEGACY = str(GATE_DATA / "legacy.json")
NEW = str(GATE_DATA / "new.json")
ANNOTATION = re.compile(r"^::(error|warning) file=([^,]+),line=(\d+),title=([^:]+)::(.*)$")


def _verified(result: GateResult) -> GateResult:
    """Check every witness in a gate result with the reference validators."""
    for schema in result.schemas:
        if schema.legacy_schema and schema.new_schema:
            assert_witnesses_verified(
                schema.comparison, schema.legacy_schema.validator, schema.new_schema.validator
            )
    return result


def _run(**flags: Any) -> GateResult:
    return _verified(run_gate(resolve_request(GateConfig(), **flags)))


def _write(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


# ---- pairs and modes -------------------------------------------------------------------


def test_pair_json_has_exactly_the_documented_shape() -> None:
    result = _run(legacy=LEGACY, new=NEW)
    document = json.loads(render(result, "json"))
    assert set(document) == {"compatible", "changes", "corpus"}
    assert document["compatible"] == {"backward": False, "forward": False}
    assert document["corpus"] is None
    for change in document["changes"]:
        assert set(change) == {"kind", "path", "breaking", "proven", "witness", "message"}
        assert set(change["breaking"]) == {"backward", "forward"}
        assert change["path"] == "" or change["path"].startswith("/")
    proven = [c for c in document["changes"] if c["proven"]]
    assert proven
    assert assert_json_witnesses_verified(document, *load_validators(LEGACY, NEW)) == len(proven)
    assert all(c["breaking"]["backward"] or c["breaking"]["forward"] for c in proven)


@pytest.mark.parametrize(("mode", "exit_code"), [("full", 1), ("backward", 1), ("forward", 0)])
def test_mode_decides_the_exit_code_but_not_compatible(
    tmp_path: Path, mode: str, exit_code: int
) -> None:
    # Only a forward break: new adds an enum value legacy readers reject.
    _write(tmp_path / "a.json", {"enum": ["create", "delete"]})
    _write(tmp_path / "b.json", {"enum": ["create", "delete", "undelete"]})
    result = _run(legacy=str(tmp_path / "a.json"), new=str(tmp_path / "b.json"), mode=mode)
    assert result.compatible == {"backward": True, "forward": False}
    assert result.exit_code == (0 if mode == "backward" else 1)
    del exit_code


def test_identical_schemas_pass() -> None:
    result = _run(legacy=LEGACY, new=LEGACY)
    assert result.exit_code == 0
    assert result.changes == []
    assert "PASS" in render(result, "text")


# ---- configuration ---------------------------------------------------------------------


def test_config_from_pyproject_sets_defaults_and_flags_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f"""
[tool.cdccheck]
legacy = "{LEGACY}"
new = "{NEW}"

[tool.cdccheck.gate]
mode = "backward"
allow = ["TITLE_CHANGED", "ENUM_ARRAY_EXTENDED"]
""",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.mode == "backward"
    assert config.pairs == ((LEGACY, NEW),)
    assert resolve_request(config).mode == "backward"
    assert resolve_request(config, mode="forward").mode == "forward"
    result = run_gate(resolve_request(config))
    assert result.mode == "backward"
    suppressed = {c.kind for s in result.schemas for c, _ in s.suppressed}
    assert suppressed == {"ENUM_ARRAY_EXTENDED"}  # TITLE_CHANGED breaks nothing, so it stays


def test_ignore_needs_a_reason(tmp_path: Path) -> None:
    (tmp_path / "cdccheck.toml").write_text(
        '[[gate.ignore]]\npath = "/properties/version"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="no reason"):
        load_config(tmp_path)


def test_ignore_with_reason_sets_a_change_aside(tmp_path: Path) -> None:
    (tmp_path / "cdccheck.toml").write_text(
        """
[[gate.ignore]]
path = "/$defs/comment/properties/body"
reason = "body is truncated upstream since ticket 42"
""",
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    result = run_gate(resolve_request(config, legacy=LEGACY, new=NEW))
    [(change, reason)] = [entry for s in result.schemas for entry in s.suppressed]
    assert change.kind == "MAX_LENGTH_DECREASED"
    assert reason == "body is truncated upstream since ticket 42"
    assert "MAX_LENGTH_DECREASED" not in {c.kind for c in result.changes}
    assert "ticket 42" in render(result, "text")
    assert "ticket 42" in render(result, "markdown")


def test_cdccheck_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.cdccheck.gate]\nmode = "forward"\n', "utf-8")
    (tmp_path / "cdccheck.toml").write_text('[gate]\nmode = "backward"\n', encoding="utf-8")
    assert load_config(tmp_path).mode == "backward"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[gate]\nmode = "sideways"\n', "mode"),
        ("[gate]\nallow = 3\n", "allow"),
        ('legacy = "a.json"\n', "both `legacy` and `new`"),
        ("[gate\n", "cannot read"),
    ],
)
def test_bad_configuration_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "cdccheck.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(tmp_path)


def test_nothing_to_compare_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="nothing to compare"):
        resolve_request(GateConfig())
    with pytest.raises(ConfigError, match="missing --new"):
        resolve_request(GateConfig(), legacy=LEGACY)
    with pytest.raises(ConfigError, match="not both"):
        resolve_request(GateConfig(), legacy=LEGACY, new=NEW, against="HEAD")


# ---- corpus --------------------------------------------------------------------------------


def _report(events: int, ok: int, legacy_invalid: int, new_invalid: int) -> dict[str, Any]:
    totals = {
        "events": events,
        "ok": ok,
        "undecodable": 0,
        "legacy_invalid": legacy_invalid,
        "new_invalid": new_invalid,
        "both_invalid": 0,
    }
    return {"cdccheck_report": 1, "totals": totals}


@pytest.mark.parametrize(
    ("fail_on", "exit_code"), [("any", 1), ("legacy", 0), ("new", 1), ("none", 0)]
)
def test_corpus_findings_fail_per_fail_on(tmp_path: Path, fail_on: str, exit_code: int) -> None:
    seen: list[tuple[Sequence[str], Schema, Schema]] = []

    def engine(files: Sequence[str], legacy: Schema, new: Schema) -> Mapping[str, Any]:
        seen.append((files, legacy, new))
        return _report(events=10, ok=8, legacy_invalid=0, new_invalid=2)

    request = resolve_request(
        GateConfig(), legacy=LEGACY, new=LEGACY, corpus=["events.jsonl"], fail_on=fail_on
    )
    result = run_gate(request, corpus_check=engine)
    assert [files for files, _, _ in seen] == [["events.jsonl"]]
    assert seen[0][1].name == "legacy"
    assert seen[0][2].name == "new"
    assert result.exit_code == exit_code
    document = json.loads(render(result, "json"))
    assert document["corpus"]["totals"]["new_invalid"] == 2
    assert "corpus: 10 event(s)" in render(result, "text")


def test_corpus_failures_follow_the_check_rule() -> None:
    """The gate counts a corpus report's events by the rule `check --fail-on` uses."""
    summary = Summary()
    broken = Finding("type", "/a", "'x' is not of type 'integer'", "x")
    summary.add(EventVerdict("1-0", "c", "py", True, [], []))
    summary.add(EventVerdict("1-1", "c", "py", False, None, None, wire_message="not JSON"))
    summary.add(EventVerdict("1-2", "c", "py", True, [broken], []))
    summary.add(EventVerdict("1-3", "c", "py", True, [], [broken]))
    summary.add(EventVerdict("1-4", "c", "py", True, [broken], [broken]))
    report = {"totals": summary.to_dict()["totals"]}
    expected = {"any": 4, "legacy": 3, "new": 3, "none": 0}
    assert {f: corpus_failures(report, f) for f in FAIL_ON} == expected
    assert {f: summary.counts_failures(f) for f in FAIL_ON} == expected
    assert corpus_failures(None, "any") == 0


def test_unknown_gate_format_is_the_report_error() -> None:
    """Both render dispatchers refuse an unknown format with a usage error (exit 2)."""
    result = _run(legacy=LEGACY, new=NEW)
    with pytest.raises(ConfigError, match=r"unknown gate format 'yaml' \(expected one of text, "):
        render(result, "yaml")
    with pytest.raises(ConfigError, match="unknown format 'yaml'"):
        render_report({}, "yaml")


def test_corpus_without_an_engine_is_a_config_error() -> None:
    request = resolve_request(GateConfig(), legacy=LEGACY, new=NEW, corpus=["e.jsonl"])
    with pytest.raises(ConfigError, match="check engine"):
        run_gate(request)


# ---- --against GIT_REF ---------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=cdccheck", "-c", "user.email=cdccheck@example.com",
         "-c", "commit.gpgsign=false", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with two commits; HEAD~1 is the base of the "pull request"."""
    schemas = tmp_path / "schemas"
    _write(schemas / "common.json", {"$defs": {"body": {"type": "string", "maxLength": 100}}})
    _write(
        schemas / "event.json",
        {
            "type": "object",
            "properties": {
                "op": {"enum": ["create", "delete"]},
                "body": {"$ref": "common.json#/$defs/body"},
                "score": {"type": "number"},
            },
            "required": ["op"],
        },
    )
    _write(schemas / "gone.json", {"type": "string"})
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    # The change under review: a narrower shared definition, a narrower type, a file
    # added and one removed.
    _write(schemas / "common.json", {"$defs": {"body": {"type": "string", "maxLength": 10}}})
    _write(
        schemas / "event.json",
        {
            "type": "object",
            "properties": {
                "op": {"enum": ["create", "delete"]},
                "body": {"$ref": "common.json#/$defs/body"},
                "score": {"type": "integer"},
            },
            "required": ["op"],
        },
    )
    (schemas / "gone.json").unlink()
    _write(schemas / "fresh.json", {"type": "boolean"})
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "change")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_against_a_git_ref_compares_every_schema_file(repo: Path) -> None:
    result = _run(against="HEAD~1")
    by_file = {s.file: s for s in result.schemas}
    assert set(by_file) == {
        "schemas/common.json",
        "schemas/event.json",
        "schemas/fresh.json",
        "schemas/gone.json",
    }
    assert [c.kind for c in by_file["schemas/fresh.json"].changes] == ["SCHEMA_FILE_ADDED"]
    assert [c.kind for c in by_file["schemas/gone.json"].changes] == ["SCHEMA_FILE_REMOVED"]
    event = {(c.kind, c.path) for c in by_file["schemas/event.json"].changes}
    # The $ref resolved at HEAD~1 (maxLength 100), not in the working tree.
    assert ("MAX_LENGTH_DECREASED", "/$defs/body/maxLength") in event
    assert ("TYPE_NARROWED", "/properties/score") in event
    assert by_file["schemas/event.json"].legacy == "HEAD~1:schemas/event.json"
    assert result.exit_code == 1
    document = json.loads(render(result, "json"))
    assert {c["file"] for c in document["changes"]} >= {"schemas/event.json"}


def test_against_with_explicit_paths(repo: Path) -> None:
    result = _run(against="HEAD~1", paths=["schemas/event.json"])
    assert [s.file for s in result.schemas] == ["schemas/event.json"]


def test_against_an_unknown_ref_is_a_config_error(repo: Path) -> None:
    with pytest.raises(ConfigError, match="no such git ref"):
        _run(against="no-such-branch")


def test_github_annotations_point_at_the_schema_line(repo: Path) -> None:
    result = _run(against="HEAD~1")
    output = render(result, "github")
    annotations = [ANNOTATION.match(line) for line in output.splitlines()]
    parsed = [m.groups() for m in annotations if m]
    assert parsed, output
    by_title = {
        title: (level, file, int(line), message) for level, file, line, title, message in parsed
    }
    level, file, line, message = by_title["TYPE_NARROWED"]
    assert (level, file) == ("error", "schemas/event.json")
    lines = (repo / file).read_text(encoding="utf-8").splitlines()
    assert '"score"' in lines[line - 1]
    assert "base accepts, head rejects" in message  # --against: the sides are base and head
    level, file, line, _ = by_title["MAX_LENGTH_DECREASED"]
    assert file == "schemas/common.json"
    assert '"maxLength"' in (repo / file).read_text(encoding="utf-8").splitlines()[line - 1]
    # Non-annotation lines: only the closing verdict.
    others = [line for line in output.splitlines() if not line.startswith("::")]
    assert len(others) == 1
    assert others[0].startswith("FAIL")


def test_sarif_has_the_required_structure(repo: Path) -> None:
    document = json.loads(render(_run(against="HEAD~1"), "sarif"))
    assert document["version"] == "2.1.0"
    assert document["$schema"].startswith("https://")
    [run] = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "cdccheck"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert run["results"]
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"].startswith("schemas/")
        assert physical["region"]["startLine"] >= 1


def test_junit_has_one_testcase_per_change(repo: Path) -> None:
    result = _run(against="HEAD~1")
    root = ET.fromstring(render(result, "junit"))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(result.changes)
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == len(result.breaking)
    assert root.get("failures") == str(len(failures))


def test_markdown_summary(repo: Path) -> None:
    text = render(_run(against="HEAD~1"), "markdown")
    assert text.startswith("## cdccheck gate: FAIL")
    assert "| breaks | where | kind | witness | why |" in text
    assert "`TYPE_NARROWED`" in text
    # --against: the sides are the pull request's base and head.
    assert "| backward (head reads base data) | **no** |" in text
    [row] = [
        line for line in text.splitlines() if line.startswith("|") and "`TYPE_NARROWED`" in line
    ]
    assert "`event.json:" not in row  # several files: the path, not just the name
    assert "`schemas/event.json:" in row
    assert "(base accepts, head rejects)" in row


# ---- JSON Pointer -> line ------------------------------------------------------------------


def test_pointer_lines_handle_escapes_arrays_and_nesting() -> None:
    text = (
        '{\n  "a/b": {\n    "c~d": [\n      1,\n      {"e": "x\\"y"}\n    ]\n  },\n  "f": true\n}\n'
    )
    lines = pointer_lines(text)
    assert lines[""] == 1
    assert lines["/a~1b"] == 2
    assert lines["/a~1b/c~0d"] == 3
    assert lines["/a~1b/c~0d/0"] == 4
    assert lines["/a~1b/c~0d/1/e"] == 5
    assert lines["/f"] == 8
    assert line_of(text, "/a~1b/c~0d/7/zz") == 3
    assert line_of("not json", "/x") == 1


def test_old_module_paths_re_export_the_gate() -> None:
    """cdccheck.compat, .witness, .schemaview and .report.gate keep working for one release."""
    import importlib

    import cdccheck.gate.compat
    import cdccheck.gate.render
    import cdccheck.gate.schemaview
    import cdccheck.gate.witness

    moved = {
        "cdccheck.compat": (cdccheck.gate.compat, ["compare", "compare_documents", "Change"]),
        "cdccheck.witness": (cdccheck.gate.witness, ["Searcher", "Witness", "Builder"]),
        "cdccheck.schemaview": (cdccheck.gate.schemaview, ["make_doc", "walk_refs", "Node"]),
        "cdccheck.report.gate": (cdccheck.gate.render, ["render", "line_of", "write_report"]),
    }
    for old, (new, names) in moved.items():
        shim = importlib.import_module(old)
        for name in names:
            assert getattr(shim, name) is getattr(new, name), f"{old}.{name}"
