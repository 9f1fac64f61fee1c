"""The JUnit XML output: one test case per schema, a failure per breaking change."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from cdccheck.gate.render.common import (
    broken_directions,
    corpus_line,
    each_change,
    explanation_of,
    proof,
)
from cdccheck.gate.run import GateResult


def render_junit(result: GateResult) -> str:
    """JUnit XML: one testcase per change (failing when it breaks in the gate's mode)."""
    suite = ET.Element("testsuite", name="cdccheck gate")
    failures = 0
    cases = 0
    for schema, change in each_change(result):
        cases += 1
        case = ET.SubElement(
            suite, "testcase", classname=schema.file, name=f"{change.kind} {change.path or '/'}"
        )
        if change.breaks(result.mode):
            failures += 1
            failure = ET.SubElement(case, "failure", message=change.message, type=change.kind)
            failure.text = (
                f"{explanation_of(result, change)} Breaks {broken_directions(change)}; "
                f"{proof(result, change)}"
            )
    if cases == 0:
        cases = 1
        ET.SubElement(suite, "testcase", classname="cdccheck gate", name="no schema changes")
    if result.corpus is not None:
        cases += 1
        case = ET.SubElement(suite, "testcase", classname="cdccheck gate", name="corpus")
        if result.corpus_failures:
            failures += 1
            ET.SubElement(case, "failure", message=corpus_line(result) or "", type="corpus")
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    root = ET.Element("testsuites", name="cdccheck", tests=str(cases), failures=str(failures))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
