"""gzip and zstd files, read and written as plain byte streams (docs/reports.md, corpus file).

Reading looks at the first bytes, not the name: a gzip member starts with
``1f 8b``, a zstd frame with ``28 b5 2f fd``; anything else is read as it is.
Writing looks at the name: ``.gz`` and ``.zst`` compress, anything else does
not. Compression never touches the bytes inside: a corpus stays byte-exact
through a round trip. gzip comes from the standard library; zstd from the
``zstandard`` package, imported only when a zstd file is met.
"""

from __future__ import annotations

import contextlib
import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

_READ_BUFFER = 1 << 20


def compression_of_name(path: str | Path) -> str | None:
    """``gzip`` for a ``.gz`` name, ``zstd`` for ``.zst``, else None (write plain)."""
    suffix = Path(path).suffix.lower()
    return {".gz": "gzip", ".zst": "zstd"}.get(suffix)


def open_read(path: Path) -> IO[bytes]:
    """``path`` opened for binary reading, decompressed when its first bytes say so.

    Raises OSError as ``open`` does. Errors in the compressed data surface
    while reading, as ``CompressedDataError``.
    """
    raw = io.BufferedReader(io.FileIO(path, "rb"), buffer_size=_READ_BUFFER)
    try:
        magic = raw.peek(4)[:4]
        if magic[:2] == GZIP_MAGIC:
            raw.close()  # GzipFile would not close a file object it was given
            return gzip.open(path, "rb")  # type: ignore[return-value]
        if magic == ZSTD_MAGIC:
            return io.BufferedReader(_ZstdReader(raw), buffer_size=_READ_BUFFER)
    except BaseException:
        raw.close()
        raise
    return raw


class CompressedDataError(Exception):
    """The compressed data of a file is damaged or cut short."""


class _ZstdReader(io.RawIOBase):
    """The decompressed bytes of the zstd frames in ``raw``, one frame after the other.

    zstandard's own stream reader returns a frame cut short as a clean end of
    data (nothing, or part of it): a truncated corpus would read as a shorter
    one. Here the end of the input inside a frame is a CompressedDataError.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        import zstandard

        super().__init__()
        self._raw = raw
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._frame: Any = None  # the decompressor of the frame being read, if any
        self._pending = b""
        self._offset = 0

    def readable(self) -> bool:
        """Always: this is a reader."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with decompressed bytes; 0 at the end of the data."""
        while self._offset >= len(self._pending):
            chunk = self._raw.read(_READ_BUFFER)
            if not chunk:
                if self._frame is not None:
                    raise CompressedDataError(
                        "the zstd data ends inside a frame (a truncated file?)"
                    )
                return 0
            self._pending, self._offset = self._decompress(chunk), 0
        size = min(len(buffer), len(self._pending) - self._offset)
        buffer[:size] = self._pending[self._offset : self._offset + size]
        self._offset += size
        return size

    def _decompress(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            if self._frame is None:
                self._frame = self._new()
            out.append(self._frame.decompress(chunk))
            chunk = b""
            if self._frame.eof:
                chunk, self._frame = self._frame.unused_data, None
        return b"".join(out)

    def close(self) -> None:
        """Close the compressed file too."""
        try:
            self._raw.close()
        finally:
            super().close()


@contextlib.contextmanager
def decompression_errors() -> Iterator[None]:
    """Turn the ways gzip and zstd report damaged data into ``CompressedDataError``."""
    errors: tuple[type[BaseException], ...] = (EOFError, gzip.BadGzipFile)
    with contextlib.suppress(ImportError):
        import zstandard

        errors += (zstandard.ZstdError,)
    try:
        yield
    except errors as exc:
        what = str(exc) or type(exc).__name__
        if isinstance(exc, EOFError):
            what = "the compressed data ends before its end marker (a truncated file?)"
        raise CompressedDataError(what) from None


@contextlib.contextmanager
def compressing(out: IO[bytes], compression: str | None) -> Iterator[IO[bytes]]:
    """A stream that writes into ``out`` compressed with ``compression`` (or as is).

    The compressed stream is finished when the block ends, before ``out`` is
    committed. gzip gets no file name and a zero time stamp, so the same
    entries always give the same bytes.
    """
    if compression is None:
        yield out
        return
    writer: Any
    if compression == "gzip":
        # Level 6, gzip(1)'s default: level 9 (Python's) takes three times as long
        # on a corpus for a file only a few per cent smaller.
        writer = gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6)
    elif compression == "zstd":
        import zstandard

        writer = zstandard.ZstdCompressor().stream_writer(out, closefd=False)
    else:
        raise ValueError(f"unknown compression {compression!r}")
    with writer:
        yield writer
