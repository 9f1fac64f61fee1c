"""The Python reader view against the real decoder.

The oracle is msgspec itself: for payloads generated around every supported
type (valid ones, near misses, wrong types, unknown keys), the derived schema
accepts exactly what ``msgspec.json.decode(payload, type=T)`` accepts; where
cdccheck widened on purpose (Decimal) and warned, it accepts at least that.
Instances the decoder built and ``msgspec.json.encode`` wrote always validate.
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
import string
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import msgspec.inspect as mi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from cdccheck.errors import ConfigError
from cdccheck.refs import derive
from cdccheck.refs.python import derive_msgspec, msgspec_reader
from tests.refs import pytypes

HERE = Path(__file__).parent
TYPES = ["Reading", "Zoo", "Row", "Item", "Point", "Owner", "Shape", "Color", "Level"]


def _ref(name: str, options: str = "") -> str:
    return f"py:tests.refs.pytypes:{name}{options}"


@functools.cache
def _derived_validator(name: str) -> tuple[Any, bool]:
    """(validator, widened) for a type of tests.refs.pytypes, built once."""
    derived = derive(_ref(name))
    assert derived.document is not None
    widened = any("Decimal" in warning for warning in derived.warnings)
    return _validator(derived.document), widened


def _has_integral_float(value: Any) -> bool:
    # JSON Schema cannot tell 5.0 from 5 (both are integers to it); msgspec
    # refuses 5.0 for an int. The engine reports it as an integral_float warning.
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, list):
        return any(_has_integral_float(item) for item in value)
    if isinstance(value, dict):
        return any(_has_integral_float(item) for item in value.values())
    return False


def _validator(document: dict[str, Any]) -> Any:
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document, format_checker=Draft202012Validator.FORMAT_CHECKER)


# ---------------------------------------------------------------- generated payloads

_DIGITS = st.text(string.digits, min_size=1, max_size=3)


@st.composite
def _timestamp(draw: Any, date: bool = True, clock: bool = True) -> str:
    """A timestamp that is valid in most parts, with a near miss here and there."""

    def part(valid: st.SearchStrategy[str], near: st.SearchStrategy[str]) -> str:
        return draw(st.one_of(valid, valid, valid, near))

    def number(low: int, high: int, near_low: int, near_high: int) -> str:
        return part(
            st.integers(low, high).map("{:02d}".format),
            st.integers(near_low, near_high).map("{:02d}".format),
        )

    parts = []
    if date:
        parts.append(
            part(
                st.sampled_from(["2023", "2024", "1900", "2000", "2100", "0001", "9999"]),
                st.sampled_from(["0000", "202", "20245"]),
            )
        )
        parts.append("-" + number(1, 12, 0, 13) + "-" + number(1, 31, 0, 32))
    if date and clock:
        parts.append(part(st.sampled_from(["T", "t", " "]), st.sampled_from(["_", "", "TT"])))
    if clock:
        parts.append(number(0, 23, 0, 25) + ":" + number(0, 59, 0, 60) + ":")
        parts.append(number(0, 59, 0, 61))
        parts.append(
            part(st.just("") | _DIGITS.map(lambda d: "." + d), st.sampled_from([".", ",5"]))
        )
        parts.append(
            part(
                st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "+0000", "+05:30", "-2359"]),
                st.sampled_from(["+24:00", "+23:60", "+05", "+5:30", "Z+01:00", "UTC"]),
            )
        )
    return "".join(parts)


def _uuid_text() -> st.SearchStrategy[str]:
    def render(value: Any, style: int) -> str:
        text = str(value)
        return [
            text,
            text.upper(),
            value.hex,
            "{" + text + "}",
            text[:-1],
            text.replace("-", "", 1),
        ][style]

    return st.builds(render, st.uuids(), st.integers(0, 5))


def _base64_text() -> st.SearchStrategy[str]:
    def render(raw: bytes, style: int) -> str:
        text = base64.b64encode(raw).decode()
        return [text, text.rstrip("="), text.replace("+", "-"), " " + text, text + "=", text][style]

    return st.builds(render, st.binary(max_size=7), st.integers(0, 5))


def _duration_text() -> st.SearchStrategy[str]:
    segment = st.tuples(_DIGITS, st.sampled_from(["", ".5", ",5"]), st.sampled_from("DdHhMmSsX"))
    return st.builds(
        lambda sign, p, first, t, rest: (
            sign
            + p
            + "".join(a + b + c for a, b, c in first)
            + t
            + "".join(a + b + c for a, b, c in rest)
        ),
        st.sampled_from(["", "-", "+"]),
        st.sampled_from(["P", "p", ""]),
        st.lists(segment, max_size=2),
        st.sampled_from(["", "T", "t"]),
        st.lists(segment, max_size=3),
    )


_ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=5,
)


def _near(info: Any, depth: int) -> st.SearchStrategy[Any]:
    """JSON values around ``info``: mostly right-looking, sometimes wrong."""
    typed = _typed(info, depth)
    return st.one_of(typed, typed, typed, _ANY_JSON)


def _typed(info: Any, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(info, mi.IntType):
        return st.integers(-200, 200) | st.sampled_from([2**63, -(2**70), 5.0, True, "5"])
    if isinstance(info, mi.FloatType):
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers()
    if isinstance(info, mi.BoolType):
        return st.booleans() | st.sampled_from([0, "true"])
    if isinstance(info, mi.StrType):
        return st.text(string.ascii_lowercase + "A9 ", max_size=10)
    if isinstance(info, mi.NoneType):
        return st.none()
    if isinstance(info, mi.DateTimeType):
        return _timestamp()
    if isinstance(info, mi.DateType):
        return _timestamp(clock=False) | _timestamp()
    if isinstance(info, mi.TimeType):
        return _timestamp(date=False)
    if isinstance(info, mi.UUIDType):
        return _uuid_text()
    if isinstance(info, mi.BytesType):
        return _base64_text()
    if isinstance(info, mi.TimeDeltaType):
        return _duration_text()
    if isinstance(info, mi.DecimalType):
        return st.sampled_from(["1.5", " 2", "NaN", "1_000", "abc", 3, 2.5, "-inf"])
    if isinstance(info, mi.EnumType):
        return st.sampled_from([m.value for m in info.cls] + ["nope", 3])
    if isinstance(info, mi.LiteralType):
        return st.sampled_from([*info.values, "c", 8])
    if isinstance(info, mi.ListType | mi.SetType):
        return st.lists(_near(info.item_type, depth + 1), max_size=3 if depth < 3 else 0)
    if isinstance(info, mi.TupleType):
        items = [_near(item, depth + 1) for item in info.item_types]
        return st.tuples(*items).map(list) | st.lists(_ANY_JSON, max_size=3)
    if isinstance(info, mi.DictType):
        keys = _near(info.key_type, depth + 1).map(str) | st.sampled_from(["1", "-0", "01", "x"])
        return st.dictionaries(keys, _near(info.value_type, depth + 1), max_size=3)
    if isinstance(info, mi.UnionType):
        return st.one_of([_typed(member, depth) for member in info.types])
    if isinstance(info, mi.NamedTupleType):
        return st.tuples(*[_near(f.type, depth + 1) for f in info.fields]).flatmap(
            lambda values: st.integers(0, len(values)).map(lambda n: list(values[:n]))
        )
    if isinstance(info, mi.StructType | mi.DataclassType | mi.TypedDictType):
        if depth > 2:
            return st.just(None)
        return _object(info, depth)
    return _ANY_JSON


def _object(info: Any, depth: int) -> st.SearchStrategy[Any]:
    fields = [
        st.tuples(st.just(f.encode_name), _near(f.type, depth + 1), st.integers(0, 9))
        for f in info.fields
    ]
    tag = st.sampled_from([None, None, getattr(info, "tag", None), "Other"])

    def build(values: list[tuple[str, Any, int]], tag_value: Any, unknown: int) -> Any:
        out = {name: value for name, value, drop in values if drop}  # drop == 0: absent
        if getattr(info, "tag_field", None) and tag_value is not None:
            out = {info.tag_field: tag_value, **out}
        if unknown == 0:
            out["unknownKey"] = 1
        if getattr(info, "array_like", False):
            return list(out.values())[: len(info.fields) + unknown % 2]
        return out

    return st.builds(build, st.tuples(*fields).map(list), tag, st.integers(0, 4))


LEAVES: dict[str, Any] = {
    "datetime": datetime.datetime,
    "aware datetime": Annotated[datetime.datetime, msgspec.Meta(tz=True)],
    "naive datetime": Annotated[datetime.datetime, msgspec.Meta(tz=False)],
    "date": datetime.date,
    "time": datetime.time,
    "aware time": Annotated[datetime.time, msgspec.Meta(tz=True)],
    "uuid": uuid.UUID,
    "bytes": bytes,
    "timedelta": datetime.timedelta,
    "int keys": dict[int, int],
    "enum keys": dict[pytypes.Color, int],
    "tuple": tuple[str, int],
    "literal": Literal["a", 1, None],
    "int enum": pytypes.Level,
    "constrained str": Annotated[str, msgspec.Meta(min_length=2, max_length=4, pattern="^a")],
    "constrained int": Annotated[int, msgspec.Meta(ge=-3, lt=5, multiple_of=2)],
    "union": int | str | None,
    "set": set[int],
}


@pytest.mark.parametrize("name", sorted(LEAVES))
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_leaf_types_accept_exactly_what_msgspec_decodes(name: str, data: Any) -> None:
    target = LEAVES[name]
    validator = _leaf_validator(name)
    value = data.draw(_leaf_strategy(name))
    payload = json.dumps(value).encode()
    accepted = _accepts(target, payload)
    valid = validator.is_valid(value)
    if _has_integral_float(value) or _ends_in_newline(value):
        # Wider, never narrower: JSON Schema cannot tell 5.0 from 5, and the
        # reference validator's `$` (Python's re.search) also matches before
        # a final newline (docs/schemas-from-code.md, "Where it is wider").
        assert valid or not accepted
    else:
        assert valid == accepted, f"{payload!r}: decoder {accepted}, schema {valid}"


def _ends_in_newline(value: Any) -> bool:
    return isinstance(value, str) and value.endswith("\n")


@functools.cache
def _leaf_validator(name: str) -> Any:
    derived = derive_msgspec(LEAVES[name], label=name)
    assert derived.document is not None
    return _validator(derived.document)


@functools.cache
def _leaf_strategy(name: str) -> st.SearchStrategy[Any]:
    return _near(mi.type_info(LEAVES[name]), 0)


@functools.cache
def _strategy(name: str) -> st.SearchStrategy[Any]:
    return _near(mi.type_info(getattr(pytypes, name)), 0)


def _accepts(target: Any, payload: bytes) -> bool:
    return not msgspec_reader(target)(payload)


@pytest.mark.parametrize("name", TYPES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_schema_accepts_exactly_what_msgspec_decodes(name: str, data: Any) -> None:
    target = getattr(pytypes, name)
    validator, widened = _derived_validator(name)
    value = data.draw(_strategy(name))
    payload = json.dumps(value).encode()
    accepted = _accepts(target, payload)
    valid = validator.is_valid(value)
    if widened or _has_integral_float(value):
        assert valid or not accepted, f"{payload!r}: decoded but invalid"
    else:
        assert valid == accepted, f"{payload!r}: decoder {accepted}, schema {valid}"
    if accepted:
        # What msgspec writes back for the decoded object validates too.
        encoded = msgspec.json.encode(msgspec.json.decode(payload, type=target))
        assert validator.is_valid(json.loads(encoded)), encoded


def test_descriptions_name_the_python_attribute_and_defaults() -> None:
    document = derive(_ref("Reading")).document
    assert document is not None
    props = document["properties"]
    assert "Python attribute Reading.sensor_id: UUID" in props["sensorId"]["description"]
    assert "omit_defaults" in props["label"]["description"]
    assert document["required"][0] == "sensorId"
    assert "label" not in document["required"]
    assert document["additionalProperties"] is False  # forbid_unknown_fields
    item = document["$defs"]["Item"]
    assert "additionalProperties" not in item  # a dataclass ignores unknown keys
    assert item["properties"]["qty"]["minimum"] == 1


def test_unknown_forbid_for_a_dataclass_built_with_double_star() -> None:
    plain = derive(_ref("Legacy")).document
    forbid = derive(_ref("Legacy", "?unknown=forbid")).document
    assert plain is not None
    assert forbid is not None
    event = {"id": "a", "score": 1, "extra": 2}
    assert _validator(plain).is_valid(event)
    assert not _validator(forbid).is_valid(event)


def test_a_callable_is_a_real_reader_with_paths_from_exceptions() -> None:
    derived = derive(_ref("read_strict"))
    assert derived.document is None
    assert derived.reader is not None
    assert derived.reader(b'{"id": "a", "score": 1, "when": "2026-01-28T12:00:00"}') == []
    [unknown] = derived.reader(b'{"id": "a", "score": 1, "when": "x", "other": 1}')
    assert unknown.path == ""
    assert unknown.message.startswith("TypeError: ")
    assert "'other'" in unknown.message
    [bad_time] = derived.reader(b'{"id": "a", "score": 1, "when": "nope"}')
    assert bad_time.message == "ValueError: Invalid isoformat string: 'nope'"
    [typed] = msgspec_reader(pytypes.Reading)(b'{"sensorId": 5}')
    assert typed.path == "/sensorId"
    assert typed.message == "ValidationError: Expected `uuid`, got `int` - at `$.sensorId`"


BAD_REFERENCES = [
    (
        "py:no_such_module_x:Thing",
        r"^cannot import py:no_such_module_x:Thing: "
        r"ModuleNotFoundError: No module named 'no_such_module_x'$",
    ),
    (
        "py:tests.refs.pytypes:Nope",
        r"^cannot derive py:tests.refs.pytypes:Nope: module tests.refs.pytypes has no 'Nope'$",
    ),
    (
        "py:tests.refs.pytypes",
        r"^bad reference 'py:tests.refs.pytypes': expected py:module.path:Name$",
    ),
    (
        "py:tests.refs.pytypes:Legacy?unknown=maybe",
        r"^bad reference .*: unknown option 'unknown=maybe' \(known: unknown=forbid\|ignore\)$",
    ),
    (
        "py:tests.refs.pytypes:Item.__doc__",
        r"^cannot derive .*: str is neither a type cdccheck can read nor a callable$",
    ),
    ("missing-schema.json", r"^cannot read schema missing-schema.json: no such file$"),
]


@pytest.mark.parametrize(("ref", "message"), BAD_REFERENCES)
def test_bad_references_are_one_line_config_errors(ref: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        derive(ref)
    assert "\n" not in str(caught.value)


def test_import_roots_and_syntax_errors(tmp_path: Path) -> None:
    (tmp_path / "consumer_ok_x.py").write_text(
        "import dataclasses\n\n@dataclasses.dataclass\nclass E:\n    a: int\n"
    )
    (tmp_path / "consumer_bad_x.py").write_text("def broken(:\n")
    derived = derive("py:consumer_ok_x:E", python_path=[tmp_path])
    assert derived.document is not None
    assert derived.document["required"] == ["a"]
    with pytest.raises(
        ConfigError,
        match=r"^cannot import py:consumer_bad_x:E: SyntaxError at .*consumer_bad_x.py:1: ",
    ):
        derive("py:consumer_bad_x:E", python_path=[tmp_path])


def test_a_json_schema_file_derives_to_itself() -> None:
    path = HERE.parent.parent / "schemas" / "comment" / "legacy.json"
    derived = derive(str(path))
    assert derived.document == json.loads(path.read_text())
    assert derived.warnings == []
