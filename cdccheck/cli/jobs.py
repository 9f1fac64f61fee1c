"""``--jobs N`` of ``check`` and ``replay``: the option and the runs that use it.

The work is in :mod:`cdccheck.report.parallel`; this module only turns the
command's options into the call ``report_run`` makes, so that the commands
keep one line each for it (docs/cli.md, ``--jobs``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from cdccheck.cli.common import EventOptions, SchemaOptions, build_engine
from cdccheck.cli.options import env_option

if TYPE_CHECKING:
    from cdccheck.engine.engine import Engine
    from cdccheck.report.run import CheckRun
    from cdccheck.sources.redis_range import RedisRange
    from cdccheck.summary import Counters

JobsOption = Annotated[
    int,
    env_option(
        "--jobs",
        "-j",
        help="Worker processes, each checking one contiguous part (0: one per core). "
        "The report is the same as with one.",
    ),
]


def jobs_wanted(jobs: int, *, count: int | None = None) -> int:
    """``--jobs`` as a number of workers; ConfigError (exit 2) for a bad value or with --count."""
    if jobs == 1:
        return 1  # the usual case: no worker machinery imported (it costs start-up time)
    from cdccheck.report.parallel import resolve_jobs, start_early

    workers = resolve_jobs(jobs, count=count)
    if workers > 1:
        start_early(build_engine)
    return workers


def _factory(
    legacy: str | Path | None, new: str | Path | None, events: EventOptions, schemas: SchemaOptions
) -> Any:
    # A partial of a module-level function pickles; each worker calls it to
    # build its own engine exactly as this process built its own (warnings
    # were already said by this process).
    return functools.partial(build_engine, legacy, new, events, schemas, warn=_silent)


def _silent(message: str) -> None:
    """Derivation warnings in a worker: this process said them already."""


def _with_progress(run: Callable[..., CheckRun]) -> Callable[..., CheckRun]:
    """``run(on_progress=...)`` as the ``run(on_batch=...)`` that ``report_run`` calls."""

    def adapted(on_batch: Callable[..., None] | None = None) -> CheckRun:
        from cdccheck.summary import Summary

        def on_progress(totals: Counters) -> None:
            if on_batch is not None:
                on_batch([], Summary(totals=totals))

        return run(on_progress=on_progress)

    return adapted


def parallel_run(
    what: RedisRange | list[Path],
    engine: Engine,
    jobs: int,
    *,
    legacy: str | Path | None,
    new: str | Path | None,
    events: EventOptions,
    schemas: SchemaOptions,
    samples: int,
    show_values: bool,
    events_out: Path | None,
    bucket_s: int | None = None,
) -> Callable[..., CheckRun]:
    """What ``report_run`` runs for ``replay --jobs N`` (a range) or ``check --jobs N`` (files)."""
    from cdccheck.report.parallel import check_corpus_jobs, replay_jobs

    library_run: Callable[..., CheckRun] = (
        check_corpus_jobs if isinstance(what, list) else replay_jobs
    )
    return _with_progress(
        functools.partial(
            library_run,
            what,
            engine,
            _factory(legacy, new, events, schemas),
            jobs=jobs,
            samples=samples,
            show_values=show_values,
            events_out=events_out,
            bucket_s=bucket_s,
        )
    )
