"""The witness search: what it finds, and that it writes nothing (issue 11, defect 7)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cdccheck.gate.schemaview import make_doc
from cdccheck.gate.witness import Attempt, Searcher, Site

pytest.importorskip("hypothesis_jsonschema")

REPO = Path(__file__).resolve().parents[2]

# Strings only the search finds: the attempt offers no constructed candidate, and a
# string strategy makes hypothesis build its Unicode tables (which it caches on disk).
LEGACY = {"type": "string", "minLength": 3}
NEW = {"type": "string", "minLength": 3, "not": {"pattern": "^[a-z]"}}

_SEARCH = """
import json, sys
from cdccheck.gate.schemaview import make_doc
from cdccheck.gate.witness import Attempt, Searcher, Site

legacy, new = json.loads(sys.argv[1]), json.loads(sys.argv[2])
docs = {"legacy": make_doc(legacy, role="legacy", origin="legacy"),
        "new": make_doc(new, role="new", origin="new")}
searcher = Searcher(docs, budget_s=10.0)
attempt = Attempt(Site(None, None, (docs["legacy"].root,)), "legacy", list, docs["new"].root)
witness = searcher.find([attempt])
print(json.dumps(None if witness is None else witness.instance))
"""


def _searcher(legacy: object, new: object) -> Searcher:
    docs = {
        "legacy": make_doc(legacy, role="legacy", origin="legacy"),
        "new": make_doc(new, role="new", origin="new"),
    }
    return Searcher(docs, budget_s=10.0)


def test_the_search_writes_nothing_in_the_working_directory(tmp_path: Path) -> None:
    """Regression: hypothesis left `.hypothesis/` (its caches) wherever `gate` ran.

    A fresh interpreter, as `cdccheck gate` is: hypothesis picks its storage
    directory from the working directory when it is first imported.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPOTHESIS_")}
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    run = subprocess.run(
        [sys.executable, "-c", _SEARCH, json.dumps(LEGACY), json.dumps(NEW)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert isinstance(found, str), "the search found nothing: the test would prove nothing"
    assert len(found) >= 3
    assert re.match("[a-z]", found)
    assert os.listdir(tmp_path) == []


def test_the_search_leaves_hypothesis_storage_as_it_found_it() -> None:
    """A program that uses hypothesis itself keeps its own storage setting."""
    from hypothesis.configuration import storage_directory

    before = storage_directory(intent_to_write=False).home_directory
    searcher = _searcher({"type": "integer"}, {"type": "integer", "maximum": 3})
    root = searcher.docs["legacy"].root
    attempt = Attempt(Site(None, None, (root,)), "legacy", list, searcher.docs["new"].root)
    witness = searcher.find([attempt])
    assert witness is not None
    assert witness.instance > 3
    assert storage_directory(intent_to_write=False).home_directory == before
