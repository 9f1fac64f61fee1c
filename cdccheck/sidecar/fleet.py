"""The fleet summary: what every sidecar of a group counted, in Redis, exactly once.

Two halves: ``Fleet`` writes and reads one stream's summary, and
``fleet_report`` turns the summaries of a group into one report (what
``cdccheck report --stream S --group G`` prints). Neither needs the consume
loop, so the report command does not import it.

Each sidecar checks a batch into a batch ``Summary``, then commits it with
``Fleet.commit``: ONE server-side script that acknowledges the batch
(XACK), adds the batch's counts to the fleet summary and, optionally,
copies the failing events to a quarantine stream. Redis runs a script
atomically, as it runs MULTI/EXEC: a crash before the script leaves every
entry pending and nothing counted (the entries are read again), a crash
after it leaves them acknowledged and counted once. The script is also
conditional, which a MULTI block cannot be: it first checks that every
entry is still pending for THIS consumer. A consumer that stalled past
``--claim-idle-ms`` may have lost its entries to another consumer's
XAUTOCLAIM; committing them anyway would count them twice, so the script
refuses, names the lost ids, and the caller commits the rest. (The script
is ``COMMIT`` in ``cdccheck.sources._redis``; the guarantees it gives are
described in ``docs/sidecar.md``.)

Key layout, for stream S and group G (``T`` is S's hash tag: the part of S
inside its first ``{...}`` when it has one, else S itself)::

    cdccheck:{T}:<S>:<G>:counters   hash   integer counters, fields are JSON arrays:
                                           ["totals","ok"], ["by_op","create","events"],
                                           ["by_writer","py","ok"],
                                           ["findings",schema,kind,path] (events),
                                           ["warnings",schema,kind,path],
                                           ["findings_by_writer",schema,kind,path,writer],
                                           ["warnings_by_writer",schema,kind,path,writer],
                                           ["sidecar","trimmed"|"quarantined"]
    cdccheck:{T}:<S>:<G>:spans      hash   first/last stream id: ["range","first"],
                                           ["findings",schema,kind,path,"last"], ...
    cdccheck:{T}:<S>:<G>:samples:<group field>
                                    zset   the group's K smallest samples; all scores
                                           0, so members sort by bytes, and each member
                                           starts with its zero-padded stream id
    cdccheck:{T}:<S>:<G>:meta       hash   settings every sidecar must share (samples,
                                           show_values, caps, schema digests), created_at
    cdccheck:{T}:<S>:<G>:consumers  hash   consumer -> token of its last commit
    cdccheck:{T}:<S>:<G>:labels:<by_op|by_writer>
                                    zset   the kept op (writer) values, as counter fields
    cdccheck:{T}:<S>:<G>:parents:<findings|warnings>
                                    zset   the kept families (schema, kind, parent path)
    cdccheck:{T}:<S>:<G>:names:<family>
                                    zset   the kept groups of one family
    cdccheck:{T}:<S>:<G>:folds      hash   family -> its overflow and catch-all fields
    cdccheck:{T}:<S>:<G>:refs:<writer label>
                                    set    every counter field that names a kept writer
                                           (a group's or the timeline's), with the field
                                           its count moves to when the writer is pushed
                                           into "(other)"
    cdccheck:{T}:<S>:<G>:timeline   hash   the timeline's counts (cdccheck.timeline), fields:
                                           ["t",start_ms,writer,counter] per bucket,
                                           ["b",writer,counter] before the horizon,
                                           ["u",writer,counter] ids without a time
    cdccheck:{T}:<S>:<G>:series:<group field>
                                    hash   a finding group's timeline series:
                                           start_ms -> events
    cdccheck:{T}:<S>:<G>:timeline:index
                                    zset   every "t" field and every series point (as
                                           ["tg",start_ms,schema,kind,path]), scored by
                                           its bucket start: what the horizon drops

(<S> and <G> are percent-encoded, so a ``:`` in a name cannot make two
layouts collide.) Every key carries S's hash tag, so all of them live in
S's cluster slot: the commit script may touch the stream and the summary in
one step on Redis Cluster too, where a script or transaction must stay
within one slot. Counts are HINCRBY, first/last ids min/max updates, and
samples a bounded sorted set: all three merge exactly as ``Summary.merge``
does, so the summary read back equals the merge of every committed batch.

The fleet summary is bounded like a Summary (``cdccheck.summary``: caps on
op/writer values, families and names per family, with overflow groups). The
sorted sets above hold what is kept, scored and named so that Redis orders
them as ``Summary`` does; the commit script folds each batch into them, so
the number of keys stays bounded whatever the events hold. A group pushed
into an overflow group brings its events, ids, samples, writers and timeline
series along; a writer pushed into ``(other)`` moves there in every group
and timeline bucket that counts it (found through its ``refs`` set), as in
a Summary.

The timeline has one fixed bucket width for the whole fleet and keeps a
rolling horizon (``--timeline-horizon``, a week by default) of buckets
before the newest one counted; older buckets are folded into per-writer
"before the horizon" counters by the same commit script, so the keys stay
bounded and every event is still counted once. Width and horizon are fleet
settings, recorded in ``meta`` by the first sidecar; a fleet registered
without them keeps no timeline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import quote

import msgspec

from cdccheck.errors import ConfigError, SourceError
from cdccheck.grouping import (
    OTHER_LABEL,
    OTHER_NAME,
    OTHER_PATHS,
    UNCAPPED_LABELS,
    counter_field,
    family_order,
    family_parent,
    group_role,
    label_order,
    name_order,
)
from cdccheck.hints import SchemaFacts
from cdccheck.model import UNKNOWN
from cdccheck.sources._redis import (
    COMMIT,
    REGISTER,
    as_dict,
    as_text,
    connect_any,
    key_slot,
    redact_url,
    redis_errors,
    secret_of,
)
from cdccheck.summary import COUNTER_COLUMNS, Counters, Group, Sample, Summary
from cdccheck.timeline import Timeline, within_horizon

__all__ = [
    "FLEET_VERSION",
    "Fleet",
    "FleetKeys",
    "FleetSnapshot",
    "QuarantineRecord",
    "fleet_report",
    "hash_tag",
]

FLEET_VERSION = "2"
"""Version 2 added the caps (and their sorted sets, with writers per group and the
timeline under them); version 1 summaries are refused."""
QUARANTINED = ("sidecar", "quarantined")
TRIMMED = ("sidecar", "trimmed")
_SETTINGS = (
    "samples",
    "show_values",
    "max_names",
    "max_parents",
    "max_labels",
    "legacy_sha256",
    "new_sha256",
)
_BY_WRITER = {"findings_by_writer": "findings", "warnings_by_writer": "warnings"}
"""Counter kinds holding a group's events per writer -> the group's table."""
_TIMELINE_SETTINGS = ("timeline_width_s", "timeline_horizon_s")


def hash_tag(key: str) -> str:
    """The part of ``key`` that Redis Cluster hashes (its hash tag, else the whole key)."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            return key[start + 1 : end]
    return key


field = counter_field
"""A hash field or key suffix naming a counter: a compact JSON array, unambiguous."""


def padded_id(stream_id: str) -> str:
    """``5-3`` -> ``00000000000000000005-00000000000000000003``: byte order is id order."""
    ms, _, seq = stream_id.partition("-")
    return f"{int(ms):020d}-{int(seq or 0):020d}"


_PADDED_LENGTH = len(padded_id("0-0"))


def _id_key(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def sample_member(sample: Sample) -> str:
    """A sample as a sorted-set member: padded id, then ``Sample.body()``.

    Members of equal score sort by their bytes, so they sort as ``Sample.order``
    orders samples: by id, then by body.
    """
    return padded_id(sample.id) + sample.body()


def _sample_from(member: bytes) -> Sample:
    body = json.loads(member[_PADDED_LENGTH:].decode("utf-8"))
    return Sample(body["id"], body["path"], body["value"], body["message"])


class FleetKeys:
    """The Redis keys of one stream's fleet summary for one group (see the module docstring)."""

    def __init__(self, stream: str, group: str) -> None:
        self.stream = stream
        self.group = group
        tag = hash_tag(stream)
        self.prefix = f"cdccheck:{{{tag}}}:{quote(stream, safe='')}:{quote(group, safe='')}"
        self.counters = f"{self.prefix}:counters"
        self.spans = f"{self.prefix}:spans"
        self.meta = f"{self.prefix}:meta"
        self.consumers = f"{self.prefix}:consumers"
        self.folds = f"{self.prefix}:folds"
        self.timeline = f"{self.prefix}:timeline"
        self.timeline_index = f"{self.prefix}:timeline:index"

    def samples(self, group_field: str) -> str:
        """The sorted set of samples of one finding or warning group."""
        return f"{self.prefix}:samples:{group_field}"

    def series(self, group_field: str) -> str:
        """The timeline series of one finding group (bucket start -> events)."""
        return f"{self.prefix}:series:{group_field}"

    def colocated(self) -> bool:
        """Whether the keys share the stream's cluster slot.

        Not when the stream's name holds a ``}`` outside a hash tag: no tag
        can then reproduce its slot. A single server does not care.
        """
        return key_slot(self.counters) == key_slot(self.stream)


class QuarantineRecord(NamedTuple):
    """A failing event for the quarantine stream: its raw fields and what was wrong."""

    fields: dict[str, bytes]
    stream: str
    id: str
    findings: str
    """JSON: the event as ``--events-out`` writes it."""


class FleetSnapshot(NamedTuple):
    """The fleet summary read back, with the sidecars' own counters."""

    summary: Summary
    meta: dict[str, str]
    trimmed: int
    quarantined: int
    consumers: list[str]


class Fleet:
    """One stream's fleet summary for one group, on a Redis or RedisCluster client.

    ``cluster``: the client talks to a Redis Cluster; the keys must then
    share the stream's slot (ConfigError when the stream's name makes that
    impossible).
    """

    def __init__(self, client: Any, stream: str, group: str, *, cluster: bool = False) -> None:
        self.client = client
        self.keys = FleetKeys(stream, group)
        self.timeline: tuple[int, int] | None = None
        """(bucket width, horizon) in seconds, once registered; None: no fleet timeline."""
        if cluster and not self.keys.colocated():
            raise ConfigError(
                f"stream {stream!r} cannot share a cluster slot with its fleet summary (its "
                "name has a '}' outside a {hash tag}): rename the stream or give it a tag"
            )

    # -- writing ------------------------------------------------------------

    def register(
        self,
        *,
        samples: int,
        show_values: bool,
        schemas: dict[str, dict[str, str]],
        caps: Summary | None = None,
        timeline: tuple[int, int] | None = None,
    ) -> dict[str, str]:
        """Record this fleet's settings, or check ours against the recorded ones.

        Every sidecar of a group must count the same way: the same schemas
        (by digest), samples per group, value redaction, caps (those of
        ``caps``, a Summary; the defaults without one) and timeline
        (``(bucket width, horizon)`` in seconds). Raises ConfigError naming
        the difference. A fleet recorded without a timeline keeps none.
        """
        caps = caps if caps is not None else Summary()
        mine = {
            "version": FLEET_VERSION,
            "samples": str(samples),
            "show_values": "1" if show_values else "0",
            "max_names": str(caps.max_names),
            "max_parents": str(caps.max_parents),
            "max_labels": str(caps.max_labels),
            "legacy_sha256": schemas["legacy"]["sha256"],
            "new_sha256": schemas["new"]["sha256"],
            "legacy_path": schemas["legacy"]["path"],
            "new_path": schemas["new"]["path"],
            "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        if timeline is not None:
            mine["timeline_width_s"], mine["timeline_horizon_s"] = map(str, timeline)
        arguments = [item for pair in mine.items() for item in pair]
        recorded = {
            name: as_text(value)
            for name, value in as_dict(REGISTER(self.client, [self.keys.meta], arguments)).items()
        }
        if recorded.get("version") != FLEET_VERSION:
            raise ConfigError(
                f"{self.keys.meta} holds a fleet summary of version {recorded.get('version')!r}, "
                f"this cdccheck writes version {FLEET_VERSION}: use another --group"
            )
        settings: tuple[str, ...] = _SETTINGS
        if timeline is not None and "timeline_width_s" in recorded:
            settings += _TIMELINE_SETTINGS
        differences = [name for name in settings if recorded.get(name) != mine[name]]
        if differences:
            shown = ", ".join(
                f"{name} {recorded.get(name)!r} there, {mine[name]!r} here" for name in differences
            )
            raise ConfigError(
                f"the fleet summary of group {self.keys.group!r} on stream {self.keys.stream!r} "
                f"counts differently ({shown}): run every sidecar of a group with the same "
                "--legacy/--new/--samples/--show-values/--bucket/--timeline-horizon, "
                "or use another --group"
            )
        self.timeline = _timeline_settings(recorded) if timeline is not None else None
        return recorded

    def commit(
        self,
        *,
        consumer: str,
        token: str,
        ids: list[str],
        summary: Summary | None,
        trimmed: int = 0,
        quarantine: Sequence[QuarantineRecord] = (),
        quarantine_key: str | None = None,
        quarantine_maxlen: int = 0,
    ) -> list[str]:
        """Acknowledge ``ids`` and add ``summary`` to the fleet summary, atomically.

        Returns [] when committed, else the ids that are no longer pending for
        ``consumer`` (nothing was written; commit again without them).
        ``token`` is recorded as this consumer's last commit.
        """
        keys: list[str] = [
            self.keys.stream,
            self.keys.counters,
            self.keys.spans,
            self.keys.consumers,
            self.keys.folds,
            self.keys.timeline,
            self.keys.timeline_index,
        ]
        ordered = sorted(ids, key=_id_key) if ids else ["0-0"]
        arguments: list[Any] = [
            self.keys.group,
            consumer,
            token,
            len(ids),
            ordered[0],
            ordered[-1],
            *ids,
        ]
        batch = summary if summary is not None else Summary(samples=0)
        increments: list[tuple[str, int]] = [
            (field("totals", name), value)
            for name, value in batch.totals.as_dict().items()
            if value
        ]
        if trimmed:
            increments.append((field(*TRIMMED), trimmed))
        if quarantine:
            increments.append((field(*QUARANTINED), len(quarantine)))
        arguments.append(len(increments))
        for name, amount in increments:
            arguments += [name, amount]
        if batch.first_id:
            arguments += [1, field("range", "first"), field("range", "last")]
            arguments += [batch.first_id, batch.last_id]
        else:
            arguments.append(0)
        arguments += [
            self.keys.prefix,
            batch.max_names,
            batch.max_parents,
            batch.max_labels,
            batch.samples,
            len(COUNTER_COLUMNS),
            *COUNTER_COLUMNS,
            _json(OTHER_LABEL),
            len(UNCAPPED_LABELS),
            *sorted(_json(label) for label in UNCAPPED_LABELS),
        ]
        arguments += _labels(batch)
        arguments += _groups(batch)
        arguments.append(len(quarantine))
        if quarantine:
            if quarantine_key is None:
                raise ConfigError("quarantine records without a quarantine stream")
            keys.append(quarantine_key)
            arguments.append(quarantine_maxlen)
            for record in quarantine:
                entry: list[Any] = [item for pair in record.fields.items() for item in pair]
                entry += [
                    "cdccheck:stream",
                    record.stream,
                    "cdccheck:id",
                    record.id,
                    "cdccheck:findings",
                    record.findings,
                ]
                arguments += [len(entry), *entry]
        arguments += self._timeline_arguments(summary)
        reply = COMMIT(self.client, keys, arguments)
        if int(reply[0]) == 1:
            return []
        return [as_text(lost) for lost in reply[1]]

    def _timeline_arguments(self, summary: Summary | None) -> list[Any]:
        """The commit script's timeline section: the batch's counts at the fleet's width.

        Writers are the batch's writer labels and series belong to the batch's
        finding groups: the script counts each under its place in the fleet.
        """
        if self.timeline is None or summary is None or summary.timeline is None:
            return [0, 0, 0, 0, 0]
        width_s, horizon_s = self.timeline
        batch = summary.timeline.coarsen(width_s)
        bucketed: list[Any] = []
        for start, writers in batch.buckets.items():
            for writer, counters in writers.items():
                for column, amount in counters.as_dict().items():
                    if amount:
                        bucketed += [start, _json(writer), column, amount]
        series: list[Any] = []
        for key, points in batch.groups.items():
            if key not in summary.findings:
                continue  # a Summary's series are those of its groups; nothing to count
            name = field("findings", *key)
            series += [
                item for start, events in points.items() if events for item in (start, name, events)
            ]
        unbucketed: list[Any] = []
        for kind, table in (("u", batch.untimed), ("b", batch.before_horizon)):
            for writer, counters in table.items():
                for column, amount in counters.as_dict().items():
                    if amount:
                        unbucketed += [kind, _json(writer), column, amount]
        return [
            width_s * 1000,
            horizon_s * 1000,
            len(bucketed) // 4,
            *bucketed,
            len(series) // 3,
            *series,
            len(unbucketed) // 4,
            *unbucketed,
        ]

    def last_token(self, consumer: str) -> str | None:
        """The token of ``consumer``'s last commit (to settle a commit whose reply was lost)."""
        value = self.client.execute_command("HGET", self.keys.consumers, consumer)
        return None if value is None else as_text(value)

    def forget(self, consumers: list[str]) -> None:
        """Drop the commit tokens of consumers removed from the group."""
        if consumers:
            self.client.execute_command("HDEL", self.keys.consumers, *consumers)

    # -- reading ------------------------------------------------------------

    def exists(self) -> bool:
        """Whether any sidecar registered with this fleet summary."""
        return bool(self.client.execute_command("EXISTS", self.keys.meta))

    def read(self) -> FleetSnapshot:
        """The fleet summary as a Summary, plus the sidecars' own counters.

        Two round trips (counters, spans, settings and the timeline's counters;
        then the samples and the groups' timeline series): read while sidecars
        commit, the second may be a batch newer than the first; the counts of
        each among themselves are always consistent.
        """
        pipe = self.client.pipeline(transaction=False)
        for key in (
            self.keys.counters,
            self.keys.spans,
            self.keys.meta,
            self.keys.consumers,
            self.keys.timeline,
        ):
            pipe.execute_command("HGETALL", key)
        counters_raw, spans_raw, meta_raw, consumers_raw, timeline_raw = pipe.execute()
        meta = {name: as_text(value) for name, value in as_dict(meta_raw).items()}
        if not meta:
            raise SourceError(
                f"no fleet summary for group {self.keys.group!r} on stream "
                f"{self.keys.stream!r} (no sidecar of that group has started: check --group "
                "and --stream)"
            )
        counters = {name: int(value) for name, value in as_dict(counters_raw).items()}
        spans = {name: as_text(value) for name, value in as_dict(spans_raw).items()}
        default = Summary()
        summary = Summary(
            samples=int(meta["samples"]),
            show_values=meta["show_values"] == "1",
            max_names=int(meta.get("max_names", default.max_names)),
            max_parents=int(meta.get("max_parents", default.max_parents)),
            max_labels=int(meta.get("max_labels", default.max_labels)),
        )
        groups: list[tuple[str, tuple[str, str, str], Group]] = []
        writers: list[tuple[str, tuple[str, str, str], str, int]] = []
        for name, value in counters.items():
            parts = json.loads(name)
            kind = parts[0]
            if kind == "totals":
                setattr(summary.totals, parts[1], value)
            elif kind in ("by_op", "by_writer"):
                table = summary.by_op if kind == "by_op" else summary.by_writer
                setattr(table.setdefault(parts[1], Counters()), parts[2], value)
            elif kind in ("findings", "warnings"):
                group_key = (parts[1], parts[2], parts[3])
                group = Group(
                    *group_key,
                    limit=summary.samples,
                    events=value,
                    first_id=spans.get(field(*parts, "first"), ""),
                    last_id=spans.get(field(*parts, "last"), ""),
                )
                (summary.findings if kind == "findings" else summary.warnings)[group_key] = group
                groups.append((name, group_key, group))
            elif kind in _BY_WRITER:
                writers.append((_BY_WRITER[kind], (parts[1], parts[2], parts[3]), parts[4], value))
        for table_name, group_key, writer, value in writers:
            owner = summary.findings if table_name == "findings" else summary.warnings
            owner[group_key].by_writer[writer] = value
        for _, _, group in groups:
            # Batches committed by a cdccheck that did not count writers per group.
            unnamed = group.events - sum(group.by_writer.values())
            if unnamed > 0:
                group.by_writer[UNKNOWN] = group.by_writer.get(UNKNOWN, 0) + unnamed
        summary.first_id = spans.get(field("range", "first"), "")
        summary.last_id = spans.get(field("range", "last"), "")
        settings = _timeline_settings(meta)
        timeline = (
            _timeline_from(settings[0], as_dict(timeline_raw)) if settings is not None else None
        )
        with_samples = groups if summary.samples > 0 else []
        with_series = [
            (name, group_key)
            for name, group_key, _ in groups
            if timeline is not None and group_key in summary.findings
        ]
        if with_samples or with_series:
            pipe = self.client.pipeline(transaction=False)
            for name, _, _ in with_samples:
                pipe.execute_command("ZRANGE", self.keys.samples(name), 0, -1)
            for name, _ in with_series:
                pipe.execute_command("HGETALL", self.keys.series(name))
            replies = pipe.execute()
            for (_, _, group), members in zip(
                with_samples, replies[: len(with_samples)], strict=True
            ):
                group.samples = [_sample_from(member) for member in members or ()]
            for (_, group_key), points in zip(
                with_series, replies[len(with_samples) :], strict=True
            ):
                series = {int(start): int(events) for start, events in as_dict(points).items()}
                if series and timeline is not None:
                    timeline.groups[group_key] = series
        if timeline is not None and settings is not None:
            # The commit script already keeps the horizon; this only makes sure.
            summary.timeline = within_horizon(timeline, settings[1])
        return FleetSnapshot(
            summary,
            meta,
            counters.get(field(*TRIMMED), 0),
            counters.get(field(*QUARANTINED), 0),
            sorted(as_text(name) for name in as_dict(consumers_raw)),
        )


def _timeline_settings(meta: dict[str, str]) -> tuple[int, int] | None:
    """(bucket width, horizon) in seconds as the fleet's meta records them; None if not."""
    if "timeline_width_s" not in meta:
        return None
    return int(meta["timeline_width_s"]), int(meta["timeline_horizon_s"])


def _timeline_from(width_s: int, raw: dict[Any, Any]) -> Timeline:
    """The timeline hash read back, without the series (see the module docstring)."""
    items: list[tuple[tuple[str, ...], int]] = []
    timeline = Timeline(width_s, None)
    for name, value in raw.items():
        parts = json.loads(as_text(name))
        amount = int(value)
        if parts[0] == "t":
            items.append((tuple(parts), amount))
            continue
        table = timeline.before_horizon if parts[0] == "b" else timeline.untimed
        if parts[2] in COUNTER_COLUMNS:
            counters = table.setdefault(parts[1], Counters())
            setattr(counters, parts[2], getattr(counters, parts[2]) + amount)
    timeline.buckets = Timeline.from_increments(width_s, items).buckets
    return timeline


def _json(value: str) -> str:
    """``value`` as a JSON string, as it stands inside a counter field (``counter_field``)."""
    return json.dumps(value, ensure_ascii=False)


def _labels(summary: Summary) -> list[Any]:
    """The commit script's label arguments: each op and writer value with its counters."""
    arguments: list[Any] = []
    count = 0
    for table_name in ("by_op", "by_writer"):
        table: dict[str, Counters] = getattr(summary, table_name)
        other = field(table_name, OTHER_LABEL)
        for value, counters in table.items():
            score, member = label_order(table_name, value)
            arguments += [
                table_name,
                member,
                score,
                other,
                "0" if value in UNCAPPED_LABELS else "1",
                *msgspec.structs.astuple(counters),
            ]
            count += 1
    return [count, *arguments]


def _groups(summary: Summary) -> list[Any]:
    """The commit script's group arguments: where each group folds, its counts, writers
    and samples."""
    arguments: list[Any] = []
    count = 0
    for table_name in ("findings", "warnings"):
        table: dict[tuple[str, str, str], Group] = getattr(summary, table_name)
        for (schema, kind, path), group in table.items():
            parent = family_parent(path)
            family_score, family = family_order(table_name, schema, kind, parent)
            name_score, group_field = name_order(table_name, schema, kind, path)
            members = [sample_member(sample) for sample in group.samples]
            writers = [
                item
                for writer, events in group.by_writer.items()
                if events
                for item in (_json(writer), events)
            ]
            arguments += [
                group_role(path),
                table_name,
                group_field,
                family,
                family_score,
                field(table_name, schema, kind, f"{parent}/{OTHER_NAME}"),
                field(table_name, schema, kind, OTHER_PATHS),
                name_score,
                group.events,
                group.first_id,
                group.last_id,
                len(writers) // 2,
                *writers,
                len(members),
                *members,
            ]
            count += 1
    return [count, *arguments]


# -- the fleet report -----------------------------------------------------


def fleet_report(
    url: str, streams: list[str], group: str, *, password: str | None = None
) -> dict[str, Any]:
    """The fleet-wide report of ``group`` on ``streams``: every sidecar's commits merged."""
    from cdccheck.report.json import build_report

    if not streams:
        raise ConfigError("no stream: pass --stream KEY (repeat it for several streams)")
    secret = secret_of(url, password)
    client, cluster = connect_any(url, password=password)
    try:
        with redis_errors(url, secret, f"reading the fleet summary of group {group!r}"):
            snapshots = [Fleet(client, stream, group, cluster=cluster).read() for stream in streams]
    finally:
        client.close()
    digests = {(s.meta.get("legacy_sha256"), s.meta.get("new_sha256")) for s in snapshots}
    if len(digests) > 1:
        raise ConfigError(
            "these streams were checked with different schemas (sha256 differ): report them "
            "one --stream at a time"
        )
    summary = snapshots[0].summary
    for snapshot in snapshots[1:]:
        summary = summary.merge(snapshot.summary)
    meta = snapshots[0].meta
    created = min(datetime.fromisoformat(s.meta["created_at"]) for s in snapshots)
    source: dict[str, Any] = {"kind": "group"}
    if len(streams) == 1:
        source["stream"] = streams[0]
    source.update(
        {
            "streams": streams,
            "group": group,
            "url": redact_url(url),
            "consumers": sorted({name for s in snapshots for name in s.consumers}),
            "trimmed": sum(s.trimmed for s in snapshots),
            "quarantined": sum(s.quarantined for s in snapshots),
        }
    )
    schemas = {
        "legacy": {"path": meta.get("legacy_path", ""), "sha256": meta["legacy_sha256"]},
        "new": {"path": meta.get("new_path", ""), "sha256": meta["new_sha256"]},
    }
    return build_report(
        summary,
        source=source,
        schemas=schemas,
        started_at=created,
        elapsed_s=max(0.0, (datetime.now(UTC) - created).total_seconds()),
        facts=SchemaFacts.from_report(schemas),
    )
