"""``--jobs N``: one checking run spread over N worker processes, merged into one report.

The range (``replay``) or the files (``check``) are cut into contiguous parts
(:mod:`cdccheck.sources.split`); each worker process builds its own Engine
from the ``engine_factory`` it is given (a compiled engine is never pickled),
checks whole parts into a Summary of their own and sends it back. Summaries
merge exactly (``Summary.merge``, docs/reports.md, merging reports), so the
report equals the one a single process writes, timing aside: the parts are
merged in order, and the report's range is the first id of the first part to
the last id of the last one, as one process reading them in turn would say.

When a part fails, what a single process would have done decides what
happens (docs/cli.md, ``--jobs``):

* the stream went away part way (Redis unreachable, key gone): the parts
  after the failing one are stopped and dropped, the ones before it are
  awaited, and the run ends with the report of that contiguous prefix and a
  ``SourceInterrupted`` naming the id to resume from, exactly like replay
  without ``--jobs``;
* a corpus line that is not an entry, or a file that cannot be read: the
  earliest such error (in reading order) is raised, as without ``--jobs``;
* a worker that dies or hits a bug: ``WorkerCrashed`` (exit 4), every other
  worker is stopped.

Workers ignore SIGINT: Ctrl-C at a terminal reaches the whole process group,
and it is this process that stops the workers and exits with 130. They are
daemonic processes, stopped (SIGTERM, then SIGKILL) whenever the run ends
early, and they exit by themselves once this process is gone.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from cdccheck.engine import Engine
from cdccheck.engine.pipeline import EventsWriter, run
from cdccheck.errors import CdccheckError, ConfigError, SourceError, SourceInterrupted
from cdccheck.files import AtomicWriter
from cdccheck.hints import SchemaFacts
from cdccheck.model import Entry
from cdccheck.report.json import build_report, schema_info
from cdccheck.report.run import CheckRun, check_corpus, check_run, corpus_source, range_source
from cdccheck.sources.redis_range import RedisRange
from cdccheck.sources.split import CorpusSpan, plan_corpus, plan_range, read_spans
from cdccheck.summary import DEFAULT_SAMPLES, Counters, Summary
from cdccheck.timeline import Timeline

__all__ = [
    "EngineFactory",
    "ProgressCallback",
    "WorkerCrashed",
    "check_corpus_jobs",
    "cpu_count",
    "merge_in_order",
    "replay_jobs",
    "resolve_jobs",
    "start_early",
]

EngineFactory = Callable[[], Engine]
"""Builds the engine in each worker; must pickle (a module-level function, or a partial of one)."""
ProgressCallback = Callable[[Counters], None]
"""Called with the counters of every event checked so far, by all workers together."""

PARTS_PER_JOB = 1
"""Contiguous parts per worker: one, so each worker reads one stretch of the stream."""
_PROGRESS_EVERY_S = 0.2
_STOP_WAIT_S = 5.0


class WorkerCrashed(CdccheckError):
    """A worker process died or failed on a bug: exit 4, like any internal error."""

    exit_code = 4


def cpu_count() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    with contextlib.suppress(AttributeError, OSError):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def resolve_jobs(jobs: int, *, count: int | None = None) -> int:
    """The number of worker processes ``--jobs`` asks for: 0 is one per core.

    Raises ConfigError for a negative value, and for ``--count`` with more
    than one job: the N-th entry of a range cannot be found without reading
    every entry before it, so a count cannot be cut into parts.
    """
    if jobs < 0:
        raise ConfigError(f"bad --jobs {jobs}: it must be 0 (one per core) or a positive number")
    if count is not None and jobs != 1:
        raise ConfigError(
            "--count cannot be split over --jobs (the N-th entry is only found by reading "
            "all before it): bound the range with --end instead, or drop --jobs"
        )
    return jobs or cpu_count()


# ---------------------------------------------------------------- parts


@dataclass(frozen=True)
class RangePart:
    """An inclusive id range of one stream, read by a worker with XRANGE."""

    url: str
    stream: str
    start: str
    end: str
    batch_size: int
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CorpusPart:
    """Lines of corpus files, in reading order."""

    spans: tuple[CorpusSpan, ...]


@dataclass(frozen=True)
class _Task:
    index: int
    part: RangePart | CorpusPart
    samples: int
    show_values: bool
    events_path: str | None
    bucket_s: int | None = None


@dataclass
class PartResult:
    """What a worker checked of one part."""

    summary: Summary
    entries: int
    """Entries read (the events counted)."""
    last_id: str | None
    """The last entry read, None before the first."""
    stopped: str | None = None
    """Why the stream stopped part way (Redis unreachable, key gone); None when it did not."""
    error: tuple[int, str] | None = None
    """(exit code, message) of the error that ended the part (a bad corpus line)."""

    @property
    def failed(self) -> bool:
        return self.stopped is not None or self.error is not None


def merge_in_order(
    summaries: Sequence[Summary], *, samples: int, show_values: bool, bucket_s: int | None = None
) -> Summary:
    """The Summary of reading the parts' entries one after the other.

    Counters, groups and samples merge exactly (``Summary.merge``); the range
    is the first id of the first non-empty part to the last id of the last
    one, which is what a reader going through them in order notes even when
    ids are not in order (a hand-made corpus).
    """
    merged = Summary(
        samples=samples, show_values=show_values, timeline=Timeline.with_width(bucket_s)
    )
    for summary in summaries:
        merged = merged.merge(summary)
    read = [summary for summary in summaries if summary.first_id]
    if read:
        merged.first_id, merged.last_id = read[0].first_id, read[-1].last_id
    return merged


# ---------------------------------------------------------------- the runs


def replay_jobs(
    source: RedisRange,
    engine: Engine,
    engine_factory: EngineFactory,
    *,
    jobs: int,
    password: str | None = None,
    samples: int = DEFAULT_SAMPLES,
    show_values: bool = False,
    events_out: str | Path | None = None,
    on_progress: ProgressCallback | None = None,
    bucket_s: int | None = None,
) -> CheckRun:
    """``check_run`` of ``source``'s range over ``jobs`` worker processes.

    ``engine`` is this process's engine (the report names its schemas);
    ``engine_factory`` builds an equal one in each worker. ``password`` is
    handed to the workers' connections as to ``RedisRange`` (the URL's wins,
    then this, then ``CDCCHECK_REDIS_PASSWORD``). The range is pinned first
    (``source.open()``); with ``source.count`` set, ConfigError (see
    ``resolve_jobs``). A range that cannot be cut (fewer than two entries, or
    ``jobs`` 1) is checked here, without workers.
    """
    from cdccheck.sources._redis import connect, redis_errors, secret_of

    if source.count is not None:
        resolve_jobs(jobs, count=source.count)
    source.open()
    bounds = [(source.start_id, source.end_id)]
    if jobs > 1:
        client = connect(source.url, password=password)
        try:
            with redis_errors(source.url, secret_of(source.url, password), "splitting the range"):
                bounds = plan_range(
                    client, source.stream, source.start_id, source.end_id, jobs * PARTS_PER_JOB
                )
        finally:
            client.close()
    report_source = range_source(source)
    if len(bounds) == 1:
        return check_run(
            source.batches(),
            engine,
            source=report_source,
            samples=samples,
            show_values=show_values,
            events_out=events_out,
            on_batch=_batch_progress(on_progress),
            bucket_s=bucket_s,
        )
    parts = [
        RangePart(source.url, source.stream, start, end, source.batch_size, password)
        for start, end in bounds
    ]
    started_at, started = datetime.now(UTC), time.perf_counter()
    results = _run_parts(
        engine_factory, parts, jobs, samples, show_values, events_out, on_progress, bucket_s
    )
    summary = merge_in_order(
        [result.summary for result in results],
        samples=samples,
        show_values=show_values,
        bucket_s=bucket_s,
    )
    interrupted = None
    failed = results[-1] if results and results[-1].failed else None
    if failed is not None:
        read = [result.last_id for result in results if result.last_id is not None]
        # The message replay gives without --jobs, for the contiguous prefix checked.
        source.last_id = read[-1] if read else None
        source.entries_read = sum(result.entries for result in results)
        interrupted = source._interrupted(failed.stopped or "stopped")
    report = _report(summary, engine, report_source, started_at, started)
    return CheckRun(summary, report, interrupted)


def check_corpus_jobs(
    files: Sequence[str | Path],
    engine: Engine,
    engine_factory: EngineFactory,
    *,
    jobs: int,
    samples: int = DEFAULT_SAMPLES,
    show_values: bool = False,
    events_out: str | Path | None = None,
    on_progress: ProgressCallback | None = None,
    bucket_s: int | None = None,
) -> CheckRun:
    """``check_corpus`` over ``jobs`` worker processes (see ``replay_jobs`` for the engines).

    Several files are cut at file boundaries or inside a file at line starts,
    into parts of about equal bytes; a compressed file goes whole to one
    part. A line that is not an entry raises the SourceError a single process
    would raise (the earliest in reading order).
    """
    planned = plan_corpus(files, jobs * PARTS_PER_JOB)
    if len(planned) < 2:
        return check_corpus(
            files,
            engine,
            samples=samples,
            show_values=show_values,
            events_out=events_out,
            on_batch=_batch_progress(on_progress),
            bucket_s=bucket_s,
        )
    started_at, started = datetime.now(UTC), time.perf_counter()
    parts = [CorpusPart(tuple(spans)) for spans in planned]
    results = _run_parts(
        engine_factory, parts, jobs, samples, show_values, events_out, on_progress, bucket_s
    )
    if results and results[-1].error is not None:
        code, message = results[-1].error
        raise _rebuilt(code, message)
    summary = merge_in_order(
        [result.summary for result in results],
        samples=samples,
        show_values=show_values,
        bucket_s=bucket_s,
    )
    report = _report(summary, engine, corpus_source(files), started_at, started)
    return CheckRun(summary, report)


def _report(
    summary: Summary, engine: Engine, source: dict[str, Any], started_at: datetime, started: float
) -> dict[str, Any]:
    return build_report(
        summary,
        source=source,
        schemas={"legacy": schema_info(engine.legacy), "new": schema_info(engine.new)},
        started_at=started_at,
        elapsed_s=time.perf_counter() - started,
        facts=SchemaFacts({"legacy": engine.legacy, "new": engine.new}),
    )


def _batch_progress(on_progress: ProgressCallback | None) -> Any:
    if on_progress is None:
        return None
    return lambda batch, summary: on_progress(summary.totals)


def _rebuilt(exit_code: int, message: str) -> CdccheckError:
    """A worker's CdccheckError again, by its exit code (its class does not cross processes)."""
    if exit_code == ConfigError.exit_code:
        return ConfigError(message)
    if exit_code == SourceError.exit_code:
        return SourceError(message)
    error = CdccheckError(message)
    error.exit_code = exit_code
    return error


# ---------------------------------------------------------------- the pool


@dataclass
class _Worker:
    number: int
    process: Any
    conn: Connection
    task: int | None = None
    """The part it is checking; None when idle or told to stop."""
    done: bool = False
    """Told to stop (or stopped): its exit is expected."""


def _run_parts(
    engine_factory: EngineFactory,
    parts: Sequence[RangePart | CorpusPart],
    jobs: int,
    samples: int,
    show_values: bool,
    events_out: str | Path | None,
    on_progress: ProgressCallback | None,
    bucket_s: int | None = None,
) -> list[PartResult]:
    """Check ``parts`` on ``min(jobs, len(parts))`` workers; the results of the prefix kept.

    Returns the results of parts 0..k in order, where k is the first part
    that failed (its result last), or every part when none did. Parts after
    a failed one are stopped. With ``events_out``, the prefix's events are
    written there in order. Raises WorkerCrashed when a worker dies.
    """
    scratch = None if events_out is None else _scratch_next_to(Path(events_out))
    tasks = deque(
        _Task(
            index,
            part,
            samples,
            show_values,
            None if scratch is None else str(scratch / f"part-{index:05d}.jsonl"),
            bucket_s,
        )
        for index, part in enumerate(parts)
    )
    try:
        with _stop_on_sigterm():
            results = _Pool(engine_factory, min(jobs, len(parts)), len(parts), on_progress).run(
                tasks
            )
        if events_out is not None and scratch is not None:
            _concatenate(
                [scratch / f"part-{index:05d}.jsonl" for index in range(len(results))],
                Path(events_out),
            )
        return results
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _scratch_next_to(target: Path) -> Path:
    """A private directory beside ``target`` for the parts' events (same filesystem, same space)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{target.name}.parts.", dir=target.parent))
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from None


def _concatenate(pieces: list[Path], target: Path) -> None:
    with AtomicWriter(target) as writer:
        for piece in pieces:
            if piece.exists():
                with piece.open("rb") as handle:
                    shutil.copyfileobj(handle, writer.stream, 1 << 20)


class _Pool:
    """Worker processes fed one part at a time, in order, through a pipe each."""

    def __init__(
        self,
        engine_factory: EngineFactory,
        workers: int,
        parts: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.engine_factory = engine_factory
        self.size = workers
        self.parts = parts
        self.on_progress = on_progress
        self.workers: list[_Worker] = []
        self.tasks: deque[_Task] = deque()
        self.results: dict[int, PartResult] = {}
        self.progress: dict[int, tuple[int, int]] = {}
        self.failed: int | None = None

    def run(self, tasks: deque[_Task]) -> list[PartResult]:
        self.tasks = tasks
        try:
            self._start()
            for worker in self.workers:
                self._feed(worker)
            while any(worker.task is not None for worker in self.workers):
                busy = [worker for worker in self.workers if worker.task is not None]
                wait(
                    [worker.conn for worker in busy] + [worker.process.sentinel for worker in busy],
                    timeout=1.0,
                )
                for worker in busy:
                    self._service(worker)
        finally:
            self._stop_all()
        last = self.failed if self.failed is not None else self.parts - 1
        return [self.results[index] for index in range(last + 1)]

    def _start(self) -> None:
        context = _context(self.engine_factory)
        for number in range(1, self.size + 1):
            here, there = context.Pipe(duplex=True)
            process = context.Process(
                target=_worker_main,
                args=(there, self.engine_factory),
                name=f"cdccheck-job-{number}",
                daemon=True,
            )
            process.start()
            there.close()  # only the worker holds its end: its exit reads as EOF here
            self.workers.append(_Worker(number, process, here))

    def _feed(self, worker: _Worker) -> None:
        """Send ``worker`` the next part, or tell it to stop when none is left."""
        task = self.tasks.popleft() if self.tasks and self.failed is None else None
        with contextlib.suppress(OSError):  # it died; _service notices through its sentinel
            worker.conn.send(task)
        worker.task = None if task is None else task.index
        worker.done = task is None

    def _service(self, worker: _Worker) -> None:
        alive = True
        while alive:
            try:
                if not worker.conn.poll():
                    break
                message = worker.conn.recv()
            except (EOFError, OSError):
                alive = False
                break
            self._handle(worker, message)
        if worker.task is not None and (not alive or not worker.process.is_alive()):
            worker.process.join(1.0)
            raise WorkerCrashed(
                f"internal error: --jobs worker {worker.number} (pid {worker.process.pid}) "
                f"{_how_it_ended(worker.process.exitcode)} while checking part "
                f"{worker.task + 1} of {self.parts} (please report this)"
            )

    def _handle(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "progress":
            _, index, events, ok = message
            self.progress[index] = (events, ok)
            self._report_progress()
        elif kind == "done":
            _, index, result = message
            self.results[index] = result
            totals = result.summary.totals
            self.progress[index] = (totals.events, totals.ok)
            self._report_progress()
            if result.failed and (self.failed is None or index < self.failed):
                self.failed = index
                self._cancel_after(index)
            self._feed(worker)
        elif kind == "error":  # the worker could not build its engine
            _, exit_code, text = message
            raise _rebuilt(exit_code, text)
        elif kind == "crashed":
            _, index, description = message
            where = "" if index is None else f" while checking part {index + 1} of {self.parts}"
            raise WorkerCrashed(
                f"internal error in --jobs worker {worker.number}{where}: {description} "
                "(please report this)"
            )

    def _cancel_after(self, index: int) -> None:
        """Stop the workers checking parts after ``index``: a single process never reads them."""
        for worker in self.workers:
            if worker.task is not None and worker.task > index:
                worker.process.terminate()
                self.progress.pop(worker.task, None)
                worker.task, worker.done = None, True

    def _report_progress(self) -> None:
        if self.on_progress is None:
            return
        events = sum(events for events, _ in self.progress.values())
        ok = sum(ok for _, ok in self.progress.values())
        self.on_progress(Counters(events=events, ok=ok))

    def _stop_all(self) -> None:
        for worker in self.workers:
            if not worker.done and worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
                worker.done = True
        deadline = time.monotonic() + _STOP_WAIT_S
        for worker in self.workers:
            if worker.task is not None:  # stopped early (Ctrl-C, a crash elsewhere)
                worker.process.terminate()
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was killed by {name}"
    return f"exited with status {exitcode}"


def _context(engine_factory: Callable[..., Any]) -> Any:
    """forkserver where there is one, else spawn.

    A forkserver imports cdccheck once and forks each worker from there, so
    workers start in milliseconds. Never plain fork: this process may hold
    threads and open connections that a forked copy must not share.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    factory_module = getattr(getattr(engine_factory, "func", engine_factory), "__module__", None)
    preload = [__name__, f"{__package__}.parallel_preload"]
    preload += [factory_module] if factory_module else []
    context.set_forkserver_preload(preload)
    return context


def start_early(engine_factory: Callable[..., Any]) -> None:
    """Start the fork server now, so that its imports overlap with this process's own work.

    Optional: the first run starts it anyway. Call it as soon as more than
    one job is known to be wanted (before loading schemas and connecting).
    """
    if _context(engine_factory).get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


@contextlib.contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """While workers run, SIGTERM unwinds this process (stopping them) instead of killing it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def unwind(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        # None: the handler was not set from Python; the default is the best guess.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


# ---------------------------------------------------------------- in a worker


class _ParentGone(Exception):
    """The process that started this worker has exited; the worker stops too."""


def _worker_main(conn: Connection, engine_factory: EngineFactory) -> None:
    """A worker: build the engine, then check the parts the pipe brings until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        try:
            engine = engine_factory()
        except CdccheckError as error:
            _send(conn, ("error", error.exit_code, error.message))
            return
        except Exception as error:
            _send(conn, ("crashed", None, _describe(error)))
            return
        # Everything so far (modules, schemas, compiled checks) lives as long as
        # the worker: out of the collector's sight, it is not scanned again at
        # every full collection (measured: about a tenth of a worker's time).
        gc.freeze()
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                return
            if task is None:
                return
            try:
                result = _check_part(engine, task, conn)
            except _ParentGone:
                return
            except Exception as error:
                _send(conn, ("crashed", task.index, _describe(error)))
                return
            _send(conn, ("done", task.index, result))
    except _ParentGone:
        return


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    try:
        conn.send(message)
    except OSError:
        raise _ParentGone from None


def _describe(error: BaseException) -> str:
    """``Type: message at file:line`` of the innermost frame, on one line."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}{': ' + message if message else ''}{where}"


class _PartRange(RedisRange):
    """A RedisRange that keeps why it stopped, for the message of the whole run."""

    reason: str | None = None

    def _interrupted(self, reason: str) -> SourceInterrupted:
        self.reason = reason
        return super()._interrupted(reason)


def _check_part(engine: Engine, task: _Task, conn: Connection) -> PartResult:
    summary = Summary(
        samples=task.samples,
        show_values=task.show_values,
        timeline=Timeline.with_width(task.bucket_s),
    )
    last_sent = time.monotonic()

    def progress(batch: list[Entry], summary: Summary) -> None:
        nonlocal last_sent
        now = time.monotonic()
        if now - last_sent >= _PROGRESS_EVERY_S:
            last_sent = now
            _send(conn, ("progress", task.index, summary.totals.events, summary.totals.ok))

    part = task.part
    stopped: str | None = None
    error: tuple[int, str] | None = None
    if isinstance(part, RangePart):
        source = _PartRange(
            part.url,
            part.stream,
            start=part.start,
            end=part.end,
            batch_size=part.batch_size,
            password=part.password,
        )
        with source:
            try:
                _check_into(summary, engine, source.batches(), task, progress)
            except SourceError as failure:  # SourceInterrupted, or unreachable when opening
                stopped = source.reason or failure.message
        return PartResult(summary, source.entries_read, source.last_id, stopped=stopped)
    try:
        _check_into(summary, engine, read_spans(part.spans), task, progress)
    except CdccheckError as failure:
        error = (failure.exit_code, failure.message)
    return PartResult(summary, summary.totals.events, summary.last_id or None, error=error)


def _check_into(
    summary: Summary,
    engine: Engine,
    batches: Iterator[list[Entry]],
    task: _Task,
    progress: Callable[[list[Entry], Summary], None],
) -> None:
    if task.events_path is None:
        run(batches, engine, summary, on_batch=progress)
        return
    with EventsWriter(task.events_path, show_values=task.show_values) as writer:
        run(batches, engine, summary, sink=writer, on_batch=progress)
