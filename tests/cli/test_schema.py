"""`cdccheck schema derive` and `cdccheck schema infer` (docs/schemas-from-code.md)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.demo import demo_entries, seed_stream
from cdccheck.engine.schema import bundled_schema_path, load_schema
from cdccheck.samples import SAMPLE_CORPUS
from tests.helpers import ROOT, validate_report

runner = CliRunner()
STREAM = "comments:cdc"
EXAMPLES = ROOT / "examples" / "comment"
GO_REF = "go:examples/comment/go/events:Event"
PY_REF = "py:legacy_consumer:CommentEvent?unknown=forbid"
PY_PATH = str(EXAMPLES / "python")


@pytest.fixture(autouse=True)
def _at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # go: references in these tests are relative to the repository


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


# ---------------------------------------------------------------- derive


def test_derive_go_prints_the_writer_view() -> None:
    result = invoke("schema", "derive", GO_REF)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert list(document["properties"]) == [
        "op",
        "event_id",
        "emitted_at",
        "comment",
        "comment_id",
        "field",
        "delta",
        "reason",
    ]
    comment = document["$defs"]["Comment"]
    assert comment["properties"]["score"]["description"] == (
        'Go field Comment.Score int64, `json:"score,omitempty"`; omitted when empty.'
    )
    assert comment["properties"]["awards"]["type"] == ["array", "null"]
    assert result.stderr == ""  # nothing widened: time.Time is known exactly


def test_derive_is_stable_and_its_file_has_the_references_digest(tmp_path: Path) -> None:
    out = tmp_path / "new.json"
    result = invoke("schema", "derive", GO_REF, "-o", str(out), "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    again = invoke("schema", "derive", GO_REF)
    assert again.stdout.encode() == out.read_bytes()
    loaded = load_schema(GO_REF, name="new")
    assert loaded.path == GO_REF
    assert loaded.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert load_schema(out, name="new").document == loaded.document


def test_derive_py_prints_the_reader_view() -> None:
    result = invoke("schema", "derive", PY_REF, "--python-path", PY_PATH)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["additionalProperties"] is False
    assert document["required"] == ["op", "event_id", "emitted_at"]
    assert document["properties"]["reason"]["enum"] == [
        "deleted_by_user",
        "removed_by_moderator",
        "spam",
    ]
    assert (
        "Python attribute CommentEvent.comment_id"
        in (document["properties"]["comment_id"]["description"])
    )


def test_derive_takes_the_import_root_from_the_environment() -> None:
    result = invoke("schema", "derive", PY_REF, env={"CDCCHECK_PYTHON_PATH": f"/nowhere:{PY_PATH}"})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == "CommentEvent: what its decoder accepts"


def test_derive_prints_a_schema_file_unchanged() -> None:
    path = bundled_schema_path("legacy")
    result = invoke("schema", "derive", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.encode() == path.read_bytes()


def test_derive_checks_a_schema_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": 5}')
    result = invoke("schema", "derive", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith("cdccheck: error: invalid schema")
    assert result.stdout == ""


def test_derive_refuses_a_reader_function() -> None:
    result = invoke("schema", "derive", "py:legacy_consumer:read_event", "--python-path", PY_PATH)
    assert result.exit_code == 2
    assert result.stderr == (
        "cdccheck: error: py:legacy_consumer:read_event is a real reader (a function): it has "
        "no schema to print (name the type it decodes into)\n"
    )


def test_derive_warns_where_the_schema_is_wider(tmp_path: Path) -> None:
    package = tmp_path / "svc"
    package.mkdir()
    (package / "events.go").write_text(
        'package svc\n\nimport "encoding/json"\n\n'
        "type Event struct {\n"
        '\tID   string          `json:"id"`\n'
        '\tBody json.RawMessage `json:"body"`\n'
        "}\n"
    )
    result = invoke("schema", "derive", f"go:{package}:Event")
    assert result.exit_code == 0, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("cdccheck: warning: ")
    assert "Event.Body" in line
    quiet = invoke("schema", "derive", f"go:{package}:Event", "--quiet")
    assert quiet.stderr == ""


def test_the_console_script_derives() -> None:
    script = Path(sys.executable).with_name("cdccheck")
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    done = subprocess.run(
        [str(script), "schema", "derive", GO_REF],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["$defs"]["Award"]["required"] == ["name", "count"]


# ---------------------------------------------------------------- infer


def test_infer_a_corpus_then_check_it_finds_nothing(tmp_path: Path) -> None:
    inferred = tmp_path / "inferred.json"
    result = invoke("schema", "infer", str(SAMPLE_CORPUS), "-o", str(inferred))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in SAMPLE_CORPUS.read_text().splitlines()]
    assert (
        result.stderr
        == f"inferred to {inferred} from {len(lines) - 36:,} events, 36 undecodable left out\n"
    )
    document = json.loads(inferred.read_text())
    assert document["properties"]["op"]["enum"] == ["create", "delete", "increment", "update"]
    checked = invoke(
        "check",
        str(SAMPLE_CORPUS),
        "--legacy",
        str(inferred),
        "--new",
        str(inferred),
        "--format",
        "json",
    )
    report = json.loads(checked.stdout)
    validate_report(report)
    assert report["totals"]["legacy_invalid"] == report["totals"]["new_invalid"] == 0
    assert {group["schema"] for group in report["findings"]} == {"wire"}


def test_infer_needs_a_source() -> None:
    result = invoke("schema", "infer")
    assert result.exit_code == 2
    assert result.stderr == (
        "cdccheck: error: nothing to infer from: pass corpus files or --stream KEY\n"
    )


def test_infer_with_no_event_of_the_writer_is_a_usage_error() -> None:
    result = invoke("schema", "infer", str(SAMPLE_CORPUS), "--writer", "nobody")
    assert result.exit_code == 2
    assert "no events from writer 'nobody'" in result.stderr


def test_infer_the_legacy_writer_on_the_demo_stream_then_replay_against_it(
    redis_url: str, redis_client: Any, tmp_path: Path
) -> None:
    """The key use: what the Python writer always wrote, against what the Go writer writes."""
    seed_stream(redis_client, STREAM, demo_entries(3000))
    inferred = tmp_path / "legacy-inferred.json"
    result = invoke(
        "schema",
        "infer",
        "--redis-url",
        redis_url,
        "--stream",
        STREAM,
        "--writer",
        "py-monolith",
        "-o",
        str(inferred),
    )
    assert result.exit_code == 0, result.output
    assert "of other writers" in result.stderr
    replayed = invoke(
        "replay",
        "--redis-url",
        redis_url,
        "--stream",
        STREAM,
        "--legacy",
        str(inferred),
        "--new",
        GO_REF,
        "--format",
        "json",
    )
    report = json.loads(replayed.stdout)
    validate_report(report)
    assert report["schemas"]["new"]["path"] == GO_REF
    by_writer = report["by_writer"]
    assert by_writer["py-monolith"]["legacy_invalid"] == 0
    assert by_writer["go-comments"]["legacy_invalid"] > 0
    drift = {(g["kind"], g["path"]) for g in report["findings"] if g["schema"] == "legacy"}
    # Go's RFC3339Nano timestamps are not the rendering the Python writer always used.
    assert ("constraint", "/emitted_at") in drift
