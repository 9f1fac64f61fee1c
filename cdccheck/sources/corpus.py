"""Corpus files: stream entries saved as JSON Lines (``docs/reports.md``, corpus file).

One entry per line::

    {"id": "1769603696123-0", "fields": {"payload": "{\\"op\\": ...}", "writer": "go-comments"}}

A field value is a JSON string when its bytes are valid UTF-8, else
``{"b64": "..."}``. Either way the bytes come back exactly as they went in,
malformed payloads included: a corpus exists to replay the bad events.

Both directions stream, so memory stays flat however large the file is.
Writing goes to a temporary file next to the target and is renamed over it
only when complete, so a reader never sees half a corpus. A corpus may be
compressed (:mod:`cdccheck.sources.compressed`): written as gzip or zstd when
its name ends in ``.gz`` or ``.zst``, read as gzip or zstd whatever its name.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import msgspec

from cdccheck.errors import SourceError
from cdccheck.files import write_atomic
from cdccheck.model import Entry
from cdccheck.sources.compressed import (
    CompressedDataError,
    compressing,
    compression_of_name,
    decompression_errors,
    open_read,
)

DEFAULT_BATCH_SIZE = 1000


class _Base64(msgspec.Struct, forbid_unknown_fields=True):
    b64: str


class _Line(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    fields: dict[str, str | _Base64]


_DECODER = msgspec.json.Decoder(_Line)
_LINE_SHAPE = 'expected {"id": "...", "fields": {"NAME": "VALUE" | {"b64": "..."}}}'
_ENCODER = msgspec.json.Encoder()


def encode_entry(entry: Entry) -> bytes:
    """One corpus line for ``entry``, newline included."""
    fields: dict[str, str | dict[str, str]] = {}
    for name, value in entry.fields.items():
        raw = value if type(value) is bytes else _as_bytes(value)
        try:
            fields[name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            fields[name] = {"b64": base64.b64encode(raw).decode("ascii")}
    return _ENCODER.encode({"id": entry.id, "fields": fields}) + b"\n"


def _as_bytes(value: object) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"a field value must be bytes, not {type(value).__name__}")


def decode_entry(line: bytes) -> Entry:
    """The entry one corpus line holds; ValueError says what is wrong with it."""
    try:
        parsed = _DECODER.decode(line)
    except msgspec.ValidationError as exc:
        raise ValueError(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise ValueError(_explain_malformed(line, exc)) from None
    fields: dict[str, bytes] = {}
    for name, value in parsed.fields.items():
        if isinstance(value, str):
            try:
                fields[name] = value.encode("utf-8")
            except UnicodeEncodeError:
                # Only a hand-edited file gets here: write_corpus never puts a
                # lone surrogate in a string, it base64-encodes such bytes.
                raise ValueError(
                    f"field {name!r} is a string with a lone surrogate escape; "
                    f'bytes that are not UTF-8 belong in {{"b64": "..."}}'
                ) from None
        else:
            try:
                fields[name] = base64.b64decode(value.b64, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"field {name!r} has invalid base64: {exc}") from None
    return Entry(parsed.id, fields)


def _explain_malformed(line: bytes, fast_error: msgspec.DecodeError) -> str:
    """Say why a line is not JSON; msgspec's own message is terse for some cases."""
    try:
        json.loads(line.rstrip(b"\r\n"))
    except json.JSONDecodeError as exc:
        return f"invalid JSON at column {exc.colno}: {exc.msg}"
    except UnicodeDecodeError as exc:
        return f"not UTF-8 at byte {exc.start}"
    # json accepts lone surrogate escapes and NaN, msgspec does not.
    if str(fast_error) == "Input data was truncated":
        return "a \\uXXXX escape decodes to a lone surrogate, which is not text"
    return str(fast_error)


def write_corpus(path: str | Path, entries: Iterable[Entry]) -> int:
    """Write ``entries`` to the corpus file ``path`` atomically; return how many.

    The file appears only once every entry is written and synced, readable
    by its owner only (:mod:`cdccheck.files`); a name ending in ``.gz`` or
    ``.zst`` compresses it. Raises ConfigError when the location cannot be
    written (a bad output path).
    """

    def write(out: IO[bytes]) -> int:
        count = 0
        with compressing(out, compression_of_name(path)) as stream:
            for entry in entries:
                stream.write(encode_entry(entry))
                count += 1
        return count

    return write_atomic(path, write, what="corpus", buffering=1 << 20, create_parents=False)


def read_corpus(path: str | Path, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[list[Entry]]:
    """The entries of the corpus file ``path``, in file order, ``batch_size`` at a time.

    A missing or unreadable file raises SourceError at once; a line that is
    not a corpus entry raises SourceError naming ``path:line`` when the
    iteration reaches it. Blank lines are skipped.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    file = Path(path)
    try:
        if not file.is_file():
            what = "it is a directory" if file.is_dir() else "no such file"
            raise SourceError(f"cannot read corpus {path}: {what}")
    except OSError as exc:
        raise SourceError(f"cannot read corpus {path}: {exc.strerror or exc}") from None
    return _batches(file, str(path), batch_size)


def _batches(file: Path, shown: str, batch_size: int) -> Iterator[list[Entry]]:
    try:
        handle = open_read(file)
    except OSError as exc:
        raise SourceError(f"cannot read corpus {shown}: {exc.strerror or exc}") from None
    with handle:
        batch: list[Entry] = []
        line_number = 0
        try:
            with decompression_errors():
                for line_number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        batch.append(decode_entry(line))
                    except ValueError as exc:
                        raise SourceError(
                            f"{shown}:{line_number}: not a corpus entry: {exc} ({_LINE_SHAPE})"
                        ) from None
                    if len(batch) >= batch_size:
                        yield batch
                        batch = []
        except CompressedDataError as exc:
            raise SourceError(
                f"cannot read corpus {shown} after line {line_number}: "
                f"damaged compressed data: {exc}"
            ) from None
        except OSError as exc:
            raise SourceError(
                f"cannot read corpus {shown} after line {line_number}: {exc.strerror or exc}"
            ) from None
        if batch:
            yield batch
