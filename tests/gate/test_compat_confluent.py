"""Conformance with Confluent Schema Registry's JSON Schema diff cases.

The cases live in ../shared/external/confluent-json-schema-diff/ (Confluent
Community License): they are read from there, never copied into this
repository. Only `compatible` is a portable oracle; it is BACKWARD
compatibility original -> update, i.e. cdccheck's `Comparison.backward`.

Known disagreements, where cdccheck is stricter on purpose (a false alarm is
acceptable, a missed break is not): "Detect required array to be changed"
(required ["foo"] -> ["bar"]) is a real backward break, proven by a witness
such as {"foo": ""}, in both the draft-07 and the 2020-12 file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cdccheck.gate.compat import compare_documents
from tests.gate.support import assert_witnesses_verified, shared_dir, validator_for_document
from tests.helpers import missing_data

CASE_FILES = (
    "diff-schema-examples.json",
    "diff-schema-examples-2020-12.json",
    "diff-combined-schema-examples.json",
    "diff-combined-schema-examples-2020-12.json",
)
EXPECTED_CASES = 263


def _data_dir() -> Path:
    directory = shared_dir() / "external" / "confluent-json-schema-diff"
    if not directory.is_dir():
        missing_data(
            f"Confluent diff cases not found at {directory} "
            "(set CDCCHECK_SHARED to the shared directory that holds external/)"
        )
    return directory


def _cases() -> list[tuple[str, int, dict[str, Any]]]:
    directory = _data_dir()
    cases = []
    for name in CASE_FILES:
        # One file has a trailing comma (Java's org.json accepts it; Python's json does not).
        text = re.sub(r",(\s*[}\]])", r"\1", (directory / name).read_text(encoding="utf-8"))
        cases += [(name, i, case) for i, case in enumerate(json.loads(text))]
    return cases


def _draft(file_name: str) -> str:
    # Confluent reads documents without $schema as draft-07 in the older files.
    return "2020-12" if "2020-12" in file_name else "draft-07"


class _Summary:
    name = "cdccheck-confluent-summary"

    def __init__(self, line: str) -> None:
        self.line = line

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_sep("-", "cdccheck gate conformance")
        terminalreporter.write_line(self.line)


def test_backward_verdicts_agree_with_confluent(request: pytest.FixtureRequest) -> None:
    cases = _cases()
    assert len(cases) == EXPECTED_CASES
    agree = 0
    false_compatible = []
    disagreements = []
    witnesses = 0
    for file_name, index, case in cases:
        legacy, new = case["original_schema"], case["update_schema"]
        draft = _draft(file_name)
        comparison = compare_documents(legacy, new, draft=draft)
        witnesses += assert_witnesses_verified(
            comparison, validator_for_document(legacy, draft), validator_for_document(new, draft)
        )
        label = f"{file_name}#{index} {case['description']!r}"
        if comparison.backward == case["compatible"]:
            agree += 1
        else:
            disagreements.append(label)
        if comparison.backward and not case["compatible"]:
            false_compatible.append(label)
    share = agree / len(cases)
    summary = (
        f"Confluent conformance: {agree}/{len(cases)} backward verdicts agree ({share:.1%}); "
        f"false-compatible: {len(false_compatible)}; verified witnesses: {witnesses}; "
        f"disagreements: {'; '.join(disagreements) or 'none'}"
    )
    print(summary)
    # Also in the terminal summary, so the figure shows without -s.
    plugins = request.config.pluginmanager
    if not plugins.has_plugin(_Summary.name):
        plugins.register(_Summary(summary), _Summary.name)
    assert not false_compatible, summary
    assert share >= 0.95, summary


def test_recursive_schema_compared_with_itself_has_no_changes() -> None:
    path = _data_dir() / "recursive-schema.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    comparison = compare_documents(document, json.loads(json.dumps(document)))
    assert comparison.changes == []


def test_recursive_schema_change_deep_in_the_recursion_is_proven() -> None:
    document = json.loads((_data_dir() / "recursive-schema.json").read_text(encoding="utf-8"))
    changed = json.loads(json.dumps(document))
    changed["definitions"]["Category"]["properties"]["category_id"]["type"] = "number"
    comparison = compare_documents(document, changed)
    assert comparison.backward
    assert not comparison.forward
    [change] = comparison.changes
    assert change.kind == "TYPE_EXTENDED"
    assert change.path == "/definitions/Category/properties/category_id"
    assert change.proven
    assert_witnesses_verified(
        comparison, validator_for_document(document), validator_for_document(changed)
    )
