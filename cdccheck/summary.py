"""Summary: mergeable counters and bounded, redacted samples (DESIGN.md rules 4-5).

A Summary is what every command produces and every report renders. It is
built by ``add(verdict)`` one event at a time and combined by ``merge``,
which is associative and commutative (a Hypothesis test proves it), so two
sidecars' summaries, or two reports, add up to the summary of both streams.

Merging needs an order that does not depend on who merges first: samples
are kept as the K smallest by (stream id, path, message), and a group's
first and last ids are the smallest and largest stream ids seen.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from cdccheck.model import (
    ABSENT,
    ENGINE,
    ENUM_VALUE,
    INTERNAL_ERROR,
    LEGACY,
    NEW,
    UNDECODABLE,
    UNKNOWN,
    WIRE,
    EventVerdict,
    Finding,
    short_repr,
)
from cdccheck.shapes import shape_of, shown_as_is

DEFAULT_SAMPLES = 5
_INDEX = re.compile(r"/\d+(?=/|$)")
_MAX_SHOWN_VALUE = 200
_MAX_MESSAGE = 300


@functools.lru_cache(maxsize=4096)
def id_order(stream_id: str) -> tuple[int, int, int, str]:
    """Sort key for ids: Redis stream ids numerically, anything else after, by text."""
    milliseconds, dash, sequence = stream_id.partition("-")
    if dash and milliseconds.isdigit() and sequence.isdigit():
        return (0, int(milliseconds), int(sequence), "")
    return (1, 0, 0, stream_id)


@functools.lru_cache(maxsize=4096)
def aggregate_path(path: str) -> str:
    """``/comment/awards/3/count`` -> ``/comment/awards/*/count``."""
    return _INDEX.sub("/*", path)


class Counters(msgspec.Struct):
    """Verdict counters (docs/semantics.md, rule 4).

    ``events = ok + undecodable + legacy_invalid + new_invalid - both_invalid + errors``;
    ``errors`` counts events whose check raised (an ``internal_error`` finding).
    A report written before ``errors`` existed reads back with ``errors`` 0.
    """

    events: int = 0
    ok: int = 0
    undecodable: int = 0
    legacy_invalid: int = 0
    new_invalid: int = 0
    both_invalid: int = 0
    errors: int = 0

    def count(self, verdict: EventVerdict) -> None:
        self.events += 1
        if verdict.error is not None:
            self.errors += 1
            return
        if not verdict.decodable:
            self.undecodable += 1
            return
        legacy_invalid = bool(verdict.legacy)
        new_invalid = bool(verdict.new)
        self.legacy_invalid += legacy_invalid
        self.new_invalid += new_invalid
        self.both_invalid += legacy_invalid and new_invalid
        self.ok += not (legacy_invalid or new_invalid)

    def add_ok(self, events: int) -> None:
        """Count ``events`` healthy events at once (the fast path batches them)."""
        self.events += events
        self.ok += events

    def plus(self, other: Counters) -> Counters:
        return Counters(
            *(
                a + b
                for a, b in zip(
                    msgspec.structs.astuple(self), msgspec.structs.astuple(other), strict=True
                )
            )
        )

    def as_dict(self) -> dict[str, int]:
        return msgspec.structs.asdict(self)


def count_failures(totals: Mapping[str, int], fail_on: str) -> int:
    """How many events ``--fail-on`` counts (any, legacy, new or none) in report totals.

    The one fail-on rule: `Summary.counts_failures` and the gate's corpus run
    (which only has the report's ``totals``) both use it. A missing counter is 0.
    """
    if fail_on == "none":
        return 0
    # An event whose check raised was judged under neither schema: it fails every --fail-on.
    unjudged = int(totals.get("undecodable", 0)) + int(totals.get("errors", 0))
    if fail_on == "legacy":
        return unjudged + int(totals.get("legacy_invalid", 0))
    if fail_on == "new":
        return unjudged + int(totals.get("new_invalid", 0))
    return int(totals.get("events", 0)) - int(totals.get("ok", 0))


class Sample(msgspec.Struct, frozen=True):
    """One example event of a finding group, redacted unless values were asked for."""

    id: str
    path: str
    value: dict[str, Any]
    message: str

    def order(self) -> tuple[Any, ...]:
        """Total order over samples, so merging keeps the same K whatever comes first."""
        return (id_order(self.id), self.path, self.message, json.dumps(self.value, sort_keys=True))


class Group(msgspec.Struct):
    """Events with at least one finding of (schema, kind, path)."""

    schema: str
    kind: str
    path: str
    events: int = 0
    first_id: str = ""
    last_id: str = ""
    samples: list[Sample] = msgspec.field(default_factory=list)
    limit: int = DEFAULT_SAMPLES
    """K, the most samples kept (not part of the report)."""
    by_writer: dict[str, int] = msgspec.field(default_factory=dict)
    """Events per writer (the entry's writer field): who has to fix it. Sums to ``events``."""

    def note(self, event_id: str, writer: str = UNKNOWN) -> bool:
        """Count one more event; True when it may enter the samples (then call ``keep``)."""
        self.events += 1
        self.by_writer[writer] = self.by_writer.get(writer, 0) + 1
        order = id_order(event_id)
        if not self.first_id or order < id_order(self.first_id):
            self.first_id = event_id
        if not self.last_id or order > id_order(self.last_id):
            self.last_id = event_id
        # Samples are the K smallest by id (then path, message, value): a full
        # list only takes an event that is not after its last sample.
        return len(self.samples) < self.limit or order <= id_order(self.samples[-1].id)

    def keep(self, sample: Sample) -> None:
        samples = self.samples
        if len(samples) < self.limit:
            if samples and sample.order() < samples[-1].order():
                samples.append(sample)
                samples.sort(key=Sample.order)
            else:
                samples.append(sample)
        elif self.limit and sample.order() < samples[-1].order():
            samples[-1] = sample
            samples.sort(key=Sample.order)

    def plus(self, other: Group, limit: int) -> Group:
        ids = [i for i in (self.first_id, other.first_id) if i]
        last = [i for i in (self.last_id, other.last_id) if i]
        unique = {sample.order(): sample for sample in (*self.samples, *other.samples)}
        samples = [unique[key] for key in sorted(unique)][:limit]
        by_writer = dict(self.by_writer)
        for writer, events in other.by_writer.items():
            by_writer[writer] = by_writer.get(writer, 0) + events
        return Group(
            self.schema,
            self.kind,
            self.path,
            self.events + other.events,
            min(ids, key=id_order) if ids else "",
            max(last, key=id_order) if last else "",
            samples,
            limit,
            by_writer,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "kind": self.kind,
            "path": self.path,
            "events": self.events,
            "by_writer": dict(sorted(self.by_writer.items())),
            "first_id": self.first_id,
            "last_id": self.last_id,
            "samples": [msgspec.structs.asdict(sample) for sample in self.samples],
        }


COUNTER_COLUMNS: tuple[str, ...] = Counters.__struct_fields__
"""The verdict counters, in report order."""

GroupKey = tuple[str, str, str]


class Summary(msgspec.Struct):
    """Counters, per-op and per-writer breakdowns, finding and warning groups."""

    samples: int = DEFAULT_SAMPLES
    """K: samples kept per group."""
    show_values: bool = False
    totals: Counters = msgspec.field(default_factory=Counters)
    by_op: dict[str, Counters] = msgspec.field(default_factory=dict)
    by_writer: dict[str, Counters] = msgspec.field(default_factory=dict)
    findings: dict[GroupKey, Group] = msgspec.field(default_factory=dict)
    warnings: dict[GroupKey, Group] = msgspec.field(default_factory=dict)
    first_id: str = ""
    last_id: str = ""

    # ---------------------------------------------------------------- adding

    def add(self, verdict: EventVerdict) -> None:
        """Count one event and file its findings and warnings."""
        self.span(verdict.id, verdict.id)
        self.totals.count(verdict)
        self._counters(self.by_op, verdict.op).count(verdict)
        self._counters(self.by_writer, verdict.writer).count(verdict)
        if verdict.error is not None:
            finding = Finding(INTERNAL_ERROR, "", verdict.error, ABSENT)
            self._file(self.findings, ENGINE, [finding], verdict.id, verdict.writer)
            return
        if not verdict.decodable:
            finding = Finding(UNDECODABLE, "", verdict.wire_message or "undecodable", ABSENT)
            self._file(self.findings, WIRE, [finding], verdict.id, verdict.writer)
            return
        if verdict.legacy:
            self._file(self.findings, LEGACY, verdict.legacy, verdict.id, verdict.writer)
        if verdict.new:
            self._file(self.findings, NEW, verdict.new, verdict.id, verdict.writer)
        if verdict.warnings:
            by_schema: dict[str, list[Finding]] = {}
            for schema, warning in verdict.warnings:
                by_schema.setdefault(schema, []).append(warning)
            for schema, warnings in by_schema.items():
                self._file(self.warnings, schema, warnings, verdict.id, verdict.writer)

    def add_healthy(
        self, counts: dict[tuple[str, bytes | None], int], first_id: str, last_id: str
    ) -> None:
        """Count healthy events in bulk: {(op, raw writer): events} read from first to last id."""
        self.span(first_id, last_id)
        for (op, raw_writer), events in counts.items():
            writer = UNKNOWN if raw_writer is None else raw_writer.decode("utf-8", "replace")
            self.totals.add_ok(events)
            self._counters(self.by_op, op).add_ok(events)
            self._counters(self.by_writer, writer).add_ok(events)

    def span(self, first_id: str, last_id: str) -> None:
        """Note that entries from ``first_id`` to ``last_id`` were read.

        The range is what was read, first to last, in the order sources read
        (id order for Redis); merging takes the smallest and largest.
        """
        if not self.first_id:
            self.first_id = first_id
        self.last_id = last_id

    @staticmethod
    def _counters(table: dict[str, Counters], key: str) -> Counters:
        counters = table.get(key)
        if counters is None:
            counters = table[key] = Counters()
        return counters

    def _file(
        self,
        table: dict[GroupKey, Group],
        schema: str,
        findings: list[Finding],
        event_id: str,
        writer: str,
    ) -> None:
        """Count the event once in each group its findings fall into."""
        seen: set[GroupKey] = set()
        for finding in findings:
            key = (schema, finding.kind, aggregate_path(finding.path))
            if key in seen:
                continue
            seen.add(key)
            group = table.get(key)
            if group is None:
                group = table[key] = Group(*key, limit=self.samples)
            if group.note(event_id, writer) and self.samples > 0:
                group.keep(self._sample(event_id, finding))

    def _sample(self, event_id: str, finding: Finding) -> Sample:
        # enum and const close a location to a set of codes (docs/semantics.md, rule 5).
        closed_set = finding.kind == ENUM_VALUE
        return Sample(
            event_id,
            finding.path,
            describe_value(finding.value, self.show_values, closed_set=closed_set),
            safe_message(finding.message, finding.value, self.show_values, closed_set=closed_set),
        )

    # ---------------------------------------------------------------- merging

    def merge(self, other: Summary) -> Summary:
        """A new Summary counting both; associative and commutative."""
        limit = min(self.samples, other.samples)
        return Summary(
            samples=limit,
            show_values=self.show_values and other.show_values,
            totals=self.totals.plus(other.totals),
            by_op=_merge_counters(self.by_op, other.by_op),
            by_writer=_merge_counters(self.by_writer, other.by_writer),
            findings=_merge_groups(self.findings, other.findings, limit),
            warnings=_merge_groups(self.warnings, other.warnings, limit),
            first_id=min(
                (i for i in (self.first_id, other.first_id) if i), key=id_order, default=""
            ),
            last_id=max((i for i in (self.last_id, other.last_id) if i), key=id_order, default=""),
        )

    # ---------------------------------------------------------------- reading

    def finding_groups(self) -> list[Group]:
        """Finding groups, most events first."""
        return _ranked(self.findings)

    def warning_groups(self) -> list[Group]:
        return _ranked(self.warnings)

    def counts_failures(self, fail_on: str) -> int:
        """How many events ``--fail-on`` counts: any, legacy, new or none."""
        return count_failures(self.totals.as_dict(), fail_on)

    def to_dict(self) -> dict[str, Any]:
        """The summary part of a report (DESIGN.md "Report (JSON)")."""
        return {
            "range": {"first_id": self.first_id or None, "last_id": self.last_id or None},
            "totals": self.totals.as_dict(),
            "by_op": {op: c.as_dict() for op, c in sorted(self.by_op.items())},
            "by_writer": {w: c.as_dict() for w, c in sorted(self.by_writer.items())},
            "findings": [group.as_dict() for group in self.finding_groups()],
            "warnings": [group.as_dict() for group in self.warning_groups()],
        }

    @classmethod
    def from_dict(cls, report: dict[str, Any], *, samples: int = DEFAULT_SAMPLES) -> Summary:
        """Rebuild a Summary from a report, to merge reports or render them again."""
        summary = cls(samples=samples)
        summary.totals = msgspec.convert(report["totals"], Counters)
        summary.by_op = {k: msgspec.convert(v, Counters) for k, v in report["by_op"].items()}
        summary.by_writer = {
            k: msgspec.convert(v, Counters) for k, v in report["by_writer"].items()
        }
        for table, name in ((summary.findings, "findings"), (summary.warnings, "warnings")):
            for raw in report[name]:
                group = msgspec.convert(raw, Group)
                group.limit = samples
                if "by_writer" not in raw:  # a report from before groups named their writers
                    group.by_writer = {UNKNOWN: group.events}
                table[(group.schema, group.kind, group.path)] = group
        summary.first_id = report["range"]["first_id"] or ""
        summary.last_id = report["range"]["last_id"] or ""
        summary.show_values = any(
            "value" in sample.value
            for group in (*summary.findings.values(), *summary.warnings.values())
            for sample in group.samples
        )
        return summary


def _merge_counters(a: dict[str, Counters], b: dict[str, Counters]) -> dict[str, Counters]:
    merged = {key: counters.plus(Counters()) for key, counters in a.items()}
    for key, counters in b.items():
        merged[key] = merged[key].plus(counters) if key in merged else counters.plus(Counters())
    return merged


def _merge_groups(
    a: dict[GroupKey, Group], b: dict[GroupKey, Group], limit: int
) -> dict[GroupKey, Group]:
    merged: dict[GroupKey, Group] = {}
    for key in a.keys() | b.keys():
        left, right = a.get(key), b.get(key)
        empty = Group(*key, limit=limit)
        merged[key] = (left or empty).plus(right or empty, limit)
    return merged


def _ranked(table: dict[GroupKey, Group]) -> list[Group]:
    return sorted(table.values(), key=lambda g: (-g.events, g.schema, g.kind, g.path))


# ------------------------------------------------------------------ redaction

_JSON_TYPES = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
    dict: "object",
    list: "array",
}


def describe_value(value: Any, show_values: bool, *, closed_set: bool = False) -> dict[str, Any]:
    """Type, length and shape of a value; the value itself (clipped) only with --show-values.

    Comment bodies are user content: reports are shared in CI logs and pull
    requests, so values stay out of them unless the user opts in. The shape
    (:func:`cdccheck.shapes.shape_of`) says what a value looks like without
    showing free text (docs/semantics.md, rule 5). ``closed_set``: the schema
    allows a closed set of values there (an ``enum_value`` finding).
    """
    if value is ABSENT:
        return {"type": "absent", "shape": "absent"}
    kind = _JSON_TYPES.get(type(value), type(value).__name__)
    described: dict[str, Any] = {"type": kind}
    if isinstance(value, str | list | dict):
        described["length"] = len(value)
    described["shape"] = shape_of(value, closed_set=closed_set)
    if show_values:
        described["value"] = _shown(value)
    return described


def _shown(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= _MAX_SHOWN_VALUE else value[:_MAX_SHOWN_VALUE] + "..."
    if isinstance(value, bool | float) or value is None:
        return value
    if isinstance(value, int):
        return value if value.bit_length() < 1000 else short_repr(value)
    return short_repr(value)


def safe_message(message: str, value: Any, show_values: bool, *, closed_set: bool = False) -> str:
    """The message with the offending value replaced by its shape, then clipped."""
    if not show_values and value is not ABSENT and not shown_as_is(value, closed_set=closed_set):
        placeholder = shape_of(value, closed_set=closed_set)
        for text in _renderings(value):
            if text and text in message:
                # A number only where it stands alone: 5 in "5 is less than 50", not in 50.
                pattern = re.escape(text)
                if not isinstance(value, str):
                    pattern = rf"(?<![\w.]){pattern}(?![\w.])"
                message = re.sub(pattern, lambda _: placeholder, message)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."


def _renderings(value: Any) -> list[str]:
    texts = [short_repr(value)]
    with contextlib.suppress(ValueError):  # an int too long for repr
        texts.insert(0, repr(value))
    return texts


def redact_finding(finding: Finding, show_values: bool) -> dict[str, str]:
    """A finding as events-out writes it: kind, path and a redacted message."""
    closed_set = finding.kind == ENUM_VALUE
    return {
        "kind": finding.kind,
        "path": finding.path,
        "message": safe_message(finding.message, finding.value, show_values, closed_set=closed_set),
    }
