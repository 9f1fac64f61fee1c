"""examples/comment: the code the bundled comment schemas describe, derived."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from jsonschema import Draft202012Validator

from cdccheck import samples, wire
from cdccheck.refs import derive
from tests.refs.conftest import EXAMPLES

GO_REF = f"go:{EXAMPLES / 'go' / 'events'}:Event"
PY_PATH = [EXAMPLES / "python"]
PY_REF = "py:legacy_consumer:CommentEvent"


def _validator(document: dict[str, Any] | None) -> Any:
    assert document is not None
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _json_samples(writer: bytes) -> list[tuple[str, bytes, Any]]:
    out = []
    for name in samples.CLASSES:
        if samples.EXPECTED[name].writer != writer:
            continue
        for sample in samples.generate(name, 15):
            fields = sample.entry.fields
            if "encoding" in fields:
                continue
            decoded = wire.decode(fields["payload"])
            if isinstance(decoded, wire.Decoded) and not decoded.warnings:
                out.append((name, fields["payload"], decoded.value))
    return out


_TIMESTAMPS = (("emitted_at",), ("comment", "created_at"), ("comment", "edited_at"))


def _rfc3339nano(text: str) -> str:
    """``text`` as time.Time.MarshalJSON renders the same instant and offset.

    RFC 3339 with the fraction's trailing zeros (and a zero fraction) left
    out, "Z" for UTC: what the example's time.Time fields write.
    """
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    rendered = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}"  # %Y drops the zeros of year 1
    if moment.microsecond:
        rendered += f".{moment.microsecond:06d}".rstrip("0")
    offset = moment.utcoffset()
    if not offset:
        return rendered + "Z"
    zone = f"{moment:%z}"
    return f"{rendered}{zone[:3]}:{zone[3:5]}"


def _as_time_time(value: Any) -> Any:
    """A sample Go event with its timestamps rendered by time.Time, as the example writes them.

    The sample Go writer renders healthy timestamps with a custom layout (six
    digits, "+00:00"); the example's fields are time.Time since the deploy
    the demo's story tells, so the same events come out in RFC3339Nano.
    """
    value = copy.deepcopy(value)
    for path in _TIMESTAMPS:
        holder = value
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and isinstance(holder.get(path[-1]), str):
            holder[path[-1]] = _rfc3339nano(holder[path[-1]])
    return value


def test_the_go_writer_view_admits_what_the_go_writer_writes() -> None:
    derived = derive(GO_REF)
    validator = _validator(derived.document)
    checked = 0
    for name, payload, value in _json_samples(samples.GO_WRITER):
        # GO_RFC3339NANO is written by time.Time already.
        shown = value if name == samples.GO_RFC3339NANO else _as_time_time(value)
        errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(shown)]
        assert not errors, f"{name}: {payload[:200]!r}: {errors}"
        checked += 1
    assert checked > 100
    assert derived.warnings == []
    document = derived.document
    assert document is not None
    comment = document["$defs"]["Comment"]
    assert "score" not in comment["required"]
    assert comment["properties"]["awards"]["type"] == ["array", "null"]
    assert comment["properties"]["score"]["not"] == {"const": 0}
    assert comment["properties"]["created_at"]["format"] == "date-time"


def test_the_sample_go_writers_own_layout_is_not_what_time_time_writes() -> None:
    """The pre-deploy layout keeps trailing zeros in the fraction, which time.Time never writes."""
    validator = _validator(derive(GO_REF).document)
    layout = [
        value
        for name, _, value in _json_samples(samples.GO_WRITER)
        if name == samples.GO_HEALTHY and value["emitted_at"].endswith("0+00:00")
    ]
    assert layout
    assert not any(validator.is_valid(value) for value in layout)
    assert all(validator.is_valid(_as_time_time(value)) for value in layout)


def test_the_go_example_compiles_and_what_it_writes_validates(
    go_build: Callable[[Path, str], Path],
) -> None:
    binary = go_build(EXAMPLES / "go", "./cmd/sample")
    lines = subprocess.run(
        [str(binary)], capture_output=True, text=True, check=True, timeout=60
    ).stdout.splitlines()
    validator = _validator(derive(GO_REF).document)
    assert len(lines) == 4
    for line in lines:
        assert validator.is_valid(json.loads(line)), line


def test_the_python_reader_view_accepts_what_the_dataclasses_decode() -> None:
    from legacy_consumer import CommentEvent  # type: ignore[import-not-found]

    validator = _validator(derive(PY_REF, python_path=PY_PATH).document)
    decoder = msgspec.json.Decoder(CommentEvent)
    agreed = 0
    for name, payload, value in _json_samples(samples.PY_WRITER) + _json_samples(samples.GO_WRITER):
        try:
            decoder.decode(payload)
            accepted = True
        except msgspec.ValidationError:
            accepted = False
        if name == samples.PY_FLOAT_SCORE:
            # 5.0 for an int: JSON Schema cannot tell; the engine's integral_float warning can.
            assert not accepted
        else:
            assert validator.is_valid(value) == accepted, (name, payload[:200])
        agreed += 1
    assert agreed > 200


def test_unknown_forbid_and_the_real_reader() -> None:
    forbid = _validator(derive(f"{PY_REF}?unknown=forbid", python_path=PY_PATH).document)
    reader = derive("py:legacy_consumer:read_event", python_path=PY_PATH).reader
    assert reader is not None
    healthy_values = [v for n, _, v in _json_samples(samples.PY_WRITER) if n == samples.PY_HEALTHY]
    assert all(forbid.is_valid(value) for value in healthy_values)
    new_field = [v for n, _, v in _json_samples(samples.GO_WRITER) if n == samples.GO_NEW_FIELD]
    assert new_field
    assert not any(forbid.is_valid(value) for value in new_field)
    healthy = samples.generate(samples.PY_HEALTHY, 10)
    assert all(reader(s.entry.fields["payload"]) == [] for s in healthy)
    [finding] = reader(samples.generate(samples.GO_RFC3339NANO, 1)[0].entry.fields["payload"])
    assert finding.message.startswith("Rejected: Invalid isoformat string: '2026-")
    assert finding.path == "/emitted_at"  # the consumers' error says where
    [finding] = reader(samples.generate(samples.GO_NEW_FIELD, 1)[0].entry.fields["payload"])
    assert "unexpected keyword argument 'collapsed_reason_code'" in finding.message


@pytest.fixture(autouse=True)
def _import_root() -> None:
    derive(PY_REF, python_path=PY_PATH)  # puts examples/comment/python on sys.path
