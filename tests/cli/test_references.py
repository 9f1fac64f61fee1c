"""References to code in every command that takes schemas, and the real reader (CliRunner).

docs/schemas-from-code.md: ``go:PATH:Type``, ``py:module:Name`` and
``py:module:function`` wherever a schema path is accepted; a bad reference is
one line and exit 2; a real reader decides its side alone, and one that
hangs or crashes is a finding, not the end of the run.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.demo import seed_stream
from cdccheck.engine.schema import document_bytes
from cdccheck.model import Entry
from cdccheck.refs import derive
from cdccheck.samples import (
    GO_MSGPACK,
    GO_NEW_DELETE_REASON,
    GO_NEW_FIELD,
    GO_NIL_AWARDS,
    GO_OMITEMPTY_SCORE,
    GO_RFC3339NANO,
    GO_ZERO_TIME,
    PY_HEX_EVENT_ID,
    samples,
)
from cdccheck.sources.corpus import write_corpus
from tests.helpers import BUNDLED_NEW, ROOT, validate_report

runner = CliRunner()
STREAM = "comments:cdc"
EXAMPLES = ROOT / "examples" / "comment"
GO_REF = "go:examples/comment/go/events:Event"
PY_REF = "py:legacy_consumer:CommentEvent?unknown=forbid"
READER_REF = "py:legacy_consumer:read_event"
PY_PATH = str(EXAMPLES / "python")
READERS = str(Path(__file__).with_name("readers"))


@pytest.fixture(autouse=True)
def _at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def _json(result: Any) -> dict[str, Any]:
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    validate_report(report)
    return report


def _groups(report: dict[str, Any], schema: str) -> dict[tuple[str, str], int]:
    return {
        (group["kind"], group["path"]): group["events"]
        for group in report["findings"]
        if group["schema"] == schema
    }


@pytest.fixture
def sample_stream(redis_client: Any) -> Counter[str]:
    """Every sample class, 4 of each, plus healthy events; returns the count per class."""
    generated = samples(per_class=4, extra_healthy=30)
    seed_stream(redis_client, STREAM, [sample.entry for sample in generated])
    return Counter(sample.sample_class for sample in generated)


# ---------------------------------------------------------------- references as schemas


def test_check_takes_references_on_both_sides() -> None:
    corpus = str(ROOT / "cdccheck" / "samples" / "comment-events.jsonl")
    report = _json(
        invoke(
            "check",
            corpus,
            "--legacy",
            PY_REF,
            "--new",
            GO_REF,
            "--python-path",
            PY_PATH,
            "--format",
            "json",
        )
    )
    legacy = derive(PY_REF, python_path=[PY_PATH]).document
    assert report["schemas"]["legacy"] == {
        "path": PY_REF,
        "sha256": hashlib.sha256(document_bytes(legacy)).hexdigest(),
    }
    assert report["schemas"]["new"]["path"] == GO_REF
    assert ("unknown_field", "/comment/collapsed_reason_code") in _groups(report, "legacy")


def test_replay_with_references_judges_as_the_code_does(
    redis_url: str, sample_stream: Counter[str]
) -> None:
    report = _json(
        invoke(
            "replay",
            "--redis-url",
            redis_url,
            "--stream",
            STREAM,
            "--legacy",
            PY_REF,
            "--new",
            GO_REF,
            "--python-path",
            PY_PATH,
            "--format",
            "json",
        )
    )
    legacy, new = _groups(report, "legacy"), _groups(report, "new")
    assert (
        legacy[("unknown_field", "/comment/collapsed_reason_code")] == sample_stream[GO_NEW_FIELD]
    )
    # Both sides' code is strict about null award lists in its own way: the consumers
    # refuse them, the Go writer view admits what a nil slice marshals to.
    assert legacy[("null_not_allowed", "/comment/awards")] == sample_stream[GO_NIL_AWARDS]
    assert ("null_not_allowed", "/comment/awards") not in new


def test_show_takes_a_reference(redis_url: str, redis_client: Any) -> None:
    [sample] = [s for s in samples(per_class=1, extra_healthy=0) if s.sample_class == GO_NEW_FIELD]
    seed_stream(redis_client, STREAM, [sample.entry])
    result = invoke(
        "show",
        sample.entry.id,
        "--redis-url",
        redis_url,
        "--stream",
        STREAM,
        "--legacy",
        PY_REF,
        "--new",
        str(BUNDLED_NEW),
        "--python-path",
        PY_PATH,
        "--format",
        "json",
    )
    assert result.exit_code == 1, result.output
    shown = json.loads(result.stdout)
    assert [(f["kind"], f["path"]) for f in shown["legacy"]["findings"]] == [
        ("unknown_field", "/comment/collapsed_reason_code")
    ]


def test_gate_takes_references() -> None:
    result = invoke(
        "gate", "--legacy", PY_REF, "--new", GO_REF, "--python-path", PY_PATH, "--format", "json"
    )
    assert result.exit_code == 1, result.output
    gated = json.loads(result.stdout)
    assert gated["compatible"] == {"backward": False, "forward": False}
    kinds = {change["kind"] for change in gated["changes"] if change["breaking"]["forward"]}
    assert "REQUIRED_ATTRIBUTE_REMOVED" in kinds


def test_gate_reads_references_from_the_configuration(tmp_path: Path) -> None:
    """go: paths in cdccheck.toml are relative to the file, py: modules found via python-path."""
    project = tmp_path / "project"
    (project / "svc").mkdir(parents=True)
    for go_file in (EXAMPLES / "go" / "events").glob("*.go"):
        (project / "svc" / go_file.name).write_text(go_file.read_text())
    (project / "consumers").mkdir()
    (project / "consumers" / "legacy_consumer.py").write_text(
        (EXAMPLES / "python" / "legacy_consumer.py").read_text()
    )
    (project / "cdccheck.toml").write_text(
        'legacy = "py:legacy_consumer:CommentEvent?unknown=forbid"\n'
        'new = "go:svc:Event"\n'
        'python-path = ["consumers"]\n'
    )
    from cdccheck.gate import load_config, resolve_request

    config = load_config(project)
    assert config.pairs == ((PY_REF, f"go:{project / 'svc'}:Event"),)
    assert config.python_path == (str(project / "consumers"),)
    request = resolve_request(config)
    assert request.python_path == (str(project / "consumers"),)
    from cdccheck.gate import run_gate

    result = run_gate(request)
    assert result.exit_code == 1
    assert any(change.kind == "SUM_TYPE_EXTENDED" for change in result.breaking)


def test_gate_refuses_a_reader_function() -> None:
    result = invoke("gate", "--legacy", READER_REF, "--new", GO_REF, "--python-path", PY_PATH)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"cdccheck: error: --legacy {READER_REF} is a real reader (a function), which has no "
        "schema: the gate has nothing to compare statically (name the type it decodes into, "
        "or check events with it in check/replay)\n"
    )


# ---------------------------------------------------------------- bad references


def _broken_go_package(tmp_path: Path) -> str:
    package = tmp_path / "broken"
    package.mkdir()
    (package / "events.go").write_text(
        'package broken\n\ntype Event struct {\n\tID string `json:"id"`\n'
    )
    return f"go:{package}:Event"


BAD = {
    "missing file": ("go:no/such/dir:Event", "cannot read go:no/such/dir:Event: no/such/dir: "),
    "unknown type": (
        "go:examples/comment/go/events:Nope",
        "cannot derive go:examples/comment/go/events:Nope: no type Nope in package events",
    ),
    "Go syntax error": ("broken", "syntax error"),
    "no module": ("py:no_such_module:Event", "cannot import py:no_such_module:Event: "),
    "import error": (
        "py:broken_import:Event",
        "cannot import py:broken_import:Event: RuntimeError: the consumer's settings are missing",
    ),
    "neither type nor callable": ("py:misbehaving:NOT_CALLABLE", "is neither a type"),
    "no type name": ("go:examples/comment/go/events", "bad reference"),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("command", ["schema derive", "check", "gate"])
def test_a_bad_reference_is_one_line_and_exit_2(command: str, case: str, tmp_path: Path) -> None:
    reference, words = BAD[case]
    if reference == "broken":
        reference = _broken_go_package(tmp_path)
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, [Entry("1-0", {"payload": b"{}"})])
    args = {
        "schema derive": ["schema", "derive", reference],
        "check": ["check", str(corpus), "--legacy", reference, "--new", GO_REF],
        "gate": ["gate", "--legacy", GO_REF, "--new", reference],
    }[command]
    result = invoke(*args, "--python-path", READERS)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("cdccheck: error: ")
    assert words in line


# ---------------------------------------------------------------- the real reader


def test_the_real_reader_refuses_gos_nanosecond_timestamps(
    redis_url: str, sample_stream: Counter[str]
) -> None:
    report = _json(
        invoke(
            "replay",
            "--redis-url",
            redis_url,
            "--stream",
            STREAM,
            "--legacy",
            READER_REF,
            "--new",
            str(BUNDLED_NEW),
            "--python-path",
            PY_PATH,
            "--format",
            "json",
            "--samples",
            "1",
        )
    )
    assert report["schemas"]["legacy"]["path"] == READER_REF
    groups = {(g["kind"], g["path"]): g for g in report["findings"] if g["schema"] == "legacy"}
    # Where each defect class trips the consumers' decode step, and nothing else does.
    assert {path: g["events"] for (_, path), g in groups.items()} == {
        "/emitted_at": sample_stream[GO_RFC3339NANO],
        "/comment/edited_at": sample_stream[GO_ZERO_TIME],
        "/reason": sample_stream[GO_NEW_DELETE_REASON],
        "/event_id": sample_stream[PY_HEX_EVENT_ID],
        # Cls(**payload) refuses an unknown key and a missing one; a null list is not
        # iterable; MessagePack is not JSON: exceptions about the payload as a whole.
        "": sample_stream[GO_NEW_FIELD]
        + sample_stream[GO_OMITEMPTY_SCORE]
        + sample_stream[GO_NIL_AWARDS]
        + sample_stream[GO_MSGPACK],
    }
    assert {kind for kind, _ in groups} == {"reader_rejected"}
    nano = groups[("reader_rejected", "/emitted_at")]
    assert nano["by_writer"] == {"go-comments": sample_stream[GO_RFC3339NANO]}
    [sample] = nano["samples"]
    # The message names the exception; the refused value shows as its shape.
    assert sample["message"].startswith("Rejected: Invalid isoformat string: dddd-dd-ddTdd:dd:dd.")
    assert sample["message"].endswith("Z")
    assert "2026" not in sample["message"]
    assert report["by_writer"]["py-monolith"]["legacy_invalid"] == sample_stream[PY_HEX_EVENT_ID]


def test_a_hanging_and_a_crashing_reader_are_findings(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    payloads = [b'{"id": 1}', b'{"hang": true}', b'{"crash": true}', b"{}", b'{"id": 2}']
    write_corpus(
        corpus,
        [Entry(f"{i}-0", {"payload": p, "writer": b"w"}) for i, p in enumerate(payloads, 1)],
    )
    allow_all = tmp_path / "any.json"
    allow_all.write_text("{}")
    result = invoke(
        "check",
        str(corpus),
        "--legacy",
        "py:misbehaving:read",
        "--new",
        str(allow_all),
        "--python-path",
        READERS,
        "--reader-timeout",
        "1",
        "--format",
        "json",
        "--events-out",
        str(tmp_path / "events.jsonl"),
    )
    report = _json(result)
    assert result.exit_code == 1
    assert report["totals"]["events"] == 5
    assert report["totals"]["legacy_invalid"] == 3
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    verdicts = {line["id"]: line["legacy"] for line in lines}
    assert verdicts["1-0"] == {"valid": True, "findings": []}
    assert verdicts["5-0"] == {"valid": True, "findings": []}
    [hang] = verdicts["2-0"]["findings"]
    assert hang["kind"] == "reader_rejected"
    assert hang["path"] == ""
    assert hang["message"] == "TimeoutError: the reader took longer than 1 s (stopped)"
    [crash] = verdicts["3-0"]["findings"]
    assert crash["message"] == "ReaderCrashed: the reader's process died (exit code 7)"
    [missing] = verdicts["4-0"]["findings"]
    assert missing["message"] == "KeyError: 'id'"


def test_a_pydantic_model_decides_its_side_with_its_own_validation(tmp_path: Path) -> None:
    """Lax coercions pass, validators and extra keys refuse; the widened schema finds nothing."""
    refs_tests = str(ROOT / "tests" / "refs")
    corpus = tmp_path / "orders.jsonl"
    order = {"id": "0d9a4c4e-3c51-4f1b-9a57-5f0e5a1c2b3d", "at": "2026-01-28T12:00:00Z"}
    payloads = [
        {**order, "lines": [{"n": "5"}]},  # "5" for an int: lax mode takes it
        {**order, "lines": [{"n": 1}] * 4},  # the field validator refuses
        {**order, "lines": [{"n": "x"}]},
        {**order, "lines": [], "coupon": "X"},  # extra="forbid"
    ]
    write_corpus(
        corpus,
        [
            Entry(f"{i}-0", {"payload": json.dumps(p).encode(), "writer": b"w"})
            for i, p in enumerate(payloads, 1)
        ],
    )
    result = invoke(
        "check",
        str(corpus),
        "--legacy",
        "py:pydantic_types:Order",
        "--new",
        "py:pydantic_types:Order",
        "--python-path",
        refs_tests,
        "--format",
        "json",
        "--events-out",
        str(tmp_path / "events.jsonl"),
        "--quiet",
    )
    _json(result)
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    found = {
        line["id"]: [(f["kind"], f["path"]) for f in line["legacy"]["findings"]] for line in lines
    }
    assert found == {
        "1-0": [],
        "2-0": [("reader_rejected", "/lines")],
        "3-0": [("reader_rejected", "/lines/0/n")],
        "4-0": [("reader_rejected", "/coupon")],
    }
    assert all(line["new"] == line["legacy"] for line in lines)


def test_the_gate_compares_a_pydantic_models_widened_schema_and_says_where() -> None:
    refs_tests = str(ROOT / "tests" / "refs")
    ref = "py:pydantic_types:Order"
    result = invoke("gate", "--legacy", ref, "--new", ref, "--python-path", refs_tests)
    assert result.exit_code == 0, result.output
    warnings = result.stderr.splitlines()
    assert warnings
    assert all(line.startswith("cdccheck: warning: Order") for line in warnings)
    assert any("widened" in line for line in warnings)
    assert any("not_too_many" in line for line in warnings)


def test_hints_read_a_reference_again_when_the_code_is_unchanged() -> None:
    from cdccheck.engine.schema import load_schema
    from cdccheck.hints import SchemaFacts

    digest = load_schema(GO_REF, name="new").sha256
    facts = SchemaFacts.from_report({"new": {"path": GO_REF, "sha256": digest}})
    assert facts is not None
    declared = facts.declared("new", "/comment/created_at")
    assert declared is not None
    assert declared.formats == {"date-time"}
    assert SchemaFacts.from_report({"new": {"path": GO_REF, "sha256": "0" * 64}}) is None


def test_consume_runs_the_real_reader_and_logs_what_is_widened(
    redis_url: str, sample_stream: Counter[str], tmp_path: Path
) -> None:
    package = tmp_path / "svc"
    package.mkdir()
    (package / "events.go").write_text(
        'package svc\n\nimport "encoding/json"\n\n'
        'type Event struct {\n\tOp string `json:"op"`\n\tRest json.RawMessage `json:"comment"`\n}\n'
    )
    report = tmp_path / "report.json"
    result = invoke(
        "consume",
        "--redis-url",
        redis_url,
        "--stream",
        STREAM,
        "--start-id",
        "0",
        "--block-ms",
        "50",
        "--until-idle",
        "0.5",
        "--log-format",
        "json",
        "--legacy",
        READER_REF,
        "--new",
        f"go:{package}:Event",
        "--python-path",
        PY_PATH,
        "--report",
        str(report),
    )
    assert result.exit_code == 1, result.output
    logged = [json.loads(line) for line in result.stderr.splitlines()]
    [widened] = [line for line in logged if line["msg"].startswith("schema derived from code")]
    assert widened["level"] == "warning"
    assert "Event.Rest" in widened["where"]
    written = json.loads(report.read_text())
    assert written["schemas"]["legacy"]["path"] == READER_REF
    groups = _groups(written, "legacy")
    assert groups[("reader_rejected", "/emitted_at")] == sample_stream[GO_RFC3339NANO]
