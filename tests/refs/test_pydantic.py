"""pydantic v2 models: a widened derived schema plus the model as the real reader."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from cdccheck.refs import ReaderFinding, derive

pytest.importorskip("pydantic")

from tests.refs.pydantic_types import Line, Order, StrictCount

ORDER = "py:tests.refs.pydantic_types:Order"
STRICT = "py:tests.refs.pydantic_types:StrictCount"


def _validator(ref: str) -> Any:
    document = derive(ref).document
    assert document is not None
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document, format_checker=Draft202012Validator.FORMAT_CHECKER)


@settings(max_examples=100, deadline=None)
@given(
    st.builds(
        Order,
        id=st.uuids(),
        at=st.datetimes(timezones=st.none() | st.timezones()),
        lines=st.lists(st.builds(Line, n=st.integers(), label=st.text()), max_size=3),
        total=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    )
)
def test_dumped_instances_validate(order: Order) -> None:
    assert _validator(ORDER).is_valid(json.loads(order.model_dump_json()))


def test_lax_coercions_are_admitted_and_warned() -> None:
    derived = derive(ORDER)
    payload = {"id": str(uuid.uuid4()), "at": "2026-01-28T12:00:00Z", "lines": [{"n": "5"}]}
    assert Order.model_validate_json(json.dumps(payload))
    assert _validator(ORDER).is_valid(payload)
    assert any("widened for lax mode" in warning for warning in derived.warnings)
    assert any("not_too_many" in warning for warning in derived.warnings)


def test_extra_forbid_and_the_reader_paths() -> None:
    reader = derive(ORDER).reader
    assert reader is not None
    base = {"id": str(uuid.uuid4()), "at": datetime.datetime.now().isoformat(), "lines": []}
    assert reader(json.dumps(base).encode()) == []
    unknown = {**base, "zz": 1}
    assert not _validator(ORDER).is_valid(unknown)
    [finding] = reader(json.dumps(unknown).encode())
    assert finding == ReaderFinding("/zz", "ValidationError: Extra inputs are not permitted")
    wrong = {**base, "lines": [{"n": 1}, {"n": "x"}]}
    [finding] = reader(json.dumps(wrong).encode())
    assert finding.path == "/lines/1/n"
    assert finding.message.startswith("ValidationError: Input should be a valid integer")
    too_many = {**base, "lines": [{"n": 1}] * 4}
    assert _validator(ORDER).is_valid(too_many)  # the validator decides: only the reader knows
    assert reader(json.dumps(too_many).encode())[0].message.endswith("at most 3 lines")


@pytest.mark.parametrize(
    "payload",
    [{"n": 1}, {"n": "1"}, {"n": 1.0}, {"n": 1, "flag": 1}, {"n": True}, {}, {"n": 2**70}],
)
def test_strict_models_are_exact_for_scalars(payload: dict[str, Any]) -> None:
    accepted = not derive(STRICT).reader(json.dumps(payload).encode())  # type: ignore[misc]
    valid = _validator(STRICT).is_valid(payload)
    if json.dumps(payload) == json.dumps({"n": 1.0}):
        # JSON Schema cannot tell 1.0 from 1; the engine's integral_float warning does.
        assert valid
    else:
        assert valid == accepted, payload
    assert StrictCount.model_validate({"n": 1})
