"""docs/security.md says what the code and the tests do: limits, options, ACL rules."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.engine import patterns
from cdccheck.engine.wire import Limits
from tests.helpers import ROOT
from tests.hostile.test_acl import CONSUMER, FLEET, READER

DOC = (ROOT / "docs" / "security.md").read_text()


def test_the_sections_exist() -> None:
    for heading in ("What is never fetched or read", "Limits", "Patterns", "Redis ACLs"):
        assert f"\n## {heading}\n" in DOC


def test_the_limits_table_gives_the_defaults_and_options_of_the_code() -> None:
    limits = Limits()
    rows = {
        "--max-payload-bytes": f"{limits.max_payload_bytes:,} bytes",
        "--max-int-digits": f"{limits.max_int_digits:,}",
        "--max-key-bytes": f"{limits.max_key_bytes:,} UTF-8 bytes",
        "--max-object-keys": f"{limits.max_object_keys:,} distinct keys",
        "--pattern-timeout-ms": f"{patterns.DEFAULT_TIMEOUT_MS} ms",
    }
    help_text = CliRunner().invoke(app, ["replay", "--help"], terminal_width=200).stdout
    table = [line for line in DOC.splitlines() if line.startswith("|")]
    for option, default in rows.items():
        [row] = [line for line in table if f"`{option}`" in line]
        assert default in row, (option, row)
        assert option in help_text


def test_the_acl_examples_are_the_rules_the_tests_run() -> None:
    examples = {
        match.group(1): match.group(2).split()
        for match in re.finditer(r"ACL SETUSER (\S+) on >\S+ (.+)", DOC)
    }
    assert examples == {
        "cdccheck-replay": READER.split(),
        "cdccheck-fleet": FLEET.split(),
        "cdccheck-sidecar": CONSUMER.split(),
    }
