"""Real readers: findings from exceptions, and a guarded worker that survives hangs and crashes."""

from __future__ import annotations

import pytest

from cdccheck.errors import ConfigError
from cdccheck.refs import GuardedReader, ReaderFinding, run_with_time_limit
from cdccheck.refs.readers import call_reader, findings_from_exception

READER = "py:tests.refs.slow_reader:read"


def test_guarded_reader_reports_hangs_and_crashes_and_goes_on() -> None:
    with GuardedReader(READER, time_limit=1.0) as reader:
        assert reader.check(b'{"id": 1}') == []
        assert reader.check(b"{}") == [ReaderFinding("", "KeyError: 'id'")]
        [hang] = reader.check(b"hang")
        assert hang.message == "TimeoutError: the reader took longer than 1 s (stopped)"
        assert reader.check(b'{"id": 2}') == []  # a fresh worker took over
        [crash] = reader.check(b"crash")
        assert crash.message == "ReaderCrashed: the reader's process died (exit code 7)"
        assert reader.check(b"not json")[0].message.startswith("JSONDecodeError: ")
        assert reader.restarts == 2


def test_guarded_reader_refuses_a_reference_without_a_reader() -> None:
    with pytest.raises(ConfigError, match="has no real reader"):
        GuardedReader("py:tests.refs.pytypes:Legacy").check(b"{}")


def test_in_process_time_limit() -> None:
    reader = call_reader(lambda payload: __import__("time").sleep(5) if payload == b"x" else None)
    assert run_with_time_limit(reader, b"y", 1.0) == []
    [late] = run_with_time_limit(reader, b"x", 0.2)
    assert late.message == "TimeoutError: the reader took longer than 0.2 s"


def test_paths_from_exceptions() -> None:
    class WithPath(Exception):
        path = ("comment", "awards", 0)

    assert findings_from_exception(WithPath("bad")) == [
        ReaderFinding("/comment/awards/0", "WithPath: bad")
    ]
    assert findings_from_exception(ValueError("")) == [ReaderFinding("", "ValueError")]
    long = findings_from_exception(ValueError("x" * 1000))[0].message
    assert len(long) == 500
