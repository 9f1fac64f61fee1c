"""CompareSummary: mergeable counters, diff groups and bounded samples of one compare run.

Like the check ``Summary`` (docs/reports.md, "Merge"), it is built one pair at
a time and combined by ``merge``, which is associative and commutative (a
Hypothesis test proves it): two compares of two halves of a range add up to
the compare of the whole, except for pairs that straddle the cut.

Counters (docs/compare.md): ``pairs = equal + differing``; every event of
either side is counted once, in a pair, as ``missing_in_candidate`` /
``extra_in_candidate``, as ``undecodable`` or as ``unkeyed``. ``by_op`` carries
the same seven counters per op: a pair and a missing event use the primary's
op, an extra event the candidate's, an undecodable event ``"?"``.

Groups count PAIRS: a pair with two differences under one group path (two
array elements) counts once there. Samples are the K smallest by (primary id,
candidate id, path), values redacted (type and length) unless ``show_values``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from cdccheck.compare.diff import Diff, group_path, sample_path
from cdccheck.compare.groups import (
    COUNTER_NAMES,
    Counters,
    DiffGroup,
    DiffSample,
    EntityCounts,
    SideGroup,
    SideSample,
    SideStats,
    id_key,
)
from cdccheck.compare.noise import (
    LIKELY_NOISE,
    LIKELY_NOISE_MIN_PAIRS,
    noise_label,
    sketch_add,
    value_hash,
)
from cdccheck.compare.options import DEFAULT_NOISE_RATIO
from cdccheck.errors import ConfigError
from cdccheck.model import UNKNOWN
from cdccheck.redaction import describe_value
from cdccheck.summary import DEFAULT_SAMPLES

PRIMARY = "primary"
CANDIDATE = "candidate"
BASELINE = "baseline"
UNDECODABLE = "undecodable"
UNKEYED = "unkeyed"
__all__ = [
    "BASELINE",
    "CANDIDATE",
    "COUNTER_NAMES",
    "PRIMARY",
    "UNDECODABLE",
    "UNKEYED",
    "CompareSummary",
    "Counters",
    "DiffGroup",
    "DiffSample",
    "EntityCounts",
    "SideStats",
]


GroupKey = tuple[str, str]
"""(group path, kind)."""


class CompareSummary(msgspec.Struct):
    """Everything one compare run counted; ``merge`` adds two of them."""

    samples: int = DEFAULT_SAMPLES
    """K: samples kept per group."""
    show_values: bool = False
    noise_ratio: float = DEFAULT_NOISE_RATIO
    totals: Counters = msgspec.field(default_factory=Counters)
    by_op: dict[str, Counters] = msgspec.field(default_factory=dict)
    diffs: dict[GroupKey, DiffGroup] = msgspec.field(default_factory=dict)
    warnings: dict[GroupKey, DiffGroup] = msgspec.field(default_factory=dict)
    primary: SideStats = msgspec.field(default_factory=SideStats)
    candidate: SideStats = msgspec.field(default_factory=SideStats)
    baseline: SideStats | None = None
    """Set when a baseline was compared (then the two fields below are too)."""
    baseline_totals: Counters | None = None
    baseline_diffs: dict[GroupKey, int] = msgspec.field(default_factory=dict)
    entities: EntityCounts | None = None
    """Set when an entity option was given."""

    # ---------------------------------------------------------------- adding

    def _op(self, op: str) -> Counters:
        counters = self.by_op.get(op)
        if counters is None:
            counters = self.by_op[op] = Counters()
        return counters

    def add_pair(
        self,
        op: str,
        primary_id: str,
        candidate_id: str,
        diffs: list[Diff],
        warnings: list[Diff],
    ) -> None:
        """Count one pair with its differences and warnings."""
        totals = self.totals
        counters = self._op(op)
        totals.pairs += 1
        counters.pairs += 1
        if diffs:
            totals.differing += 1
            counters.differing += 1
            self._file(self.diffs, diffs, primary_id, candidate_id, sketch=True)
        else:
            totals.equal += 1
            counters.equal += 1
        if warnings:
            self._file(self.warnings, warnings, primary_id, candidate_id, sketch=False)

    def _file(
        self,
        table: dict[GroupKey, DiffGroup],
        found: list[Diff],
        primary_id: str,
        candidate_id: str,
        *,
        sketch: bool,
    ) -> None:
        seen: set[GroupKey] = set()
        all_pairs = self.totals.pairs
        limit = self.samples
        for diff in found:
            key = (group_path(diff.path), diff.kind)
            if key in seen:
                continue
            seen.add(key)
            group = table.get(key)
            if group is None:
                group = table[key] = DiffGroup(key[0], key[1])
            group.pairs += 1
            if sketch and group.pairs == all_pairs:
                # Only a group that differs in every pair can be likely noise.
                sketch_add(group.sketch, value_hash(diff.primary, diff.candidate))
            if not group.first_primary_id or id_key(primary_id) < id_key(group.first_primary_id):
                group.first_primary_id = primary_id
            if not group.first_candidate_id or id_key(candidate_id) < id_key(
                group.first_candidate_id
            ):
                group.first_candidate_id = candidate_id
            if limit and (
                len(group.samples) < limit
                or id_key(primary_id) <= id_key(group.samples[-1].primary_id)
            ):
                group.keep(
                    DiffSample(
                        primary_id,
                        candidate_id,
                        sample_path(diff.path),
                        describe_value(diff.primary, self.show_values),
                        describe_value(diff.candidate, self.show_values),
                    ),
                    limit,
                )

    def add_missing(self, op: str) -> None:
        """A primary event without a candidate partner within the window."""
        self.totals.missing_in_candidate += 1
        self._op(op).missing_in_candidate += 1

    def add_extra(self, op: str) -> None:
        """A candidate event without a primary partner within the window."""
        self.totals.extra_in_candidate += 1
        self._op(op).extra_in_candidate += 1

    def add_unreadable(
        self, side: str, kind: str, op: str, path: str, event_id: str, message: str
    ) -> None:
        """An entry of ``side`` that is ``undecodable`` or ``unkeyed``, never paired."""
        if side == BASELINE:
            stats = self._baseline()
            totals = self.baseline_totals
            assert totals is not None
        else:
            stats = self.primary if side == PRIMARY else self.candidate
            totals = self.totals
            counters = self._op(op if kind == UNKEYED else UNKNOWN)
            if kind == UNDECODABLE:
                counters.undecodable += 1
            else:
                counters.unkeyed += 1
        if kind == UNDECODABLE:
            totals.undecodable += 1
        else:
            totals.unkeyed += 1
        stats.note(kind, path, event_id, message, self.samples)

    def _baseline(self) -> SideStats:
        if self.baseline is None:
            self.start_baseline()
        assert self.baseline is not None
        return self.baseline

    def start_baseline(self) -> None:
        """Say that a baseline is compared (even one that turns out empty)."""
        if self.baseline is None:
            self.baseline = SideStats()
            self.baseline_totals = Counters()

    def add_baseline_pair(self, diffs: list[Diff]) -> None:
        """Count one primary/baseline pair: only its groups' pair counts are kept."""
        totals = self._baseline_totals()
        totals.pairs += 1
        if not diffs:
            totals.equal += 1
            return
        totals.differing += 1
        seen: set[GroupKey] = set()
        table = self.baseline_diffs
        for diff in diffs:
            key = (group_path(diff.path), diff.kind)
            if key not in seen:
                seen.add(key)
                table[key] = table.get(key, 0) + 1

    def add_baseline_unpaired(self, *, missing: bool) -> None:
        """A primary event without a baseline partner (missing) or the reverse."""
        totals = self._baseline_totals()
        if missing:
            totals.missing_in_candidate += 1
        else:
            totals.extra_in_candidate += 1

    def _baseline_totals(self) -> Counters:
        self.start_baseline()
        assert self.baseline_totals is not None
        return self.baseline_totals

    # ---------------------------------------------------------------- reading

    def noise(self, group: DiffGroup) -> str | None:
        """The noise mark of a candidate diff group (see cdccheck.compare.noise)."""
        baseline = self.baseline_totals
        return noise_label(
            pairs=group.pairs,
            total_pairs=self.totals.pairs,
            baseline_pairs=(
                None if baseline is None else self.baseline_diffs.get((group.path, group.kind), 0)
            ),
            baseline_total_pairs=None if baseline is None else baseline.pairs,
            noise_ratio=self.noise_ratio,
            distinct=group.distinct,
        )

    def diff_groups(self) -> list[DiffGroup]:
        """Diff groups, most pairs first."""
        return _ranked(self.diffs)

    def warning_groups(self) -> list[DiffGroup]:
        """Warning groups, most pairs first."""
        return _ranked(self.warnings)

    def counts_failures(self, fail_on: str) -> int:
        """How many pairs or events ``--fail-on`` counts (0: the run passes).

        ``differing`` counts differing pairs, but a differing group marked
        noise does not count: then the number is the largest group that is
        not noise (at least that many pairs differ for real). ``missing``
        counts events without a partner, ``diverged`` diverged entities, ``any``
        all of these plus undecodable and unkeyed events. Warnings never count.
        """
        totals = self.totals
        if fail_on == "none":
            return 0
        groups = self.diff_groups()
        real = [group.pairs for group in groups if self.noise(group) is None]
        differing = totals.differing if len(real) == len(groups) else max(real, default=0)
        missing = totals.missing_in_candidate + totals.extra_in_candidate
        diverged = self.entities.diverged if self.entities is not None else 0
        if fail_on == "differing":
            return differing
        if fail_on == "missing":
            return missing
        if fail_on == "diverged":
            return diverged
        return differing + missing + diverged + totals.undecodable + totals.unkeyed

    # ---------------------------------------------------------------- merging

    def merge(self, other: CompareSummary) -> CompareSummary:
        """A new summary counting both; associative and commutative."""
        limit = min(self.samples, other.samples)
        if (self.baseline is None) != (other.baseline is None):
            raise ConfigError("cannot merge a compare with a baseline and one without")
        if self.noise_ratio != other.noise_ratio:
            raise ConfigError(
                f"cannot merge compares made with different --noise-ratio "
                f"({self.noise_ratio} and {other.noise_ratio})"
            )
        baseline_diffs = dict(self.baseline_diffs)
        for key, pairs in other.baseline_diffs.items():
            baseline_diffs[key] = baseline_diffs.get(key, 0) + pairs
        return CompareSummary(
            samples=limit,
            show_values=self.show_values and other.show_values,
            noise_ratio=self.noise_ratio,
            totals=self.totals.plus(other.totals),
            by_op=_merge_counters(self.by_op, other.by_op),
            diffs=_merge_groups(self.diffs, other.diffs, limit),
            warnings=_merge_groups(self.warnings, other.warnings, limit),
            primary=self.primary.plus(other.primary, limit),
            candidate=self.candidate.plus(other.candidate, limit),
            baseline=(
                None
                if self.baseline is None or other.baseline is None
                else self.baseline.plus(other.baseline, limit)
            ),
            baseline_totals=(
                None
                if self.baseline_totals is None or other.baseline_totals is None
                else self.baseline_totals.plus(other.baseline_totals)
            ),
            baseline_diffs=baseline_diffs,
            entities=(
                None
                if self.entities is None and other.entities is None
                else (self.entities or EntityCounts()).plus(other.entities or EntityCounts())
            ),
        )

    # ---------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, Any]:
        """The counting part of a compare report (docs/compare.md, "Compare report")."""
        total_pairs = self.totals.pairs
        return {
            "totals": self.totals.as_dict(),
            "by_op": {op: counters.as_dict() for op, counters in sorted(self.by_op.items())},
            "diffs": [
                _group_dict(group, total_pairs, self.noise(group)) for group in self.diff_groups()
            ],
            "warnings": [_group_dict(group, total_pairs, None) for group in self.warning_groups()],
            "entities": (None if self.entities is None else msgspec.structs.asdict(self.entities)),
        }

    def side_dict(self, side: str) -> dict[str, Any]:
        """The statistics of ``side`` (primary, candidate or baseline) for the report."""
        stats = {PRIMARY: self.primary, CANDIDATE: self.candidate, BASELINE: self.baseline}[side]
        assert stats is not None
        body: dict[str, Any] = {
            "range": {"first_id": stats.first_id or None, "last_id": stats.last_id or None},
            "events": stats.events,
            "findings": [
                {
                    "kind": group.kind,
                    "path": group.path,
                    "events": group.events,
                    "first_id": group.first_id,
                    "last_id": group.last_id,
                    "samples": [msgspec.structs.asdict(sample) for sample in group.samples],
                }
                for group in sorted(
                    stats.findings.values(), key=lambda g: (-g.events, g.kind, g.path)
                )
            ],
        }
        if side == BASELINE:
            assert self.baseline_totals is not None
            body["totals"] = self.baseline_totals.as_dict()
            body["diffs"] = [
                {"path": path, "kind": kind, "pairs": pairs}
                for (path, kind), pairs in sorted(
                    self.baseline_diffs.items(), key=lambda item: (-item[1], item[0])
                )
            ]
            body["noise_ratio"] = self.noise_ratio
        return body

    @classmethod
    def from_report(
        cls, report: dict[str, Any], *, samples: int = DEFAULT_SAMPLES
    ) -> CompareSummary:
        """Rebuild a summary from a compare report, to merge or render reports again."""
        summary = cls(samples=samples)
        summary.totals = msgspec.convert(report["totals"], Counters)
        summary.by_op = {op: msgspec.convert(c, Counters) for op, c in report["by_op"].items()}
        baseline = report.get("baseline")
        total_pairs = summary.totals.pairs
        for table, name in ((summary.diffs, "diffs"), (summary.warnings, "warnings")):
            for raw in report[name]:
                group = DiffGroup(
                    raw["path"],
                    raw["kind"],
                    raw["pairs"],
                    raw["first_primary_id"],
                    raw["first_candidate_id"],
                    [msgspec.convert(s, DiffSample) for s in raw["samples"]][:samples],
                )
                # A report keeps the mark, not the sample of values. Whether the
                # values were distinct matters only while a group differs in
                # every pair (and there is no baseline); one value is trivially
                # distinct, more were as the mark says.
                group.sketch_ok = group.pairs < LIKELY_NOISE_MIN_PAIRS or (
                    group.pairs == total_pairs and raw.get("noise") == LIKELY_NOISE
                )
                table[(group.path, group.kind)] = group
        for side in (PRIMARY, CANDIDATE):
            setattr(summary, side, _side_from(report[side], samples))
        if baseline is not None:
            summary.baseline = _side_from(baseline, samples)
            summary.baseline_totals = msgspec.convert(baseline["totals"], Counters)
            summary.baseline_diffs = {
                (item["path"], item["kind"]): item["pairs"] for item in baseline["diffs"]
            }
            summary.noise_ratio = float(baseline.get("noise_ratio", DEFAULT_NOISE_RATIO))
        if report.get("entities") is not None:
            summary.entities = msgspec.convert(report["entities"], EntityCounts)
        summary.show_values = any(
            "value" in sample.primary or "value" in sample.candidate
            for group in (*summary.diffs.values(), *summary.warnings.values())
            for sample in group.samples
        )
        return summary


def _side_from(raw: dict[str, Any], samples: int) -> SideStats:
    stats = SideStats(raw["events"], raw["range"]["first_id"] or "", raw["range"]["last_id"] or "")
    for group in raw["findings"]:
        stats.findings[(group["kind"], group["path"])] = SideGroup(
            group["kind"],
            group["path"],
            group["events"],
            group["first_id"],
            group["last_id"],
            [msgspec.convert(s, SideSample) for s in group["samples"]][:samples],
        )
    return stats


def _group_dict(group: DiffGroup, total_pairs: int, noise: str | None) -> dict[str, Any]:
    return {
        "path": group.path,
        "kind": group.kind,
        "pairs": group.pairs,
        "share": round(group.pairs / total_pairs, 6) if total_pairs else 0.0,
        "noise": noise,
        "first_primary_id": group.first_primary_id,
        "first_candidate_id": group.first_candidate_id,
        "samples": [msgspec.structs.asdict(sample) for sample in group.samples],
    }


def _merge_counters(a: dict[str, Counters], b: dict[str, Counters]) -> dict[str, Counters]:
    merged = {key: counters.plus(Counters()) for key, counters in a.items()}
    for key, counters in b.items():
        merged[key] = merged[key].plus(counters) if key in merged else counters.plus(Counters())
    return merged


def _merge_groups(
    a: dict[GroupKey, DiffGroup], b: dict[GroupKey, DiffGroup], limit: int
) -> dict[GroupKey, DiffGroup]:
    merged: dict[GroupKey, DiffGroup] = {}
    for key in a.keys() | b.keys():
        empty = DiffGroup(*key)
        merged[key] = a.get(key, empty).plus(b.get(key, empty), limit)
    return merged


def _ranked(table: dict[GroupKey, DiffGroup]) -> list[DiffGroup]:
    return sorted(table.values(), key=lambda group: (-group.pairs, group.path, group.kind))
