"""The bundled example pair, derived from code, breaks where the hand-written pair breaks.

``gate --legacy py:legacy_consumer:CommentEvent?unknown=forbid --new
go:examples/comment/go/events:Event`` against ``gate --legacy
schemas/comment/legacy.json --new schemas/comment/new.json``: each change is
placed in the event (the instance paths its schema location governs, so a
``$defs/timestamp`` shared by two properties is both of them) and compared
as (kind, place, direction). The hand-written new.json is the Go readers'
contract; the derived side is what encoding/json writes, which is more
exact in three spots, listed below with the reason: nothing else may differ.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.engine.schema import bundled_schema_path
from cdccheck.gate import GateRequest, run_gate
from cdccheck.gate.run import GateResult
from tests.refs.conftest import EXAMPLES, REPO

PY_PATH = str(EXAMPLES / "python")
LEGACY_REF = "py:legacy_consumer:CommentEvent?unknown=forbid"
NEW_REF = f"go:{(EXAMPLES / 'go' / 'events').relative_to(REPO)}:Event"

Triple = tuple[str, str, str]
"""(change kind, instance path, direction it breaks)."""

REFINED = {
    "PATTERN_REMOVED": "PATTERN_CHANGED",
    "ENUM_ARRAY_EXTENDED": "ENUM_ARRAY_REMOVED",
}
"""Hand-written kind -> the kind of the same break at the same place, derived.

time.Time writes one exact RFC 3339 rendering, a pattern (new.json says only
date-time); a Go string type has no closed set of values, so the four
reasons new.json lists are any non-empty string."""

EXTRA: dict[Triple, str] = {
    ("SUM_TYPE_EXTENDED", "/comment/awards", "forward"): "a nil []Award marshals to null",
    ("NOT_ADDED", "/comment/score", "backward"): "omitempty: Go never writes a zero score",
    ("NOT_ADDED", "/delta", "backward"): "omitempty: Go never writes a zero delta",
    ("PATTERN_CHANGED", "/emitted_at", "backward"): "3.10 reads a space and no offset; Go never",
    ("PATTERN_CHANGED", "/comment/created_at", "backward"): "as for emitted_at",
    ("PATTERN_CHANGED", "/comment/edited_at", "backward"): "as for emitted_at",
}
"""Breaks only the writer view shows, each a fact of encoding/json that new.json leaves out."""


def _governed(document: Any) -> dict[str, set[str]]:
    """Schema pointer -> the instance paths (``*`` for array items) that subschema applies to."""
    out: dict[str, set[str]] = defaultdict(set)

    def resolve(pointer: str) -> Any:
        node = document
        for token in pointer.split("/")[1:]:
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node

    def walk(node: Any, pointer: str, instance: str, depth: int) -> None:
        if not isinstance(node, dict) or depth > 16:
            return
        out[pointer].add(instance)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            walk(resolve(ref[1:]), ref[1:], instance, depth + 1)
        for name, sub in (node.get("properties") or {}).items():
            walk(sub, f"{pointer}/properties/{name}", f"{instance}/{name}", depth + 1)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{pointer}/items", f"{instance}/*", depth + 1)
        for keyword in ("anyOf", "oneOf", "allOf"):
            for i, sub in enumerate(node.get(keyword) or ()):
                walk(sub, f"{pointer}/{keyword}/{i}", instance, depth + 1)
        for keyword in ("then", "else"):
            walk(node.get(keyword), f"{pointer}/{keyword}", instance, depth + 1)

    walk(document, "", "", 0)
    return out


def _triples(result: GateResult) -> set[Triple]:
    [compared] = result.schemas
    assert compared.legacy_schema is not None
    assert compared.new_schema is not None
    maps = {
        compared.legacy_schema.path: _governed(compared.legacy_schema.document),
        compared.new_schema.path: _governed(compared.new_schema.document),
    }
    found: set[Triple] = set()
    for change in result.breaking:
        assert change.proven, f"{change.kind} at {change.path}: no witness"
        governed = maps[change.location.file]
        tokens = change.path.split("/")
        # The nearest enclosing schema the walk reached (a keyword's pointer is not one).
        while "/".join(tokens) not in governed:
            tokens.pop()
        for place in governed["/".join(tokens)]:
            for direction in ("backward", "forward"):
                if getattr(change, direction):
                    found.add((change.kind, place, direction))
    return found


def _gate(legacy: str, new: str) -> GateResult:
    return run_gate(GateRequest(pairs=((legacy, new),), python_path=(PY_PATH,)))


@pytest.fixture(scope="module")
def hand_written() -> GateResult:
    return _gate(str(bundled_schema_path("legacy")), str(bundled_schema_path("new")))


@pytest.fixture(scope="module")
def derived(monkeypatch_module: Any) -> GateResult:
    return _gate(LEGACY_REF, NEW_REF)


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)  # the go: reference is relative to the repository, as in the README
        yield patch


def test_the_hand_written_pair_has_its_nine(hand_written: GateResult) -> None:
    assert len(hand_written.breaking) == 9
    assert all(change.proven for change in hand_written.breaking)


def test_the_derived_pair_breaks_where_the_hand_written_pair_breaks(
    hand_written: GateResult, derived: GateResult
) -> None:
    expected = {
        (REFINED.get(kind, kind), place, way) for kind, place, way in _triples(hand_written)
    }
    assert len(expected) == 13  # the nine changes, placed: timestamps and int64 are shared
    assert _triples(derived) == expected | set(EXTRA)
    assert derived.exit_code == hand_written.exit_code == 1
    assert derived.compatible == hand_written.compatible == {"backward": False, "forward": False}


def test_the_gate_names_the_go_field_and_the_python_attribute(monkeypatch_module: Any) -> None:
    result = CliRunner().invoke(
        app, ["gate", "--legacy", LEGACY_REF, "--new", NEW_REF, "--python-path", PY_PATH]
    )
    assert result.exit_code == 1, result.output
    text = result.stdout
    assert f"legacy {LEGACY_REF} -> new {NEW_REF}" in text
    assert (
        "CommentEvent /$defs/Comment/required  REQUIRED_ATTRIBUTE_REMOVED  breaks forward" in text
    )
    assert "Python attribute Comment.score: int." in text
    assert 'Go field Comment.Score int64, `json:"score,omitempty"`; omitted when empty.' in text
    assert 'Go field Event.Reason Reason, `json:"reason,omitempty"`' in text
    assert "16 breaking change(s), 16 proven" in text
    assert "warning" not in result.stderr  # time.Time is known exactly: nothing widened
