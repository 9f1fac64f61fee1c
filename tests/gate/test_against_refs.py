"""``gate --against GIT_REF`` with references to code: derived at the ref and in the working tree.

Each test builds a real git repository in its temporary directory: the base
commit holds the code as the pull request's base has it, the next commit (or
the working tree) the change under review.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.errors import ConfigError
from cdccheck.gate import GateConfig, GateResult, load_config, resolve_request, run_gate
from cdccheck.gate.atref import _safe_target, label_at_ref
from cdccheck.gate.render import render
from tests.gate.support import assert_witnesses_verified

BASE_EVENTS = """\
package events

import "example.com/svc/common"

// Event is what the service writes to the stream.
type Event struct {
	Op     string        `json:"op"`
	Score  int64         `json:"score,omitempty"`
	Source common.Source `json:"source"`
}
"""

BASE_COMMON = """\
package common

// Source names the writer of an event.
type Source struct {
	Name string `json:"name"`
}
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=cdccheck", "-c", "user.email=cdccheck@example.com",
         "-c", "commit.gpgsign=false", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def go_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Go module whose ``events`` package imports ``common`` of the same module; one commit."""
    _write(tmp_path / "svc" / "go.mod", "module example.com/svc\n\ngo 1.19\n")
    _write(tmp_path / "svc" / "events" / "events.go", BASE_EVENTS)
    _write(tmp_path / "svc" / "common" / "common.go", BASE_COMMON)
    _git(tmp_path, "init", "-q")
    _commit(tmp_path, "base")
    monkeypatch.chdir(tmp_path)
    for name in ("LEGACY", "NEW", "MODE", "AGAINST", "FORMAT", "PYTHON_PATH"):
        monkeypatch.delenv(f"CDCCHECK_{name}", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def _change_go(repo: Path) -> None:
    """The pull request: score becomes a string, the source's tag is renamed (other package)."""
    events = repo / "svc" / "events" / "events.go"
    events.write_text(
        events.read_text().replace("Score  int64 ", "Score  string"), encoding="utf-8"
    )
    common = repo / "svc" / "common" / "common.go"
    common.write_text(common.read_text().replace('json:"name"', 'json:"writer"'), "utf-8")
    _commit(repo, "change")


def _gate(**flags: Any) -> GateResult:
    result = run_gate(resolve_request(GateConfig(), **flags))
    for schema in result.schemas:
        if schema.legacy_schema is not None and schema.new_schema is not None:
            assert_witnesses_verified(
                schema.comparison, schema.legacy_schema.validator, schema.new_schema.validator
            )
    return result


def _cli(*args: str) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(app, ["gate", *args])
    return outcome.exit_code, outcome.stdout, outcome.stderr


GO_REF = "go:svc/events:Event"


# ---- Go ----------------------------------------------------------------------------------


def test_a_changed_go_struct_breaks_against_its_base(go_repo: Path) -> None:
    _change_go(go_repo)
    result = _gate(against="HEAD~1", paths=[GO_REF])
    [schema] = result.schemas
    assert (schema.file, schema.legacy, schema.new) == (GO_REF, f"{GO_REF}@HEAD~1", GO_REF)
    assert result.labels == {"legacy": "base", "new": "head"}
    found = {(c.kind, c.path, c.backward, c.forward) for c in schema.changes}
    assert ("TYPE_CHANGED", "/properties/score", True, True) in found
    # The other package of the module was read at the ref too: its tag changed there.
    paths = {c.path for c in schema.changes if c.backward or c.forward}
    assert any("/properties/name" in p or "/properties/writer" in p for p in paths), paths
    assert result.exit_code == 1
    score = next(c for c in schema.changes if c.path == "/properties/score")
    assert score.witness is not None
    assert {score.witness.accepted_by, score.witness.rejected_by} == {"legacy", "new"}
    text = render(result, "text")
    assert text.startswith(f"base {GO_REF}@HEAD~1 -> head {GO_REF}\n")
    # Both sides are Go: each description says which side it describes.
    assert "head: Go field Event.Score string" in text
    assert "base: Go field Event.Score int64" in text
    assert "/tmp" not in text.replace(str(go_repo), "")  # no temporary directory shows


def test_the_cli_reports_the_break_with_base_and_head(go_repo: Path) -> None:
    _change_go(go_repo)
    code, out, err = _cli("--against", "HEAD~1", GO_REF)
    assert code == 1, (out, err)
    assert f"base {GO_REF}@HEAD~1 -> head {GO_REF}" in out
    assert "/properties/score  TYPE_CHANGED  breaks backward and forward" in out
    assert out.rstrip().splitlines()[-1].startswith("FAIL (mode full)")
    code, markdown, _ = _cli("--against", "HEAD~1", GO_REF, "--format", "markdown")
    assert code == 1
    [row] = [
        line
        for line in markdown.splitlines()
        if line.startswith("|") and "`/properties/score`" in line
    ]
    assert f"`{GO_REF}` `/properties/score`" in row  # a reference to code has no line
    assert "(base accepts, head rejects)" in row
    assert "Described as (head): Go field Event.Score string" in row


def test_dropping_omitempty_breaks_both_ways(go_repo: Path) -> None:
    events = go_repo / "svc" / "events" / "events.go"
    events.write_text(events.read_text().replace('"score,omitempty"', '"score"'), "utf-8")
    # The working tree is the head: no commit needed. Go now always writes
    # score, a zero too: base data without score no longer fits the head
    # (backward), and the zero the base never wrote breaks base readers (forward).
    result = _gate(against="HEAD", paths=[GO_REF])
    found = {(c.kind, c.path, c.backward, c.forward) for c in result.changes}
    assert ("REQUIRED_ATTRIBUTE_ADDED", "/required", True, False) in found
    assert ("NOT_REMOVED", "/properties/score", False, True) in found  # 0 is allowed now
    assert result.exit_code == 1
    document = json.loads(render(result, "json"))
    assert document["compatible"] == {"backward": False, "forward": False}


def test_an_unchanged_struct_passes_with_no_change_at_all(go_repo: Path) -> None:
    result = _gate(against="HEAD", paths=[GO_REF])
    [schema] = result.schemas
    # Same code, same descriptions: file:line of the declarations read the same.
    assert schema.comparison.changes == []
    assert schema.legacy_schema is not None
    assert schema.new_schema is not None
    assert schema.legacy_schema.sha256 == schema.new_schema.sha256
    code, out, err = _cli("--against", "HEAD", GO_REF)
    assert (code, err) == (0, "")
    assert out.rstrip().endswith("compatible backward yes, forward yes")


def test_from_a_subdirectory_paths_are_relative_to_it(
    go_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(go_repo / "svc" / "common")
    result = _gate(against="HEAD", paths=["go:../events:Event"])
    assert result.schemas[0].comparison.changes == []
    assert result.exit_code == 0


def test_a_package_missing_at_the_ref_is_one_line_and_exit_2(go_repo: Path) -> None:
    _write(go_repo / "svc" / "fresh" / "fresh.go", "package fresh\n\ntype Event struct{}\n")
    _commit(go_repo, "a new package")
    code, out, err = _cli("--against", "HEAD~1", "go:svc/fresh:Event")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("cdccheck: error: --against HEAD~1: go:svc/fresh:Event: svc/fresh ")
    assert "does not exist at HEAD~1" in err
    with pytest.raises(ConfigError, match="svc/fresh does not exist at HEAD~1"):
        _gate(against="HEAD~1", paths=["go:svc/fresh:Event"])


def test_a_type_missing_at_the_ref_names_the_ref(go_repo: Path) -> None:
    events = go_repo / "svc" / "events" / "events.go"
    events.write_text(events.read_text() + '\ntype Added struct{ X int `json:"x"` }\n', "utf-8")
    code, _, err = _cli("--against", "HEAD", "go:svc/events:Added")
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("cdccheck: error: --against HEAD: cannot derive go:")
    assert "no type Added" in err
    assert "/tmp" not in err


def test_files_and_references_together(go_repo: Path) -> None:
    _write(go_repo / "schemas" / "x.json", '{"type": "string"}\n')
    _commit(go_repo, "a schema file")
    (go_repo / "schemas" / "x.json").write_text('{"type": "integer"}\n', encoding="utf-8")
    _change_go(go_repo)
    result = _gate(against="HEAD~1", paths=["schemas", GO_REF])
    assert [s.file for s in result.schemas] == ["schemas/x.json", GO_REF]
    assert all(s.changes for s in result.schemas)


# ---- configuration -----------------------------------------------------------------------


def test_references_listed_in_the_configuration(go_repo: Path) -> None:
    _write(
        go_repo / "cdccheck.toml",
        """\
        [gate]
        schemas = ["go:svc/events:Event"]
        """,
    )
    _change_go(go_repo)
    config = load_config()
    assert config.schemas == (GO_REF,)
    code, out, _ = _cli("--against", "HEAD~1")
    assert code == 1
    assert f"base {GO_REF}@HEAD~1 -> head {GO_REF}" in out
    assert "TYPE_CHANGED" in out


def test_configuration_in_a_parent_directory_keeps_go_paths_relative_to_it(
    go_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(go_repo / "svc" / "cdccheck.toml", '[gate]\nschemas = ["go:events:Event"]\n')
    _commit(go_repo, "configuration")
    monkeypatch.chdir(go_repo)
    config = load_config(go_repo / "svc")
    [reference] = config.schemas
    result = run_gate(resolve_request(config, against="HEAD"))
    assert result.schemas[0].file == reference
    assert result.exit_code == 0


# ---- Python ------------------------------------------------------------------------------


def _py_repo(repo: Path, module: str) -> None:
    """A consumer package ``module`` under the import root ``consumers``; one commit."""
    _write(repo / "consumers" / module / "__init__.py", "")
    _write(
        repo / "consumers" / module / "common.py",
        """\
        LIMIT = 3
        """,
    )
    _write(
        repo / "consumers" / module / "events.py",
        """\
        from dataclasses import dataclass

        from .common import LIMIT


        @dataclass
        class Event:
            op: str
            score: int
        """,
    )
    _git(repo, "init", "-q")
    _commit(repo, "base")


@pytest.fixture
def module_name(tmp_path: Path) -> str:
    """A module name no other test imports (imports in this process outlive a test)."""
    return "consumer_" + "".join(c if c.isalnum() else "_" for c in tmp_path.name)


def test_a_python_reference_is_derived_at_the_ref_in_isolation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module_name: str
) -> None:
    _py_repo(tmp_path, module_name)
    monkeypatch.chdir(tmp_path)
    events = tmp_path / "consumers" / module_name / "events.py"
    events.write_text(events.read_text().replace("score: int", "score: str"), "utf-8")
    reference = f"py:{module_name}.events:Event?unknown=forbid"
    # The head's module is imported in this process first: the base must not be served it.
    result = _gate(against="HEAD", paths=[reference], python_path=["consumers"])
    head_module = sys.modules[f"{module_name}.events"]
    [schema] = result.schemas
    assert schema.legacy == f"py:{module_name}.events:Event@HEAD?unknown=forbid"
    found = {(c.kind, c.path) for c in schema.changes}
    assert ("TYPE_CHANGED", "/properties/score") in found, found
    assert result.exit_code == 1
    # And the base was never imported here: the head's module is the one in sys.modules.
    result = _gate(against="HEAD", paths=[reference], python_path=["consumers"])
    assert sys.modules[f"{module_name}.events"] is head_module
    assert head_module.__file__ == str(events)
    assert {(c.kind, c.path) for c in result.schemas[0].changes} == found


def test_a_python_reference_from_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module_name: str
) -> None:
    _py_repo(tmp_path, module_name)
    _write(
        tmp_path / "cdccheck.toml",
        f'python-path = ["consumers"]\n\n[gate]\nschemas = ["py:{module_name}.events:Event"]\n',
    )
    _commit(tmp_path, "configuration")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CDCCHECK_PYTHON_PATH", raising=False)
    code, out, err = _cli("--against", "HEAD")
    assert (code, err) == (0, ""), out
    assert f"base py:{module_name}.events:Event@HEAD -> head py:{module_name}.events:Event" in out
    assert "no changes" in out


def test_a_python_module_missing_at_the_ref_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module_name: str
) -> None:
    _py_repo(tmp_path, module_name)
    _write(
        tmp_path / "consumers" / module_name / "later.py",
        "from typing import TypedDict\n\n\nclass Later(TypedDict):\n    x: int\n",
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli(
        "--against", "HEAD", f"py:{module_name}.later:Later", "--python-path", "consumers"
    )
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"cdccheck: error: --against HEAD: cannot import py:{module_name}")
    assert "ModuleNotFoundError" in err


def test_a_reader_function_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module_name: str
) -> None:
    _py_repo(tmp_path, module_name)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="is a real reader"):
        _gate(
            against="HEAD", paths=[f"py:{module_name}.events:dataclass"], python_path=["consumers"]
        )


# ---- pieces ------------------------------------------------------------------------------


def test_labels_put_the_ref_before_the_options() -> None:
    assert label_at_ref("go:svc/events:Event", "origin/main") == "go:svc/events:Event@origin/main"
    assert label_at_ref("py:a.b:C?unknown=forbid", "main") == "py:a.b:C@main?unknown=forbid"


@pytest.mark.parametrize("name", ["../x.go", "/etc/passwd", "a/../../b", ""])
def test_files_from_git_never_leave_the_temporary_directory(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match="not a plain relative path"):
        _safe_target(tmp_path, name)
    assert _safe_target(tmp_path, "a/b.go") == tmp_path / "a" / "b.go"


def test_annotations_name_the_reference_and_no_line(go_repo: Path) -> None:
    _change_go(go_repo)
    result = _gate(against="HEAD~1", paths=[GO_REF])
    sarif = json.loads(render(result, "sarif"))
    [run] = sarif["runs"]
    locations = [r["locations"][0]["physicalLocation"] for r in run["results"]]
    assert locations
    # SARIF lines start at 1: a schema derived from code has none, so no region at all.
    assert all("region" not in location for location in locations)
    assert {location["artifactLocation"]["uri"] for location in locations} == {
        GO_REF,
        f"{GO_REF}@HEAD~1",
    }
    annotations = [line for line in render(result, "github").splitlines() if line.startswith("::")]
    assert annotations
    assert all(",line=" not in line.partition("::")[2].partition("::")[0] for line in annotations)
    assert "::error file=go%3Asvc/events%3AEvent,title=TYPE_CHANGED::" in "\n".join(annotations)
