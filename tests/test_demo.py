"""The demo's orchestration as a library: a private Redis, the seeded stream, the replay."""

from __future__ import annotations

import os

import pytest

from cdccheck.demo import DEMO_STREAM, Demo
from cdccheck.samples import CLASSES, EXPECTED


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_demo_replays_its_stream_then_stops_the_server() -> None:
    with Demo(events=200, seed=11) as demo:
        assert demo.stream == DEMO_STREAM
        result = demo.replay()
        pid = demo.pid
        assert pid is not None
        assert _alive(pid)
    assert not _alive(pid)
    assert result.interrupted is None
    assert result.report["totals"]["events"] == demo.written == 200
    assert result.report["source"]["stream"] == DEMO_STREAM
    groups = {(g["schema"], g["kind"], g["path"]) for g in result.report["findings"]}
    for sample_class in CLASSES:
        assert set(EXPECTED[sample_class].findings) <= groups, sample_class


def test_a_failing_block_stops_even_a_kept_server() -> None:
    demo = Demo(events=10, keep=True)

    def failing_block() -> None:
        with demo:
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        failing_block()
    pid = demo.pid
    assert pid is not None
    assert not _alive(pid)
