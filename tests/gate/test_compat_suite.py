"""Soundness against the official JSON-Schema-Test-Suite (read from ../shared, never copied).

Schemas of one test file are compared pairwise. Whenever cdccheck calls a
direction compatible, every test instance the source schema accepts (by
python-jsonschema, the reference) must be accepted by the target schema too.
A schema compared with itself must be compatible both ways. To stay fast the
test takes the first groups of each file.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from cdccheck.gate.compat import compare_documents
from cdccheck.gate.kinds import KINDS
from tests.gate.support import shared_dir, validator_for_document
from tests.helpers import missing_data

GROUPS_PER_FILE = 4
# Remote references (localhost:1234, metaschemas): cdccheck refuses them when loading.
SKIPPED_FILES = {"refRemote.json", "vocabulary.json", "ref.json", "dynamicRef.json", "defs.json"}


def _suite() -> Path:
    directory = shared_dir() / "external" / "json-schema-test-suite" / "tests"
    if not directory.is_dir():
        missing_data(f"JSON-Schema-Test-Suite not found at {directory} (set CDCCHECK_SHARED)")
    return directory


def _groups(path: Path, draft: str) -> list[tuple[str, Any, Any, list[Any]]]:
    groups = []
    for group in json.loads(path.read_text(encoding="utf-8"))[:GROUPS_PER_FILE]:
        schema = group["schema"]
        validator = validator_for_document(schema, draft)
        instances = [test["data"] for test in group["tests"]]
        groups.append((group["description"], schema, validator, instances))
    return groups


def _accepts(validator: Any, instance: Any) -> bool:
    try:
        return bool(validator.is_valid(instance))
    except Exception:  # the reference cannot decide (e.g. a pattern Python cannot compile)
        return False


@pytest.mark.parametrize(("folder", "draft"), [("draft2020-12", "2020-12"), ("draft7", "draft-07")])
def test_compatible_claims_hold_on_the_suite_instances(folder: str, draft: str) -> None:
    files = sorted((_suite() / folder).glob("*.json"))
    claims = 0
    wrong = []
    kinds: set[str] = set()
    for path in files:
        if path.name in SKIPPED_FILES:
            continue
        groups = _groups(path, draft)
        for (name_a, a, valid_a, data_a), (name_b, b, valid_b, data_b) in itertools.product(
            groups, groups
        ):
            comparison = compare_documents(a, b, draft=draft, witnesses=False)
            kinds.update(c.kind for c in comparison.changes)
            if a is b:
                assert comparison.backward, f"{path.name}: {name_a!r} against itself"
                assert comparison.forward, f"{path.name}: {name_a!r} against itself"
            for holds, source, target in (
                (comparison.backward, valid_a, valid_b),
                (comparison.forward, valid_b, valid_a),
            ):
                if not holds:
                    continue
                claims += 1
                for instance in data_a + data_b:
                    if _accepts(source, instance) and not _accepts(target, instance):
                        wrong.append(f"{path.name}: {name_a!r} vs {name_b!r}: {instance!r}")
    assert claims > 250
    assert not wrong, "\n".join(wrong[:20])
    # Every kind the suite's schemas make the comparison report is explained.
    assert len(kinds) > 40
    assert kinds <= KINDS.keys(), sorted(kinds - KINDS.keys())
