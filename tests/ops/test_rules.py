"""The alerting rules with Debian's promtool: they load, their unit tests pass, and can fail.

Under CI=true a missing promtool fails these tests; elsewhere they are
skipped with the reason (Debian package ``prometheus``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.ops.support import ROOT, need_tool

yaml = pytest.importorskip("yaml", reason="pyyaml (dev extra) reads the rule files")

RULES = ROOT / "deploy" / "prometheus" / "cdccheck-rules.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "cdccheck-rules.test.yml"
ALERTS = (
    "CdccheckDriftAppeared",
    "CdccheckFailingShareHigh",
    "CdccheckSidecarDown",
    "CdccheckRedisDown",
    "CdccheckLagGrowing",
)


@pytest.fixture(scope="module")
def promtool() -> str:
    return need_tool("/usr/bin/promtool", "prometheus")


def run(promtool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_promtool_checks_the_rules(promtool: str) -> None:
    done = run(promtool, "check", "rules", str(RULES), cwd=RULES.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in done.stdout


def test_promtool_runs_the_rule_unit_tests(promtool: str) -> None:
    done = run(promtool, "test", "rules", str(RULE_TESTS), cwd=RULES.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_runbook_line_points_at_a_section_of_the_operations_page() -> None:
    import re

    headings = {
        line[3:].strip().lower()
        for line in (ROOT / "docs" / "operations.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    }
    pointed = {}
    for rule in rules():
        found = re.search(r"\(docs/operations\.md, ([^)]+)\)", rule["annotations"]["runbook"])
        assert found, rule["alert"]
        pointed[rule["alert"]] = found.group(1).lower()
    assert set(pointed) == set(ALERTS)
    missing = {alert: section for alert, section in pointed.items() if section not in headings}
    assert not missing, f"docs/operations.md has no section for {missing}"


def test_every_alert_has_a_runbook_line_and_a_severity() -> None:
    found = {rule["alert"]: rule for rule in rules()}
    assert sorted(found) == sorted(ALERTS)
    for rule in found.values():
        runbook = rule["annotations"]["runbook"]
        assert "\n" not in runbook.strip()
        assert "docs/operations.md" in runbook
        assert rule["labels"]["severity"] in ("warning", "critical")


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    cases = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["tests"]
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in cases:
        for check in case["alert_rule_test"]:
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    assert firing == set(ALERTS)
    assert quiet == set(ALERTS)


@pytest.mark.parametrize("alert", ALERTS)
@pytest.mark.parametrize(
    ("replacement", "why"),
    [
        ("vector(1) > 2", "an alert that never fires must fail its firing case"),
        (
            'label_replace(vector(1), "writer", "x", "", "")',
            "one that always fires, its quiet case",
        ),
    ],
)
def test_the_unit_tests_catch_a_broken_rule(
    promtool: str, tmp_path: Path, alert: str, replacement: str, why: str
) -> None:
    """Mutation check: the unit tests notice when an alert's expression is replaced."""
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    for group in document["groups"]:
        for rule in group["rules"]:
            if rule["alert"] == alert:
                rule["expr"] = replacement
    (tmp_path / RULES.name).write_text(yaml.safe_dump(document), encoding="utf-8")
    shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)
    done = run(promtool, "test", "rules", RULE_TESTS.name, cwd=tmp_path)
    assert done.returncode != 0, why
    assert alert in done.stdout + done.stderr
