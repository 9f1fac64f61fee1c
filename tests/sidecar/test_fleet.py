"""The fleet summary in Redis: round trip, exactly-once commits, key layout."""

from __future__ import annotations

import json
import random

import msgspec
import pytest
import redis

from cdccheck.engine.pipeline import check_batch
from cdccheck.errors import ConfigError, SourceError
from cdccheck.grouping import id_order
from cdccheck.model import EventVerdict, Finding
from cdccheck.report.json import schema_info
from cdccheck.samples import samples as sample_events
from cdccheck.sidecar.fleet import QUARANTINED, Fleet, FleetKeys, QuarantineRecord, field, hash_tag
from cdccheck.sources.redis_group import RedisGroup, key_slot
from cdccheck.summary import Summary
from cdccheck.timeline import Timeline, within_horizon
from tests.sidecar.support import GROUP, engine, replay_summary, seed


def same(a: Summary, b: Summary) -> bool:
    """Equal reports; compared as JSON text so that a NaN sample value equals itself."""
    return json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)


def schemas() -> dict[str, dict[str, str]]:
    return {"legacy": schema_info(engine().legacy), "new": schema_info(engine().new)}


def verdicts_of_every_class() -> list[EventVerdict]:
    """A verdict for each sample event: every finding kind, warnings, undecodable ones."""
    return [engine().check(sample.entry) for sample in sample_events(11, per_class=3)]


@pytest.mark.parametrize("show_values", [False, True])
def test_committed_batches_read_back_as_their_merge(
    redis_client: redis.Redis, redis_url: str, show_values: bool
) -> None:
    seed(redis_client, "s", 400, defect_rate=0.4)
    source = RedisGroup(redis_url, ["s"], group=GROUP, consumer="a", start_id="0", batch_size=37)
    source.open()
    fleet = Fleet(source.client, "s", GROUP)
    fleet.register(samples=3, show_values=show_values, schemas=schemas())
    expected = Summary(samples=3, show_values=show_values)
    while batches := source.read():
        for batch in batches:
            summary = Summary(samples=3, show_values=show_values)
            check_batch(engine(), batch.entries, summary)
            assert fleet.commit(consumer="a", token="t", ids=batch.ids, summary=summary) == []
            expected = expected.merge(summary)
    snapshot = fleet.read()
    assert same(snapshot.summary, expected)
    assert snapshot.summary.totals.events == 400
    assert snapshot.consumers == ["a"]
    if not show_values:
        # Replay keeps its samples by adding events in id order; the fleet by merging.
        assert same(snapshot.summary, replay_summary(redis_url, "s", samples=3))
    source.close()


def test_any_split_and_commit_order_gives_the_same_summary(redis_client: redis.Redis) -> None:
    verdicts = verdicts_of_every_class()
    rng = random.Random(5)
    results = []
    for attempt in range(3):
        fleet = Fleet(redis_client, f"s{attempt}", GROUP)
        order = list(verdicts)
        rng.shuffle(order)
        cut = sorted(rng.sample(range(1, len(order)), 6))
        parts = [order[a:b] for a, b in zip([0, *cut], [*cut, len(order)], strict=True)]
        for part in parts:
            summary = Summary(samples=2)
            # A batch is read in stream order; the batches commit in any order.
            for verdict in sorted(part, key=lambda verdict: id_order(verdict.id)):
                summary.add(verdict)
            # No ids to acknowledge: only the counting is exercised here.
            assert fleet.commit(consumer="c", token="t", ids=[], summary=summary) == []
        redis_client.hset(fleet.keys.meta, mapping={"samples": 2, "show_values": "0"})
        results.append(fleet.read().summary)
    whole = Summary(samples=2)
    for verdict in verdicts:  # in stream order, as a replay reads them
        whole.add(verdict)
    for result in results:
        assert same(result, whole)


CAPS = {"max_names": 3, "max_parents": 4, "max_labels": 2}


def hostile_verdicts(count: int, seed: int) -> list[EventVerdict]:
    """Verdicts whose paths, ops and writers overflow CAPS many times over."""
    rng = random.Random(seed)
    verdicts = []
    for index in range(count):
        legacy = [
            Finding("unknown_field", f"/x{rng.randrange(40)}", "m", 1),
            Finding("unknown_field", f"/p{rng.randrange(8)}/k{rng.randrange(12)}", "m", "v"),
        ][: rng.randrange(1, 3)]
        new = [Finding("type_mismatch", f"/p{rng.randrange(8)}/t{rng.randrange(6)}", "n", 2)]
        warnings = [("wire", Finding("duplicate_key", f"/d{rng.randrange(9)}", "w", None))]
        verdicts.append(
            EventVerdict(
                f"{index + 1}-{rng.randrange(3)}",
                rng.choice(["create", "update", "delete", "?", "x" * 90]),
                rng.choice(["go", "py", "rust", "java"]),
                True,
                legacy,
                new if rng.random() < 0.5 else [],
                warnings=warnings if rng.random() < 0.3 else [],
            )
        )
    return verdicts


def test_the_fleet_folds_under_its_caps_as_a_summary_does(redis_client: redis.Redis) -> None:
    verdicts = hostile_verdicts(160, seed=3)
    rng = random.Random(9)
    whole = Summary(samples=2, **CAPS)
    for verdict in verdicts:
        whole.add(verdict)
    assert any(path.endswith("/~other") for _, _, path in whole.findings)
    assert "(other)" in whole.by_op
    for attempt in range(3):
        fleet = Fleet(redis_client, f"s{attempt}", GROUP)
        fleet.register(samples=2, show_values=False, schemas=schemas(), caps=Summary(**CAPS))
        order = list(verdicts)
        rng.shuffle(order)
        cut = sorted(rng.sample(range(1, len(order)), 9))
        for a, b in zip([0, *cut], [*cut, len(order)], strict=True):
            summary = Summary(samples=2, **CAPS)
            for verdict in sorted(order[a:b], key=lambda verdict: id_order(verdict.id)):
                summary.add(verdict)
            assert fleet.commit(consumer="c", token="t", ids=[], summary=summary) == []
        assert same(fleet.read().summary, whole)


@pytest.mark.parametrize("descending", [False, True])
def test_the_fleet_keys_stay_bounded_whatever_the_keys(
    redis_client: redis.Redis, descending: bool
) -> None:
    # Descending: every new path and writer is smaller than the kept ones, so
    # each pushes one out (its counts, writers and series move every time).
    fleet = Fleet(redis_client, "s", GROUP)
    fleet.register(
        samples=2,
        show_values=False,
        schemas=schemas(),
        caps=Summary(**CAPS),
        timeline=(1, 86_400),
    )
    whole = Summary(samples=2, timeline=Timeline(1, None), **CAPS)
    for batch in range(40):
        summary = Summary(samples=2, timeline=Timeline(1, None), **CAPS)
        for index in range(25):
            position = batch * 25 + index
            unique = 1000 + (999 - position if descending else position)
            verdict = EventVerdict(
                f"{position + 1}-0",
                f"op{unique}",
                # "go" stays kept while the groups that count it move.
                "go" if position % 2 else f"writer{unique}",
                True,
                [
                    Finding("unknown_field", f"/k{unique}", "m", 1),
                    Finding("unknown_field", f"/p{unique}/k", "m", 1),
                ],
                [],
            )
            summary.add(verdict)
            whole.add(verdict)
        assert fleet.commit(consumer="c", token="t", ids=[], summary=summary) == []
    keys = {key.decode() for key in redis_client.scan_iter(match=f"{fleet.keys.prefix}:*")}
    samples = [key for key in keys if ":samples:" in key]
    series = [key for key in keys if ":series:" in key]
    refs = [key for key in keys if ":refs:" in key]
    # 4 families of at most 3 names + their overflow, and the catch-all.
    assert len(samples) <= 4 * (3 + 1) + 1
    assert len(series) <= 4 * (3 + 1) + 1
    # One set of counter fields per kept writer label, naming at most one field
    # per group and the writer's six counters in the one bucket.
    assert 0 < len(refs) <= CAPS["max_labels"]
    assert all(redis_client.scard(key) <= 4 * (3 + 1) + 1 + 6 for key in refs)
    other = keys - set(samples) - set(series) - set(refs)
    # hashes (with the timeline's) and its index, label and family sets, names sets
    assert len(other) <= 6 + 1 + 3 + 4
    assert redis_client.zcard(fleet.keys.timeline_index) <= 3 * 6 + 4 * (3 + 1) + 1
    assert redis_client.hlen(fleet.keys.counters) < 100
    snapshot = fleet.read().summary
    assert snapshot.totals.events == 1000
    assert sum(group.events for group in snapshot.findings.values()) == 2000
    assert snapshot.by_op["(other)"].events == 1000 - 2
    assert same(snapshot, whole)
    assert snapshot.timeline is not None
    assert snapshot.timeline.restrict(snapshot.findings) == whole.timeline


START_MS = 1_769_594_400_000  # 2026-01-28 10:00:00 UTC


@pytest.mark.parametrize("horizon_s", [86_400, 3_600])
def test_the_fleet_folds_writers_and_timeline_under_its_caps_as_a_summary_does(
    redis_client: redis.Redis, horizon_s: int
) -> None:
    """Groups' writers and the timeline (series of overflow groups included) under caps."""
    rng = random.Random(4)
    writers = ["go", "py", "rust", "java", "w" * 90]
    verdicts = [
        msgspec.structs.replace(
            verdict,
            id=f"{START_MS + index * 60_000 + rng.randrange(60_000)}-{index}",
            # Each writer appears late as well as early, so kept writers get pushed out.
            writer=writers[(index * 7 + rng.randrange(2)) % len(writers)],
        )
        for index, verdict in enumerate(hostile_verdicts(180, seed=5))
    ]
    width_s = 300
    whole = Summary(samples=2, timeline=Timeline(width_s, None), **CAPS)
    for verdict in verdicts:
        whole.add(verdict)
    assert whole.timeline is not None
    assert any(path.endswith("/~other") for _, _, path in whole.findings)
    assert "(other)" in whole.by_writer
    assert any("(other)" in group.by_writer for group in whole.findings.values())
    expected = within_horizon(whole.timeline, horizon_s).restrict(whole.findings)
    assert any(key[2].endswith("/~other") for key in expected.groups)
    for attempt in range(3):
        fleet = Fleet(redis_client, f"t{horizon_s}-{attempt}", GROUP)
        fleet.register(
            samples=2,
            show_values=False,
            schemas=schemas(),
            caps=Summary(**CAPS),
            timeline=(width_s, horizon_s),
        )
        order = list(verdicts)
        rng.shuffle(order)
        cut = sorted(rng.sample(range(1, len(order)), 11))
        for a, b in zip([0, *cut], [*cut, len(order)], strict=True):
            summary = Summary(samples=2, timeline=Timeline(60, None), **CAPS)
            for verdict in sorted(order[a:b], key=lambda verdict: id_order(verdict.id)):
                summary.add(verdict)
            assert fleet.commit(consumer="c", token="t", ids=[], summary=summary) == []
        read = fleet.read().summary
        assert same(read, whole)
        assert read.timeline is not None
        assert read.timeline.restrict(read.findings) == expected
        # Every count of a writer pushed out was moved: no field names it any more.
        kept = set(whole.by_writer)
        fields = [json.loads(name) for name in redis_client.hkeys(fleet.keys.timeline)]
        assert {parts[2] if parts[0] == "t" else parts[1] for parts in fields} <= kept


def test_first_and_last_ids_compare_as_numbers_beyond_double_precision(
    redis_client: redis.Redis,
) -> None:
    fleet = Fleet(redis_client, "s", GROUP)
    for stream_id in ("9-0", "18446744073709551615-3", "10-0", "9007199254740993-1", "9-1"):
        summary = Summary()
        summary.add(EventVerdict(stream_id, "?", "?", False, None, None, wire_message="x"))
        fleet.commit(consumer="c", token="t", ids=[], summary=summary)
    redis_client.hset(fleet.keys.meta, mapping={"samples": 5, "show_values": "0"})
    summary = fleet.read().summary
    assert (summary.first_id, summary.last_id) == ("9-0", "18446744073709551615-3")
    (group,) = summary.findings.values()
    assert (group.first_id, group.last_id) == ("9-0", "18446744073709551615-3")
    assert [sample.id for sample in group.samples] == [
        "9-0",
        "9-1",
        "10-0",
        "9007199254740993-1",
        "18446744073709551615-3",
    ]


def test_groups_count_their_writers_and_older_counts_go_under_unknown(
    redis_client: redis.Redis,
) -> None:
    fleet = Fleet(redis_client, "s", GROUP)
    for index, writer in enumerate(("go-comments", "go-comments", "py-monolith")):
        summary = Summary()
        summary.add(
            EventVerdict(f"{index + 1}-0", "?", writer, False, None, None, wire_message="x")
        )
        fleet.commit(consumer="c", token="t", ids=[], summary=summary)
    redis_client.hset(fleet.keys.meta, mapping={"samples": 5, "show_values": "0"})
    (group,) = fleet.read().summary.findings.values()
    assert group.by_writer == {"go-comments": 2, "py-monolith": 1}
    # A fleet summary partly written by a cdccheck that did not count writers per group.
    redis_client.hdel(
        fleet.keys.counters, field("findings_by_writer", "wire", "undecodable", "", "py-monolith")
    )
    (group,) = fleet.read().summary.findings.values()
    assert group.by_writer == {"go-comments": 2, "?": 1}


def test_entries_claimed_away_are_refused_and_nothing_is_counted(
    redis_client: redis.Redis, redis_url: str
) -> None:
    entries = seed(redis_client, "s", 10)
    source = RedisGroup(redis_url, ["s"], group=GROUP, consumer="slow", start_id="0")
    source.open()
    (batch,) = source.read()
    # Another consumer claims three of them while "slow" is still checking.
    stolen = [entries[2].id, entries[5].id, entries[9].id]
    redis_client.xclaim("s", GROUP, "fast", 0, stolen)
    summary = Summary()
    check_batch(engine(), batch.entries, summary)
    fleet = Fleet(source.client, "s", GROUP)
    assert sorted(
        fleet.commit(consumer="slow", token="t1", ids=batch.ids, summary=summary)
    ) == sorted(stolen)
    assert not redis_client.exists(fleet.keys.counters)
    assert redis_client.xpending("s", GROUP)["pending"] == 10
    rest = [i for i in batch.ids if i not in stolen]
    assert fleet.commit(consumer="slow", token="t2", ids=rest, summary=None) == []
    pending = redis_client.xpending_range("s", GROUP, "-", "+", 20)
    assert [p["message_id"].decode() for p in pending] == stolen
    assert fleet.last_token("slow") == "t2"
    source.close()


def test_quarantine_records_go_to_the_stream_in_the_same_commit(redis_client: redis.Redis) -> None:
    fleet = Fleet(redis_client, "s", GROUP)
    records = [
        QuarantineRecord({"payload": b"\xff\xfe", "writer": b"go"}, "s", f"{n}-0", '{"id": 1}')
        for n in range(1, 4)
    ]
    assert (
        fleet.commit(
            consumer="c",
            token="t",
            ids=[],
            summary=None,
            quarantine=records,
            quarantine_key="q",
            quarantine_maxlen=1000,
        )
        == []
    )
    entries = redis_client.xrange("q")
    assert len(entries) == 3
    assert entries[0][1] == {
        b"payload": b"\xff\xfe",
        b"writer": b"go",
        b"cdccheck:stream": b"s",
        b"cdccheck:id": b"1-0",
        b"cdccheck:findings": b'{"id": 1}',
    }
    assert int(redis_client.hget(fleet.keys.counters, field(*QUARANTINED))) == 3


def test_sidecars_of_one_group_must_count_the_same_way(redis_client: redis.Redis) -> None:
    fleet = Fleet(redis_client, "s", GROUP)
    first = fleet.register(samples=5, show_values=False, schemas=schemas())
    assert fleet.register(samples=5, show_values=False, schemas=schemas()) == first
    with pytest.raises(ConfigError, match="samples '5' there, '3' here"):
        fleet.register(samples=3, show_values=False, schemas=schemas())
    other = schemas()
    other["new"] = {"path": "x.json", "sha256": "0" * 64}
    with pytest.raises(ConfigError, match="new_sha256"):
        fleet.register(samples=5, show_values=False, schemas=other)


def test_reading_a_fleet_nobody_started(redis_client: redis.Redis) -> None:
    with pytest.raises(SourceError, match="no fleet summary for group 'cdccheck'"):
        Fleet(redis_client, "nothing", GROUP).read()


@pytest.mark.parametrize(
    ("stream", "tag"),
    [
        ("comments:cdc", "comments:cdc"),
        ("{comments}:cdc:1", "comments"),
        ("x{y", "x{y"),
    ],
)
def test_every_key_shares_the_stream_slot(stream: str, tag: str) -> None:
    assert hash_tag(stream) == tag
    keys = FleetKeys(stream, "g:1")
    assert keys.colocated()
    for key in (keys.counters, keys.spans, keys.meta, keys.consumers, keys.samples('["x"]')):
        assert key_slot(key) == key_slot(stream)


def test_names_with_colons_do_not_collide() -> None:
    assert FleetKeys("a:b", "c").counters != FleetKeys("a", "b:c").counters


def test_a_stream_name_no_tag_can_follow_is_refused_on_a_cluster(redis_client: redis.Redis) -> None:
    assert not FleetKeys("a}b", "g").colocated()
    assert not FleetKeys("a{}b", "g").colocated()  # an empty tag: the whole name is hashed
    Fleet(redis_client, "a}b", "g")  # a single server does not care
    with pytest.raises(ConfigError, match="cannot share a cluster slot"):
        Fleet(redis_client, "a}b", "g", cluster=True)
