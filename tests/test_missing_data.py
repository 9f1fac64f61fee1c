"""Conformance data outside the clone: skipped on a user's machine, a failure in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, missing_data


def test_missing_data_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no data here"):
        missing_data("no data here")


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_missing_data_fails_under_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI=true: no data here"):
        missing_data("no data here")


def _conformance_without_shared(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CDCCHECK_SHARED": str(tmp_path / "nowhere")}
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
         "tests/engine/test_conformance.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_conformance_without_shared_fails_in_ci_and_skips_elsewhere(tmp_path: Path) -> None:
    """About a thousand JSON-Schema-Test-Suite cases must not vanish silently from CI."""
    in_ci = _conformance_without_shared(tmp_path, "true")
    assert in_ci.returncode == 1, in_ci.stdout
    assert "CI=true: conformance data" in in_ci.stdout
    assert "is absent" in in_ci.stdout
    elsewhere = _conformance_without_shared(tmp_path, None)
    assert elsewhere.returncode == 0, elsewhere.stdout
    assert "is absent" in elsewhere.stdout
    assert "failed" not in elsewhere.stdout
    assert "passed" not in elsewhere.stdout
