"""Deriving references in a fresh interpreter (cdccheck.refs.fresh), as ``gate --against`` does."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest

from cdccheck.errors import ConfigError
from cdccheck.refs import derive
from cdccheck.refs.fresh import derive_elsewhere


def _module(root: Path, name: str, body: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.py").write_text(textwrap.dedent(body), encoding="utf-8")


@pytest.fixture
def name(tmp_path: Path) -> str:
    """A module name unique to the test (nothing of it may reach this process)."""
    return "fresh_" + "".join(c if c.isalnum() else "_" for c in tmp_path.name)


def test_the_same_document_as_in_process_and_nothing_imported_here(
    tmp_path: Path, name: str
) -> None:
    _module(
        tmp_path / "roots",
        name,
        """\
        from dataclasses import dataclass

        print("a module that talks at import")  # must not garble the answer


        @dataclass
        class Event:
            op: str
            score: int = 0
        """,
    )
    reference = f"py:{name}:Event"
    [found] = derive_elsewhere([reference], directory=tmp_path, python_path=[tmp_path / "roots"])
    assert name not in sys.modules
    assert found.source == reference
    assert found.document == derive(reference, python_path=[tmp_path / "roots"]).document


def test_the_directory_is_an_import_root(tmp_path: Path, name: str) -> None:
    _module(tmp_path, name, "from typing import TypedDict\n\nclass E(TypedDict):\n    x: int\n")
    [found] = derive_elsewhere([f"py:{name}:E"], directory=tmp_path)
    assert found.document is not None
    assert found.document["required"] == ["x"]


def test_an_import_error_is_the_references_one_line_error(tmp_path: Path, name: str) -> None:
    _module(tmp_path, name, "raise RuntimeError('no database here')\n")
    with pytest.raises(ConfigError) as caught:
        derive_elsewhere([f"py:{name}:E"], directory=tmp_path)
    assert caught.value.message == (f"cannot import py:{name}:E: RuntimeError: no database here")


def test_an_interpreter_that_dies_is_a_config_error(tmp_path: Path, name: str) -> None:
    _module(tmp_path, name, "import os\nos._exit(3)\n")
    with pytest.raises(ConfigError, match=f"deriving py:{name}:E failed: exit status 3"):
        derive_elsewhere([f"py:{name}:E"], directory=tmp_path)


def test_a_module_that_hangs_is_stopped(tmp_path: Path, name: str) -> None:
    _module(tmp_path, name, "import time\ntime.sleep(60)\n")
    with pytest.raises(ConfigError, match=re.escape("took longer than 0.5 s")):
        derive_elsewhere([f"py:{name}:E"], directory=tmp_path, time_limit=0.5)


def test_go_descriptions_are_relative_to_the_directory(tmp_path: Path) -> None:
    package = tmp_path / "svc" / "events"
    package.mkdir(parents=True)
    (package / "events.go").write_text(
        'package events\n\ntype Event struct {\n\tOp string `json:"op"`\n}\n', encoding="utf-8"
    )
    [found] = derive_elsewhere(["go:svc/events:Event"], directory=tmp_path)
    assert found.document is not None
    assert "(svc/events/events.go:3)" in found.document["description"]


def test_no_reference_starts_no_interpreter(tmp_path: Path) -> None:
    assert derive_elsewhere([], directory=tmp_path / "absent") == []
