"""Reading stream ranges with XRANGE against a real redis-server."""

from __future__ import annotations

import gc
import resource
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis

from cdccheck.embedded import EmbeddedRedis
from cdccheck.errors import ConfigError, SourceError, SourceInterrupted
from cdccheck.grouping import id_order
from cdccheck.model import AscendingBatch, Entry
from cdccheck.sources.redis_range import (
    DEFAULT_BATCH_SIZE,
    PASSWORD_ENV,
    RedisRange,
    id_time,
    next_id,
    parse_bound,
    redact_url,
)

MAX = 2**64 - 1
MAY_1 = int(datetime(2024, 5, 1, 12, 0, tzinfo=UTC).timestamp() * 1000)


def read_all(source: RedisRange) -> list[Entry]:
    with source:
        return [entry for batch in source.batches() for entry in batch]


def ids(entries: list[Entry]) -> list[str]:
    return [entry.id for entry in entries]


def add(client: redis.Redis, stream_ids: list[str], stream: str = "events") -> None:
    pipe = client.pipeline(transaction=False)
    for stream_id in stream_ids:
        pipe.xadd(stream, {"payload": f"p{stream_id}".encode(), "writer": b"go"}, id=stream_id)
    pipe.execute()


# -- bounds, ids and URLs (no server) ----------------------------------------


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        (None, False, "0-0"),
        (None, True, "+"),
        ("-", False, "0-0"),
        ("+", True, "+"),
        ("1700000000000-3", False, "1700000000000-3"),
        ("1700000000000-3", True, "1700000000000-3"),
        # A millisecond alone (epoch milliseconds) covers that whole millisecond.
        ("1700000000000", False, "1700000000000-0"),
        ("1700000000000", True, f"1700000000000-{MAX}"),
        (1700000000000, True, f"1700000000000-{MAX}"),
        # Exclusive bounds: the completed id is excluded, as in Redis 6.2+.
        ("(5-3", False, "5-4"),
        ("(5-3", True, "5-2"),
        (f"(5-{MAX}", False, "6-0"),
        ("(6-0", True, f"5-{MAX}"),
        ("(5", False, "5-1"),
        ("(5", True, f"5-{MAX - 1}"),
        # Timestamps: truncated to the millisecond; naive means UTC.
        ("2024-05-01T12:00:00Z", False, f"{MAY_1}-0"),
        ("2024-05-01T12:00:00Z", True, f"{MAY_1}-{MAX}"),
        ("2024-05-01T14:00:00+02:00", False, f"{MAY_1}-0"),
        ("2024-05-01 12:00:00", False, f"{MAY_1}-0"),
        ("2024-05-01T12:00:00.0079Z", False, f"{MAY_1 + 7}-0"),
        ("2024-05-01T12:00:00.0079+00:00", True, f"{MAY_1 + 7}-{MAX}"),
        (datetime(2024, 5, 1, 12, tzinfo=UTC), True, f"{MAY_1}-{MAX}"),
        (datetime(2024, 5, 1, 13, tzinfo=timezone(timedelta(hours=1))), False, f"{MAY_1}-0"),
    ],
)
def test_parse_bound(value: str | int | datetime | None, end: bool, expected: str) -> None:
    assert parse_bound(value, end=end) == expected


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("yesterday", "not an id, a number or a timestamp"),
        ("12-ab", "not an id, a number or a timestamp"),
        ("1.5", "not an id, a number or a timestamp"),
        (f"{MAX + 1}-0", "exceeds 2"),
        ("1969-12-31T23:59:59Z", "before 1970"),
        (-1, "cannot be negative"),
        ("(2024-05-01T12:00:00Z", "only before a stream id"),
        (f"({MAX}-{MAX}", "nothing comes after"),
    ],
)
def test_bad_start_is_a_config_error(value: str | int, why: str) -> None:
    with pytest.raises(ConfigError, match=r"bad --start .*" + why.replace("(", r"\(")) as caught:
        parse_bound(value, end=False)
    assert "ISO-8601" in str(caught.value)


def test_bad_end_names_the_option() -> None:
    with pytest.raises(ConfigError, match=r"bad --end '\(0-0': nothing comes before 0-0"):
        parse_bound("(0-0", end=True)


def test_next_id() -> None:
    assert next_id("5-3") == "5-4"
    assert next_id(f"5-{MAX}") == "6-0"
    assert next_id(f"{MAX}-{MAX}") is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
        ("redis://:hunter2@localhost:6379/0", "redis://:***@localhost:6379/0"),
        ("rediss://alice:hunter2@db.example:6380", "rediss://alice:***@db.example:6380"),
        ("redis://alice:p%40ss:w@host/1", "redis://alice:***@host/1"),
        ("redis://alice@host/1", "redis://alice@host/1"),
        ("redis://host:6379?password=hunter2&db=1", "redis://host:6379?password=***&db=1"),
        (
            "redis://h/0?ssl_cert_reqs=none&Password=hunter2",
            "redis://h/0?ssl_cert_reqs=none&Password=***",
        ),
        ("redis://:hunter2@host:notaport/0", "redis://:***@host:notaport/0"),
        (":hunter2@host", "***@host"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert "hunter2" not in redact_url(url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://localhost:6379", "scheme must be redis://"),
        ("localhost:6379", "scheme must be redis://"),
        ("redis://:hunter2@localhost:port/0", "Port could not be cast"),
        ("redis://localhost:6379/zero", "database 'zero' is not a number"),
        ("redis://localhost:6379/0?socket_timeout=soon", "Invalid value for 'socket_timeout'"),
    ],
)
def test_malformed_url_is_a_config_error(url: str, why: str) -> None:
    with pytest.raises(ConfigError, match="bad --redis-url") as caught:
        RedisRange(url, "events")
    assert why in str(caught.value)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"count": 0}, "bad --count 0"),
        ({"batch_size": 0}, "bad batch size 0"),
        ({"retries": -1}, "bad retry count -1"),
        ({"end": "soon"}, "bad --end 'soon'"),
    ],
)
def test_bad_options_are_config_errors(options: dict[str, object], why: str) -> None:
    with pytest.raises(ConfigError, match=why.replace("(", r"\(")):
        RedisRange("redis://localhost:6379/0", "events", **options)  # type: ignore[arg-type]


# -- ranges --------------------------------------------------------------------


def test_whole_stream_as_entries_with_raw_values(redis_client: redis.Redis, redis_url: str) -> None:
    redis_client.xadd("events", {"payload": b'{"op":"create"}', "writer": b"py"}, id="1-0")
    redis_client.xadd(
        "events", {"payload": b"\xff\xfe not utf-8", "encoding": b"msgpack"}, id="2-0"
    )
    redis_client.xadd("events", {b"na\xffme": b"x", "a": b"1", "b": b"2", "c": b"3"}, id="3-0")
    redis_client.xadd("events", {"only": b""}, id="4-0")
    redis_client.xadd("events", {"a": b"1", "b": b"2", "c": b"3"}, id="5-0")
    entries = read_all(RedisRange(redis_url, "events"))
    assert entries == [
        Entry("1-0", {"payload": b'{"op":"create"}', "writer": b"py"}),
        Entry("2-0", {"payload": b"\xff\xfe not utf-8", "encoding": b"msgpack"}),
        Entry("3-0", {"na\ufffdme": b"x", "a": b"1", "b": b"2", "c": b"3"}),
        Entry("4-0", {"only": b""}),
        Entry("5-0", {"a": b"1", "b": b"2", "c": b"3"}),
    ]
    assert all(type(entry) is Entry for entry in entries)


def test_iterating_the_source_yields_entries(redis_client: redis.Redis, redis_url: str) -> None:
    add(redis_client, ["1-0", "2-0", "3-0"])
    with RedisRange(redis_url, "events", batch_size=2) as source:
        assert [entry.id for entry in source] == ["1-0", "2-0", "3-0"]
        assert source.last_id == "3-0"
        assert source.entries_read == 3


def test_batches_say_their_ids_ascend(redis_client: redis.Redis, redis_url: str) -> None:
    # The timeline counts an AscendingBatch bucket by bucket (cdccheck.timeline.core).
    add(redis_client, ["1-0", "2-0", "3-0", "3-1", "4-0"])
    with RedisRange(redis_url, "events", batch_size=2) as source:
        batches = list(source.batches())
    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert all(isinstance(batch, AscendingBatch) for batch in batches)
    ordered = [id_order(entry.id) for batch in batches for entry in batch]
    assert ordered == sorted(ordered)


def test_range_by_stream_ids_is_inclusive(redis_client: redis.Redis, redis_url: str) -> None:
    add(redis_client, ["1-0", "1-1", "2-0", "3-0", "4-0"])
    entries = read_all(RedisRange(redis_url, "events", start="1-1", end="3-0"))
    assert ids(entries) == ["1-1", "2-0", "3-0"]
    entries = read_all(RedisRange(redis_url, "events", start="(1-1", end="(3-0"))
    assert ids(entries) == ["2-0"]


def test_range_by_epoch_milliseconds(redis_client: redis.Redis, redis_url: str) -> None:
    add(redis_client, ["999-5", "1000-0", "1000-7", "2000-0", "2000-3", "2001-0"])
    entries = read_all(RedisRange(redis_url, "events", start=1000, end="2000"))
    assert ids(entries) == ["1000-0", "1000-7", "2000-0", "2000-3"]


def test_range_by_iso_timestamps(redis_client: redis.Redis, redis_url: str) -> None:
    hour = 3_600_000
    add(
        redis_client, [f"{MAY_1 - 1}-0", f"{MAY_1}-0", f"{MAY_1 + hour}-9", f"{MAY_1 + hour + 1}-0"]
    )
    entries = read_all(
        RedisRange(
            redis_url, "events", start="2024-05-01T14:00:00+02:00", end="2024-05-01T13:00:00"
        )
    )
    assert ids(entries) == [f"{MAY_1}-0", f"{MAY_1 + hour}-9"]


def test_count_limits_entries_across_batches(redis_client: redis.Redis, redis_url: str) -> None:
    add(redis_client, [f"{n}-0" for n in range(1, 26)])
    with RedisRange(redis_url, "events", count=23, batch_size=10) as source:
        sizes = [len(batch) for batch in source.batches()]
        assert sizes == [10, 10, 3]
        assert source.last_id == "23-0"
    entries = read_all(RedisRange(redis_url, "events", start="20-0", count=100, batch_size=4))
    assert ids(entries) == [f"{n}-0" for n in range(20, 26)]


def test_batch_boundaries_neither_skip_nor_repeat(
    redis_client: redis.Redis, redis_url: str
) -> None:
    # Same-millisecond runs and a maximal sequence number straddle the batch edges.
    stream_ids = [f"5-{seq}" for seq in range(7)] + [f"5-{MAX}", "6-0", "6-1", "9-0"]
    add(redis_client, stream_ids)
    for batch_size in (1, 2, 3, 10, 11, 12, DEFAULT_BATCH_SIZE):
        with RedisRange(redis_url, "events", batch_size=batch_size) as source:
            batches = list(source.batches())
        assert ids([entry for batch in batches for entry in batch]) == stream_ids
        assert all(len(batch) <= batch_size for batch in batches)
        assert len(batches) == -(-len(stream_ids) // batch_size)


def test_empty_ranges(redis_client: redis.Redis, redis_url: str) -> None:
    add(redis_client, ["10-0", "20-0"])
    assert read_all(RedisRange(redis_url, "events", start="11", end="19")) == []
    assert read_all(RedisRange(redis_url, "events", start="30")) == []
    # A stream whose entries were all deleted still exists, and is empty.
    redis_client.xdel("events", "10-0", "20-0")
    with RedisRange(redis_url, "events") as source:
        assert source.total() == 0
        assert list(source.batches()) == []


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        ("20-0", "10-0", "--start 20-0 (1970-01-01T00:00:00.020Z, id 20-0) is after --end 10-0"),
        (
            "2026-01-29",
            "2026-01-28",
            "--start 2026-01-29 (2026-01-29T00:00:00.000Z, id 1769644800000-0) is after "
            "--end 2026-01-28 (2026-01-28T00:00:00.000Z, id 1769558400000-18446744073709551615)",
        ),
        ("(10-0", "10-0", "--start (10-0 (1970-01-01T00:00:00.010Z, id 10-1) is after"),
    ],
)
def test_a_start_after_the_end_is_a_config_error(start: str, end: str, shown: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RedisRange("redis://localhost:6379/0", "events", start=start, end=end)
    assert str(caught.value) == f"bad range: {shown}" + str(caught.value).split(shown, 1)[1]
    assert str(caught.value).endswith("; did you swap them?")


def test_the_same_millisecond_as_start_and_end_is_a_range() -> None:
    source = RedisRange("redis://localhost:6379/0", "events", start="10", end="10")
    assert (source.start_id, source.end_id) == ("10-0", "10-18446744073709551615")


def test_id_time() -> None:
    assert id_time("1769601600036-0") == "2026-01-28T12:00:00.036Z"
    assert id_time("0-0") == "1970-01-01T00:00:00.000Z"
    assert id_time(f"{2**64 - 1}-0") == f"{2**64 - 1} ms after 1970"


def test_an_empty_range_says_what_the_stream_holds(
    redis_client: redis.Redis, redis_url: str
) -> None:
    add(redis_client, ["1769601600036-0", "1769601600036-1", "1769605200000-5"])
    with RedisRange(redis_url, "events", start="2026-01-29", end="2026-01-30") as source:
        assert read_all(source) == []
        assert source.empty_message() == (
            f"no entry in {source.where} from 2026-01-29T00:00:00.000Z, id 1769644800000-0 "
            "to 2026-01-30T00:00:00.000Z, id 1769731200000-18446744073709551615; "
            "the stream holds 3 entries, from 2026-01-28T12:00:00.036Z, id 1769601600036-0 "
            "to 2026-01-28T13:00:00.000Z, id 1769605200000-5"
        )
    redis_client.xdel("events", "1769601600036-0", "1769601600036-1", "1769605200000-5")
    with RedisRange(redis_url, "events") as source:
        assert read_all(source) == []
        assert source.empty_message().endswith("; the stream is empty")


def test_deleted_and_trimmed_entries_are_skipped(redis_client: redis.Redis, redis_url: str) -> None:
    add(redis_client, [f"{n}-0" for n in range(1, 21)])
    redis_client.xdel("events", "15-0", "16-0", "19-0")
    redis_client.xtrim("events", maxlen=12, approximate=False)
    entries = read_all(RedisRange(redis_url, "events", batch_size=3))
    kept = [f"{n}-0" for n in (6, 7, 8, 9, 10, 11, 12, 13, 14, 17, 18, 20)]
    assert ids(entries) == kept
    entries = read_all(RedisRange(redis_url, "events", start="1", end="15"))
    assert ids(entries) == ["6-0", "7-0", "8-0", "9-0", "10-0", "11-0", "12-0", "13-0", "14-0"]


def test_total_is_known_for_the_whole_stream_only(
    redis_client: redis.Redis, redis_url: str
) -> None:
    add(redis_client, [f"{n}-0" for n in range(1, 11)])
    with RedisRange(redis_url, "events") as source:
        assert source.total() == 10
    with RedisRange(redis_url, "events", start="-", count=4) as source:
        assert source.total() == 4
    with RedisRange(redis_url, "events", start="3") as source:
        assert source.total() is None
    with RedisRange(redis_url, "events", end="3") as source:
        assert source.total() is None


def test_open_end_is_pinned_when_the_range_opens(redis_client: redis.Redis, redis_url: str) -> None:
    add(redis_client, ["1-0", "2-0", "3-0"])
    with RedisRange(redis_url, "events", batch_size=2) as source:
        assert source.end_id == "+"
        assert source.total() == 3
        assert source.end_id == "3-0"
        add(redis_client, ["4-0", "5-0"])
        assert [entry.id for entry in source] == ["1-0", "2-0", "3-0"]


# -- failures --------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_redis_is_a_source_error() -> None:
    url = f"redis://:hunter2@127.0.0.1:{_closed_port()}/0"
    with RedisRange(url, "events") as source, pytest.raises(SourceError) as caught:
        source.total()
    message = str(caught.value)
    assert message.startswith(f"cannot reach Redis at {redact_url(url)}: ")
    assert "check --redis-url" in message
    assert "hunter2" not in message
    assert "\n" not in message
    assert caught.value.exit_code == 3
    assert not isinstance(caught.value, SourceInterrupted)


@pytest.fixture
def locked_url(make_redis: Callable[..., EmbeddedRedis]) -> str:
    """A server with a password and a two-entry stream; the URL carries no password."""
    server = make_redis(requirepass="correct-horse")
    with redis.Redis(port=server.port, password="correct-horse") as client:
        add(client, ["1-0", "2-0"])
    return f"redis://127.0.0.1:{server.port}/0"


def test_wrong_password_is_a_source_error_without_the_password(locked_url: str) -> None:
    wrong = locked_url.replace("redis://", "redis://:battery-staple@")
    with RedisRange(wrong, "events") as source, pytest.raises(SourceError) as caught:
        list(source.batches())
    message = str(caught.value)
    assert "refused the credentials" in message
    assert PASSWORD_ENV in message
    assert "battery-staple" not in message
    assert "correct-horse" not in message


def test_wrong_password_from_the_environment(
    locked_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "battery-staple")
    with RedisRange(locked_url, "events") as source, pytest.raises(SourceError) as caught:
        source.open()
    assert "refused the credentials" in str(caught.value)
    assert "battery-staple" not in str(caught.value)


def test_no_password_for_a_locked_server(locked_url: str) -> None:
    with RedisRange(locked_url, "events") as source, pytest.raises(SourceError) as caught:
        source.open()
    assert str(caught.value) == (
        f"Redis at {locked_url} requires a password: put it in --redis-url "
        f"(redis://:PASSWORD@host:port/db) or {PASSWORD_ENV}"
    )


def test_right_password_from_the_environment_or_the_url(
    locked_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "correct-horse")
    assert ids(read_all(RedisRange(locked_url, "events"))) == ["1-0", "2-0"]
    monkeypatch.setenv(PASSWORD_ENV, "battery-staple")  # the URL's password wins
    in_url = locked_url.replace("redis://", "redis://:correct-horse@")
    assert ids(read_all(RedisRange(in_url, "events"))) == ["1-0", "2-0"]


def test_missing_stream_is_a_source_error(redis_client: redis.Redis, redis_url: str) -> None:
    with RedisRange(redis_url, "nope") as source, pytest.raises(SourceError) as caught:
        list(source.batches())
    assert str(caught.value) == (
        f"no stream 'nope' at {redis_url}: the key does not exist "
        "(check --stream and the database number in --redis-url)"
    )


@pytest.mark.parametrize(("kind", "command"), [("string", "SET"), ("hash", "HSET")])
def test_key_of_another_type_is_a_source_error(
    redis_client: redis.Redis, redis_url: str, kind: str, command: str
) -> None:
    args = ["events", "x"] if command == "SET" else ["events", "f", "x"]
    redis_client.execute_command(command, *args)
    with RedisRange(redis_url, "events") as source, pytest.raises(SourceError) as caught:
        source.total()
    assert str(caught.value) == (
        f"stream 'events' at {redis_url} is not a stream but a {kind} (check --stream)"
    )


# -- connection drops ---------------------------------------------------------------


def _fast_retries(retries: int = 2) -> dict[str, float]:
    return {"retries": retries, "backoff_base": 0.01, "backoff_cap": 0.05}


def read_into(seen: list[Entry], source: RedisRange, after_batch: Callable[[], None]) -> None:
    """Read ``source`` into ``seen``, calling ``after_batch`` after each batch."""
    with source:
        for batch in source.batches():
            seen += batch
            after_batch()


def test_drop_beyond_the_retry_budget_says_how_far_it_got(
    make_redis: Callable[..., EmbeddedRedis],
) -> None:
    server = make_redis()
    with redis.Redis(port=server.port) as client:
        add(client, [f"{n}-0" for n in range(1, 51)])
    source = RedisRange(server.url, "events", batch_size=10, **_fast_retries())  # type: ignore[arg-type]
    seen: list[Entry] = []
    with pytest.raises(SourceInterrupted) as caught:
        read_into(seen, source, lambda: server.stop() if len(seen) == 20 else None)
    assert ids(seen) == [f"{n}-0" for n in range(1, 21)]
    assert caught.value.last_id == "20-0"
    message = str(caught.value)
    assert "gave up after 2 retries" in message
    assert message.endswith("read 20 entries up to 20-0; resume with --start 20-1")
    assert caught.value.exit_code == 3


def test_resuming_after_an_interruption_reads_the_rest(
    make_redis: Callable[..., EmbeddedRedis],
) -> None:
    server = make_redis(persistence=True)
    with redis.Redis(port=server.port) as client:
        add(client, [f"{n}-0" for n in range(1, 31)])
    first = RedisRange(server.url, "events", batch_size=10, **_fast_retries(0))  # type: ignore[arg-type]
    seen: list[Entry] = []
    with pytest.raises(SourceInterrupted) as caught:
        read_into(seen, first, server.stop)
    server.start()
    assert caught.value.last_id is not None
    resume = next_id(caught.value.last_id)
    seen += read_all(RedisRange(server.url, "events", start=resume))
    assert ids(seen) == [f"{n}-0" for n in range(1, 31)]


def test_restart_between_batches_is_survived(make_redis: Callable[..., EmbeddedRedis]) -> None:
    server = make_redis(persistence=True)
    with redis.Redis(port=server.port) as client:
        add(client, [f"{n}-0" for n in range(1, 51)])
    seen: list[Entry] = []
    with RedisRange(server.url, "events", batch_size=10, **_fast_retries()) as source:  # type: ignore[arg-type]
        for batch in source.batches():
            seen += batch
            if len(seen) == 20:
                server.stop()
                server.start()
    assert ids(seen) == [f"{n}-0" for n in range(1, 51)]


def test_outage_shorter_than_the_backoff_is_survived(
    make_redis: Callable[..., EmbeddedRedis],
) -> None:
    # Restarted from a timer thread, so the server must not die with that thread.
    server = make_redis(persistence=True, die_with_parent=False)
    with redis.Redis(port=server.port) as client:
        add(client, [f"{n}-0" for n in range(1, 51)])
    seen: list[Entry] = []
    restart = threading.Timer(0.3, server.start)
    source = RedisRange(
        server.url, "events", batch_size=10, retries=8, backoff_base=0.05, backoff_cap=0.4
    )
    with source:
        for batch in source.batches():
            seen += batch
            if len(seen) == 10:
                server.stop()
                restart.start()
    restart.join()
    assert ids(seen) == [f"{n}-0" for n in range(1, 51)]


def test_killed_client_connection_is_reopened(redis_client: redis.Redis, redis_url: str) -> None:
    add(redis_client, [f"{n}-0" for n in range(1, 31)])
    seen: list[Entry] = []
    with RedisRange(redis_url, "events", batch_size=10, **_fast_retries()) as source:  # type: ignore[arg-type]
        for batch in source.batches():
            seen += batch
            if len(seen) == 10:
                killed = redis_client.execute_command(
                    "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"
                )
                assert killed >= 1
    assert ids(seen) == [f"{n}-0" for n in range(1, 31)]


def test_stream_lost_in_a_restart_is_an_interruption(
    make_redis: Callable[..., EmbeddedRedis],
) -> None:
    server = make_redis()  # no persistence: the restart loses the stream
    with redis.Redis(port=server.port) as client:
        add(client, [f"{n}-0" for n in range(1, 31)])
    source = RedisRange(server.url, "events", batch_size=10, **_fast_retries())  # type: ignore[arg-type]
    seen: list[Entry] = []
    with pytest.raises(SourceInterrupted) as caught:
        read_into(seen, source, lambda: (server.stop(), server.start()))
    assert caught.value.last_id == "10-0"
    assert "after reconnecting the key is gone" in str(caught.value)


# -- memory ---------------------------------------------------------------------


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.slow
def test_replay_of_200k_entries_keeps_memory_flat(
    redis_client: redis.Redis, redis_url: str
) -> None:
    entries, payload_size = 200_000, 400
    # Holding every payload would take 80 MB, well past the bound asserted below.
    payload = b"x" * payload_size
    for first in range(0, entries, 10_000):
        pipe = redis_client.pipeline(transaction=False)
        for n in range(first, first + 10_000):
            pipe.xadd("events", {"payload": payload, "writer": b"go"}, id=f"{n + 1}-0")
        pipe.execute()
    gc.collect()
    before = _rss_bytes()
    seen = payload_bytes = 0
    with RedisRange(redis_url, "events") as source:
        assert source.total() == entries
        for batch in source.batches():
            seen += len(batch)
            payload_bytes += sum(len(entry.fields["payload"]) for entry in batch)
    grown = _rss_bytes() - before
    assert seen == entries
    assert payload_bytes == entries * payload_size
    assert grown < 50 * 2**20, f"RSS grew by {grown / 2**20:.1f} MB over the replay"
