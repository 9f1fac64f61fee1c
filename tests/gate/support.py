"""Shared checks for the gate tests (imported by test modules, not a plugin)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GATE_DATA = REPO / "tests" / "data" / "gate"


def shared_dir() -> Path:
    """The ``shared`` directory next to the repository (override with CDCCHECK_SHARED).

    In a git worktree "the repository" is also the main checkout the worktree
    belongs to, so its neighbour counts too.
    """
    if "CDCCHECK_SHARED" in os.environ:
        return Path(os.environ["CDCCHECK_SHARED"])
    candidates = [REPO.parent / "shared"]
    dot_git = REPO / ".git"
    if dot_git.is_file():
        # A worktree's .git file says "gitdir: <main>/.git/worktrees/<name>".
        gitdir = Path(dot_git.read_text(encoding="utf-8").partition("gitdir:")[2].strip())
        if gitdir.parent.name == "worktrees":
            candidates.append(gitdir.parent.parent.parent.parent / "shared")
    return next((c for c in candidates if c.is_dir()), candidates[0])


def validator_for_document(document: Any, draft: str | None = None) -> Any:
    """python-jsonschema with the format checker: the reference (docs/semantics.md, rule 2)."""
    from jsonschema import Draft7Validator, Draft202012Validator
    from jsonschema.validators import validator_for

    default = Draft7Validator if draft == "draft-07" else Draft202012Validator
    cls: Any = validator_for(document, default=default)
    return cls(document, format_checker=cls.FORMAT_CHECKER)


def assert_witnesses_verified(comparison: Any, legacy: Any, new: Any) -> int:
    """Every witness is accepted by one side and rejected by the other; returns how many.

    ``legacy`` and ``new`` are validators (anything with ``is_valid``). Every
    change's kind must also be one the kinds table explains.
    """
    from cdccheck.gate.kinds import KINDS

    by_role = {"legacy": legacy, "new": new}
    checked = 0
    for change in comparison.changes:
        assert change.kind in KINDS, f"{change.kind} at {change.path} is not in cdccheck.gate.kinds"
        witness = change.witness
        if witness is None:
            assert not change.proven
            continue
        assert change.backward or change.forward, f"{change.kind}: witness for a harmless change"
        accepting, rejecting = by_role[witness.accepted_by], by_role[witness.rejected_by]
        assert witness.accepted_by != witness.rejected_by
        assert accepting.is_valid(witness.instance), (
            f"{change.kind} at {change.path}: {witness.accepted_by} should accept "
            f"{witness.instance!r}"
        )
        assert not rejecting.is_valid(witness.instance), (
            f"{change.kind} at {change.path}: {witness.rejected_by} should reject "
            f"{witness.instance!r}"
        )
        if witness.accepted_by == "legacy":
            assert change.backward, f"{change.kind}: legacy-only witness but not a backward break"
        else:
            assert change.forward, f"{change.kind}: new-only witness but not a forward break"
        checked += 1
    return checked


def assert_json_witnesses_verified(document: Any, legacy: Any, new: Any) -> int:
    """The same check for `--format json` output (which side accepts follows from the flags)."""
    checked = 0
    for change in document["changes"]:
        if not change["proven"]:
            continue
        instance = change["witness"]
        legacy_ok, new_ok = legacy.is_valid(instance), new.is_valid(instance)
        assert legacy_ok != new_ok, f"{change['kind']}: witness {instance!r} is not one-sided"
        direction = "backward" if legacy_ok else "forward"
        assert change["breaking"][direction], f"{change['kind']}: witness shows a {direction} break"
        checked += 1
    return checked


def load_validators(legacy_path: Any, new_path: Any) -> tuple[Any, Any]:
    """Reference validators for two schema files."""
    from cdccheck.engine.schema import load_schema

    return (
        load_schema(legacy_path, name="legacy").validator,
        load_schema(new_path, name="new").validator,
    )
