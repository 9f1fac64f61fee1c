"""One checking run from batches to report: the loop, ``--events-out`` and the JSON report.

``check``, ``replay``, ``demo`` and ``gate --corpus`` all come here, so a
report means the same thing whichever command made it (docs/reports.md).
The sidecar keeps its own loop: it commits around every batch.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdccheck.engine.engine import Engine
from cdccheck.engine.pipeline import BatchCallback, EventsWriter, run
from cdccheck.errors import SourceInterrupted
from cdccheck.hints import SchemaFacts
from cdccheck.model import Entry
from cdccheck.report.json import build_report, schema_info
from cdccheck.summary import DEFAULT_SAMPLES, Summary
from cdccheck.timeline import Timeline

if TYPE_CHECKING:
    from cdccheck.sources.payloads import PayloadFiles


@dataclass
class CheckRun:
    """What one run produced: the summary, its JSON report, and whether it ended early."""

    summary: Summary
    report: dict[str, Any]
    interrupted: SourceInterrupted | None = None
    """The source went away part way; the report covers what was checked before."""


def check_run(
    batches: Iterable[list[Entry]],
    engine: Engine,
    *,
    source: dict[str, Any],
    samples: int = DEFAULT_SAMPLES,
    show_values: bool = False,
    events_out: str | Path | None = None,
    on_batch: BatchCallback | None = None,
    bucket_s: int | None = None,
) -> CheckRun:
    """Check every batch into a new Summary and build the report.

    ``source`` is the report's ``source`` object (``corpus_source``,
    ``range_source``). A SourceInterrupted ends the run with a report of what
    was checked and the error in ``interrupted``; any other error propagates.
    ``events_out`` also gets one JSON line per event, kept even when the run
    stops early. The report's timeline has buckets of ``bucket_s`` seconds
    (``--bucket``), or an automatic width when None.
    """
    summary = Summary(
        samples=samples, show_values=show_values, timeline=Timeline.with_width(bucket_s)
    )
    started_at, started = datetime.now(UTC), time.perf_counter()
    interrupted: SourceInterrupted | None = None
    try:
        if events_out is None:
            run(batches, engine, summary, on_batch=on_batch)
        else:
            with EventsWriter(events_out, show_values=show_values) as writer:
                run(batches, engine, summary, sink=writer, on_batch=on_batch)
    except SourceInterrupted as error:
        interrupted = error
    report = build_report(
        summary,
        source=source,
        schemas={"legacy": schema_info(engine.legacy), "new": schema_info(engine.new)},
        started_at=started_at,
        elapsed_s=time.perf_counter() - started,
        facts=SchemaFacts({"legacy": engine.legacy, "new": engine.new}),
    )
    return CheckRun(summary, report, interrupted)


def check_corpus(
    files: Iterable[str | Path],
    engine: Engine,
    *,
    payloads: Iterable[str | Path] = (),
    samples: int = DEFAULT_SAMPLES,
    show_values: bool = False,
    events_out: str | Path | None = None,
    on_batch: BatchCallback | None = None,
    bucket_s: int | None = None,
) -> CheckRun:
    """``check_run`` over corpus files, one after the other (``check``, ``gate --corpus``).

    ``payloads``: bare payload files or directories of golden files
    (:mod:`cdccheck.sources.payloads`), checked after the corpus files. Their
    entries get ids ``0-N``; the report's ``source.payloads`` lists which ids
    each file got, and each of their samples names its ``file``.
    """
    from cdccheck.sources.corpus import read_corpus
    from cdccheck.sources.payloads import PayloadFiles

    paths = list(files)
    bare = PayloadFiles(
        list(payloads),
        payload_field=engine.payload_field,
        # The debezium layout reads an entry of exactly one field: add none.
        encoding_field=None if engine.layout == "debezium" else engine.encoding_field,
    )

    def batches() -> Iterator[list[Entry]]:
        for path in paths:
            yield from read_corpus(path)
        yield from bare.batches()

    result = check_run(
        batches(),
        engine,
        source=corpus_source(paths),
        samples=samples,
        show_values=show_values,
        events_out=events_out,
        on_batch=on_batch,
        bucket_s=bucket_s,
    )
    if bare.paths:
        result.report["source"]["payloads"] = bare.spans()
        _name_payload_samples(result.report, bare)
    return result


def _name_payload_samples(report: dict[str, Any], bare: PayloadFiles) -> None:
    """Give each sample of a bare payload the file (``file:line``) it came from."""
    for group in (*report["findings"], *report["warnings"]):
        for sample in group["samples"]:
            origin = bare.origin(sample["id"])
            if origin is not None:
                sample["file"] = origin


def corpus_source(files: Iterable[str | Path]) -> dict[str, Any]:
    """The report's ``source`` for corpus files."""
    return {"kind": "file", "files": [str(file) for file in files]}


def range_source(source: Any) -> dict[str, Any]:
    """The report's ``source`` for an opened RedisRange; the URL has no password."""
    from cdccheck.sources.redis_range import redact_url

    return {
        "kind": "redis",
        "stream": source.stream,
        "url": redact_url(source.url),
        "start": source.start_id,
        "end": source.end_id,
    }
