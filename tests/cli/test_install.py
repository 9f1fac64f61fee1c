"""`pip install .` (not editable) gives a working cdccheck with its bundled schemas (issue 11).

No package is published: the README says to install from the repository.
The wheel built from a checkout must carry the bundled schemas and the
sample corpus, and an installed copy must find them without the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow  # builds a wheel (pip fetches the build backend once)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The wheel built from this checkout, and a directory it is installed into."""
    where = tmp_path_factory.mktemp("install")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if built.returncode != 0:
        pytest.fail(f"pip wheel failed: {built.stderr[-2000:]}")
    [wheel] = where.glob("cdccheck-*.whl")
    target = where / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), wheel],
        check=True,
        capture_output=True,
    )
    return wheel, target


def test_the_wheel_carries_the_bundled_schemas_and_samples(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "cdccheck/_bundled_schemas/comment/legacy.json",
        "cdccheck/_bundled_schemas/comment/new.json",
        "cdccheck/_bundled_schemas/report.schema.json",
        "cdccheck/samples/comment-events.jsonl",
    } <= names
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)


def _run_installed(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # The installed copy comes first on the path; cwd is not the checkout, so the
    # checkout's cdccheck/ and schemas/ cannot be found by accident.
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


def test_the_installed_copy_runs_and_loads_its_bundled_schemas(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    _, target = installed
    probe = (
        "import cdccheck, cdccheck.schema as s; "
        "p = s.bundled_schema_path('legacy'); "
        "s.load_schema(p, name='legacy'); s.load_schema(s.bundled_schema_path('new'), name='new'); "
        "print(cdccheck.__file__); print(p)"
    )
    done = _run_installed(target, "-c", probe, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    module, schema = done.stdout.splitlines()
    assert Path(module).is_relative_to(target)
    assert Path(schema) == target / "cdccheck" / "_bundled_schemas" / "comment" / "legacy.json"
    help_text = _run_installed(target, "-m", "cdccheck", "demo", "--help", cwd=tmp_path)
    assert help_text.returncode == 0, help_text.stderr
    assert "Usage: python -m cdccheck demo" in help_text.stdout
    from cdccheck.samples import SAMPLE_CORPUS

    schemas = target / "cdccheck" / "_bundled_schemas" / "comment"
    checked = _run_installed(
        target,
        *("-m", "cdccheck", "check", str(target / "cdccheck/samples/comment-events.jsonl")),
        *("--legacy", str(schemas / "legacy.json"), "--new", str(schemas / "new.json")),
        *("-f", "json"),
        cwd=tmp_path,
    )
    assert checked.returncode == 1, checked.stderr  # the sample corpus has findings
    assert '"events": ' in checked.stdout
    assert (
        SAMPLE_CORPUS.read_bytes()
        == (target / "cdccheck/samples/comment-events.jsonl").read_bytes()
    )
