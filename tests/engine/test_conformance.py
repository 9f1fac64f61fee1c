"""The engine against the official JSON-Schema-Test-Suite (../shared/external).

For every test the suite ships for draft 2020-12 (top level and the date-time,
email, uuid and uri formats) and draft-07 (top level), the engine's verdict
must equal python-jsonschema's, and its findings must equal the findings
mapped from python-jsonschema's errors. Where python-jsonschema and the
suite disagree, the reference decides (docs/semantics.md, rule 2): those cases are named
in REFERENCE_DISAGREES below, and everywhere else the engine must also
match the suite.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import load_schema_bytes
from cdccheck.errors import ConfigError
from cdccheck.model import Entry
from tests.helpers import external, finding_set, need_external, reference_set, same_findings

# (file, group description, test description): python-jsonschema's verdict
# differs from the suite's, and the reference decides (docs/semantics.md, rule 2).
DATE_TIME = "draft2020-12/optional/format/date-time.json"
EMAIL = "draft2020-12/optional/format/email.json"
URI = "draft2020-12/optional/format/uri.json"
UUID = "draft2020-12/optional/format/uuid.json"
REFERENCE_DISAGREES = {
    # rfc3339-validator refuses leap seconds and allows a trailing newline ($ in re).
    (DATE_TIME, "validation of date-time strings", "a valid date-time with a leap second, UTC"),
    (
        DATE_TIME,
        "validation of date-time strings",
        "a valid date-time with a leap second, with minus offset",
    ),
    (DATE_TIME, "validation of date-time strings", "a trailing newline is invalid"),
    # python-jsonschema's email check only asks for an "@".
    (EMAIL, "validation of e-mail addresses", "dot before local part is not valid"),
    (EMAIL, "validation of e-mail addresses", "dot after local part is not valid"),
    (
        EMAIL,
        "validation of e-mail addresses",
        "two subsequent dots inside local part are not valid",
    ),
    (EMAIL, "validation of e-mail addresses", "an invalid domain"),
    (EMAIL, "validation of e-mail addresses", "an invalid IPv4-address-literal"),
    (EMAIL, "validation of e-mail addresses", "two email addresses is not valid"),
    (EMAIL, "validation of e-mail addresses", 'full "From" header is invalid'),
    (EMAIL, "validation of e-mail addresses", "local part is required"),
    (EMAIL, "validation of e-mail addresses", "domain is required"),
    (EMAIL, "validation of e-mail addresses", "unquoted space in local part is invalid"),
    # rfc3986-validator accepts a leading zero in an IPv4 literal.
    (URI, "validation of URIs", "leading zero in an embedded IPv4 address is invalid"),
    # uuid.UUID() strips hyphens and braces and accepts Unicode digits and underscores.
    (UUID, "uuid format", "trailing hyphen after a complete UUID is invalid"),
    (UUID, "uuid format", "non-ASCII digit '২' (a Bengali 2) is invalid"),
    (UUID, "uuid format", "an underscore in place of a hex digit is invalid"),
}
# draft2020-12/format.json says an invalid value "is only an annotation by
# default"; cdccheck asserts format (docs/semantics.md, rule 2), so
# python-jsonschema (with the format checker) rejects every one of those on
# purpose.
FORMAT_ASSERTED = "is only an annotation by default"

SUITE_FILES = [
    ("draft2020-12", "*.json"),
    ("draft2020-12/optional/format", "date-time.json"),
    ("draft2020-12/optional/format", "email.json"),
    ("draft2020-12/optional/format", "uuid.json"),
    ("draft2020-12/optional/format", "uri.json"),
    ("draft7", "*.json"),
]


def _groups() -> list[Any]:
    # Collected at import: without the data there is nothing to parametrize, and
    # test_suite_is_present skips (or, under CI=true, fails) with the reason.
    found_suite = external("json-schema-test-suite")
    if found_suite is None:
        return []
    suite = found_suite / "tests"
    found = []
    for folder, pattern in SUITE_FILES:
        for file in sorted((suite / folder).glob(pattern)):
            for index, group in enumerate(json.loads(file.read_text())):
                name = f"{folder}/{file.name}"
                found.append(pytest.param(name, group, id=f"{name}#{index}"))
    return found


GROUPS = _groups()
OUTCOMES: dict[str, list[tuple[str, str, str, bool, bool]]] = {}


def test_suite_is_present() -> None:
    need_external("json-schema-test-suite")
    assert len(GROUPS) > 600


@pytest.mark.parametrize(("file", "group"), GROUPS)
def test_group(file: str, group: dict[str, Any]) -> None:
    document = group["schema"]
    if file.startswith("draft7/") and isinstance(document, dict) and "$schema" not in document:
        document = {"$schema": "http://json-schema.org/draft-07/schema#", **document}
    try:
        schema = load_schema_bytes(json.dumps(document).encode(), name="legacy", origin=file)
    except ConfigError as error:
        if "remote $ref" in error.message or "unsupported $schema" in error.message:
            pytest.skip(f"needs a remote document: {error.message}")
        if "is not a 'regex'" in error.message:
            pytest.skip(f"an ECMA-262 pattern Python's re cannot compile: {error.message}")
        raise
    engine = Engine(schema, schema)
    for case in group["tests"]:
        payload = json.dumps(case["data"]).encode()
        verdict = engine.check(Entry("1-1", {"payload": payload}))
        assert verdict.decodable, case["description"]
        reference_valid = schema.validator.is_valid(case["data"])
        where = f"{file}: {group['description']}: {case['description']}"
        assert verdict.legacy_valid == reference_valid, where
        assert same_findings(finding_set(verdict.legacy), reference_set(schema, case["data"])), (
            where
        )
        key = (file, group["description"], case["description"])
        if reference_valid != case["valid"] and FORMAT_ASSERTED not in case["description"]:
            assert key in REFERENCE_DISAGREES, f"reference and suite disagree, unnamed: {where}"
        else:
            assert key not in REFERENCE_DISAGREES, f"named as a disagreement but agrees: {where}"
