"""Summary: mergeable counters and bounded, redacted samples (docs/semantics.md, rules 4-5).

A Summary is what every command produces and every report renders. It is
built by ``add(verdict)`` one event at a time and combined by ``merge``,
which is associative and commutative (a Hypothesis test proves it), so two
sidecars' summaries, or two reports, add up to the summary of both streams.

Merging needs an order that does not depend on who merges first: samples
are kept as the K smallest by (stream id, path, message), and a group's
first and last ids are the smallest and largest stream ids seen.

A Summary's size is bounded whatever the events hold (``docs/security.md``,
"Bounded reports"): ``cdccheck.grouping`` says how paths and labels are
clipped and which groups are folded into overflow groups when the caps are
reached. An overflow group's ``events`` is the sum of the events of the
groups it stands for (an event with two folded paths counts twice there);
every other counter counts events exactly, as without caps.

The groups' ``by_writer`` and the timeline (``cdccheck.timeline``) follow the
same caps: a group folded into an overflow group brings its writers' counts
and its timeline series along, and writers are named by the summary's writer
labels, so a writer pushed into ``(other)`` moves there in every group that
counts it and in every timeline bucket.
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from cdccheck.grouping import (
    DEFAULT_MAX_LABELS,
    DEFAULT_MAX_NAMES,
    DEFAULT_MAX_PARENTS,
    OTHER_LABEL,
    OTHER_PATHS,
    OTHER_SUFFIX,
    UNCAPPED_LABELS,
    Family,
    Folding,
    GroupKey,
    clip_label,
    clip_path,
    family_order,
    family_parent,
    group_path,
    group_role,
    id_order,
    label_order,
    name_order,
)
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
)
from cdccheck.redaction import describe_value, safe_message

if TYPE_CHECKING:
    # cdccheck.timeline builds on this module's Counters, so it is imported
    # where it is used, never at the top.
    from cdccheck.model import Entry
    from cdccheck.timeline import Timeline

DEFAULT_SAMPLES = 5


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
        """A new Counters holding both."""
        return Counters(
            *(
                a + b
                for a, b in zip(
                    msgspec.structs.astuple(self), msgspec.structs.astuple(other), strict=True
                )
            )
        )

    def absorb(self, other: Counters) -> None:
        """Add ``other`` to these counters, in place."""
        for name in self.__struct_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

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


class Sample(msgspec.Struct, frozen=True, dict=True):
    """One example event of a finding group, redacted unless values were asked for.

    ``dict=True`` only so that ``order`` can be computed once per sample
    (a ``cached_property``); the fields are the whole of its value.
    """

    id: str
    path: str
    value: dict[str, Any]
    message: str

    def body(self) -> str:
        """The sample as compact JSON (the standard library's, which keeps NaN and big ints)."""
        return json.dumps(
            {"id": self.id, "path": self.path, "value": self.value, "message": self.message},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @functools.cached_property
    def _order(self) -> tuple[Any, ...]:
        return (id_order(self.id), self.body())

    def order(self) -> tuple[Any, ...]:
        """Total order over samples, so merging keeps the same K whatever comes first.

        By stream id, then by ``body()``: the fleet summary's sorted sets order
        their members (padded id, then the body) the same way.
        """
        return self._order


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
    """Events per writer (the entry's writer field): who has to fix it. Sums to ``events``.

    In a Summary the writers are the summary's writer labels (clipped, beyond
    ``max_labels`` counted under ``(other)``), as in its ``by_writer``.
    """

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
        """A new group (with this one's key) counting both, keeping ``limit`` samples."""
        merged = Group(self.schema, self.kind, self.path, limit=limit)
        merged.absorb(self, limit)
        merged.absorb(other, limit)
        return merged

    def absorb(self, other: Group, limit: int, by_writer: Mapping[str, int] | None = None) -> None:
        """Add ``other``'s events, writers, ids and samples to this group, in place.

        ``by_writer``: ``other``'s events per writer as this group names the
        writers (a Summary renames them to its own labels); ``other.by_writer``
        by default.
        """
        self.events += other.events
        writers = self.by_writer
        for writer, events in (other.by_writer if by_writer is None else by_writer).items():
            writers[writer] = writers.get(writer, 0) + events
        if other.first_id and (
            not self.first_id or id_order(other.first_id) < id_order(self.first_id)
        ):
            self.first_id = other.first_id
        if other.last_id and (not self.last_id or id_order(other.last_id) > id_order(self.last_id)):
            self.last_id = other.last_id
        if other.samples and self.samples:
            unique = {sample.order(): sample for sample in (*self.samples, *other.samples)}
            self.samples = [unique[key] for key in sorted(unique)][:limit]
        elif other.samples:
            # A group's samples are kept sorted and distinct: nothing to compare.
            self.samples = other.samples[:limit]
        elif len(self.samples) > limit:
            del self.samples[limit:]
        self.limit = limit

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


class Summary(msgspec.Struct, dict=True):
    """Counters, per-op and per-writer breakdowns, finding and warning groups, a timeline.

    Bounded by ``max_names``, ``max_parents`` and ``max_labels`` (see the module
    docstring); ``merge`` and ``absorb`` apply the smaller caps of the two.
    The groups' ``by_writer`` and the timeline follow the same caps: they name
    writers by the summary's writer labels, and the timeline's group series
    are those of the summary's groups (overflow groups included).
    """

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
    timeline: Timeline | None = None
    """The same events per bucket of stream-id time (cdccheck.timeline); None: not kept."""
    max_names: int = DEFAULT_MAX_NAMES
    """Names kept per (schema, kind, parent path); beyond: ``<parent>/~other``."""
    max_parents: int = DEFAULT_MAX_PARENTS
    """(schema, kind, parent path) kept per table; beyond: ``/~other-paths``."""
    max_labels: int = DEFAULT_MAX_LABELS
    """Op values, and writer values, kept; beyond: ``(other)``."""

    def __post_init__(self) -> None:
        for name in ("max_names", "max_parents", "max_labels"):
            if getattr(self, name) < 1:
                raise ValueError(f"Summary.{name} must be at least 1")

    # ---------------------------------------------------------------- adding

    def add(self, verdict: EventVerdict) -> None:
        """Count one event and file its findings and warnings (and count it in the timeline)."""
        self.span(verdict.id, verdict.id)
        writer = self._add(verdict)
        if self.timeline is not None:
            self.timeline.add(verdict, self._filed(verdict), writer=writer)

    def add_batch(
        self,
        entries: list[Entry],
        healthy: dict[tuple[str, bytes | None], int],
        verdicts: list[EventVerdict],
        writer_field: str = "writer",
    ) -> None:
        """Count a batch as ``Engine.check_batch`` returns it: healthy counts, other verdicts.

        The timeline needs every entry's id (its time), which the healthy
        counts do not carry: a Summary with a timeline is counted here.
        ``writer_field`` is the engine's, to name the healthy events' writers.
        """
        if not entries:
            return
        self.add_healthy(healthy, entries[0].id, entries[-1].id)  # also spans the whole batch
        for verdict in verdicts:
            self._add(verdict)
        if self.timeline is not None:
            # After the whole batch is filed, so every writer and group of the
            # batch has its final label and group under the caps.
            self.timeline.add_batch(
                entries, verdicts, writer_field, groups_of=self._filed, writer_label=self._writer
            )

    def _filed(self, verdict: EventVerdict) -> list[GroupKey]:
        """The finding groups of this summary that count ``verdict`` (for the timeline).

        One key per group path of the event, so an overflow group standing for
        two of its paths is named twice: its series counts as its ``events`` do.
        """
        if verdict.error is not None:
            keys = {(ENGINE, INTERNAL_ERROR, "")}
        elif not verdict.decodable:
            keys = {(WIRE, UNDECODABLE, "")}
        else:
            keys = {
                (schema, finding.kind, group_path(finding.path))
                for schema, findings in ((LEGACY, verdict.legacy), (NEW, verdict.new))
                for finding in findings or ()
            }
        filed = []
        for key in keys:
            home = self._finding_home(key)
            if home is not None:
                filed.append(home)
        return filed

    def _add(self, verdict: EventVerdict) -> str:
        """Count one event and file its findings and warnings; returns its writer label."""
        self._folding()
        self.totals.count(verdict)
        self._counters("by_op", verdict.op).count(verdict)
        self._counters("by_writer", verdict.writer).count(verdict)
        writer = self._writer(verdict.writer)
        if verdict.error is not None:
            finding = Finding(INTERNAL_ERROR, "", verdict.error, ABSENT)
            self._file("findings", ENGINE, [finding], verdict.id, writer)
            return writer
        if not verdict.decodable:
            finding = Finding(UNDECODABLE, "", verdict.wire_message or "undecodable", ABSENT)
            self._file("findings", WIRE, [finding], verdict.id, writer)
            return writer
        if verdict.legacy:
            self._file("findings", LEGACY, verdict.legacy, verdict.id, writer)
        if verdict.new:
            self._file("findings", NEW, verdict.new, verdict.id, writer)
        if verdict.warnings:
            by_schema: dict[str, list[Finding]] = {}
            for schema, warning in verdict.warnings:
                by_schema.setdefault(schema, []).append(warning)
            for schema, warnings in by_schema.items():
                self._file("warnings", schema, warnings, verdict.id, writer)
        return writer

    def add_healthy(
        self, counts: dict[tuple[str, bytes | None], int], first_id: str, last_id: str
    ) -> None:
        """Count healthy events in bulk: {(op, raw writer): events} read from first to last id.

        Not in the timeline (the counts carry no ids): ``add_batch`` counts both.
        """
        self._folding()
        self.span(first_id, last_id)
        for (op, raw_writer), events in counts.items():
            writer = UNKNOWN if raw_writer is None else raw_writer.decode("utf-8", "replace")
            self.totals.add_ok(events)
            self._counters("by_op", op).add_ok(events)
            self._counters("by_writer", writer).add_ok(events)

    def span(self, first_id: str, last_id: str) -> None:
        """Note that entries from ``first_id`` to ``last_id`` were read.

        The range is what was read, first to last, in the order sources read
        (id order for Redis); merging takes the smallest and largest.
        """
        if not self.first_id:
            self.first_id = first_id
        self.last_id = last_id

    def _counters(self, table_name: str, value: str) -> Counters:
        """The counters of op or writer ``value`` (clipped, or folded into ``(other)``)."""
        table: dict[str, Counters] = getattr(self, table_name)
        counters = table.get(value)
        if counters is None:
            key = self._label(table_name, table, value)
            counters = table.get(key)
            if counters is None:
                counters = table[key] = Counters()
        return counters

    def _writer(self, value: str) -> str:
        """The label writer ``value`` is counted under, once admitted: its own or ``(other)``."""
        if value in self.by_writer or value in UNCAPPED_LABELS:
            return value
        value = clip_label(value)
        if value in self.by_writer or value in UNCAPPED_LABELS:
            return value
        return OTHER_LABEL

    def _writers(self, by_writer: Mapping[str, int]) -> dict[str, int]:
        """A group's events per writer, renamed to this summary's writer labels."""
        renamed: dict[str, int] = {}
        for writer, events in by_writer.items():
            label = self._writer(writer)
            renamed[label] = renamed.get(label, 0) + events
        return renamed

    def _file(
        self,
        table_name: str,
        schema: str,
        findings: list[Finding],
        event_id: str,
        writer: str,
    ) -> None:
        """Count the event once in each group its findings fall into.

        An event counts once per group path; an overflow group standing for
        several paths of the event counts it once for each of them.
        """
        table: dict[GroupKey, Group] = getattr(self, table_name)
        seen: set[GroupKey] = set()
        for finding in findings:
            key = (schema, finding.kind, group_path(finding.path))
            if key in seen:
                continue
            seen.add(key)
            group = table.get(key)
            if group is None:
                key = self._place(table_name, table, key)
                group = table.get(key)
                if group is None:
                    group = table[key] = Group(*key, limit=self.samples)
            if writer not in group.by_writer and writer not in UNCAPPED_LABELS:
                self._folding().writer_groups.setdefault(writer, set()).add((table_name, key))
            if group.note(event_id, writer) and self.samples > 0:
                group.keep(self._sample(event_id, finding))

    def _sample(self, event_id: str, finding: Finding) -> Sample:
        # enum and const close a location to a set of codes (docs/semantics.md, rule 5).
        closed_set = finding.kind == ENUM_VALUE
        return Sample(
            event_id,
            clip_path(finding.path),
            describe_value(finding.value, self.show_values, closed_set=closed_set),
            safe_message(finding.message, finding.value, self.show_values, closed_set=closed_set),
        )

    # ---------------------------------------------------------------- the caps

    def _folding(self) -> Folding:
        folding: Folding | None = self.__dict__.get("_state")
        if folding is None:
            folding = self.__dict__["_state"] = Folding()
            if self.findings or self.warnings or self.by_op or self.by_writer:
                # Filled from outside (a report, the fleet summary): fold what is
                # there once, under this summary's caps.
                # The tables are refilled in place: callers may hold them.
                loaded = Summary(
                    by_op=dict(self.by_op),
                    by_writer=dict(self.by_writer),
                    findings=dict(self.findings),
                    warnings=dict(self.warnings),
                )
                for table in (self.by_op, self.by_writer, self.findings, self.warnings):
                    table.clear()
                # The timeline is renamed after the tables, by where they ended up.
                timeline, self.timeline = self.timeline, None
                self._absorb_tables(loaded)
                if timeline is not None:
                    timeline.rename(writer=self._writer, group=self._finding_home)
                self.timeline = timeline
        return folding

    def _label(self, table_name: str, table: dict[str, Counters], value: str) -> str:
        """Where counters of op/writer ``value`` go: its own key or ``(other)``.

        A kept value pushed out by a smaller one moves its counters to ``(other)``
        (a writer's: in the groups and the timeline too).
        """
        value = clip_label(value)
        if value in table or value in UNCAPPED_LABELS:
            return value
        kept = self._folding().labels[table_name]
        entry = (label_order(table_name, value), value)
        if len(kept) >= self.max_labels:
            if entry > kept[-1]:
                return OTHER_LABEL
            _, evicted = kept.pop()
            other = table.get(OTHER_LABEL)
            if other is None:
                other = table[OTHER_LABEL] = Counters()
            other.absorb(table.pop(evicted))
            if table_name == "by_writer":
                self._evict_writer(evicted)
        bisect.insort(kept, entry)
        table[value] = Counters()
        return value

    def _evict_writer(self, writer: str) -> None:
        """Count ``writer``'s group events and timeline counts under ``(other)``."""
        for table_name, key in self._folding().writer_groups.pop(writer, ()):
            group: Group | None = getattr(self, table_name).get(key)
            events = group.by_writer.pop(writer, 0) if group is not None else 0
            if group is not None and events:
                group.by_writer[OTHER_LABEL] = group.by_writer.get(OTHER_LABEL, 0) + events
        if self.timeline is not None:
            self.timeline.rename_writer(writer, OTHER_LABEL)

    def _finding_home(self, key: GroupKey) -> GroupKey | None:
        """The finding group that counts ``key`` now (its own, an overflow, the catch-all).

        None when this summary has no such group. For keys already filed or
        absorbed: a key the caps push out later moves with its group.
        """
        table = self.findings
        if key in table:
            return key
        schema, kind, path = key
        role = group_role(path)
        if role != "catch-all":
            parent = family_parent(path)
            if (schema, kind, parent) in self._folding().families["findings"]:
                home = key if role == "overflow" else (schema, kind, parent + OTHER_SUFFIX)
                return home if home in table else None
        home = (schema, kind, OTHER_PATHS)
        return home if home in table else None

    def _place(self, table_name: str, table: dict[GroupKey, Group], key: GroupKey) -> GroupKey:
        """The group ``key`` is counted in: its own, its family's overflow or the catch-all.

        Makes room when ``key`` pushes a kept name or family out: their groups
        move into the overflow or catch-all group, counts, writers, ids,
        samples and timeline series.
        """
        schema, kind, path = key
        role = group_role(path)
        if role == "catch-all":
            return key
        folding = self._folding()
        parent = family_parent(path)
        catch_all = (schema, kind, OTHER_PATHS)
        family = self._family(table_name, table, folding, (schema, kind, parent))
        if family is None:
            return catch_all
        if role == "overflow" or path in family.paths:
            return key
        overflow = (schema, kind, parent + OTHER_SUFFIX)
        entry = (name_order(table_name, schema, kind, path), path)
        if len(family.names) >= self.max_names:
            if entry > family.names[-1]:
                return overflow
            _, evicted = family.names.pop()
            family.paths.discard(evicted)
            self._move(table_name, table, (schema, kind, evicted), overflow)
        bisect.insort(family.names, entry)
        family.paths.add(path)
        table[key] = Group(*key, limit=self.samples)
        return key

    def _family(
        self,
        table_name: str,
        table: dict[GroupKey, Group],
        folding: Folding,
        family_key: tuple[str, str, str],
    ) -> Family | None:
        """The kept family ``family_key``, admitted if it fits; None when it does not."""
        families = folding.families[table_name]
        family = families.get(family_key)
        if family is not None:
            return family
        order = folding.order[table_name]
        entry = (family_order(table_name, *family_key), family_key)
        if len(order) >= self.max_parents:
            if entry > order[-1]:
                return None
            _, evicted_key = order.pop()
            evicted = families.pop(evicted_key)
            schema, kind, parent = evicted_key
            catch_all = (schema, kind, OTHER_PATHS)
            for _, path in evicted.names:
                self._move(table_name, table, (schema, kind, path), catch_all)
            self._move(table_name, table, (schema, kind, parent + OTHER_SUFFIX), catch_all)
        bisect.insort(order, entry)
        family = families[family_key] = Family()
        return family

    def _move(
        self, table_name: str, table: dict[GroupKey, Group], source: GroupKey, target: GroupKey
    ) -> None:
        """Fold group ``source`` into ``target``: counts, writers, ids, samples, series."""
        group = table.pop(source, None)
        if group is None:
            return
        into = table.get(target)
        if into is None:
            into = table[target] = Group(*target, limit=self.samples)
        into.absorb(group, self.samples)
        writer_groups = self._folding().writer_groups
        for writer in group.by_writer:
            if writer not in UNCAPPED_LABELS:
                holders = writer_groups.setdefault(writer, set())
                holders.discard((table_name, source))
                holders.add((table_name, target))
        if table_name == "findings" and self.timeline is not None:
            self.timeline.move_group(source, target)

    # ---------------------------------------------------------------- merging

    def absorb(self, other: Summary) -> None:
        """Add ``other`` to this summary, in place, in time proportional to ``other``'s size.

        What the sidecar does with each committed batch: the groups already
        seen are not walked again, and ``other``'s timeline is added bucket by
        bucket into this one. The result equals ``self.merge(other)`` when both
        share K and caps (this summary's K and caps are kept).
        """
        self._folding()
        self.totals.absorb(other.totals)
        self.span_union(other.first_id, other.last_id)
        self.show_values = self.show_values and other.show_values
        self._absorb_tables(other)
        if self.timeline is not None:
            if other.timeline is None:
                # A part without a timeline leaves the whole without one (as merge).
                self.timeline = None
            else:
                self.timeline.absorb(other.timeline, writer=self._writer, group=self._finding_home)

    def _absorb_tables(self, other: Summary) -> None:
        for table_name in ("by_op", "by_writer"):
            for value, counters in getattr(other, table_name).items():
                self._counters(table_name, value).absorb(counters)
        writer_groups = self._folding().writer_groups
        for table_name in ("findings", "warnings"):
            table: dict[GroupKey, Group] = getattr(self, table_name)
            other_table: dict[GroupKey, Group] = getattr(other, table_name)
            for key, group in other_table.items():
                placed = key if key in table else self._place(table_name, table, key)
                into = table.get(placed)
                if into is None:
                    into = table[placed] = Group(*placed, limit=self.samples)
                writers = self._writers(group.by_writer)
                into.absorb(group, self.samples, writers)
                for writer in writers:
                    if writer not in UNCAPPED_LABELS:
                        writer_groups.setdefault(writer, set()).add((table_name, placed))

    def span_union(self, first_id: str, last_id: str) -> None:
        """Widen the range to cover ``first_id``..``last_id`` (smallest first, largest last)."""
        if first_id and (not self.first_id or id_order(first_id) < id_order(self.first_id)):
            self.first_id = first_id
        if last_id and (not self.last_id or id_order(last_id) > id_order(self.last_id)):
            self.last_id = last_id

    def merge(self, other: Summary) -> Summary:
        """A new Summary counting both; associative and commutative.

        It keeps the smaller K and the smaller caps of the two, so merging
        reports made with other settings stays associative too. The timeline
        is the merge of both (None when either has none: a timeline counts
        every event its summary counts), renamed to the merged groups and
        writer labels.
        """
        from cdccheck.timeline import merge_timelines

        merged = Summary(
            samples=min(self.samples, other.samples),
            show_values=self.show_values and other.show_values,
            max_names=min(self.max_names, other.max_names),
            max_parents=min(self.max_parents, other.max_parents),
            max_labels=min(self.max_labels, other.max_labels),
        )
        for part in (self, other):
            merged.totals.absorb(part.totals)
            merged.span_union(part.first_id, part.last_id)
            merged._absorb_tables(part)
        timeline = merge_timelines((self.timeline, other.timeline))
        if timeline is not None:
            # merge_timelines made a new Timeline: renaming it touches neither part.
            timeline.rename(writer=merged._writer, group=merged._finding_home)
        merged.timeline = timeline
        return merged

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
        """The summary part of a report (docs/reports.md)."""
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
                # Merging relies on a group's samples being in order.
                group.samples = sorted(group.samples, key=Sample.order)[:samples]
                table[(group.schema, group.kind, group.path)] = group
        summary.first_id = report["range"]["first_id"] or ""
        summary.last_id = report["range"]["last_id"] or ""
        if report.get("timeline") is not None:
            from cdccheck.timeline import Timeline

            summary.timeline = Timeline.from_json(report["timeline"])
        summary.show_values = any(
            "value" in sample.value
            for group in (*summary.findings.values(), *summary.warnings.values())
            for sample in group.samples
        )
        return summary


def _ranked(table: dict[GroupKey, Group]) -> list[Group]:
    return sorted(table.values(), key=lambda g: (-g.events, g.schema, g.kind, g.path))
