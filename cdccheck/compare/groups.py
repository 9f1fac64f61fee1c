"""The parts a CompareSummary is made of: counters, diff groups, samples, side statistics.

Every part has a ``plus`` that is associative and commutative, so that
``CompareSummary.merge`` is too: counters add, first ids take the smallest
(``id_key`` order), samples keep the K smallest by a total order, value
sketches merge as bottom-k samples (cdccheck.compare.noise).
"""

from __future__ import annotations

import functools
import json
from typing import Any

import msgspec

from cdccheck.compare.noise import Sketch, sketch_distinct, sketch_merge


@functools.lru_cache(maxsize=4096)
def id_key(stream_id: str) -> tuple[int, int, int, str]:
    """Sort key for ids: stream ids numerically, anything else after them by text.

    Cached: the first ids of groups and the ids of the current pair are looked up
    again and again.
    """
    ms, dash, seq = stream_id.partition("-")
    if dash and ms.isdigit() and seq.isdigit():
        return (0, int(ms), int(seq), "")
    if not dash and ms.isdigit():
        return (0, int(ms), 0, "")
    return (1, 0, 0, stream_id)


def _min_id(*ids: str) -> str:
    present = [i for i in ids if i]
    return min(present, key=id_key) if present else ""


def _max_id(*ids: str) -> str:
    present = [i for i in ids if i]
    return max(present, key=id_key) if present else ""


class Counters(msgspec.Struct):
    """The seven compare counters; ``pairs = equal + differing``."""

    pairs: int = 0
    equal: int = 0
    differing: int = 0
    missing_in_candidate: int = 0
    extra_in_candidate: int = 0
    undecodable: int = 0
    unkeyed: int = 0

    def plus(self, other: Counters) -> Counters:
        """A new Counters with both added."""
        return Counters(
            *(
                a + b
                for a, b in zip(
                    msgspec.structs.astuple(self), msgspec.structs.astuple(other), strict=True
                )
            )
        )

    def as_dict(self) -> dict[str, int]:
        """The counters in report order."""
        return msgspec.structs.asdict(self)


COUNTER_NAMES: tuple[str, ...] = Counters.__struct_fields__


class DiffSample(msgspec.Struct, frozen=True):
    """One example of a diff group: which pair, the real path, both values described."""

    primary_id: str
    candidate_id: str
    path: str
    primary: dict[str, Any]
    candidate: dict[str, Any]

    def order(self) -> tuple[Any, ...]:
        """Total order, so that merging keeps the same K samples whatever comes first."""
        return (
            id_key(self.primary_id),
            id_key(self.candidate_id),
            self.path,
            json.dumps([self.primary, self.candidate], sort_keys=True),
        )


class DiffGroup(msgspec.Struct):
    """Pairs with at least one difference (or warning) of ``kind`` at ``path``."""

    path: str
    kind: str
    pairs: int = 0
    first_primary_id: str = ""
    first_candidate_id: str = ""
    samples: list[DiffSample] = msgspec.field(default_factory=list)
    sketch: Sketch = msgspec.field(default_factory=dict)
    """Bottom-k sample of the value pairs while every pair so far had this difference."""
    sketch_ok: bool = True
    """False when a part merged in (a report) said its values repeat."""

    @property
    def distinct(self) -> bool:
        """Whether the values of this group look all distinct (see cdccheck.compare.noise)."""
        return self.sketch_ok and sketch_distinct(self.sketch)

    def keep(self, sample: DiffSample, limit: int) -> None:
        """Offer one sample; the K smallest by ``DiffSample.order`` stay."""
        samples = self.samples
        if len(samples) < limit:
            samples.append(sample)
            if len(samples) > 1 and sample.order() < samples[-2].order():
                samples.sort(key=DiffSample.order)
        elif limit and sample.order() < samples[-1].order():
            samples[-1] = sample
            samples.sort(key=DiffSample.order)

    def plus(self, other: DiffGroup, limit: int) -> DiffGroup:
        """Both groups in one (same path and kind)."""
        unique = {sample.order(): sample for sample in (*self.samples, *other.samples)}
        return DiffGroup(
            self.path,
            self.kind,
            self.pairs + other.pairs,
            _min_id(self.first_primary_id, other.first_primary_id),
            _min_id(self.first_candidate_id, other.first_candidate_id),
            [unique[key] for key in sorted(unique)][:limit],
            sketch_merge(self.sketch, other.sketch),
            self.sketch_ok and other.sketch_ok,
        )


class SideSample(msgspec.Struct, frozen=True):
    """One entry of a side that was never paired, and why."""

    id: str
    message: str


class SideGroup(msgspec.Struct):
    """Entries of one side that are ``undecodable`` or ``unkeyed`` (path: the key option)."""

    kind: str
    path: str
    events: int = 0
    first_id: str = ""
    last_id: str = ""
    samples: list[SideSample] = msgspec.field(default_factory=list)

    def plus(self, other: SideGroup, limit: int) -> SideGroup:
        """Both groups in one."""
        unique = {(id_key(s.id), s.message): s for s in (*self.samples, *other.samples)}
        return SideGroup(
            self.kind,
            self.path,
            self.events + other.events,
            _min_id(self.first_id, other.first_id),
            _max_id(self.last_id, other.last_id),
            [unique[key] for key in sorted(unique)][:limit],
        )


class SideStats(msgspec.Struct):
    """What one source contributed: how many entries, their id range, what was unreadable."""

    events: int = 0
    first_id: str = ""
    last_id: str = ""
    findings: dict[tuple[str, str], SideGroup] = msgspec.field(default_factory=dict)

    def span(self, first_id: str | None, last_id: str | None, events: int) -> None:
        """Record that ``events`` entries from ``first_id`` to ``last_id`` were read."""
        self.events += events
        self.first_id = _min_id(self.first_id, first_id or "")
        self.last_id = _max_id(self.last_id, last_id or "")

    def note(self, kind: str, path: str, event_id: str, message: str, limit: int) -> None:
        """Count one unreadable entry."""
        group = self.findings.get((kind, path))
        if group is None:
            group = self.findings[(kind, path)] = SideGroup(kind, path)
        group.events += 1
        group.first_id = _min_id(group.first_id, event_id)
        group.last_id = _max_id(group.last_id, event_id)
        if len(group.samples) < limit:
            group.samples.append(SideSample(event_id, message))
            group.samples.sort(key=lambda s: (id_key(s.id), s.message))
        elif limit and id_key(event_id) < id_key(group.samples[-1].id):
            group.samples[-1] = SideSample(event_id, message)
            group.samples.sort(key=lambda s: (id_key(s.id), s.message))

    def plus(self, other: SideStats, limit: int) -> SideStats:
        """Both sides' statistics in one."""
        findings: dict[tuple[str, str], SideGroup] = {}
        for key in self.findings.keys() | other.findings.keys():
            empty = SideGroup(*key)
            findings[key] = self.findings.get(key, empty).plus(
                other.findings.get(key, empty), limit
            )
        return SideStats(
            self.events + other.events,
            _min_id(self.first_id, other.first_id),
            _max_id(self.last_id, other.last_id),
            findings,
        )


class EntityCounts(msgspec.Struct):
    """Per ``--entity``: converged + diverged = total; transient and reordered are subsets."""

    total: int = 0
    converged: int = 0
    diverged: int = 0
    transient: int = 0
    reordered: int = 0

    def plus(self, other: EntityCounts) -> EntityCounts:
        """Both counts added (entities of two disjoint ranges)."""
        return EntityCounts(
            *(
                a + b
                for a, b in zip(
                    msgspec.structs.astuple(self), msgspec.structs.astuple(other), strict=True
                )
            )
        )
