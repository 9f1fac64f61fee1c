"""Fixtures for the schemas-from-code tests: a real Go toolchain, kept off the network.

The Go build cache and module path live under pytest's temporary directory,
never in the user's home or the repository; GOPROXY=off and no external
modules, so nothing is fetched. Without ``go`` the Go tests skip, except in
CI (CI=true), where a missing toolchain is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).parent
GO_CORPUS = HERE / "gocorpus"
REPO = HERE.parent.parent
EXAMPLES = REPO / "examples" / "comment"


@pytest.fixture(scope="session")
def go_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment every `go` command of the tests runs with."""
    go = shutil.which("go")
    if go is None:
        message = "the Go soundness tests need a Go toolchain (apt-get install golang-go)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    home = tmp_path_factory.mktemp("go")
    env = dict(os.environ)
    env.update(
        GOCACHE=str(home / "cache"),
        GOPATH=str(home / "path"),
        GOMODCACHE=str(home / "path" / "pkg" / "mod"),
        GOFLAGS="-mod=mod",
        GOPROXY="off",
        GOTOOLCHAIN="local",
        GOTELEMETRY="off",
        CGO_ENABLED="0",
        HOME=str(home),
    )
    return env


@pytest.fixture(scope="session")
def go_build(
    go_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Path, str], Path]:
    """Builds the Go command at ``module_dir/package`` once; returns the binary."""
    built: dict[tuple[Path, str], Path] = {}
    out_dir = tmp_path_factory.mktemp("go-bin")

    def build(module_dir: Path, package: str) -> Path:
        key = (module_dir, package)
        if key not in built:
            binary = out_dir / f"{module_dir.name}-{package.strip('./').replace('/', '-')}"
            result = subprocess.run(
                ["go", "build", "-o", str(binary), package],
                cwd=module_dir,
                env=go_env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert result.returncode == 0, f"go build {package} failed:\n{result.stderr}"
            built[key] = binary
        return built[key]

    return build
