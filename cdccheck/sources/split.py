"""Cut a stream range or a set of corpus files into contiguous parts, for ``--jobs``.

Every part is checked by its own worker process and the parts' summaries are
merged (docs/cli.md, ``--jobs``). Whatever the cut points, the parts together
hold every entry of the whole exactly once:

* a **stream range** ``[start, end]`` (inclusive ids) is cut at ids
  ``c1 < c2 < ...`` into ``[start, c1 - 1], [c1, c2 - 1], ..., [cn, end]``,
  where ``c - 1`` is the id just before ``c`` (``5-0 - 1`` is
  ``4-18446744073709551615``). A cut may fall inside a millisecond
  (``1700000000000-7``): ids of one millisecond can end up in two parts, each
  id in exactly one. Where to cut is estimated by entry count from a few
  pipelined XRANGE probes (:func:`plan_range`); a bad estimate only makes the
  parts unequal, never wrong.
* **corpus files** are read in order as if concatenated; the cut points are
  byte offsets snapped forward to the start of a line, so a line belongs to
  the part its first byte is in. Compressed files, and anything that is not a
  regular file, are never cut inside: such a file goes whole to one part.

``--count`` cannot be split this way (the N-th entry of a range cannot be
found without reading the entries before it), which is why ``replay``
refuses ``--count`` with ``--jobs``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdccheck.errors import SourceError
from cdccheck.model import Entry
from cdccheck.sources.corpus import DEFAULT_BATCH_SIZE, decode_entry, read_corpus

__all__ = [
    "PROBES_PER_PART",
    "PROBE_SIZE",
    "CorpusSpan",
    "cut_range",
    "plan_corpus",
    "plan_range",
    "read_span",
    "read_spans",
]

StreamId = tuple[int, int]
_MAX_PART = 2**64 - 1

PROBES_PER_PART = 16
"""XRANGE probes per wanted part: more probes, closer to equal parts."""
PROBE_SIZE = 64
"""Entries each probe reads: the density of the stream where the probe lands."""

# A file with one of these signatures is compressed: a byte offset in it is not
# a line boundary, so it is never cut.
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"BZh", b"\xfd7zXZ\x00")
_COMPRESSED_SUFFIXES = (".gz", ".zst", ".zstd", ".bz2", ".xz")


# ---------------------------------------------------------------- stream ids


def _parse_id(text: str) -> StreamId:
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _format_id(stream_id: StreamId) -> str:
    return f"{stream_id[0]}-{stream_id[1]}"


def _before(stream_id: StreamId) -> StreamId:
    """The id just before ``stream_id`` (never called with 0-0: a cut is after the first id)."""
    ms, seq = stream_id
    return (ms, seq - 1) if seq > 0 else (ms - 1, _MAX_PART)


def _after(stream_id: StreamId) -> StreamId:
    ms, seq = stream_id
    return (ms, seq + 1) if seq < _MAX_PART else (ms + 1, 0)


# ---------------------------------------------------------------- stream ranges

Probe = Callable[[Sequence[tuple[str, str]], int], list[tuple[list[str], str | None]]]
"""``probe(intervals, count)``: for each inclusive id interval, the ids of its first
``count`` entries and the id of its last entry (None when it holds none)."""


def cut_range(first: str, last: str, parts: int, probe: Probe) -> list[str]:
    """Cut ids splitting the entries from ``first`` to ``last`` into about equal parts.

    ``first`` and ``last`` are the ids of the first and last entry of the
    range. Returns at most ``parts - 1`` strictly increasing ids, each after
    ``first`` and at most ``last``; the part boundaries are then as the module
    docstring says. The range is cut into ``PROBES_PER_PART`` intervals per
    part on the time axis; one probe per interval reads its first
    ``PROBE_SIZE`` ids and its last one. An interval the probe read whole is
    counted exactly; a longer one is estimated from the density of the ids
    read (along the sequence numbers when it lies within one millisecond).
    """
    low, high = _parse_id(first), _parse_id(last)
    if parts < 2 or low >= high:
        return []
    span = high[0] - low[0] + 1  # milliseconds covered, both ends included
    starts: list[StreamId] = [low]
    wanted = parts * PROBES_PER_PART
    for index in range(1, wanted):
        candidate = (low[0] + span * index // wanted, 0)
        if candidate > starts[-1]:
            starts.append(candidate)
    stops = [_before(following) for following in starts[1:]] + [high]
    answers = probe(
        [(_format_id(a), _format_id(b)) for a, b in zip(starts, stops, strict=True)], PROBE_SIZE
    )
    intervals = [
        _Interval.seen([_parse_id(i) for i in ids], None if final is None else _parse_id(final))
        for ids, final in answers
    ]
    total = sum(interval.estimate for interval in intervals)
    cuts: list[StreamId] = []
    before = 0.0
    index = 0
    for part in range(1, parts):
        target = total * part / parts
        while index < len(intervals) and before + intervals[index].estimate < target:
            before += intervals[index].estimate
            index += 1
        if index == len(intervals):
            break
        interval = intervals[index]
        into = target - before  # entries of this interval that go to the earlier part
        position = int(into + 0.5)
        if position < len(interval.ids):
            cut = interval.ids[position]
        elif interval.exact or interval.last is None:
            # Every entry of the interval goes to the earlier part: cut at the next entry.
            following = [i.ids[0] for i in intervals[index + 1 :] if i.ids]
            if not following:
                break
            cut = following[0]
        else:
            cut = interval.between(
                (into - len(interval.ids)) / (interval.estimate - len(interval.ids))
            )
        if cut <= low or cut > high or (cuts and cut <= cuts[-1]):
            continue
        cuts.append(cut)
    return [_format_id(cut) for cut in cuts]


@dataclass(frozen=True)
class _Interval:
    """The ids between two probe points, as far as the probe saw them."""

    ids: list[StreamId]
    """The first ids of the interval: all of them when ``exact``."""
    last: StreamId | None
    estimate: float
    """How many entries it holds: exact, or extrapolated from the density of ``ids``."""
    exact: bool

    @classmethod
    def seen(cls, ids: list[StreamId], last: StreamId | None) -> _Interval:
        if last is None or not ids or ids[-1] == last or len(ids) < PROBE_SIZE:
            return cls(ids, last, float(len(ids)), exact=True)
        first, read_to = ids[0], ids[-1]
        if first[0] == last[0]:  # one millisecond: spread along the sequence numbers
            density = len(ids) / (read_to[1] - first[1] + 1)
            estimate = density * (last[1] - first[1] + 1)
        else:
            density = len(ids) / (read_to[0] - first[0] + 1)
            estimate = density * (last[0] - first[0] + 1)
        return cls(ids, last, max(estimate, len(ids) + 1.0), exact=False)

    def between(self, fraction: float) -> StreamId:
        """An id ``fraction`` of the way from the last id read to the interval's last id."""
        assert self.last is not None
        read_to, last = self.ids[-1], self.last
        fraction = min(max(fraction, 0.0), 1.0)
        if read_to[0] == last[0]:
            seq = read_to[1] + 1 + int(fraction * (last[1] - read_to[1] - 1))
            return min((last[0], seq), last)
        ms = read_to[0] + int(fraction * (last[0] - read_to[0]))
        return min(max((ms, 0), _after(read_to)), last)


def range_parts(start: str, end: str, cuts: Sequence[str]) -> list[tuple[str, str]]:
    """The inclusive ``(start, end)`` id pairs of the parts that ``cuts`` make of a range."""
    bounds: list[tuple[str, str]] = []
    lower = start
    for cut in cuts:
        bounds.append((lower, _format_id(_before(_parse_id(cut)))))
        lower = cut
    bounds.append((lower, end))
    return bounds


def plan_range(client: Any, stream: str, start: str, end: str, parts: int) -> list[tuple[str, str]]:
    """Split the inclusive range ``[start, end]`` of ``stream`` into at most ``parts`` parts.

    ``client`` is a redis-py client whose XRANGE answers lists of ``Entry``
    (``cdccheck.sources._redis.connect``); ``start`` and ``end`` are full ids
    (a pinned range: ``RedisRange.start_id`` and ``end_id`` after ``open()``).
    Returns ``(first, last)`` inclusive id pairs in order, together covering
    ``[start, end]`` exactly; one pair when the range holds fewer than two
    entries. Redis errors propagate as redis-py exceptions.
    """
    if parts < 2 or _parse_id(start) > _parse_id(end):
        return [(start, end)]
    pipe = client.pipeline(transaction=False)
    pipe.execute_command("XRANGE", stream, start, end, "COUNT", 1)
    pipe.execute_command("XREVRANGE", stream, end, start, "COUNT", 1)
    first, last = pipe.execute()
    if not first or not last:
        return [(start, end)]
    last_id = _id_text(last[0][0])

    def probe(
        intervals: Sequence[tuple[str, str]], count: int
    ) -> list[tuple[list[str], str | None]]:
        pipe = client.pipeline(transaction=False)
        for low, high in intervals:
            pipe.execute_command("XRANGE", stream, low, high, "COUNT", count)
            pipe.execute_command("XREVRANGE", stream, high, low, "COUNT", 1)
        answers = pipe.execute()
        return [
            ([entry.id for entry in ids], _id_text(final[0][0]) if final else None)
            for ids, final in zip(answers[::2], answers[1::2], strict=True)
        ]

    cuts = cut_range(first[0].id, last_id, parts, probe)
    return range_parts(start, end, cuts)


def _id_text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


# ---------------------------------------------------------------- corpus files


@dataclass(frozen=True)
class CorpusSpan:
    """Lines of one corpus file: from byte ``start`` (a line start) up to ``stop``.

    ``stop`` None reads to the end of the file. The whole file (``start`` 0,
    ``stop`` None) is read by ``read_corpus`` itself, whatever the file is.
    """

    path: str
    start: int = 0
    stop: int | None = None

    @property
    def whole(self) -> bool:
        """The span is the whole file."""
        return self.start == 0 and self.stop is None


def _splittable(path: Path) -> int | None:
    """The size of a plain regular file that may be cut at line starts; None otherwise."""
    if path.name.endswith(_COMPRESSED_SUFFIXES):
        return None
    try:
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            head = handle.read(6)
        return None if head.startswith(_COMPRESSED_MAGIC) else path.stat().st_size
    except OSError:
        return None


def _line_start_at_or_after(path: Path, offset: int, size: int) -> int:
    if offset <= 0:
        return 0
    if offset >= size:
        return size
    with path.open("rb") as handle:
        handle.seek(offset - 1)
        if handle.read(1) == b"\n":
            return offset
        handle.readline()
        return min(handle.tell(), size)


def plan_corpus(files: Sequence[str | Path], parts: int) -> list[list[CorpusSpan]]:
    """Split ``files``, read in order, into at most ``parts`` parts of about equal bytes.

    Returns the parts in order, each a list of spans in order; together they
    hold every line of every file exactly once, in the order ``check`` reads
    them. A file that cannot be cut (compressed, not a regular file, or not
    there at all: reading it then fails as without ``--jobs``) is one span.
    """
    paths = [str(file) for file in files]
    sizes = [_splittable(Path(path)) for path in paths]
    weights = [
        _size_or_zero(path) if size is None else size
        for path, size in zip(paths, sizes, strict=True)
    ]
    total = sum(weights)
    if parts < 2 or total == 0:
        return [[CorpusSpan(path) for path in paths]]
    # Cut points as (file index, byte offset at a line start); (i, size) is (i + 1, 0).
    cuts: list[tuple[int, int]] = []
    for part in range(1, parts):
        target = total * part // parts
        base = 0
        for index, weight in enumerate(weights):
            if target < base + weight or index == len(weights) - 1:
                size = sizes[index]
                offset = min(target - base, weight)
                if size is None:  # whole: cut before or after it, whichever is nearer
                    cut = (index, 0) if offset * 2 < weight else (index + 1, 0)
                else:
                    snapped = _line_start_at_or_after(Path(paths[index]), offset, size)
                    cut = (index + 1, 0) if snapped >= size else (index, snapped)
                break
            base += weight
        if cut != (0, 0) and cut < (len(paths), 0) and (not cuts or cut > cuts[-1]):
            cuts.append(cut)
    planned: list[list[CorpusSpan]] = []
    bounds = [(0, 0), *cuts, (len(paths), 0)]
    for (first_file, first_offset), (stop_file, stop_offset) in itertools.pairwise(bounds):
        spans: list[CorpusSpan] = []
        for index in range(first_file, min(stop_file + 1, len(paths))):
            start = first_offset if index == first_file else 0
            stop = stop_offset if index == stop_file else None
            if stop == 0 or (stop is not None and stop <= start):
                continue
            spans.append(CorpusSpan(paths[index], start, stop))
        if spans:
            planned.append(spans)
    return planned


def _size_or_zero(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def read_spans(
    spans: Sequence[CorpusSpan], *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[list[Entry]]:
    """Batches of the entries of ``spans``, in order (whole files through ``read_corpus``)."""
    for span in spans:
        if span.whole:
            yield from read_corpus(span.path, batch_size=batch_size)
        else:
            yield from read_span(span, batch_size=batch_size)


def read_span(span: CorpusSpan, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[Entry]]:
    """Batches of the entries on the lines of ``span``; errors say as ``read_corpus`` does.

    A line that is not a corpus entry raises SourceError naming ``path:line``
    with the line's number in the whole file (counted only then).
    """
    from cdccheck.sources.corpus import _LINE_SHAPE  # the message read_corpus gives

    path = Path(span.path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"cannot read corpus {span.path}: {exc.strerror or exc}") from None
    with handle:
        batch: list[Entry] = []
        position = span.start
        local_line = 0
        try:
            handle.seek(span.start)
            for local_line, line in enumerate(handle, 1):
                if span.stop is not None and position >= span.stop:
                    break
                position += len(line)
                if not line.strip():
                    continue
                try:
                    batch.append(decode_entry(line))
                except ValueError as exc:
                    number = _lines_before(path, span.start) + local_line
                    raise SourceError(
                        f"{span.path}:{number}: not a corpus entry: {exc} ({_LINE_SHAPE})"
                    ) from None
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        except OSError as exc:
            number = _lines_before(path, span.start) + local_line
            raise SourceError(
                f"cannot read corpus {span.path} after line {number}: {exc.strerror or exc}"
            ) from None
        if batch:
            yield batch


def _lines_before(path: Path, offset: int) -> int:
    """How many lines end before byte ``offset`` (only computed for an error message)."""
    counted = 0
    remaining = offset
    try:
        with path.open("rb") as handle:
            while remaining > 0:
                chunk = handle.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                counted += chunk.count(b"\n")
                remaining -= len(chunk)
    except OSError:
        return counted
    return counted
