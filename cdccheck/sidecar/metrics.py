"""The sidecar's Prometheus metrics, counted from committed batches only.

Every count comes from a batch's Summary once Redis confirmed its commit
(``docs/sidecar.md``), so the metrics of a fleet add up to its fleet
summary. prometheus_client is imported when a sidecar starts, not before.
"""

from __future__ import annotations

import collections

from cdccheck.summary import OTHER_LABEL, Counters, Summary, clip_label

__all__ = ["MAX_LABEL_VALUES", "Metrics", "verdict_classes"]

MAX_LABEL_VALUES = 100
"""Distinct ops (and writers, and streams) given their own metric label; the first ones
seen keep it, later ones count under ``(other)``. Ops come from payloads, so a stream
of garbage must not grow the metrics without bound; values are clipped to
``cdccheck.summary.MAX_LABEL`` characters too (``docs/security.md``)."""


def verdict_classes(counters: Counters) -> dict[str, int]:
    """Report counters (where legacy_invalid and new_invalid overlap) as exclusive classes."""
    return {
        "ok": counters.ok,
        "undecodable": counters.undecodable,
        "legacy_invalid": counters.legacy_invalid - counters.both_invalid,
        "new_invalid": counters.new_invalid - counters.both_invalid,
        "both_invalid": counters.both_invalid,
    }


class Metrics:
    """The Prometheus metrics of one sidecar, in a registry of its own."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        registry = self.registry
        self._seen: dict[str, set[str]] = {"op": set(), "writer": set(), "stream": set()}
        self.events = Counter(
            "cdccheck_events",
            "Events checked and committed by this consumer, by exclusive verdict "
            "(ok, undecodable, legacy_invalid, new_invalid, both_invalid).",
            ["verdict"],
            registry=registry,
        )
        self.events_by_op = Counter(
            "cdccheck_events_by_op",
            "Events checked and committed, by operation and exclusive verdict.",
            ["op", "verdict"],
            registry=registry,
        )
        self.events_by_writer = Counter(
            "cdccheck_events_by_writer",
            "Events checked and committed, by writer and exclusive verdict.",
            ["writer", "verdict"],
            registry=registry,
        )
        self.findings = Counter(
            "cdccheck_findings",
            "Events with a finding, by schema (legacy, new, wire) and kind; an event counts "
            "once per finding group.",
            ["schema", "kind"],
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
        for table, counter in (
            (summary.findings, self.findings),
            (summary.warnings, self.warnings),
        ):
            by_kind: collections.Counter[tuple[str, str]] = collections.Counter()
            for (schema, kind, _path), group in table.items():
                by_kind[(schema, kind)] += group.events
            for labels, count in by_kind.items():
                counter.labels(*labels).inc(count)
        if seconds is not None:  # unknown for a commit settled after a lost reply
            self.batch_seconds.observe(seconds)

    def render(self) -> bytes:
        """The registry in Prometheus' text exposition format."""
        from prometheus_client import generate_latest

        return bytes(generate_latest(self.registry))
