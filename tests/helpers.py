"""Shared test helpers: where the conformance data lives, schema loading, finding sets."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from cdccheck.model import Finding
from cdccheck.reference import reference_findings
from cdccheck.schema import Schema, load_schema_bytes

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CDCCHECK_SHARED", ROOT.parent / "shared"))
EXTERNAL = SHARED / "external"


def need_external(name: str) -> Path:
    """The conformance data set ``name`` under ../shared/external, or skip the test."""
    path = EXTERNAL / name
    if not path.is_dir():
        pytest.skip(
            f"conformance data {path} is absent (it lives in ../shared, outside a user's clone; "
            f"set CDCCHECK_SHARED to point at it)"
        )
    return path


def schema_from(document: Any, name: str = "legacy", origin: str = "test") -> Schema:
    return load_schema_bytes(json.dumps(document).encode(), name=name, origin=origin)


def finding_set(findings: list[Finding] | None) -> set[tuple[str, str]]:
    return {(finding.kind, finding.path) for finding in findings or []}


def reference_set(schema: Schema, value: Any) -> set[tuple[str, str]]:
    return finding_set(reference_findings(schema.validator, value))


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
