"""The diff rules against hand-checked pairs: every kind, every equality, ignores, tolerance."""

from __future__ import annotations

from typing import Any

import pytest

from cdccheck.compare.diff import (
    EXTRA,
    LENGTH_CHANGED,
    MISSING,
    NULL_VS_ABSENT,
    NULL_VS_EMPTY,
    NUMBER_FORM,
    TIMESTAMP_FORM,
    TYPE_CHANGED,
    VALUE_CHANGED,
    Differ,
    group_path,
    parse_instant,
    sample_path,
)
from cdccheck.compare.events import decode_payload
from cdccheck.model import ABSENT


def found(primary: Any, candidate: Any, differ: Differ | None = None) -> tuple[set, set]:
    """(diffs, warnings) as sets of (kind, sample path)."""
    diffs, warnings = (differ or Differ()).compare(primary, candidate)
    return (
        {(d.kind, sample_path(d.path)) for d in diffs},
        {(w.kind, sample_path(w.path)) for w in warnings},
    )


@pytest.mark.parametrize(
    ("primary", "candidate", "expected"),
    [
        # missing / extra, reported once at the topmost absent key
        ({"a": 1, "b": {"c": {"d": 1}}}, {"a": 1}, {(MISSING, "/b")}),
        ({"a": 1}, {"a": 1, "b": [1, 2]}, {(EXTRA, "/b")}),
        # null vs absent, both directions
        ({"a": None}, {}, {(NULL_VS_ABSENT, "/a")}),
        ({}, {"a": None}, {(NULL_VS_ABSENT, "/a")}),
        # null vs empty: [], {}, ""
        ({"a": []}, {"a": None}, {(NULL_VS_EMPTY, "/a")}),
        ({"a": None}, {"a": {}}, {(NULL_VS_EMPTY, "/a")}),
        ({"a": ""}, {"a": None}, {(NULL_VS_EMPTY, "/a")}),
        # null vs a non-empty value is a type change; so are 0 and false against null
        ({"a": None}, {"a": [1]}, {(TYPE_CHANGED, "/a")}),
        ({"a": 0}, {"a": None}, {(TYPE_CHANGED, "/a")}),
        ({"a": False}, {"a": None}, {(TYPE_CHANGED, "/a")}),
        # types
        ({"a": "5"}, {"a": 5}, {(TYPE_CHANGED, "/a")}),
        ({"a": True}, {"a": 1}, {(TYPE_CHANGED, "/a")}),
        ({"a": 1.0}, {"a": True}, {(TYPE_CHANGED, "/a")}),
        ({"a": {}}, {"a": []}, {(TYPE_CHANGED, "/a")}),
        ([1], {"0": 1}, {(TYPE_CHANGED, "")}),
        # values
        ({"a": "x"}, {"a": "y"}, {(VALUE_CHANGED, "/a")}),
        ({"a": 5}, {"a": 6.0}, {(VALUE_CHANGED, "/a")}),
        ({"a": True}, {"a": False}, {(VALUE_CHANGED, "/a")}),
        ({"a": 2**63 + 1}, {"a": float(2**63)}, {(VALUE_CHANGED, "/a")}),
        # arrays: length at the array, the common prefix still compared
        (
            {"a": [{"n": 1}, {"n": 2}, {"n": 3}]},
            {"a": [{"n": 1}, {"n": 9}]},
            {(LENGTH_CHANGED, "/a"), (VALUE_CHANGED, "/a/1/n")},
        ),
        ({"a": []}, {"a": [1]}, {(LENGTH_CHANGED, "/a")}),
        # several at once, in nested objects
        (
            {"op": "create", "comment": {"score": 0, "awards": [], "body": "x"}},
            {"op": "create", "comment": {"awards": None, "body": "y", "new": 1}},
            {
                (MISSING, "/comment/score"),
                (NULL_VS_EMPTY, "/comment/awards"),
                (VALUE_CHANGED, "/comment/body"),
                (EXTRA, "/comment/new"),
            },
        ),
    ],
)
def test_each_difference_kind(primary: Any, candidate: Any, expected: set) -> None:
    diffs, warnings = found(primary, candidate)
    assert diffs == expected
    assert warnings == set()


def test_missing_carries_both_values_with_absent_on_the_other_side() -> None:
    diffs, _ = Differ().compare({"a": {"b": 1}}, {})
    assert len(diffs) == 1
    assert diffs[0].primary == {"b": 1}
    assert diffs[0].candidate is ABSENT
    diffs, _ = Differ().compare({}, {"a": 2})
    assert diffs[0].primary is ABSENT
    assert diffs[0].candidate == 2


@pytest.mark.parametrize(
    ("primary", "candidate"),
    [(b"5", b"5.0"), (b"100", b"1e2"), (b"-0", b"-0.0"), (b"12", b"1.2E1"), (b"2", b"2.000")],
)
def test_equal_numbers_in_other_forms_are_equal_with_a_warning(
    primary: bytes, candidate: bytes
) -> None:
    left, _ = decode_payload(b'{"n": ' + primary + b"}", "json")
    right, _ = decode_payload(b'{"n": ' + candidate + b"}", "json")
    assert found(left, right) == (set(), {(NUMBER_FORM, "/n")})


def test_same_number_form_draws_no_warning() -> None:
    assert found({"n": 1.5}, {"n": 1.5}) == (set(), set())
    assert found({"n": 7}, {"n": 7}) == (set(), set())


@pytest.mark.parametrize(
    ("primary", "candidate"),
    [
        ("2026-01-28T12:00:00+00:00", "2026-01-28T12:00:00Z"),
        ("2026-01-28T12:00:00.120Z", "2026-01-28T12:00:00.12Z"),
        ("2026-01-28T12:00:00.120000+00:00", "2026-01-28T12:00:00.12Z"),
        ("2026-01-28T13:30:00+01:30", "2026-01-28T12:00:00Z"),
        ("2026-01-28t12:00:00z", "2026-01-28T12:00:00Z"),
        ("2026-01-28T12:00:00.123456789Z", "2026-01-28T12:00:00.1234567890+00:00"),
        ("2026-01-28T23:30:00-01:00", "2026-01-29T00:30:00Z"),
        ("2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"),
    ],
)
def test_same_instant_in_other_rfc3339_forms_is_equal_with_a_warning(
    primary: str, candidate: str
) -> None:
    assert found({"t": primary}, {"t": candidate}) == (set(), {(TIMESTAMP_FORM, "/t")})


@pytest.mark.parametrize(
    ("primary", "candidate"),
    [
        ("2026-01-28T12:00:00Z", "2026-01-28T12:00:01Z"),
        ("2026-01-28T12:00:00.123Z", "2026-01-28T12:00:00.124Z"),
        # a space is not RFC 3339: a different value, not another form
        ("2026-01-28 12:00:00+00:00", "2026-01-28T12:00:00Z"),
        # a timestamp without an offset is not RFC 3339 either
        ("2026-01-28T12:00:00", "2026-01-28T12:00:00Z"),
        ("2026-02-30T12:00:00Z", "2026-03-02T12:00:00Z"),
        ("2026-01-28T12:00:00.1234567891Z", "2026-01-28T12:00:00.123456789Z"),
    ],
)
def test_different_instants_or_non_timestamps_are_value_changes(
    primary: str, candidate: str
) -> None:
    assert found({"t": primary}, {"t": candidate}) == ({(VALUE_CHANGED, "/t")}, set())


def test_time_tolerance_makes_close_instants_equal() -> None:
    differ = Differ(time_tolerance_ms=5)
    close = ({"t": "2026-01-28T12:00:00.000Z"}, {"t": "2026-01-28T12:00:00.005+00:00"})
    far = ({"t": "2026-01-28T12:00:00.000Z"}, {"t": "2026-01-28T12:00:00.0051Z"})
    assert found(*close, differ) == (set(), {(TIMESTAMP_FORM, "/t")})
    assert found(*far, differ) == ({(VALUE_CHANGED, "/t")}, set())
    assert found(*close) == ({(VALUE_CHANGED, "/t")}, set())


def test_parse_instant() -> None:
    assert parse_instant("1970-01-01T00:00:00Z") == (0, "")
    assert parse_instant("1970-01-01T00:00:01.5+00:00") == (1_500_000_000, "")
    assert parse_instant("1970-01-01T00:00:00.0000000015Z") == (1, "5")
    for text in (
        "2026-13-01T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T00:00:00+24:00",
        "not a time at all, clearly",
        "2026-01-01T00:00:00.Z",
    ):
        assert parse_instant(text) is None, text


@pytest.mark.parametrize(
    ("primary", "candidate"),
    [
        (rb'{"s": "caf\u00e9"}', '{"s": "café"}'.encode()),
        (rb'{"s": "a\/b"}', rb'{"s": "a/b"}'),
        (rb'{"s": "\u003cb\u003e \u0026"}', rb'{"s": "<b> &"}'),
        (rb'{"s": "\ud83d\ude00"}', '{"s": "😀"}'.encode()),
        (rb'{"s": "line\nbreak"}', rb'{"s": "line\u000abreak"}'),
        (rb'{"\u006bey": 1}', rb'{"key": 1}'),
    ],
)
def test_wire_escaping_never_matters(primary: bytes, candidate: bytes) -> None:
    left, _ = decode_payload(primary, "json")
    right, _ = decode_payload(candidate, "json")
    assert found(left, right) == (set(), set())


def test_ignore_drops_a_field_and_everything_under_it() -> None:
    differ = Differ(["/event_id", "/comment/meta"])
    primary = {"event_id": "a", "comment": {"meta": {"x": 1}, "body": "b"}}
    candidate = {"event_id": "b", "comment": {"body": "b"}}
    assert found(primary, candidate, differ) == (set(), set())
    assert found({"event_id": None}, {}, differ) == (set(), set())
    assert found({}, {"event_id": 1}, differ) == (set(), set())


def test_ignore_wildcard_matches_any_one_step() -> None:
    differ = Differ(["/comment/awards/*/count", "/*/emitted"])
    primary = {
        "comment": {"awards": [{"name": "a", "count": 1}, {"name": "b", "count": 2}]},
        "x": {"emitted": 1},
        "y": {"emitted": 2, "other": 1},
    }
    candidate = {
        "comment": {"awards": [{"name": "a", "count": 5}, {"name": "c", "count": 7}]},
        "x": {"emitted": 9},
        "y": {"emitted": 3, "other": 2},
    }
    assert found(primary, candidate, differ) == (
        {(VALUE_CHANGED, "/comment/awards/1/name"), (VALUE_CHANGED, "/y/other")},
        set(),
    )


def test_ignore_of_an_index_and_of_a_key_named_like_one() -> None:
    differ = Differ(["/list/0"])
    assert found({"list": [1, 2]}, {"list": [9, 2]}, differ) == (set(), set())
    assert found({"list": {"0": 1}}, {"list": {"0": 2}}, differ) == (set(), set())
    assert found({"list": [1, 2]}, {"list": [1, 3]}, differ) == (
        {(VALUE_CHANGED, "/list/1")},
        set(),
    )


def test_paths_escape_and_aggregate() -> None:
    path = ("a/b", "c~d", 3, "e", 10)
    assert sample_path(path) == "/a~1b/c~0d/3/e/10"
    assert group_path(path) == "/a~1b/c~0d/*/e/*"
    assert group_path(()) == ""


def test_canonical_form_is_equal_exactly_when_the_events_are() -> None:
    differ = Differ(["/event_id"])
    pairs_equal = [
        (
            {"a": 5, "t": "2026-01-28T12:00:00+00:00", "event_id": 1},
            {"t": "2026-01-28T12:00:00Z", "a": 5.0, "event_id": 2},
        ),
        ({"l": [1, {"x": None}]}, {"l": [1.0, {"x": None}]}),
    ]
    pairs_different = [
        ({"a": None}, {}),
        ({"a": True}, {"a": 1}),
        ({"a": []}, {"a": None}),
        ({"a": "2026-01-28T12:00:00Z"}, {"a": "2026-01-28T12:00:01Z"}),
        ({"a": [1, 2]}, {"a": [2, 1]}),
    ]
    for primary, candidate in pairs_equal:
        assert differ.equal(primary, candidate)
        assert hash(differ.canonical(primary)) == hash(differ.canonical(candidate))
    for primary, candidate in pairs_different:
        assert not differ.equal(primary, candidate)
        assert differ.canonical(primary) != differ.canonical(candidate)


@pytest.mark.parametrize(
    ("primary", "candidate", "equal"),
    [
        ("2026-01-28T12:00:00.120000+00:00", "2026-01-28T12:00:00.12Z", True),
        ("2026-01-28T12:00:00-00:00", "2026-01-28t12:00:00z", True),
        ("2026-01-28T12:00:00.1Z", "2026-01-28T12:00:00.10+00:00", True),
        ("2026-01-28T12:00:00.1Z", "2026-01-28T12:00:00.2Z", False),
        ("2026-01-28T24:00:00Z", "2026-01-28T24:00:00+00:00", False),
        ("2026-02-30T12:00:00Z", "2026-02-30T12:00:00+00:00", False),
        ("2026-01-28T12:00:0xZ", "2026-01-28T12:00:0x+00:00", False),
        ("2026-01-28T12:00:00.Z", "2026-01-28T12:00:00Z", False),
        ("2026-01-28T12:00:00.１Z", "2026-01-28T12:00:00.1Z", False),
        ("2026-01-28T12:00:00+01:00", "2026-01-28T12:00:00Z", False),
    ],
)
def test_the_shortcut_for_one_utc_second_agrees_with_the_full_parse(
    primary: str, candidate: str, equal: bool
) -> None:
    differ = Differ()
    assert differ.same_time(primary, candidate) is equal
    first, second = parse_instant(primary), parse_instant(candidate)
    assert (first is not None and first == second) is equal
