"""Read a range of a Redis Stream with XRANGE, in batches, in constant memory.

``RedisRange`` yields ``list[Entry]`` one batch at a time; only the current
batch is held, however long the range is::

    with RedisRange("redis://localhost:6379/0", "comments", start="2024-05-01") as source:
        for batch in source.batches():
            ...

Bounds (``start``/``end``, both inclusive) take any of:

* a stream id ``1700000000000-3``, or ``-`` / ``+`` for the open ends;
* a millisecond-only id, which is also how epoch milliseconds are written:
  ``1700000000000`` means ``1700000000000-0`` as a start and
  ``1700000000000-18446744073709551615`` (the whole millisecond) as an end,
  exactly as XRANGE reads partial ids. A value of digits only is always
  read this way, never as epoch seconds or a basic-format date
  (``20240501``): write ``2024-05-01`` for a date;
* an ISO-8601 timestamp (``2024-05-01T12:00:00+02:00``, ``...Z``, or naive,
  which means UTC), truncated to its millisecond and then read as above:
  start T covers entries with id time >= T's millisecond, end T covers entries
  with id time <= T's millisecond (that millisecond included);
* ``(`` before a stream id for an exclusive bound, as in Redis 6.2 and later
  (a millisecond-only id is completed first, as above; converted here, so it
  also works on older servers).

An open end (``+``) is pinned to the stream's last entry when the range is
opened: entries appended during the replay are not read, so a replay is a
snapshot and its total (XLEN) is exact.

Failures raise one-line ``cdccheck.errors`` exceptions: ``ConfigError`` for a
malformed URL or bound, ``SourceError`` when Redis is unreachable, refuses the
credentials, or has no stream under the key, and ``SourceInterrupted`` (with
the last id yielded) when the connection drops mid-range and does not come
back within the retry budget. Passwords never appear in messages: URLs are
shown through ``redact_url``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from cdccheck.errors import ConfigError, SourceError, SourceInterrupted
from cdccheck.model import Entry
from cdccheck.sources._redis import (
    PASSWORD_ENV,
    connect,
    credentials_error,
    one_line,
    redact_url,
    secret_of,
    unreachable_text,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "PASSWORD_ENV",
    "RedisRange",
    "connect",
    "id_time",
    "next_id",
    "parse_bound",
    "redact_url",
]

DEFAULT_BATCH_SIZE = 1000
"""Entries per XRANGE call: large enough to amortise the round trip, small
enough that a batch of big payloads stays a few MB."""

_MAX_PART = 2**64 - 1
_ID = re.compile(r"(\d+)(?:-(\d+))?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)

StreamId = tuple[int, int]


# -- stream ids and bounds -------------------------------------------------


def _format_id(stream_id: StreamId) -> str:
    return f"{stream_id[0]}-{stream_id[1]}"


def _parse_id(text: str) -> StreamId:
    """``ms-seq`` to a tuple (for ids Redis itself returned)."""
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def next_id(stream_id: str) -> str | None:
    """The smallest id after ``stream_id`` (None after the largest possible id).

    This is what "resume after" means: ``--start next_id(last_id)``.
    """
    ms, seq = _parse_id(stream_id)
    if seq < _MAX_PART:
        return f"{ms}-{seq + 1}"
    if ms < _MAX_PART:
        return f"{ms + 1}-0"
    return None


def _previous_id(stream_id: StreamId) -> StreamId | None:
    ms, seq = stream_id
    if seq > 0:
        return ms, seq - 1
    if ms > 0:
        return ms - 1, _MAX_PART
    return None


def id_time(stream_id: str) -> str:
    """The time in a stream id, ISO-8601 UTC to the millisecond: ``2026-01-28T12:00:00.036Z``."""
    milliseconds = _parse_id(stream_id)[0]
    try:
        moment = _EPOCH + milliseconds * _ONE_MS
    except OverflowError:
        return f"{milliseconds} ms after 1970"
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _id_of(reply_entry: Any) -> str:
    """The id of one XRANGE/XREVRANGE reply entry (an Entry, or raw ``[id, fields]``)."""
    stream_id = reply_entry[0]
    return stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id)


def _shown(stream_id: StreamId) -> str:
    """``2026-01-28T12:00:00.036Z, id 1769601600036-0``: a bound as a person reads it."""
    text = _format_id(stream_id)
    return f"{id_time(text)}, id {text}"


def _bound_error(option: str, value: object, why: str) -> ConfigError:
    return ConfigError(
        f"bad {option} {str(value)!r}: {why}; expected a stream id (1700000000000-0, "
        "1700000000000, - or +), epoch milliseconds or an ISO-8601 timestamp "
        "(2024-05-01T12:00:00Z)"
    )


def _datetime_ms(moment: datetime, option: str) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    milliseconds = (moment - _EPOCH) // _ONE_MS
    if milliseconds < 0:
        raise _bound_error(option, moment.isoformat(), "it is before 1970, no stream id is")
    return milliseconds


def _resolve_bound(
    value: str | int | datetime | None, *, end: bool, option: str
) -> StreamId | None:
    """A bound as an inclusive id tuple; None for an open end (``+``)."""
    if value is None:
        return None if end else (0, 0)
    if isinstance(value, datetime):
        ms = _datetime_ms(value, option)
        return (ms, _MAX_PART) if end else (ms, 0)
    if isinstance(value, int):
        if value < 0:
            raise _bound_error(option, value, "epoch milliseconds cannot be negative")
        return (value, _MAX_PART) if end else (value, 0)
    text = value.strip()
    if text == "-":
        return (0, 0)
    if text == "+":
        return None if end else (_MAX_PART, _MAX_PART)
    exclusive = text.startswith("(")
    if exclusive:
        text = text[1:]
    match = _ID.fullmatch(text)
    if match:
        ms = int(match.group(1))
        seq_text = match.group(2)
        # As in XRANGE: a millisecond-only id is completed first (-0 for a
        # start, -max for an end), then "(" excludes that completed id.
        seq = int(seq_text) if seq_text is not None else (_MAX_PART if end else 0)
        if ms > _MAX_PART or seq > _MAX_PART:
            raise _bound_error(option, value, "a stream id part exceeds 2^64-1")
        if not exclusive:
            return ms, seq
        if end:
            before = _previous_id((ms, seq))
            if before is None:
                raise _bound_error(option, value, "nothing comes before 0-0")
            return before
        after = next_id(_format_id((ms, seq)))
        if after is None:
            raise _bound_error(option, value, "nothing comes after the largest id")
        return _parse_id(after)
    if exclusive:
        raise _bound_error(option, value, "'(' works only before a stream id")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _bound_error(option, value, "not an id, a number or a timestamp") from None
    ms = _datetime_ms(moment, option)
    return (ms, _MAX_PART) if end else (ms, 0)


def parse_bound(value: str | int | datetime | None, *, end: bool, option: str = "") -> str:
    """The inclusive stream id XRANGE should use for a start (``end=False``) or end bound.

    Returns ``ms-seq``, or ``+`` for an open end. ``value`` is an id, ``-``/``+``,
    epoch milliseconds, an ISO-8601 timestamp (naive = UTC) or a datetime; see
    the module docstring for how each maps. Raises ConfigError naming
    ``option`` (default ``--end``/``--start``) when the value is not one of those.
    """
    option = option or ("--end" if end else "--start")
    resolved = _resolve_bound(value, end=end, option=option)
    return "+" if resolved is None else _format_id(resolved)


# -- the range reader --------------------------------------------------------


class RedisRange:
    """One stream range, read with XRANGE in batches of ``batch_size`` entries.

    ``start``/``end``: inclusive bounds (ids, ``-``/``+``, epoch ms, ISO-8601
    or datetime; see the module docstring). ``count``: read at most this many
    entries. ``retries``: how many times one failed XRANGE is retried after a
    connection drop, waiting ``backoff_base * 2**n`` seconds (at most
    ``backoff_cap``) before try n+1. Bounds, count and URL are checked here
    (ConfigError); Redis is first contacted by ``open()``, ``total()`` or
    ``batches()``.

    Attributes updated while reading: ``last_id`` (last entry yielded, None
    before the first) and ``entries_read``.
    """

    def __init__(
        self,
        url: str,
        stream: str,
        *,
        start: str | int | datetime | None = None,
        end: str | int | datetime | None = None,
        count: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        password: str | None = None,
        retries: int = 3,
        backoff_base: float = 0.2,
        backoff_cap: float = 5.0,
        socket_timeout: float = 30.0,
        connect_timeout: float = 5.0,
    ) -> None:
        if count is not None and count < 1:
            raise ConfigError(f"bad --count {count}: it must be at least 1 (omit it for no limit)")
        if batch_size < 1:
            raise ConfigError(f"bad batch size {batch_size}: it must be at least 1")
        if retries < 0:
            raise ConfigError(f"bad retry count {retries}: it must be 0 or more")
        self.url = url
        self.stream = stream
        self.count = count
        self.batch_size = batch_size
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        first = _resolve_bound(start, end=False, option="--start")
        self._start: StreamId = (0, 0) if first is None else first  # None only for ends
        self._end = _resolve_bound(end, end=True, option="--end")
        if self._end is not None and self._start > self._end:
            raise ConfigError(
                f"bad range: --start {start} ({_shown(self._start)}) is after "
                f"--end {end} ({_shown(self._end)}); did you swap them?"
            )
        self._open_end = self._end is None
        self._secret = secret_of(url, password)
        self._connections = 0
        self._client = connect(
            url,
            password=password,
            socket_timeout=socket_timeout,
            connect_timeout=connect_timeout,
            on_connect=self._connected,
        )
        self._opened = False
        self._length: int | None = None
        self.last_id: str | None = None
        self.entries_read = 0

    def _connected(self) -> None:
        self._connections += 1

    @property
    def where(self) -> str:
        """``stream 'KEY' at URL`` with the password redacted, for messages."""
        return f"stream {self.stream!r} at {redact_url(self.url)}"

    @property
    def start_id(self) -> str:
        """The inclusive first id of the range."""
        return _format_id(self._start)

    @property
    def end_id(self) -> str:
        """The inclusive last id of the range (``+`` until ``open()`` pins it)."""
        return "+" if self._end is None else _format_id(self._end)

    def open(self) -> None:
        """Connect, check the key holds a stream, and pin an open end to the last entry.

        Raises SourceError (Redis unreachable, credentials refused, no such
        stream, wrong key type). Called by ``total()`` and ``batches()``.
        """
        if self._opened:
            return
        import redis

        try:
            self._check_key()
            if self._end is None:
                pipe = self._client.pipeline(transaction=True)
                pipe.execute_command("XREVRANGE", self.stream, "+", "-", "COUNT", 1)
                pipe.execute_command("XLEN", self.stream)
                newest, length = pipe.execute()
                # Empty stream: an end below any id makes the range empty.
                self._end = _parse_id(newest[0][0].decode()) if newest else (0, 0)
                self._length = int(length)
        except redis.AuthenticationError as error:
            raise credentials_error(self.url, self._secret, error) from None
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise SourceError(unreachable_text(self.url, one_line(error, self._secret))) from None
        except redis.RedisError as error:
            raise SourceError(
                f"Redis refused to read {self.where}: {one_line(error, self._secret)}"
            ) from None
        self._opened = True

    def _key_type(self) -> str:
        kind = self._client.type(self.stream)
        return kind.decode() if isinstance(kind, bytes) else str(kind)

    def _check_key(self) -> None:
        kind = self._key_type()
        if kind == "none":
            raise SourceError(
                f"no {self.where}: the key does not exist "
                "(check --stream and the database number in --redis-url)"
            )
        if kind != "stream":
            raise SourceError(f"{self.where} is not a stream but a {kind} (check --stream)")

    def total(self) -> int | None:
        """How many entries the range holds, when that is cheap to know, else None.

        Known for a range from the first entry to an open end (XLEN taken
        atomically with pinning the end), capped by ``count``.
        """
        self.open()
        if self._start == (0, 0) and self._open_end and self._length is not None:
            return self._length if self.count is None else min(self._length, self.count)
        return None

    def batches(self) -> Iterator[list[Entry]]:
        """Yield the range as lists of at most ``batch_size`` entries, in id order."""
        import redis

        self.open()
        end = self._end
        assert end is not None  # open() pinned it
        cursor: StreamId = self._start
        remaining = self.count
        failures = 0
        connections_checked = self._connections
        while cursor <= end and remaining != 0:
            wanted = self.batch_size if remaining is None else min(self.batch_size, remaining)
            try:
                batch: list[Entry] = self._client.execute_command(
                    "XRANGE", self.stream, _format_id(cursor), _format_id(end), "COUNT", wanted
                )
                if self._connections != connections_checked:
                    # A new connection may reach a server that restarted
                    # without its data: the empty XRANGE of a vanished key
                    # would look like the clean end of the range.
                    kind = self._key_type()
                    if kind != "stream":
                        raise self._interrupted(
                            f"after reconnecting the key is {'gone' if kind == 'none' else kind} "
                            "(did the server restart without its data?)"
                        )
                    connections_checked = self._connections
            except redis.AuthenticationError as error:
                raise self._interrupted(one_line(error, self._secret)) from None
            except (redis.ConnectionError, redis.TimeoutError) as error:
                failures += 1
                if failures > self.retries:
                    raise self._interrupted(
                        f"{one_line(error, self._secret)}; gave up after {self.retries} retries"
                    ) from None
                time.sleep(min(self.backoff_cap, self.backoff_base * 2 ** (failures - 1)))
                continue
            except redis.RedisError as error:
                raise self._interrupted(one_line(error, self._secret)) from None
            failures = 0
            if not batch:
                return
            self.last_id = batch[-1].id
            self.entries_read += len(batch)
            if remaining is not None:
                remaining -= len(batch)
            yield batch
            if len(batch) < wanted:
                return
            # Continue just after the last id: works on every Redis version,
            # unlike the exclusive "(id" syntax that needs 6.2.
            following = next_id(self.last_id)
            if following is None:
                return
            cursor = _parse_id(following)

    def coverage(self) -> str:
        """What the stream holds, for a message: ``20,000 entries from TIME (id ID) to ...``.

        Asked when a range turned out empty, so that the message can say which
        range would have held entries. Raises SourceError like ``open()``.
        """
        import redis

        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.execute_command("XRANGE", self.stream, "-", "+", "COUNT", 1)
            pipe.execute_command("XREVRANGE", self.stream, "+", "-", "COUNT", 1)
            pipe.execute_command("XLEN", self.stream)
            oldest, newest, length = pipe.execute()
        except redis.RedisError as error:
            raise SourceError(
                f"cannot read {self.where}: {one_line(error, self._secret)}"
            ) from None
        if not oldest or not newest:
            return "the stream is empty"
        first, last = _parse_id(_id_of(oldest[0])), _parse_id(_id_of(newest[0]))
        entries = "1 entry" if int(length) == 1 else f"{int(length):,} entries"
        return f"the stream holds {entries}, from {_shown(first)} to {_shown(last)}"

    def empty_message(self) -> str:
        """One line for a range that held no entry: the range asked for, what the stream holds."""
        end = self._end if self._end is not None else (_MAX_PART, _MAX_PART)
        return (
            f"no entry in {self.where} from {_shown(self._start)} to {_shown(end)}; "
            f"{self.coverage()}"
        )

    def _interrupted(self, reason: str) -> SourceInterrupted:
        if self.last_id is None:
            progress = "no entry read yet; run again"
        else:
            progress = (
                f"read {self.entries_read} entries up to {self.last_id}; "
                f"resume with --start {next_id(self.last_id)}"
            )
        return SourceInterrupted(
            f"replay of {self.where} interrupted: {reason}; {progress}", self.last_id
        )

    def __iter__(self) -> Iterator[Entry]:
        """Entries one by one (still read in batches)."""
        for batch in self.batches():
            yield from batch

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> RedisRange:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RedisRange({self.where}, {self.start_id}..{self.end_id})"
