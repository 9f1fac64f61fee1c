"""Cause hints: every entry of the table fires on its pitfall and stays quiet on a look-alike.

Events come from the sample classes of :mod:`cdccheck.samples` (the real
serializations of each writer); a few look-alikes that no class covers are
written out here. Each event goes through the engine and the report, as in a
real run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from cdccheck import samples as sample_classes
from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import bundled_schema_path, load_schema
from cdccheck.hints import HINTS, SchemaFacts, language_of, payload_hint
from cdccheck.model import Entry
from cdccheck.report.json import build_report
from cdccheck.report.run import check_run
from cdccheck.samples import GO_WRITER, PY_WRITER, generate
from tests.helpers import schema_from, validate_report


@cache
def engine() -> Engine:
    return Engine(
        load_schema(bundled_schema_path("legacy"), name="legacy"),
        load_schema(bundled_schema_path("new"), name="new"),
    )


def entries_of(*parts: tuple[str, int] | list[Entry]) -> list[Entry]:
    """Events of sample classes ((class, count)) and hand-made entries, renumbered in order."""
    found: list[Entry] = []
    for part in parts:
        if isinstance(part, tuple):
            found += [sample.entry for sample in generate(*part)]
        else:
            found += part
    return [Entry(f"{1000 + index}-0", entry.fields) for index, entry in enumerate(found)]


def as_writer(entries: list[Entry], writer: bytes) -> list[Entry]:
    return [Entry(e.id, {**e.fields, "writer": writer}) for e in entries]


def event(payload: dict[str, Any], writer: bytes = PY_WRITER) -> list[Entry]:
    """One hand-made entry, serialized as Python's json.dumps would (no sample class has it)."""
    return [Entry("1-0", {"payload": json.dumps(payload).encode(), "writer": writer})]


def healthy_create() -> dict[str, Any]:
    return {
        "op": "create",
        "event_id": "0d9a4c4e-3c51-4f1b-9a57-5f0e5a1c2b3d",
        "emitted_at": "2026-01-28T12:34:56.123456+00:00",
        "comment": {
            "id": "t1_kq2x9ab",
            "link_id": "t3_1aa7xyz",
            "parent_id": "t3_1aa7xyz",
            "author": "spez",
            "subreddit": "programming",
            "body": "Rewrote it in Go, kept the wire format.",
            "score": 1,
            "created_at": "2026-01-28T12:34:55.987654+00:00",
            "edited_at": None,
            "awards": [],
            "depth": 0,
            "toxicity": 0.0123,
        },
    }


def with_comment(**changes: Any) -> dict[str, Any]:
    payload = healthy_create()
    payload["comment"].update(changes)
    return payload


def hints_in(entries: list[Entry]) -> dict[tuple[str, str, str], str]:
    """(schema, kind, path) -> hint name, for every group of the report that has a hint."""
    report = check_run([entries], engine(), source={"kind": "file", "files": ["t"]}).report
    validate_report(report)
    return {
        (group["schema"], group["kind"], group["path"]): group["hint"]["name"]
        for group in (*report["findings"], *report["warnings"])
        if "hint" in group
    }


# hint name -> (events that must get it, at this group), (events that must not get it anywhere)
CASES: dict[str, tuple[Any, tuple[str, str, str], Any]] = {
    "python_nan": (
        lambda: entries_of((sample_classes.PY_NAN_TOXICITY, 2)),
        ("wire", "undecodable", ""),
        # undecodable too, for another reason
        lambda: entries_of((sample_classes.GO_MSGPACK_BIN, 2)),
    ),
    "duplicate_keys": (
        lambda: entries_of((sample_classes.PY_DUPLICATE_KEY, 2)),
        ("wire", "duplicate_key", "/op"),
        lambda: entries_of((sample_classes.PY_BIG_SCORE, 2)),
    ),
    "big_integer": (
        lambda: entries_of((sample_classes.PY_BIG_SCORE, 2)),
        ("wire", "big_integer", "/comment/score"),
        # a score out of range that is no big integer
        lambda: event(with_comment(depth=-1)),
    ),
    "integral_float": (
        lambda: entries_of((sample_classes.PY_FLOAT_SCORE, 2)),
        ("legacy", "integral_float", "/comment/score"),
        lambda: entries_of((sample_classes.PY_BIG_SCORE, 2)),
    ),
    "python_bool_as_integer": (
        lambda: entries_of((sample_classes.PY_BOOL_SCORE, 2)),
        ("legacy", "type_mismatch", "/comment/score"),
        # a type mismatch at the same integer field, but a string, not a boolean
        lambda: event(with_comment(score="5")),
    ),
    "go_nil_collection": (
        lambda: entries_of((sample_classes.GO_NIL_AWARDS, 2)),
        ("legacy", "null_not_allowed", "/comment/awards"),
        # the same nulls from the Python writer: no Go slice behind them
        lambda: as_writer(entries_of((sample_classes.GO_NIL_AWARDS, 2)), PY_WRITER),
    ),
    "go_omitempty": (
        # the Go writer leaves the score out of some events and writes it in others
        lambda: entries_of((sample_classes.GO_OMITEMPTY_SCORE, 2), (sample_classes.GO_HEALTHY, 3)),
        ("legacy", "missing_required", "/comment/score"),
        # the Python writer, and a Go writer that never writes the field at all
        lambda: (
            as_writer(entries_of((sample_classes.GO_OMITEMPTY_SCORE, 2)), PY_WRITER)
            + entries_of((sample_classes.GO_OMITEMPTY_SCORE, 2))
        ),
    ),
    "go_time_format": (
        lambda: entries_of((sample_classes.GO_RFC3339NANO, 2), (sample_classes.GO_ZERO_TIME, 2)),
        ("legacy", "constraint", "/emitted_at"),
        lambda: entries_of((sample_classes.PY_NAIVE_DATETIME, 2)),
    ),
    "python_naive_datetime": (
        lambda: entries_of((sample_classes.PY_NAIVE_DATETIME, 2)),
        ("new", "format", "/comment/created_at"),
        lambda: entries_of((sample_classes.GO_RFC3339NANO, 2)),
    ),
    "python_str_datetime": (
        lambda: entries_of((sample_classes.PY_SPACE_DATETIME, 2)),
        ("new", "format", "/emitted_at"),
        lambda: entries_of((sample_classes.PY_NAIVE_DATETIME, 2)),
    ),
    "python_uuid_hex": (
        lambda: entries_of((sample_classes.PY_HEX_EVENT_ID, 2)),
        ("legacy", "format", "/event_id"),
        # not a uuid either, but not a hyphen-less one
        lambda: event({**healthy_create(), "event_id": "evt-2026-01-28-0001"}),
    ),
    "replacement_character": (
        lambda: entries_of((sample_classes.GO_REPLACEMENT_CHAR, 2)),
        ("wire", "unsafe_string", "/comment/body"),
        # unsafe for another reason: a NUL
        lambda: event(with_comment(body="nul \x00 inside"), GO_WRITER),
    ),
}


def test_every_hint_has_cases() -> None:
    assert set(CASES) == {hint.name for hint in HINTS} - {"html_escape"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_hint_fires_on_its_pitfall_and_not_on_a_look_alike(name: str) -> None:
    triggering, group, look_alike = CASES[name]
    assert hints_in(triggering()).get(group) == name
    quiet = look_alike()
    assert name not in hints_in(quiet).values()


def test_html_escapes_are_called_harmless_on_the_raw_payload() -> None:
    [escaped] = entries_of((sample_classes.GO_HTML_ESCAPE, 1))
    [plain] = entries_of((sample_classes.GO_HEALTHY, 1))
    hint = payload_hint(escaped.fields["payload"], "go-comments")
    assert hint is not None
    assert hint["name"] == "html_escape"
    assert "harmless" in hint["cause"]
    assert "\\u003c" in hint["evidence"]
    assert payload_hint(plain.fields["payload"], "go-comments") is None
    # The escaped event is healthy: no finding, so no group hint either.
    assert hints_in([escaped]) == {}


def test_a_hint_names_its_evidence() -> None:
    entries = entries_of((sample_classes.GO_OMITEMPTY_SCORE, 2), (sample_classes.GO_HEALTHY, 3))
    report = check_run([entries], engine(), source={"kind": "file", "files": ["t"]}).report
    [group] = [g for g in report["findings"] if g["kind"] == "missing_required"]
    assert group["hint"]["evidence"] == (
        "missing from go-comments 2 of its 5 events; the legacy schema declares integer"
    )


def test_hints_never_change_a_verdict() -> None:
    entries = [sample.entry for sample in sample_classes.samples(per_class=2, extra_healthy=4)]
    run = check_run([entries], engine(), source={"kind": "file", "files": ["t"]})
    facts = SchemaFacts({"legacy": engine().legacy, "new": engine().new})
    arguments: dict[str, Any] = {
        "source": run.report["source"],
        "schemas": run.report["schemas"],
        "started_at": datetime(2026, 1, 28, tzinfo=UTC),
        "elapsed_s": 1.0,
    }
    with_hints = build_report(run.summary, facts=facts, **arguments)
    for group in (*with_hints["findings"], *with_hints["warnings"]):
        group.pop("hint", None)
    bare = build_report(run.summary, **arguments)
    for group in (*bare["findings"], *bare["warnings"]):
        group.pop("hint", None)
    assert with_hints == bare
    assert with_hints["totals"] == run.summary.totals.as_dict()


@pytest.mark.parametrize(
    ("writer", "language"),
    [
        ("go-comments", "Go"),
        ("comments_golang_v2", "Go"),
        ("py-monolith", "Python"),
        ("Python3", None),
        ("gopher", None),
        ("?", None),
    ],
)
def test_writer_languages_come_from_words_in_the_name(writer: str, language: str | None) -> None:
    assert language_of(writer) == language


def test_go_time_names_a_non_utc_offset_when_values_are_shown() -> None:
    from cdccheck.hints import Evidence, hint_for

    def evidence(shape: str, value: str) -> Evidence:
        return Evidence(
            schema="legacy",
            kind="constraint",
            path="/emitted_at",
            events=1,
            by_writer={"go-comments": 1},
            shapes=(shape,),
            values=(value,),
        )

    # A shape hides the offset's digits; with --show-values the value names it.
    paris = hint_for(
        evidence("dddd-dd-ddTdd:dd:dd.dddddd+dd:dd", "2026-01-28T13:34:56.123456+01:00")
    )
    assert paris is not None
    assert paris["name"] == "go_time_format"
    assert paris["evidence"].startswith(
        "timestamps shaped dddd-dd-ddTdd:dd:dd.dddddd+dd:dd (offset +01:00)"
    )
    utc = evidence("dddd-dd-ddTdd:dd:dd.dddddd+dd:dd", "2026-01-28T12:34:56.123456+00:00")
    assert hint_for(utc) is None


def test_schema_facts_search_pattern_properties_through_the_bounded_matcher() -> None:
    # ^(a+)+$ backtracks exponentially in re on "aaa...ab": the hint lookup must still answer.
    schema = schema_from(
        {
            "type": "object",
            "patternProperties": {"^(a+)+$": {"type": "integer"}, "^b": {"type": "string"}},
            "additionalProperties": {"type": "boolean"},
        }
    )
    facts = SchemaFacts({"legacy": schema})
    hostile = facts.declared("legacy", "/" + "a" * 40 + "b")
    assert hostile is not None
    assert hostile.types == frozenset({"boolean"})  # no patternProperties matched
    matched = facts.declared("legacy", "/aaa")
    assert matched is not None
    assert matched.types == frozenset({"integer"})
