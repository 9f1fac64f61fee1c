"""Tap-compare of two writers: pair the legacy and the new writer's events, diff them.

The library behind ``cdccheck compare`` (docs/compare.md)::

    from cdccheck.compare import run_compare, build_compare_report
    from cdccheck.sources.redis_range import RedisRange

    with RedisRange(url, "comments:py") as primary, RedisRange(url, "comments:go") as candidate:
        summary = run_compare(
            primary, candidate,
            key=["/op", "/comment/id,/comment_id"], entity="/comment/id,/comment_id",
            ignore=["/event_id"], window_ms=60_000,
        )

Modules, in the order data flows through them: ``options`` (parsing option
values), ``events`` (entries -> decoded, keyed events), ``pairing`` (FIFO per
key within the window), ``diff`` (the field-by-field rules), ``entities``,
``noise``, ``summary`` (CompareSummary), ``run`` (run_compare), ``sides`` (where
the sides come from), ``session`` (compare_sources: open, run, report), ``report``
(the JSON document, merge), ``render``/``console`` (table, Markdown, JUnit),
``events_out`` and ``demo``. Nothing here imports typer; rich is loaded only
by ``console``, for the table format.
"""

from cdccheck.compare.diff import DIFF_KINDS, WARNING_KINDS, Diff, Differ, parse_instant
from cdccheck.compare.events import Decoding
from cdccheck.compare.events_out import CompareEventsWriter, pair_line
from cdccheck.compare.options import (
    CompareConfig,
    CompareSettings,
    Ignore,
    load_compare_config,
    parse_duration,
    parse_entity,
    parse_fail_on,
    parse_ignores,
    parse_keys,
    parse_noise_ratio,
    parse_pointer,
    parse_split,
    resolve_settings,
)
from cdccheck.compare.report import (
    build_compare_report,
    is_compare_report,
    load_compare_report,
    merge_compare_reports,
)
from cdccheck.compare.run import entries_of, run_compare, split_entries
from cdccheck.compare.session import Compared, RunOptions, compare_report, compare_sources
from cdccheck.compare.sides import CompareSources, Side, SideOptions
from cdccheck.compare.summary import CompareSummary, Counters, EntityCounts

__all__ = [
    "DIFF_KINDS",
    "WARNING_KINDS",
    "CompareConfig",
    "CompareEventsWriter",
    "CompareSettings",
    "CompareSources",
    "CompareSummary",
    "Compared",
    "Counters",
    "Decoding",
    "Diff",
    "Differ",
    "EntityCounts",
    "Ignore",
    "RunOptions",
    "Side",
    "SideOptions",
    "build_compare_report",
    "compare_report",
    "compare_sources",
    "entries_of",
    "is_compare_report",
    "load_compare_config",
    "load_compare_report",
    "merge_compare_reports",
    "pair_line",
    "parse_duration",
    "parse_entity",
    "parse_fail_on",
    "parse_ignores",
    "parse_instant",
    "parse_keys",
    "parse_noise_ratio",
    "parse_pointer",
    "parse_split",
    "resolve_settings",
    "run_compare",
    "split_entries",
]
