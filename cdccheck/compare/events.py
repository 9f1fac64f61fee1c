"""From stream entries to comparable events: decode, find the op, the key and the entity.

Payload field, encoding field, layout and strict decoding are those of
``check`` and ``replay`` (docs/semantics.md, rule 1 and "Stream layout"): an
entry whose payload is not decodable has no key, so it is never paired.

Keys and entities are lists of JSON Pointer alternatives; an alternative
resolves only when every step of it exists (a step through ``null``, or an
index past the end of an array, does not), and the first alternative that
resolves is used. A ``null`` value at the end is a value (docs/compare.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from cdccheck.compare.options import Alternatives, Pointer, format_pointer
from cdccheck.engine import wire
from cdccheck.errors import ConfigError
from cdccheck.model import UNKNOWN, Entry

LAYOUTS = ("default", "debezium")

_JSON = msgspec.json.Decoder()
_MISSING = object()
_INDEX = re.compile(r"0|[1-9][0-9]*")
_CANONICAL = msgspec.json.Encoder(order="sorted")
_SHORT_PAYLOAD = 2 * wire.MAX_DEPTH
"""A payload shorter than this has fewer than MAX_DEPTH open brackets, so it cannot nest too
deep: every array or object takes at least two bytes."""


@dataclass(frozen=True)
class Decoding:
    """Where the payload sits in an entry and how it is encoded (as for ``check``)."""

    payload_field: str = "payload"
    encoding_field: str = "encoding"
    layout: str = "default"
    encoding: str = "json"
    op_field: str = "op"
    limits: wire.Limits = wire.DEFAULT_LIMITS
    """The decoding limits (docs/security.md, "Limits"), as for ``check``."""


class Event:
    """One decodable entry of one side, keyed and ready to be paired (see UnkeyedEvent)."""

    __slots__ = ("entity", "id", "key", "op", "seq", "time", "value")

    def __init__(
        self,
        event_id: str,
        time: int,
        seq: int,
        op: str,
        value: Any,
        key: tuple[Any, ...] | None,
        entity: Any,
    ) -> None:
        self.id = event_id
        self.time = time
        """Milliseconds of the stream id, never less than the previous event's of its side."""
        self.seq = seq
        """Position among the decodable events of its side (0, 1, 2, ...)."""
        self.op = op
        self.value = value
        self.key = key
        """The pairing key, None when the event is unkeyed."""
        self.entity = entity
        """The entity (hashable, see ``key_part``), None when the entity option does not resolve."""

    def __repr__(self) -> str:
        return f"Event({self.id!r}, key={self.key!r})"


class Tick:
    """Not an entry: a promise that the side's next entry, if any, is at ``time`` or later.

    ``split_entries`` yields one when it has read far ahead for the other side,
    so that pairing can move on without holding the whole stream.
    """

    __slots__ = ("time",)

    def __init__(self, time: int) -> None:
        self.time = time


class Unreadable:
    """An entry without a decodable payload: never paired (an unkeyed one is an UnkeyedEvent)."""

    __slots__ = ("id", "message", "op", "path", "time")

    def __init__(self, event_id: str, time: int, op: str, path: str, message: str) -> None:
        self.id = event_id
        self.time = time
        self.op = op
        self.path = path
        self.message = message


def decode_payload(
    payload: bytes, encoding: str, limits: wire.Limits = wire.DEFAULT_LIMITS
) -> tuple[Any, str | None]:
    """(value, None) when ``payload`` is decodable under rule 1, else (None, why).

    Same verdicts as ``cdccheck.wire.decode``, which decides every payload
    this shortcut does not: msgspec's JSON decoder is already as strict as
    rule 1 except for nesting depth and the limits; a payload shorter than
    1 KiB cannot nest 512 deep (a longer one is counted), and the limits are
    met when the payload is too short to break them (``_within``).
    """
    large = wire.too_large(payload, limits)
    if large is not None:
        return None, large.message
    if encoding == "json":
        try:
            value = _JSON.decode(payload)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            pass
        else:
            if (
                len(payload) < _SHORT_PAYLOAD
                or payload.count(b"[") + payload.count(b"{") <= wire.MAX_DEPTH
            ) and _within(payload, limits):
                return value, None
    result = wire.decode(payload, encoding, limits)
    if isinstance(result, wire.Undecodable):
        return None, result.message
    return result.value, None


def _within(payload: bytes, limits: wire.Limits) -> bool:
    """Whether a payload msgspec decoded cannot break a key or integer limit, by its size alone.

    A key is no longer than the payload; every key needs a ``:``; msgspec
    itself refuses integers of more than 4,300 digits.
    """
    size = len(payload)
    return (
        size <= limits.max_key_bytes
        and (size <= limits.max_object_keys or payload.count(b":") <= limits.max_object_keys)
        and (limits.max_int_digits >= _MSGSPEC_INT_DIGITS or size <= limits.max_int_digits)
    )


_MSGSPEC_INT_DIGITS = 4300


def _steps(pointer: Pointer) -> tuple[tuple[str, int | None], ...]:
    """Each token with its array index (None when it cannot index an array)."""
    return tuple((token, int(token) if _INDEX.fullmatch(token) else None) for token in pointer)


def resolve(value: Any, steps: tuple[tuple[str, int | None], ...]) -> Any:
    """The value at ``steps`` inside ``value``, or ``_MISSING`` when a step does not exist."""
    node = value
    for token, index in steps:
        kind = type(node)
        if kind is dict:
            node = node.get(token, _MISSING)
            if node is _MISSING:
                return _MISSING
        elif kind is list:
            if index is None or index >= len(node):
                return _MISSING
            node = node[index]
        else:
            return _MISSING
    return node


def key_part(value: Any) -> Any:
    """A hashable stand-in for a key value that keeps JSON types apart.

    Strings stand for themselves (the common case); ``5`` and ``5.0`` are one
    number, as in the diff; ``true`` is not ``1``; arrays and objects compare
    by their canonical JSON text.
    """
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return ("null", None)
    if kind is bool:
        return ("bool", value)
    if kind is int or kind is float:
        return ("number", value)
    return ("json", _CANONICAL.encode(value))


class Resolver:
    """Finds the first alternative of a key or entity option that resolves."""

    def __init__(self, alternatives: Alternatives) -> None:
        self.alternatives = alternatives
        self._steps = tuple(_steps(pointer) for pointer in alternatives)
        self._single = self._steps[0] if len(self._steps) == 1 else None
        self.shown = ",".join(format_pointer(pointer) for pointer in alternatives)

    def __call__(self, value: Any) -> Any:
        """The resolved value, or ``_MISSING``."""
        single = self._single
        if single is not None:
            return resolve(value, single)
        for steps in self._steps:
            found = resolve(value, steps)
            if found is not _MISSING:
                return found
        return _MISSING


class SideReader:
    """Reads one side's entries in order and turns each into an Event or an Unreadable.

    Times never go backwards: an entry whose id is earlier than the previous
    one's (or has no millisecond part, as in a hand-made corpus) takes the
    previous time, so the side's clock is monotonic.
    """

    def __init__(
        self,
        entries: Iterable[Entry | Tick],
        keys: Sequence[Alternatives],
        *,
        entity: Alternatives | None = None,
        decoding: Decoding | None = None,
    ) -> None:
        self.decoding = decoding or Decoding()
        if self.decoding.layout not in LAYOUTS:
            raise ConfigError(
                f"unknown layout {self.decoding.layout!r} (expected one of {', '.join(LAYOUTS)})"
            )
        self._entries = iter(entries)
        self._keys = tuple(Resolver(alternatives) for alternatives in keys)
        self._entity = Resolver(entity) if entity is not None else None
        self.time = 0
        self.seq = 0
        self.events = 0
        self.first_id: str | None = None
        self.last_id: str | None = None

    def __iter__(self) -> Iterator[Event | Unreadable | Tick]:
        decoding = self.decoding
        payload_field, encoding_field = decoding.payload_field, decoding.encoding_field
        default_encoding, op_field = decoding.encoding, decoding.op_field
        limits = decoding.limits
        debezium = decoding.layout == "debezium"
        keys, entity_of = self._keys, self._entity
        single_key = keys[0] if len(keys) == 1 else None
        entity_slot = next(
            (
                index
                for index, resolver in enumerate(keys)
                if entity_of is not None and resolver.alternatives == entity_of.alternatives
            ),
            None,
        )
        for entry in self._entries:
            if isinstance(entry, Tick):
                self.time = max(self.time, entry.time)
                yield entry
                continue
            event_id = entry.id
            ms, _, _ = event_id.partition("-")
            if ms.isdigit():
                time = int(ms)
                time = max(time, self.time)
            else:
                time = self.time
            self.time = time
            if self.first_id is None:
                self.first_id = event_id
            self.last_id = event_id
            self.events += 1
            fields = entry.fields
            if debezium:
                if len(fields) == 1:
                    payload: bytes | None = next(iter(fields.values()))
                    encoding = default_encoding
                else:
                    yield Unreadable(
                        event_id,
                        time,
                        UNKNOWN,
                        "",
                        f"debezium layout expects one field (key -> value), found {len(fields)}",
                    )
                    continue
            else:
                payload = fields.get(payload_field)
                raw_encoding = fields.get(encoding_field)
                encoding = (
                    default_encoding
                    if raw_encoding is None
                    else raw_encoding.decode("utf-8", "replace")
                )
            if payload is None:
                names = ", ".join(sorted(fields)) or "none"
                yield Unreadable(
                    event_id,
                    time,
                    UNKNOWN,
                    "",
                    f"entry has no {payload_field!r} field (fields: {names})",
                )
                continue
            value, message = decode_payload(payload, encoding, limits)
            if message is not None:
                yield Unreadable(event_id, time, UNKNOWN, "", message)
                continue
            op = value.get(op_field, UNKNOWN) if type(value) is dict else UNKNOWN
            if type(op) is not str:
                op = UNKNOWN
            seq = self.seq
            self.seq = seq + 1
            if single_key is not None:
                found = single_key(value)
                if found is _MISSING:
                    yield self._unkeyed(event_id, time, seq, op, value, single_key)
                    continue
                key: tuple[Any, ...] = (found if type(found) is str else key_part(found),)
            else:
                parts = []
                for resolver in keys:
                    found = resolver(value)
                    if found is _MISSING:
                        break
                    parts.append(found if type(found) is str else key_part(found))
                else:
                    key = tuple(parts)
                if found is _MISSING:
                    yield self._unkeyed(event_id, time, seq, op, value, resolver)
                    continue
            if entity_of is None:
                entity = None
            elif entity_slot is not None:
                entity = key[entity_slot]  # the entity is one of the keys: resolved already
            else:
                found = entity_of(value)
                entity = None if found is _MISSING else key_part(found)
            yield Event(event_id, time, seq, op, value, key, entity)

    def _unkeyed(
        self, event_id: str, time: int, seq: int, op: str, value: Any, resolver: Resolver
    ) -> UnkeyedEvent:
        # An unkeyed event still belongs to its entity (docs/compare.md: the
        # last event of an entity counts whether it was paired or not).
        entity = None
        if self._entity is not None:
            found = self._entity(value)
            entity = None if found is _MISSING else key_part(found)
        return UnkeyedEvent(event_id, time, seq, op, value, None, entity, resolver.shown)


class UnkeyedEvent(Event):
    """A decodable event without its key; ``missing_key`` names the option that did not resolve."""

    __slots__ = ("missing_key",)

    def __init__(
        self,
        event_id: str,
        time: int,
        seq: int,
        op: str,
        value: Any,
        key: None,
        entity: Any,
        missing_key: str,
    ) -> None:
        super().__init__(event_id, time, seq, op, value, key, entity)
        self.missing_key = missing_key


def key_values(key: tuple[Any, ...]) -> list[Any]:
    """The JSON values a key stands for (the inverse of ``key_part``), for display."""
    values: list[Any] = []
    for part in key:
        if type(part) is tuple:
            tag, value = part
            values.append(msgspec.json.decode(value) if tag == "json" else value)
        else:
            values.append(part)
    return values
