"""Shared test helpers: where the conformance data lives, schema loading, finding sets."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from cdccheck.engine.schema import Schema, load_schema_bytes
from cdccheck.model import Finding
from tests.oracle import oracle_findings

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CDCCHECK_SHARED", ROOT.parent / "shared"))
EXTERNAL = SHARED / "external"


def in_ci() -> bool:
    """Whether the suite runs in CI (``CI=true``), where nothing may be skipped for lack of data."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def external(name: str) -> Path | None:
    """The conformance data set ``name`` under ../shared/external, or None when it is absent."""
    path = EXTERNAL / name
    return path if path.is_dir() else None


def need_external(name: str) -> Path:
    """The conformance data set ``name``; skip the test without it, or fail under ``CI=true``."""
    path = external(name)
    if path is None:
        missing_data(
            f"conformance data {EXTERNAL / name} is absent (it lives in ../shared, outside a "
            f"user's clone; set CDCCHECK_SHARED to the directory that holds external/)"
        )
    assert path is not None
    return path


def missing_data(message: str) -> None:
    """Skip a test whose data is absent; under ``CI=true`` fail it instead.

    A user's clone has no ../shared, so skipping is right there; in CI the
    data is laid next to the clone, and a skip would hide about a thousand
    conformance cases that silently stopped running.
    """
    if in_ci():
        pytest.fail(f"CI=true: {message}; refusing to skip in CI", pytrace=False)
    pytest.skip(message)


def schema_from(document: Any, name: str = "legacy", origin: str = "test") -> Schema:
    return load_schema_bytes(json.dumps(document).encode(), name=name, origin=origin)


def finding_set(findings: list[Finding] | None) -> set[tuple[str, str]]:
    return {(finding.kind, finding.path) for finding in findings or []}


def reference_set(schema: Schema, value: Any) -> set[tuple[str, str]]:
    """The findings python-jsonschema's errors give, mapped by the tests' own oracle."""
    return oracle_findings(schema.validator, value)


def same_findings(engine: set[tuple[str, str]], reference: set[tuple[str, str]]) -> bool:
    """Equal finding sets, allowing for one python-jsonschema quirk.

    A `false` subschema under properties/patternProperties/prefixItems yields
    its error without the property or index in its path, so the reference
    points at the parent. The engine points at the value, as DESIGN.md's
    table says; such an engine finding matches a reference finding at its
    parent.
    """
    if engine == reference:
        return True
    for kind, path in engine - reference:
        parent = path.rsplit("/", 1)[0] if path else None
        if kind == "constraint" and parent is not None and (kind, parent) in reference:
            continue
        return False
    unmatched_reference = reference - engine
    parents = {path.rsplit("/", 1)[0] for _, path in engine - reference}
    return all(kind == "constraint" and path in parents for kind, path in unmatched_reference)


REPORT_SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())


@functools.cache
def report_validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(REPORT_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_report(report: dict[str, Any]) -> None:
    """Every report the tests produce must validate against schemas/report.schema.json."""
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in report_validator().iter_errors(report)
    ]
    assert not errors, errors


# `check`, `replay` and `consume` have no default schemas: tests name the bundled pair.
BUNDLED_LEGACY = ROOT / "schemas" / "comment" / "legacy.json"
BUNDLED_NEW = ROOT / "schemas" / "comment" / "new.json"
SCHEMA_ARGS = ("--legacy", str(BUNDLED_LEGACY), "--new", str(BUNDLED_NEW))
SCHEMA_ENV = {"CDCCHECK_LEGACY": str(BUNDLED_LEGACY), "CDCCHECK_NEW": str(BUNDLED_NEW)}
