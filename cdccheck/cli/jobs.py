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


def replay_run(
    source: RedisRange,
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
    """The run ``report_run`` makes for ``replay --jobs N`` (N > 1)."""
    from cdccheck.report.parallel import replay_jobs

    return _with_progress(
        functools.partial(
            replay_jobs,
            source,
            engine,
            _factory(legacy, new, events, schemas),
            jobs=jobs,
            samples=samples,
            show_values=show_values,
            events_out=events_out,
            bucket_s=bucket_s,
        )
    )


def check_run_jobs(
    files: list[Path],
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
    """The run ``report_run`` makes for ``check --jobs N`` (N > 1)."""
    from cdccheck.report.parallel import check_corpus_jobs

    return _with_progress(
        functools.partial(
            check_corpus_jobs,
            files,
            engine,
            _factory(legacy, new, events, schemas),
            jobs=jobs,
            samples=samples,
            show_values=show_values,
            events_out=events_out,
            bucket_s=bucket_s,
        )
    )
