"""Every event gets a verdict, whatever happens while checking it (issue 10, defect 1).

An exception while checking one event is a bug; it becomes an
``internal_error`` finding on that event (schema ``engine``), counted under
``errors``, and the run goes on (docs/semantics.md, rule 4).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from jsonschema import FormatChecker

from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import Schema
from cdccheck.engine.wire import Limits
from cdccheck.model import ENGINE, INTERNAL_ERROR, Entry, short_repr
from cdccheck.summary import Summary
from tests.helpers import schema_from, validate_report
from tests.test_summary import report_of

BIG = "9" * 5000


def identity_holds(totals: dict[str, int]) -> bool:
    return totals["events"] == (
        totals["ok"]
        + totals["undecodable"]
        + totals["legacy_invalid"]
        + totals["new_invalid"]
        - totals["both_invalid"]
        + totals["errors"]
    )


def test_short_repr_shows_a_giant_integer_inside_a_container() -> None:
    # The explanation of `[999...9]` raised "'list' object has no attribute 'bit_length'".
    assert short_repr([10**5000]) == "[<16610-bit integer>]"
    assert short_repr({"a": [1, 10**5000]}) == "{'a': [1, <16610-bit integer>]}"
    assert short_repr(10**5000) == "<16610-bit integer>"


def test_an_array_holding_a_5000_digit_integer_gets_a_verdict_and_a_report() -> None:
    object_schema = schema_from({"type": "object"})
    # Above the default --max-int-digits the payload is undecodable; with room for it the
    # event is decoded and its finding explained, which is where the crash was.
    for limits in (Limits(), Limits(max_int_digits=10_000)):
        engine = Engine(object_schema, object_schema, limits=limits)
        verdict = engine.check(Entry("1-1", {"payload": f"[{BIG}]".encode()}))
        summary = Summary()
        summary.add(verdict)
        report = report_of(summary)
        validate_report(report)
        assert summary.totals.events == 1
        assert summary.totals.errors == 0
        text = json.dumps(report)
        assert "bit_length" not in text


def _exploding(schema: Schema) -> Schema:
    """``schema`` whose ``boom`` format raises a plain bug, as a broken checker would."""
    checker = FormatChecker()

    @checker.checks("boom")
    def boom(value: Any) -> bool:
        if value == "explode":
            raise RuntimeError("the checker\nbroke")
        return True

    return dataclasses.replace(schema, validator=schema.validator.evolve(format_checker=checker))


def exploding_engine() -> Engine:
    schema = _exploding(
        schema_from(
            {
                "type": "object",
                "properties": {"op": {"type": "string"}, "note": {"format": "boom"}},
            }
        )
    )
    return Engine(schema, schema)


def entries() -> list[Entry]:
    payloads = [
        {"op": "create", "note": "fine"},
        {"op": "create", "note": "explode"},
        {"op": "update", "note": "fine"},
    ]
    return [
        Entry(f"1-{i}", {"payload": json.dumps(p).encode(), "writer": b"go"})
        for i, p in enumerate(payloads)
    ]


def test_an_exception_while_checking_is_an_internal_error_verdict() -> None:
    engine = exploding_engine()
    verdicts = [engine.check(entry) for entry in entries()]
    assert [v.error for v in verdicts] == [None, "RuntimeError: the checker broke", None]
    broken = verdicts[1]
    assert (broken.decodable, broken.legacy, broken.new, broken.writer) == (
        False,
        None,
        None,
        "go",
    )
    assert not broken.ok


def test_check_batch_gives_the_broken_event_a_verdict_and_goes_on() -> None:
    engine = exploding_engine()
    healthy, verdicts = engine.check_batch(entries())
    by_id = {verdict.id: verdict for verdict in verdicts}
    assert by_id["1-1"].error == "RuntimeError: the checker broke"
    assert sum(healthy.values()) + len(verdicts) == 3


def test_errors_are_counted_everywhere_and_the_identity_holds() -> None:
    from cdccheck.engine.pipeline import check_batch

    engine = exploding_engine()
    summary = Summary()
    check_batch(engine, entries(), summary)
    report = report_of(summary)
    validate_report(report)
    assert report["totals"]["errors"] == 1
    assert report["by_writer"]["go"]["errors"] == 1
    assert report["by_op"]["?"]["errors"] == 1
    for counters in (report["totals"], *report["by_op"].values(), *report["by_writer"].values()):
        assert identity_holds(counters)
    [group] = [g for g in report["findings"] if g["kind"] == INTERNAL_ERROR]
    assert (group["schema"], group["path"], group["events"]) == (ENGINE, "", 1)
    assert group["samples"][0]["message"] == "RuntimeError: the checker broke"
    # An event nobody could judge fails every --fail-on but none.
    assert summary.counts_failures("legacy") == summary.counts_failures("new") == 1
    assert summary.counts_failures("none") == 0


def test_errors_survive_merge_and_older_reports_read_as_zero() -> None:
    from cdccheck.report.json import merge_reports

    engine = exploding_engine()
    one, two = Summary(), Summary()
    for entry in entries():
        one.add(engine.check(entry))
    two.add(engine.check(entries()[1]))
    merged = merge_reports([report_of(one), report_of(two)])
    assert merged["totals"]["errors"] == 2
    older = report_of(Summary())
    for counters in (older["totals"],):
        del counters["errors"]
    validate_report(older)
    assert merge_reports([older, report_of(one)])["totals"]["errors"] == 1
