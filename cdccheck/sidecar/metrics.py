"""The sidecar's Prometheus metrics, counted from committed batches only.

Every count comes from a batch's Summary once Redis confirmed its commit
(``docs/sidecar.md``), so the metrics of a fleet add up to its fleet
summary. prometheus_client is imported when a sidecar starts, not before.
"""

from __future__ import annotations

import collections

from cdccheck.grouping import OTHER_LABEL, clip_label
from cdccheck.summary import Counters, Summary

__all__ = ["DEFAULT_PATH_LABELS", "MAX_LABEL_VALUES", "OTHER_PATH", "Metrics", "verdict_classes"]

MAX_LABEL_VALUES = 100
"""Distinct ops (and writers, and streams) given their own metric label; the first ones
seen keep it, later ones count under ``(other)``. Ops come from payloads, so a stream
of garbage must not grow the metrics without bound; values are clipped to
``cdccheck.summary.MAX_LABEL`` characters too (``docs/security.md``)."""
DEFAULT_PATH_LABELS = 25
"""Finding paths given their own ``path`` label per sidecar (``--metrics-paths``)."""
OTHER_PATH = "other"
"""The ``path`` label of every path past the first N (no JSON Pointer can be ``other``)."""


def verdict_classes(counters: Counters) -> dict[str, int]:
    """Report counters as exclusive classes, which add up to the events.

    The report's ``legacy_invalid`` and ``new_invalid`` both include
    ``both_invalid`` (docs/semantics.md, rule 4); a Prometheus label must not
    count an event twice, so the metric's classes are named differently:
    ``legacy_only_invalid`` = legacy_invalid - both_invalid, and so on.
    ``internal_error`` counts the events whose check raised (``errors``).
    """
    return {
        "ok": counters.ok,
        "undecodable": counters.undecodable,
        "legacy_only_invalid": counters.legacy_invalid - counters.both_invalid,
        "new_only_invalid": counters.new_invalid - counters.both_invalid,
        "both_invalid": counters.both_invalid,
        "internal_error": counters.errors,
    }


class Metrics:
    """The Prometheus metrics of one sidecar, in a registry of its own."""

    def __init__(self, *, path_labels: int = DEFAULT_PATH_LABELS) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        if path_labels < 0:
            raise ValueError(f"path_labels must be at least 0, not {path_labels}")
        self.registry = CollectorRegistry()
        registry = self.registry
        self._seen: dict[str, set[str]] = {"op": set(), "writer": set(), "stream": set()}
        self._paths: set[str] = set()
        self.path_labels = path_labels
        self.events = Counter(
            "cdccheck_events",
            "Events checked and committed by this consumer, by exclusive verdict: ok, "
            "undecodable, legacy_only_invalid, new_only_invalid, both_invalid, internal_error "
            "(they add up to the events; the report's legacy_invalid is legacy_only_invalid "
            "+ both_invalid).",
            ["verdict"],
            registry=registry,
        )
        self.events_by_op = Counter(
            "cdccheck_events_by_op",
            "Events checked and committed, by operation and exclusive verdict (as "
            "cdccheck_events).",
            ["op", "verdict"],
            registry=registry,
        )
        self.events_by_writer = Counter(
            "cdccheck_events_by_writer",
            "Events checked and committed, by writer and exclusive verdict (as cdccheck_events).",
            ["writer", "verdict"],
            registry=registry,
        )
        self.findings = Counter(
            "cdccheck_findings",
            "Events with a finding, by schema (legacy, new, wire), kind, path and writer; an "
            "event counts once per finding group. Paths past this sidecar's first "
            f'--metrics-paths ({path_labels}) count under path="{OTHER_PATH}".',
            ["schema", "kind", "path", "writer"],
            registry=registry,
        )
        self.warnings = Counter(
            "cdccheck_warnings",
            "Events with a portability warning, by schema and kind.",
            ["schema", "kind"],
            registry=registry,
        )
        self.trimmed = Counter(
            "cdccheck_trimmed_entries",
            "Pending entries deleted or trimmed from the stream before they were checked.",
            registry=registry,
        )
        self.quarantined = Counter(
            "cdccheck_quarantined_events",
            "Failing events copied to the quarantine stream.",
            registry=registry,
        )
        self.claimed = Counter(
            "cdccheck_claimed_entries",
            "Entries claimed from idle consumers (XAUTOCLAIM).",
            registry=registry,
        )
        self.lost = Counter(
            "cdccheck_lost_entries",
            "Entries another consumer claimed before this one committed them (not counted here).",
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "cdccheck_batch_duration_seconds",
            "Time to check and commit one batch.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        )
        self.lag = Gauge(
            "cdccheck_group_lag",
            "Entries of the stream not yet delivered to the group (XINFO GROUPS, Redis 7+).",
            ["stream"],
            registry=registry,
        )
        self.pending = Gauge(
            "cdccheck_group_pending",
            "Entries delivered to the group and not acknowledged yet (XINFO GROUPS).",
            ["stream"],
            registry=registry,
        )
        self.redis_up = Gauge(
            "cdccheck_redis_up", "1 while Redis answers, else 0.", registry=registry
        )
        self.ready = Gauge(
            "cdccheck_ready", "1 while the consumer reads and commits.", registry=registry
        )

    def label(self, dimension: str, value: str) -> str:
        """The label value for ``value`` of ``dimension`` (op, writer or stream): clipped,
        and ``(other)`` beyond the first MAX_LABEL_VALUES values.

        Unlike a Summary's caps this keeps the FIRST values seen: a counter's
        series may never move to another label once scraped.
        """
        value = clip_label(value)
        seen = self._seen[dimension]
        if value in seen or value == OTHER_LABEL:
            return value
        if len(seen) < MAX_LABEL_VALUES:
            seen.add(value)
            return value
        return OTHER_LABEL

    def _path_label(self, path: str) -> str:
        # The first path_labels paths keep their name for the life of the sidecar (a
        # counter's labels must not change meaning); later ones count under "other".
        if path in self._paths:
            return path
        if len(self._paths) < self.path_labels:
            self._paths.add(path)
            return path
        return OTHER_PATH

    def batch(self, summary: Summary, seconds: float | None) -> None:
        """Count a committed batch, from its Summary alone."""
        for verdict, count in verdict_classes(summary.totals).items():
            if count:
                self.events.labels(verdict).inc(count)
        for dimension, breakdown, counter in (
            ("op", summary.by_op, self.events_by_op),
            ("writer", summary.by_writer, self.events_by_writer),
        ):
            for key, counters in breakdown.items():
                label = self.label(dimension, key)
                for verdict, count in verdict_classes(counters).items():
                    if count:
                        counter.labels(label, verdict).inc(count)
        by_labels: collections.Counter[tuple[str, str, str, str]] = collections.Counter()
        # The batch's most frequent paths claim the free path labels first.
        ranked = sorted(summary.findings.items(), key=lambda item: (-item[1].events, item[0]))
        for (schema, kind, path), group in ranked:
            path_label = self._path_label(path)
            for writer, events in group.by_writer.items():
                by_labels[(schema, kind, path_label, self.label("writer", writer))] += events
        for labels, count in by_labels.items():
            self.findings.labels(*labels).inc(count)
        by_kind: collections.Counter[tuple[str, str]] = collections.Counter()
        for (schema, kind, _path), group in summary.warnings.items():
            by_kind[(schema, kind)] += group.events
        for kind_labels, count in by_kind.items():
            self.warnings.labels(*kind_labels).inc(count)
        if seconds is not None:  # unknown for a commit settled after a lost reply
            self.batch_seconds.observe(seconds)

    def render(self) -> bytes:
        """The registry in Prometheus' text exposition format."""
        from prometheus_client import generate_latest

        return bytes(generate_latest(self.registry))
