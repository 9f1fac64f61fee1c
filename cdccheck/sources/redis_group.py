"""Read streams as a member of a Redis consumer group (XREADGROUP), for the sidecar.

``RedisGroup`` hands out batches of entries that this consumer must check
and then acknowledge; it never acknowledges anything itself (the sidecar
does, together with its counters, see :mod:`cdccheck.sidecar.fleet`)::

    group = RedisGroup(url, ["comments:cdc"], group="cdccheck", consumer="pod-1")
    group.open()
    while True:
        for batch in group.read():
            ...  # check, then XACK batch.entries and batch.trimmed atomically

Order of reading (``docs/sidecar.md``, pending and claim):

1. this consumer's own pending entries (XREADGROUP from id ``0``): what it
   read before a crash or a lost connection and never acknowledged;
2. entries idle longer than ``claim_idle_ms`` in other consumers' pending
   lists (XAUTOCLAIM, on start and every ``claim_every_s``): the work of
   consumers that died; claimed entries join our own pending list and are
   read as in 1;
3. new entries (``>``), waiting up to ``block_ms`` for them.

A pending entry whose stream entry was deleted or trimmed away comes back
without fields; it is returned in ``GroupBatch.trimmed`` so the caller
acknowledges and counts it instead of retrying it forever. Redis 7 drops
such entries from the pending list during XAUTOCLAIM and names them; the
claim script counts them right there, atomically (``deleted_counter``).
Redis 6.2 claims them like any other entry, and step 1 then finds them.

Groups are created with MKSTREAM when missing, at ``start_id`` (``$``: only
new entries; ``0``: the whole stream); an existing group is joined as it is,
never reset. Streams are given by name, or by a ``pattern`` resolved with
SCAN on open and every ``rescan_every_s``. A Redis Cluster is detected
(``INFO cluster``) and driven through redis-py's RedisCluster; each XREADGROUP
then names streams of a single hash slot.

Failures raise one-line ``cdccheck.errors`` exceptions: ``SourceUnavailable``
when Redis cannot be reached right now (the sidecar waits and retries, then
calls ``reset()``), ``SourceError`` for what waiting will not fix (wrong
credentials, a key that is not a stream), ``ConfigError`` for bad options.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from cdccheck.errors import ConfigError, SourceError, SourceUnavailable
from cdccheck.model import Entry
from cdccheck.sources._redis import (
    AUTOCLAIM,
    FORGET_STALE,
    GroupMissing,
    LuaScript,
    as_dict,
    as_text,
    connect_any,
    entries_from_xrange,
    key_slot,
    redact_url,
    redis_errors,
    secret_of,
    validate_url,
)

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_BLOCK_MS",
    "DEFAULT_CLAIM_IDLE_MS",
    "DEFAULT_GROUP",
    "GroupBatch",
    "GroupMissing",
    "LuaScript",
    "RedisGroup",
    "connect_any",
    "default_consumer",
    "key_slot",
    "lineage_prefixes",
    "redis_errors",
    "secret_of",
]

DEFAULT_GROUP = "cdccheck"
DEFAULT_BATCH = 500
DEFAULT_BLOCK_MS = 1000
DEFAULT_CLAIM_IDLE_MS = 60_000
DEFAULT_RESCAN_S = 30.0
STALE_CONSUMER_MS = 3_600_000
"""A consumer with nothing pending and no read for this long is removed from the group."""

_STREAM_ID = re.compile(r"\d+(-\d+)?")
_ACK_CHUNK = 1000

log = logging.getLogger("cdccheck.sidecar")


def default_consumer() -> str:
    """The pod or host name (``HOSTNAME``, else the system's): stable across restarts.

    A restarted sidecar takes its own name back, with its pending entries,
    instead of leaving one more stale consumer in the group. Two sidecars on
    one host need ``--consumer`` to tell them apart (sharing a name keeps the
    counts exact, docs/sidecar.md, but both may check the same entries).
    """
    return os.environ.get("HOSTNAME") or socket.gethostname() or "cdccheck"


def lineage_prefixes(consumer: str) -> tuple[str, ...]:
    """Name prefixes of the consumers that earlier sidecars of ``consumer``'s lineage left.

    A Kubernetes pod ``comments-7d4b9c8f6-x2x9z`` is replaced by another pod of
    its ReplicaSet, ``comments-7d4b9c8f6-q8w7e``: their common prefix is the
    name up to its last dash. Older versions named a consumer ``HOST-PID``, so
    ``consumer + "-"`` covers those. Only idle consumers without pending entries
    of the lineage are removed (``forget_stale_consumers``).
    """
    prefixes = [consumer + "-"]
    head, dash, _ = consumer.rpartition("-")
    if dash and head:
        prefixes.append(head + "-")
    return tuple(prefixes)


class GroupBatch(NamedTuple):
    """Entries of ONE stream read in one call; all of them are pending for this consumer."""

    stream: str
    entries: list[Entry]
    trimmed: list[str]
    """Ids still pending whose entry was deleted or trimmed from the stream."""

    @property
    def ids(self) -> list[str]:
        """Every id to acknowledge once the batch is counted."""
        return [entry.id for entry in self.entries] + self.trimmed


def _group_reply(response: Any, **_options: Any) -> list[tuple[str, list[Entry]]]:
    """XREADGROUP reply -> [(stream, entries)], replacing redis-py's generic parser.

    RESP2 answers a list of [stream, entries], RESP3 a map; the entries are
    parsed by the XRANGE fast path. A deleted entry (nil fields) comes out with
    empty fields: XADD never writes an entry without fields, so that is unambiguous.
    """
    if not response:
        return []
    pairs = response.items() if isinstance(response, dict) else response
    return [(as_text(stream), entries_from_xrange(raw)) for stream, raw in pairs]


def _split(stream: str, entries: list[Entry]) -> GroupBatch:
    kept = [entry for entry in entries if entry.fields]
    if len(kept) == len(entries):
        return GroupBatch(stream, entries, [])
    return GroupBatch(stream, kept, [entry.id for entry in entries if not entry.fields])


class RedisGroup:
    """This consumer's view of one consumer group on one or more streams.

    ``streams`` and/or ``pattern`` (a SCAN MATCH pattern) name the streams.
    ``deleted_counter(stream)`` gives the (hash key, field) where entries that
    XAUTOCLAIM found deleted are counted; the key must share the stream's
    hash slot. ``exclude(key)`` keeps a key out of the pattern's matches.
    Options are checked here (ConfigError); Redis is first
    contacted by ``open()``.

    Attributes kept up to date: ``claimed`` (entries claimed from other
    consumers) and ``deleted_on_claim`` (entries XAUTOCLAIM found deleted).
    """

    def __init__(
        self,
        url: str,
        streams: Sequence[str] = (),
        *,
        pattern: str | None = None,
        group: str = DEFAULT_GROUP,
        consumer: str | None = None,
        start_id: str = "$",
        batch_size: int = DEFAULT_BATCH,
        block_ms: int = DEFAULT_BLOCK_MS,
        claim_idle_ms: int = DEFAULT_CLAIM_IDLE_MS,
        claim_every_s: float | None = None,
        rescan_every_s: float = DEFAULT_RESCAN_S,
        password: str | None = None,
        deleted_counter: Callable[[str], tuple[str, str]] | None = None,
        exclude: Callable[[str], bool] | None = None,
        connect_timeout: float = 5.0,
    ) -> None:
        if not streams and not pattern:
            raise ConfigError("no stream to read: pass --stream KEY or --stream-pattern PATTERN")
        if start_id not in ("$", "0") and not _STREAM_ID.fullmatch(start_id):
            raise ConfigError(
                f"bad --start-id {start_id!r}: expected $ (new entries only), 0 (the whole "
                "stream) or a stream id such as 1700000000000-0"
            )
        if not group:
            raise ConfigError("bad --group: it must not be empty")
        if batch_size < 1:
            raise ConfigError(f"bad --batch {batch_size}: it must be at least 1")
        if block_ms < 1:
            raise ConfigError(
                f"bad --block-ms {block_ms}: it must be at least 1 (0 would block forever)"
            )
        if claim_idle_ms < 1:
            raise ConfigError(f"bad --claim-idle-ms {claim_idle_ms}: it must be at least 1")
        self.url = url
        self.group = group
        self.consumer = consumer or default_consumer()
        self.start_id = start_id
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.claim_every_s = (
            claim_every_s if claim_every_s is not None else max(claim_idle_ms / 2000, 1.0)
        )
        self.rescan_every_s = rescan_every_s
        self.pattern = pattern
        self.password = password
        self.deleted_counter = deleted_counter
        self.exclude = exclude
        self.connect_timeout = connect_timeout
        self._named = list(dict.fromkeys(streams))
        self._streams: list[str] = list(self._named)
        self._secret = secret_of(url, password)
        self._client: Any = None
        self.is_cluster = False
        # stream -> id to read our own pending entries after; absent: drained.
        self._pending: dict[str, str] = {}
        # stream -> XAUTOCLAIM cursor of the claim pass under way.
        self._claiming: dict[str, str] = {}
        self._next_claim = 0.0
        self._next_rescan = 0.0
        self._rotation = 0
        self.claimed = 0
        self.deleted_on_claim = 0
        validate_url(url)

    # -- connection and groups ----------------------------------------------

    @property
    def where(self) -> str:
        """``group 'G' at URL`` with the password redacted, for messages."""
        return f"group {self.group!r} at {redact_url(self.url)}"

    @property
    def streams(self) -> list[str]:
        """The streams read now (pattern matches included)."""
        return list(self._streams)

    @property
    def client(self) -> Any:
        """The redis-py client (Redis or RedisCluster); ``open()`` first."""
        if self._client is None:
            raise SourceUnavailable(f"not connected to Redis at {redact_url(self.url)}")
        return self._client

    def _errors(self, what: str) -> contextlib.AbstractContextManager[None]:
        return redis_errors(self.url, self._secret, what)

    def open(self) -> None:
        """Connect, find the streams, create or join the groups, plan a pending drain.

        Raises SourceUnavailable when Redis cannot be reached (call again
        later), SourceError when a key is not a stream or credentials are refused.
        """
        if self._client is None:
            # The socket must outwait a blocking read by a clear margin.
            self._client, self.is_cluster = connect_any(
                self.url,
                password=self.password,
                socket_timeout=self.block_ms / 1000 + 10.0,
                connect_timeout=self.connect_timeout,
            )
        self._install_parser()
        self._streams = self._resolve_streams()
        for stream in self._streams:
            self._ensure_group(stream)
        self.reset()
        self._next_rescan = time.monotonic() + self.rescan_every_s

    def reset(self) -> None:
        """After a failure: read every stream's own pending entries again, from the start.

        Whatever was read but not acknowledged is still pending for this
        consumer; reading it again is what makes a lost commit harmless.
        """
        self._pending = dict.fromkeys(self._streams, "0")

    def _install_parser(self) -> None:
        # The fast parser must sit where redis-py parses replies: on the client
        # itself, or on each node's client inside a RedisCluster (nodes are
        # recreated when the topology changes, hence done before every read).
        client = self._client
        if not self.is_cluster:
            client.set_response_callback("XREADGROUP", _group_reply)
            return
        for node in client.get_nodes():
            connection = node.redis_connection
            if (
                connection is not None
                and connection.response_callbacks.get("XREADGROUP") is not _group_reply
            ):
                connection.set_response_callback("XREADGROUP", _group_reply)

    def _resolve_streams(self) -> list[str]:
        found = list(self._named)
        if self.pattern:
            with self._errors(f"scanning for streams matching {self.pattern!r}"):
                keys = self._client.scan_iter(match=self.pattern, count=1000, _type="STREAM")
                matched = sorted({as_text(key) for key in keys})
            # A quarantine stream matching the pattern would be read back and
            # its failing events quarantined again, forever.
            found += [
                key
                for key in matched
                if key not in found and not (self.exclude is not None and self.exclude(key))
            ]
        return found

    def _ensure_group(self, stream: str) -> None:
        import redis

        with self._errors(f"creating consumer {self.where} on stream {stream!r}"):
            try:
                self._client.execute_command(
                    "XGROUP", "CREATE", stream, self.group, self.start_id, "MKSTREAM"
                )
            except redis.ResponseError as error:
                text = str(error)
                if text.startswith("BUSYGROUP"):
                    return  # joined as it is: an existing group is never reset
                if text.startswith("WRONGTYPE"):
                    raise SourceError(
                        f"key {stream!r} at {redact_url(self.url)} is not a stream "
                        "(check --stream / --stream-pattern)"
                    ) from None
                raise
        log.info(
            "consumer group created",
            extra={"fields": {"stream": stream, "group": self.group, "start_id": self.start_id}},
        )

    def refresh_streams(self) -> list[str]:
        """With a pattern, SCAN again when due; returns the streams that are new."""
        if not self.pattern or time.monotonic() < self._next_rescan:
            return []
        self._next_rescan = time.monotonic() + self.rescan_every_s
        found = self._resolve_streams()
        new = [stream for stream in found if stream not in self._streams]
        for stream in new:
            self._ensure_group(stream)
            self._streams.append(stream)
            self._pending[stream] = "0"
        if new:
            log.info("new streams matched", extra={"fields": {"streams": new}})
        return new

    # -- reading ----------------------------------------------------------

    def read(self, limit: int | None = None) -> list[GroupBatch]:
        """The next batches to check: own pending first, then claimed, then new entries.

        Returns at most ``limit`` entries in all (default: ``batch_size`` per
        stream), or an empty list when nothing came within ``block_ms``.
        """
        count = self.batch_size if limit is None else max(1, min(limit, self.batch_size))
        self._install_parser()
        try:
            pending = self._read_pending(count)
            if pending:
                return pending
            if self._claim(count):
                return self._read_pending(count)
            return self._read_new(count, exact=limit is not None)
        except GroupMissing as error:
            self.rejoin(str(error))
            return []

    def rejoin(self, why: str) -> None:
        """Create the groups again (at ``start_id``) after one vanished, rather than stop.

        Someone destroyed the group, or the stream was deleted (and maybe
        recreated); whatever this consumer had pending went with it.
        """
        log.warning("consumer group vanished; creating it again", extra={"fields": {"why": why}})
        for stream in self._streams:
            self._ensure_group(stream)
        self.reset()

    def _xreadgroup(
        self, streams: Sequence[str], ids: Sequence[str], count: int, block: int | None
    ) -> Any:
        arguments: list[Any] = ["XREADGROUP", "GROUP", self.group, self.consumer, "COUNT", count]
        if block is not None:
            arguments += ["BLOCK", block]
        arguments += ["STREAMS", *streams, *ids]
        with self._errors(f"reading {self.where}"):
            return self._client.execute_command(*arguments)

    def _read_pending(self, count: int) -> list[GroupBatch]:
        for stream, after in list(self._pending.items()):
            reply = self._xreadgroup([stream], [after], count, None)
            entries = reply[0][1] if reply else []
            if not entries:
                del self._pending[stream]
                continue
            self._pending[stream] = entries[-1].id
            return [_split(stream, entries)]
        return []

    def _claim(self, count: int) -> bool:
        """One step of the claim pass when due; True when entries were claimed."""
        now = time.monotonic()
        if not self._claiming:
            if now < self._next_claim:
                return False
            self._claiming = dict.fromkeys(self._streams, "0-0")
        claimed_any = False
        for stream, cursor in list(self._claiming.items()):
            keys: list[str] = [stream]
            field = ""
            if self.deleted_counter is not None:
                counter_key, field = self.deleted_counter(stream)
                keys.append(counter_key)
            with self._errors(f"claiming idle entries of {self.where}"):
                next_cursor, ids, deleted = AUTOCLAIM(
                    self._client,
                    keys,
                    [self.group, self.consumer, self.claim_idle_ms, cursor, count, field],
                )
            next_text = as_text(next_cursor)
            if next_text == "0-0":
                del self._claiming[stream]
            else:
                self._claiming[stream] = next_text
            if deleted:
                self.deleted_on_claim += int(deleted)
                log.info(
                    "pending entries were deleted from the stream before they were checked",
                    extra={"fields": {"stream": stream, "entries": int(deleted)}},
                )
            if ids:
                self.claimed += len(ids)
                self._pending[stream] = "0"
                claimed_any = True
                log.info(
                    "claimed idle entries of other consumers",
                    extra={"fields": {"stream": stream, "entries": len(ids)}},
                )
                break
        if not self._claiming:
            self._next_claim = now + self.claim_every_s
        return claimed_any

    def _slot_groups(self) -> list[list[str]]:
        if not self.is_cluster:
            return [self._streams]
        by_slot: dict[int, list[str]] = {}
        for stream in self._streams:
            by_slot.setdefault(key_slot(stream), []).append(stream)
        return list(by_slot.values())

    def _read_new(self, count: int, *, exact: bool) -> list[GroupBatch]:
        if not self._streams:
            # A pattern that matches nothing yet: wait as a read would.
            time.sleep(self.block_ms / 1000)
            return []
        # COUNT applies per stream: for an exact total (--max-events) each
        # stream is read on its own.
        groups = [[s] for s in self._streams] if exact else self._slot_groups()
        if len(groups) == 1:
            return self._new_from(groups[0], count, self.block_ms)
        for streams in groups:
            batches = self._new_from(streams, count, None)
            if batches:
                return batches
        # Nothing anywhere: wait on one group at a time, in turn, so that an
        # idle round still takes about block_ms.
        self._rotation = (self._rotation + 1) % len(groups)
        return self._new_from(groups[self._rotation], count, max(1, self.block_ms // len(groups)))

    def _new_from(self, streams: list[str], count: int, block: int | None) -> list[GroupBatch]:
        reply = self._xreadgroup(streams, [">"] * len(streams), count, block)
        return [_split(stream, entries) for stream, entries in reply or () if entries]

    # -- inspection and housekeeping ----------------------------------------

    def group_stats(self) -> dict[str, dict[str, int | None]]:
        """Per stream: ``pending`` (whole group) and ``lag`` (None before Redis 7)."""
        stats: dict[str, dict[str, int | None]] = {}
        for stream in self._streams:
            with self._errors(f"inspecting {self.where}"):
                groups = self._client.execute_command("XINFO", "GROUPS", stream)
            for raw in groups or ():
                info = as_dict(raw)
                if as_text(info.get("name")) == self.group:
                    lag = info.get("lag")
                    stats[stream] = {
                        "pending": int(info.get("pending") or 0),
                        "lag": None if lag is None else int(lag),
                    }
        return stats

    def forget_stale_consumers(
        self, idle_ms: int = STALE_CONSUMER_MS, prefixes: Sequence[str] = ()
    ) -> list[str]:
        """Remove consumers that hold nothing and have not read for ``idle_ms``.

        A replaced pod leaves its name behind; only names with an empty pending
        list go, so no entry is ever dropped. ``prefixes``: only consumers whose
        name starts with one of them (``lineage_prefixes``). Never this consumer.
        """
        forgotten: list[str] = []
        arguments = [self.group, self.consumer, idle_ms, *prefixes]
        for stream in self._streams:
            with self._errors(f"removing stale consumers of {self.where}"):
                removed = FORGET_STALE(self._client, [stream], arguments)
            forgotten += [as_text(name) for name in removed or ()]
        return forgotten

    def close(self) -> None:
        """Close the connections."""
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None

    def __repr__(self) -> str:
        return f"RedisGroup({self.where}, consumer {self.consumer!r}, streams {self._streams})"
