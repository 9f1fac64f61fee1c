"""Derive references in a fresh interpreter, in a directory of the caller's choosing.

The gate compares a reference to code with the same reference as it was at a
git ref (docs/gate.md, "Comparing against a git ref"): the files of that
commit are written to a temporary directory and derived there. Deriving
there in this process would go wrong twice over:

* a ``py:`` reference imports its module, and an imported module stays in
  ``sys.modules``: the head's derivation would be served the base's module
  (or the base's the head's), whatever the import roots say;
* a Go schema names its declarations by ``file:line`` relative to the current
  directory, which is the working tree's, not the temporary one's.

So `derive_elsewhere` starts a new interpreter whose working directory is the
temporary counterpart of the current one and whose import path holds only the
roots it is given (``PYTHONPATH`` is not inherited: the caller passes its
entries, mapped, as roots), derives there with :func:`cdccheck.refs.derive`,
and hands back the documents and warnings. Nothing it imports reaches this
process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cdccheck.errors import ConfigError
from cdccheck.refs.derived import Derived

__all__ = ["DEFAULT_TIME_LIMIT", "derive_elsewhere", "main"]

DEFAULT_TIME_LIMIT = 600.0
"""Seconds a fresh interpreter may take for all its references (a module that hangs on import)."""

# The child finds cdccheck where this process found it, after the roots it is
# given (site-packages comes first anyway for an installed cdccheck).
_BOOT = (
    "import sys; sys.path.append(sys.argv[1]); "
    "from cdccheck.refs.fresh import main; raise SystemExit(main(sys.argv[2]))"
)


def derive_elsewhere(
    references: Sequence[str],
    *,
    directory: Path,
    python_path: Sequence[str | Path] = (),
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> list[Derived]:
    """Derive each reference in a new interpreter working in ``directory``.

    ``python_path`` are the import roots (absolute, or relative to
    ``directory``); ``directory`` is one too, as the current directory is for
    :func:`cdccheck.refs.derive`. A real reader (a function) comes back with
    no document and no reader: it cannot be called from here. Raises
    ConfigError with the first reference's one-line error (a module that
    does not import, no such type), or when the interpreter dies or takes
    longer than ``time_limit`` seconds; RuntimeError for a bug in cdccheck.
    """
    if not references:
        return []
    package_root = str(Path(__file__).resolve().parents[2])
    with tempfile.TemporaryDirectory(prefix="cdccheck-derive-") as scratch:
        request = Path(scratch) / "request.json"
        answer = Path(scratch) / "answer.json"
        request.write_text(
            json.dumps(
                {
                    "references": list(references),
                    "python_path": [str(p) for p in python_path],
                    "answer": str(answer),
                }
            ),
            encoding="utf-8",
        )
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        environment["PYTHONDONTWRITEBYTECODE"] = "1"  # the directory is thrown away
        try:
            run = subprocess.run(
                # -P: no implicit first entry on sys.path; the roots say where imports come from.
                [sys.executable, "-P", "-c", _BOOT, package_root, str(request)],
                cwd=directory,
                env=environment,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=time_limit,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ConfigError(
                f"deriving {', '.join(references)} took longer than {time_limit:g} s "
                "(does a module hang on import?)"
            ) from None
        if not answer.is_file():
            said = run.stderr.decode("utf-8", "replace").strip().splitlines()
            last = said[-1] if said else f"exit status {run.returncode}"
            raise ConfigError(f"deriving {', '.join(references)} failed: {last}")
        results = json.loads(answer.read_text(encoding="utf-8"))
    derived = []
    for reference, result in zip(references, results, strict=True):
        if "error" in result:
            raise ConfigError(result["error"])
        if "bug" in result:
            raise RuntimeError(f"deriving {reference}: {result['bug']}")
        derived.append(Derived(result["document"], reference, list(result["warnings"])))
    return derived


def main(request_path: str) -> int:
    """The fresh interpreter's side: derive what the request file names, write the answer."""
    from cdccheck.refs import derive

    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    python_path = list(request["python_path"])
    results: list[dict[str, Any]] = []
    # A module that prints at import must not garble anything: the answer goes to a file.
    for reference in request["references"]:
        try:
            found = derive(reference, python_path=python_path)
        except ConfigError as error:
            results.append({"error": error.message})
        except Exception as error:  # a bug in cdccheck: the caller reports it as one
            results.append({"bug": f"{type(error).__name__}: {error}"})
        else:
            results.append({"document": found.document, "warnings": found.warnings})
    Path(request["answer"]).write_text(json.dumps(results), encoding="utf-8")
    return 0
