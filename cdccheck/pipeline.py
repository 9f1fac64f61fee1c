"""Kept for one release: the batch loop moved to :mod:`cdccheck.engine.pipeline`."""

from cdccheck.engine.pipeline import (
    BatchCallback,
    EventsWriter,
    VerdictSink,
    check_batch,
    run,
    verdict_line,
)

__all__ = ["BatchCallback", "EventsWriter", "VerdictSink", "check_batch", "run", "verdict_line"]
