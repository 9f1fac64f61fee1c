"""Bare payload files as stream entries: what a service's tests write, checked before deploy.

``check --payloads PATH`` reads payloads that never went through a stream
(docs/cli.md, check):

* a **file** holds many payloads: JSON Lines, one JSON payload per line; or,
  when its name ends in ``.msgpack`` or ``.mpk``, MessagePack objects one
  after the other (MessagePack's own way of streaming many objects);
* a **directory** holds golden files, one payload per file, as a Go service's
  tests write them under ``testdata/``: every file below it, in path order,
  hidden files and directories left out. A golden file named ``*.msgpack``
  or ``*.mpk`` is MessagePack; any other is read with the schemas' encoding.

Files may be gzip or zstd compressed (:mod:`cdccheck.sources.compressed`).
Each payload becomes an entry with a synthetic id ``0-N`` and one field, the
payload (plus ``encoding`` for MessagePack), so that it is checked exactly
as the same bytes in a stream would be. The payload is never altered: a
line is the payload without its line ending, a golden file is all of its
bytes. ``PayloadFiles.origin(id)`` names the file (``file:line`` for a
line of a JSON Lines file) that an id came from.
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cdccheck.errors import SourceError
from cdccheck.model import Entry
from cdccheck.sources.compressed import CompressedDataError, decompression_errors, open_read

DEFAULT_BATCH_SIZE = 1000
MSGPACK_SUFFIXES = (".msgpack", ".mpk")
_COMPRESSED_SUFFIXES = (".gz", ".zst")


def is_msgpack_name(path: Path) -> bool:
    """Whether the name says MessagePack (``x.msgpack``, ``x.mpk``, ``x.msgpack.gz``)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED_SUFFIXES:
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in MSGPACK_SUFFIXES


@dataclass(frozen=True)
class _Span:
    """Ids ``0-first`` .. ``0-last`` came from ``file``; ``lines``: id - first + 1 is a line."""

    first: int
    last: int
    file: str
    lines: bool


class PayloadFiles:
    """Payload files and directories, read as entries ``batch_size`` at a time.

    ``payload_field`` names the field the payload goes in (``--payload-field``);
    ``encoding_field`` the field that says ``msgpack`` for MessagePack payloads
    (None: never add one, as the debezium layout wants exactly one field).
    A path that does not exist, or a file that cannot be read, raises
    SourceError (exit 3).
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        *,
        payload_field: str = "payload",
        encoding_field: str | None = "encoding",
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.paths = [Path(path) for path in paths]
        self.payload_field = payload_field
        self.encoding_field = encoding_field
        self.batch_size = batch_size
        self._spans: list[_Span] = []
        for path in self.paths:
            if not path.exists():
                raise SourceError(f"cannot read payloads {path}: no such file or directory")

    def origin(self, entry_id: str) -> str | None:
        """``file`` or ``file:line`` that the id came from (None for an id not made here)."""
        head, dash, tail = entry_id.partition("-")
        if head != "0" or not dash or not tail.isdigit():
            return None
        number = int(tail)
        index = bisect.bisect_right([span.first for span in self._spans], number) - 1
        if index < 0 or number > self._spans[index].last:
            return None
        span = self._spans[index]
        return f"{span.file}:{number - span.first + 1}" if span.lines else span.file

    def spans(self) -> list[dict[str, str]]:
        """For the report's ``source``: each file with the first and last id it was given."""
        return [
            {"file": span.file, "first_id": f"0-{span.first}", "last_id": f"0-{span.last}"}
            for span in self._spans
        ]

    def batches(self) -> Iterator[list[Entry]]:
        """Every payload as an entry, in path order, ``batch_size`` at a time."""
        self._spans = []
        batch: list[Entry] = []
        for entry in self._entries():
            batch.append(entry)
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    # -- reading -------------------------------------------------------------

    def _entries(self) -> Iterator[Entry]:
        last = 0
        for path in self.paths:
            if path.is_dir():
                for golden in _golden_files(path):
                    last += 1
                    self._spans.append(_Span(last, last, str(golden), lines=False))
                    yield self._entry(last, _read_whole(golden), golden)
                continue
            base = last
            if is_msgpack_name(path):
                for offset, payload in enumerate(_msgpack_objects(path), 1):
                    last = base + offset
                    yield self._entry(last, payload, path)
            else:
                for line_number, payload in _lines(path):
                    last = base + line_number
                    yield self._entry(last, payload, path)
            if last > base:
                self._spans.append(_Span(base + 1, last, str(path), lines=True))

    def _entry(self, number: int, payload: bytes, path: Path) -> Entry:
        fields = {self.payload_field: payload}
        if self.encoding_field is not None and is_msgpack_name(path):
            fields[self.encoding_field] = b"msgpack"
        return Entry(f"0-{number}", fields)


def _golden_files(directory: Path) -> list[Path]:
    """Every regular file below ``directory`` in path order; hidden names left out."""
    found = []
    try:
        for path in directory.rglob("*"):
            relative = path.relative_to(directory)
            if any(part.startswith(".") for part in relative.parts):
                continue
            if path.is_file():
                found.append(path)
    except OSError as exc:
        raise SourceError(f"cannot read payloads {directory}: {exc.strerror or exc}") from None
    return sorted(found)


def _opened(path: Path) -> IO[bytes]:
    try:
        return open_read(path)
    except OSError as exc:
        raise SourceError(f"cannot read payloads {path}: {exc.strerror or exc}") from None


def _read_whole(path: Path) -> bytes:
    with _opened(path) as handle, _errors(path):
        return handle.read()


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, payload) of each line that is not blank; the line ending is not kept."""
    with _opened(path) as handle, _errors(path):
        for number, line in enumerate(handle, 1):
            payload = line.rstrip(b"\r\n") if line.endswith(b"\n") else line
            if payload.strip():
                yield number, payload


@contextlib.contextmanager
def _errors(path: Path) -> Iterator[None]:
    """Reading errors of a payload file as one-line SourceErrors (exit 3)."""
    try:
        with decompression_errors():
            yield
    except CompressedDataError as damaged:
        raise SourceError(
            f"cannot read payloads {path}: damaged compressed data: {damaged}"
        ) from None
    except OSError as error:
        raise SourceError(f"cannot read payloads {path}: {error.strerror or error}") from None


# -- MessagePack framing ------------------------------------------------------------

# Byte -> (how many length bytes follow, fixed payload size, kind): the framing of
# the MessagePack spec, enough to find where one object ends without decoding it.
_FIXED = {0xC0: 0, 0xC2: 0, 0xC3: 0, 0xCA: 4, 0xCB: 8, 0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}
_FIXED |= {0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}
_FIXEXT = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}
_SIZED = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4}  # bin, str: length bytes
_EXT = {0xC7: 1, 0xC8: 2, 0xC9: 4}
_ARRAY = {0xDC: 2, 0xDD: 4}
_MAP = {0xDE: 2, 0xDF: 4}


def object_end(data: bytes, start: int) -> int | None:
    """Where the MessagePack object at ``start`` ends; None when ``data`` ends first.

    Only the framing is read (type bytes and lengths), never the values, so
    a payload that is not valid as a whole (a bad string, a NaN) still splits
    where it ends and gets its own verdict. The unused type byte ``0xc1``
    ends the object there, one byte long: the checker says what is wrong.
    """
    position = start
    pending = 1  # objects still to skip: containers add their elements
    size = len(data)
    while pending:
        if position >= size:
            return None
        byte = data[position]
        position += 1
        pending -= 1
        if byte <= 0x7F or byte >= 0xE0:
            continue
        if 0x80 <= byte <= 0x8F:
            pending += 2 * (byte & 0x0F)
        elif 0x90 <= byte <= 0x9F:
            pending += byte & 0x0F
        elif 0xA0 <= byte <= 0xBF:
            position += byte & 0x1F
        elif byte in _FIXED:
            position += _FIXED[byte]
        elif byte in _FIXEXT:
            position += 1 + _FIXEXT[byte]
        elif byte in _SIZED or byte in _EXT:
            width = _SIZED.get(byte) or _EXT[byte]
            if position + width > size:
                return None
            length = int.from_bytes(data[position : position + width], "big")
            position += width + length + (1 if byte in _EXT else 0)
        elif byte in _ARRAY or byte in _MAP:
            width = _ARRAY.get(byte) or _MAP[byte]
            if position + width > size:
                return None
            count = int.from_bytes(data[position : position + width], "big")
            position += width
            pending += count * (2 if byte in _MAP else 1)
        # 0xc1 (never used): one byte, as said above
    return position if position <= size else None


def _msgpack_objects(path: Path) -> Iterator[bytes]:
    """The MessagePack objects of ``path``, one after the other; a cut-short tail is one more.

    A file of payloads is small next to a stream: it is read whole.
    """
    data = _read_whole(path)
    position = 0
    while position < len(data):
        end = object_end(data, position)
        if end is None:
            yield data[position:]  # cut short: its own (undecodable) payload
            return
        yield data[position:end]
        position = end
