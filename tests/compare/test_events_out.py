"""--events-out for compare: one JSON line per pair (and per unpaired event), written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cdccheck.compare import CompareEventsWriter, run_compare
from cdccheck.errors import ConfigError
from tests.compare.support import entries, entry


def test_lines_are_written_complete_and_redacted(tmp_path: Path) -> None:
    primary = [
        entry("1-0", {"k": "a", "body": "private words", "l": [1, 2]}),
        entry("2-0", {"k": "b"}),
        entry("3-0", b"NaN"),
        entry("4-0", {"nokey": True}),
    ]
    candidate = entries([("1-1", {"k": "a", "body": "other words", "l": [1]}), ("5-0", {"k": "c"})])
    path = tmp_path / "out" / "pairs.jsonl"
    with CompareEventsWriter(path) as writer:
        run_compare(primary, candidate, key=["/k"], events_out=writer)
        assert not path.exists()  # appears only when complete
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert writer.lines == len(lines) == 5
    assert "private words" not in path.read_text()
    by_result = {line["result"]: line for line in lines}
    differing = by_result["differing"]
    assert (differing["primary_id"], differing["candidate_id"]) == ("1-0", "1-1")
    assert "key" not in differing
    assert {(d["kind"], d["path"]) for d in differing["diffs"]} == {
        ("value_changed", "/body"),
        ("length_changed", "/l"),
    }
    assert differing["diffs"][0]["primary"] == {
        "type": "string",
        "length": 13,
        "shape": "<text, 13 chars>",
    }
    assert by_result["missing_in_candidate"]["primary_id"] == "2-0"
    assert by_result["extra_in_candidate"]["candidate_id"] == "5-0"
    assert by_result["undecodable"]["side"] == "primary"
    assert "NaN" in by_result["undecodable"]["message"]
    assert by_result["unkeyed"]["path"] == "/k"


def test_show_values_writes_values_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    with CompareEventsWriter(path) as writer:
        run_compare(
            entries([("1-0", {"k": 7, "v": "x"})]),
            entries([("1-0", {"k": 7.0, "v": "y"})]),
            key=["/k"],
            events_out=writer,
            show_values=True,
        )
    (line,) = [json.loads(text) for text in path.read_text().splitlines()]
    assert line["key"] == [7]
    assert line["diffs"][0]["candidate"] == {
        "type": "string",
        "length": 1,
        "shape": "<string, 1 char, ascii>",
        "value": "y",
    }


def test_an_unwritable_place_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="cannot write"):
        CompareEventsWriter(blocker / "pairs.jsonl")
