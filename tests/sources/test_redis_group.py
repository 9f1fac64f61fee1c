"""Consumer-group reading against a real redis-server: groups, pending, claims, trimming."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis

from cdccheck.embedded import EmbeddedRedis
from cdccheck.errors import ConfigError, SourceError, SourceUnavailable
from cdccheck.model import Entry
from cdccheck.sidecar.fleet import TRIMMED, Fleet, field
from cdccheck.sources.redis_group import GroupBatch, RedisGroup
from cdccheck.sources.redis_range import RedisRange
from tests.sidecar.support import GROUP, seed


def group(url: str, *streams: str, **options: object) -> RedisGroup:
    source = RedisGroup(url, list(streams), group=GROUP, block_ms=20, **options)  # type: ignore[arg-type]
    source.open()
    return source


def read_all(source: RedisGroup, limit: int | None = None) -> list[GroupBatch]:
    """Read until a read comes back empty."""
    batches: list[GroupBatch] = []
    while True:
        got = source.read(limit)
        if not got:
            return batches
        batches += got


def ids(batches: list[GroupBatch]) -> list[str]:
    return [entry.id for batch in batches for entry in batch.entries]


def ack(client: redis.Redis, batches: list[GroupBatch]) -> None:
    for batch in batches:
        if batch.ids:
            client.xack(batch.stream, GROUP, *batch.ids)


def test_a_new_group_at_dollar_sees_only_new_entries(
    redis_client: redis.Redis, redis_url: str
) -> None:
    seed(redis_client, "s", 5)
    source = group(redis_url, "s", consumer="a")  # start_id "$" by default
    assert read_all(source) == []
    redis_client.xadd("s", {"payload": b"{}"})
    assert len(ids(read_all(source))) == 1
    source.close()


def test_a_new_group_at_zero_reads_the_whole_stream_in_order(
    redis_client: redis.Redis, redis_url: str
) -> None:
    entries = seed(redis_client, "s", 120)
    source = group(redis_url, "s", consumer="a", start_id="0", batch_size=50)
    batches = read_all(source)
    assert [len(batch.entries) for batch in batches] == [50, 50, 20]
    assert ids(batches) == [entry.id for entry in entries]
    # The fast parser builds the same entries as the XRANGE reader.
    with RedisRange(redis_url, "s") as reference:
        assert [entry for batch in batches for entry in batch.entries] == list(reference)
    source.close()


def test_an_existing_group_is_joined_as_it_is_never_reset(
    redis_client: redis.Redis, redis_url: str
) -> None:
    entries = seed(redis_client, "s", 10)
    redis_client.xgroup_create("s", GROUP, entries[6].id)
    source = group(redis_url, "s", consumer="a", start_id="0")
    assert ids(read_all(source)) == [entry.id for entry in entries[7:]]
    source.close()


def test_missing_stream_is_created_with_mkstream(redis_client: redis.Redis, redis_url: str) -> None:
    source = group(redis_url, "fresh", consumer="a")
    assert redis_client.type("fresh") == b"stream"
    assert redis_client.xinfo_groups("fresh")[0]["name"] == GROUP.encode()
    source.close()


def test_own_pending_entries_come_first_after_a_restart(
    redis_client: redis.Redis, redis_url: str
) -> None:
    entries = seed(redis_client, "s", 30)
    first = group(redis_url, "s", consumer="a", start_id="0", batch_size=10)
    unacknowledged = first.read()
    first.close()  # "crashed": read, never acknowledged
    redis_client.xadd("s", {"payload": b"{}"}, id="9999999999999-0")
    again = group(redis_url, "s", consumer="a", batch_size=10)
    assert again.read() == unacknowledged
    ack(redis_client, unacknowledged)
    rest = read_all(again)
    assert ids(rest) == [e.id for e in entries[10:]] + ["9999999999999-0"]
    again.close()


def test_idle_entries_of_a_dead_consumer_are_claimed(
    redis_client: redis.Redis, redis_url: str
) -> None:
    entries = seed(redis_client, "s", 8)
    dead = group(redis_url, "s", consumer="dead", start_id="0")
    taken = dead.read()
    dead.close()
    alive = group(redis_url, "s", consumer="alive", claim_idle_ms=100, claim_every_s=0.05)
    # Not idle long enough yet: nothing to claim, nothing new.
    assert alive.read() == []
    time.sleep(0.15)
    claimed = alive.read()
    assert claimed == taken
    assert alive.claimed == len(entries)
    pending = redis_client.xpending_range("s", GROUP, "-", "+", 100)
    assert {p["consumer"] for p in pending} == {b"alive"}
    alive.close()


def test_a_pending_entry_trimmed_away_is_accounted_and_acknowledged(
    redis_client: redis.Redis, redis_url: str
) -> None:
    entries = seed(redis_client, "s", 6)
    source = group(redis_url, "s", consumer="a", start_id="0")
    source.read()  # all six pending, then trimmed to the last two
    redis_client.xtrim("s", maxlen=2, approximate=False)
    source.reset()
    (batch,) = source.read()
    assert batch.trimmed == [e.id for e in entries[:4]]
    assert [e.id for e in batch.entries] == [e.id for e in entries[4:]]
    fleet = Fleet(source.client, "s", GROUP)
    assert fleet.commit(consumer="a", token="t", ids=batch.ids, summary=None, trimmed=4) == []
    assert redis_client.xpending("s", GROUP)["pending"] == 0
    assert int(redis_client.hget(fleet.keys.counters, field(*TRIMMED))) == 4
    assert read_all(source) == []  # never retried
    source.close()


def test_trimmed_entries_of_a_dead_consumer_are_counted_once(
    redis_client: redis.Redis, redis_url: str
) -> None:
    """Redis 7 drops them during XAUTOCLAIM, 6.2 claims them: counted exactly once either way."""
    entries = seed(redis_client, "s", 6)
    dead = group(redis_url, "s", consumer="dead", start_id="0")
    dead.read()
    dead.close()
    redis_client.xdel("s", entries[0].id, entries[1].id)
    fleet_keys = Fleet(redis_client, "s", GROUP).keys
    alive = group(
        redis_url,
        "s",
        consumer="alive",
        claim_idle_ms=1,
        deleted_counter=lambda stream: (fleet_keys.counters, field(*TRIMMED)),
    )
    time.sleep(0.01)
    batches = read_all(alive)
    fleet = Fleet(alive.client, "s", GROUP)
    for batch in batches:
        trimmed = len(batch.trimmed)
        assert (
            fleet.commit(consumer="alive", token="t", ids=batch.ids, summary=None, trimmed=trimmed)
            == []
        )
    counted = int(redis_client.hget(fleet_keys.counters, field(*TRIMMED)) or 0)
    assert counted == 2
    assert alive.deleted_on_claim + sum(len(b.trimmed) for b in batches) == 2
    assert ids(batches) == [e.id for e in entries[2:]]
    assert redis_client.xpending("s", GROUP)["pending"] == 0
    alive.close()


def test_several_streams_and_a_pattern(redis_client: redis.Redis, redis_url: str) -> None:
    seed(redis_client, "shard:1", 3)
    seed(redis_client, "shard:2", 4, first_ms=1_800_000_000_000)
    redis_client.set("shard:not-a-stream", b"x")
    redis_client.xadd("shard:quarantine", {"a": b"b"})
    source = group(
        redis_url,
        "other",
        pattern="shard:*",
        start_id="0",
        rescan_every_s=0.01,
        exclude=lambda key: key == "shard:quarantine",
    )
    assert source.streams == ["other", "shard:1", "shard:2"]
    counts = {}
    for batch in read_all(source):
        counts[batch.stream] = counts.get(batch.stream, 0) + len(batch.entries)
    assert counts == {"shard:1": 3, "shard:2": 4}
    seed(redis_client, "shard:3", 2)
    time.sleep(0.02)
    assert source.refresh_streams() == ["shard:3"]
    assert sum(len(b.entries) for b in read_all(source)) == 2
    source.close()


def test_max_entries_per_read_is_exact_across_streams(
    redis_client: redis.Redis, redis_url: str
) -> None:
    for n in range(3):
        seed(redis_client, f"s{n}", 10, first_ms=1_700_000_000_000 + n * 1000)
    source = group(redis_url, "s0", "s1", "s2", start_id="0")
    assert sum(len(b.entries) for b in source.read(limit=4)) == 4
    source.close()


def test_group_stats_report_pending(redis_client: redis.Redis, redis_url: str) -> None:
    seed(redis_client, "s", 5)
    source = group(redis_url, "s", consumer="a", start_id="0")
    source.read()
    stats = source.group_stats()["s"]
    assert stats["pending"] == 5
    assert stats["lag"] in (None, 0)  # Redis 7 says 0; 6.2 does not know
    source.close()


def test_stale_consumers_holding_nothing_are_forgotten(
    redis_client: redis.Redis, redis_url: str
) -> None:
    seed(redis_client, "s", 2)
    holder = group(redis_url, "s", consumer="holder", start_id="0")
    holder.read()
    idle = group(redis_url, "s", consumer="idle")
    idle.read()
    me = group(redis_url, "s", consumer="me")
    time.sleep(0.02)
    me.read()
    assert me.forget_stale_consumers(idle_ms=10) == ["idle"]
    names = {c["name"] for c in redis_client.xinfo_consumers("s", GROUP)}
    assert names == {b"holder", b"me"}
    for source in (holder, idle, me):
        source.close()


def test_bad_options_are_config_errors(redis_url: str) -> None:
    with pytest.raises(ConfigError, match="--start-id"):
        RedisGroup(redis_url, ["s"], start_id="latest")
    with pytest.raises(ConfigError, match="--stream"):
        RedisGroup(redis_url, [])
    with pytest.raises(ConfigError, match="--block-ms"):
        RedisGroup(redis_url, ["s"], block_ms=0)


def test_a_key_that_is_not_a_stream(redis_client: redis.Redis, redis_url: str) -> None:
    redis_client.set("plain", b"x")
    with pytest.raises(SourceError, match=r"'plain' .* is not a stream"):
        group(redis_url, "plain")


def test_unreachable_redis_is_unavailable_and_the_password_stays_secret(
    make_redis: Callable[..., EmbeddedRedis],
) -> None:
    server = make_redis()
    port = server.port
    server.stop()
    url = f"redis://:hunter2@127.0.0.1:{port}/0"
    with pytest.raises(SourceUnavailable) as caught:
        group(url, "s")
    assert "hunter2" not in str(caught.value)
    assert "***" in str(caught.value)


def test_entries_keep_raw_bytes(redis_client: redis.Redis, redis_url: str) -> None:
    raw = {"payload": b"\xff\x00not json", "writer": b"go"}
    redis_client.xadd("s", raw, id="1-1")
    source = group(redis_url, "s", start_id="0")
    (batch,) = source.read()
    assert batch.entries == [Entry("1-1", raw)]
    source.close()
