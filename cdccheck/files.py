"""Atomic, owner-only files: a reader (or a crash) sees the old file or the new one, never half.

Every file cdccheck writes for its user goes through this module: check and
gate reports, rendered and merged reports (``-o``), ``--events-out``, corpora
and the sidecar's report (docs/reports.md). Each one is

- written to a temporary file in the target's own directory, because a
  rename is atomic only within one filesystem;
- readable and writable by its owner only (mode 0600), because reports carry
  samples of user data and corpora carry raw events;
- fsynced before the rename, and its directory after it, so that after a
  power cut the name points at the complete new contents or at the old ones.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TypeVar, overload

from cdccheck.errors import ConfigError

__all__ = ["FILE_MODE", "AtomicWriter", "LinesWriter", "write_atomic"]

FILE_MODE = 0o600
"""Permissions of every file cdccheck writes: owner read and write, nobody else."""

T = TypeVar("T")

# A directory fsync is refused by some filesystems (EINVAL on a few network and
# FUSE mounts). The rename has happened by then, so the file is in place; only
# its durability across a power cut is not promised there.
_DIRECTORY_SYNC_UNSUPPORTED = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF}


class AtomicWriter:
    """A file being written: ``stream`` goes to a temporary file until ``commit()``.

    As a context manager it commits when the block ends normally and discards
    the temporary file when it raises. Errors of the filesystem become
    ConfigError ("cannot write <what> <path>: <reason>", exit 2).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        what: str = "",
        text: bool = False,
        buffering: int = -1,
        create_parents: bool = True,
    ) -> None:
        self.path = Path(path)
        self._shown = f"{what} {path}" if what else str(path)
        directory = self.path.parent
        try:
            if create_parents:
                directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
        except OSError as exc:
            raise self._error(exc) from None
        self._temporary = Path(temporary)
        self._done = False
        try:
            # mkstemp already creates 0600 minus the umask; say it outright so a
            # strange umask cannot leave the file unwritable or wider than asked.
            os.fchmod(handle, FILE_MODE)
            raw = os.fdopen(handle, "wb", buffering=buffering)
        except BaseException:
            os.close(handle)
            self._temporary.unlink(missing_ok=True)
            raise
        self._binary = raw
        self.stream: IO[Any] = io.TextIOWrapper(raw, encoding="utf-8", newline="") if text else raw

    def commit(self) -> None:
        """Flush, fsync, rename over the target, fsync the directory. Idempotent."""
        if self._done:
            return
        self._done = True
        try:
            self.stream.flush()
            os.fsync(self._binary.fileno())
            self.stream.close()
            os.replace(self._temporary, self.path)
        except OSError as exc:
            self._abandon()
            raise self._error(exc) from None
        _sync_directory(self.path.parent)

    def discard(self) -> None:
        """Close and remove the temporary file; the target is left as it was. Idempotent."""
        if self._done:
            return
        self._done = True
        self._abandon()

    def _abandon(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()
        self._temporary.unlink(missing_ok=True)

    def _error(self, exc: OSError) -> ConfigError:
        return ConfigError(f"cannot write {self._shown}: {exc.strerror or exc}")

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
            return
        self.discard()
        if isinstance(error, OSError):
            # A full disk or a vanished directory is the user's to fix (exit 2).
            raise self._error(error) from None


class LinesWriter:
    """One line per record, through an AtomicWriter: ``--events-out`` of check and of compare.

    ``encode`` turns a record into the bytes of its line (without the newline).
    As a context manager it keeps what was written even when the block raises
    (a run stopped early still leaves the lines of the events it saw: nothing
    is lost); ``close(keep=False)`` throws the file away.
    """

    def __init__(self, path: str | Path, encode: Callable[[Any], bytes]) -> None:
        self.path = Path(path)
        self._file = AtomicWriter(path, buffering=1 << 16)
        self._encode = encode
        self.lines = 0
        """Lines written so far."""

    def write(self, record: Any) -> None:
        """Write the line of ``record``."""
        stream = self._file.stream
        stream.write(self._encode(record))
        stream.write(b"\n")
        self.lines += 1

    def close(self, *, keep: bool = True) -> None:
        """Finish the file (``keep``: fsync and rename) or throw it away. Idempotent."""
        if keep:
            self._file.commit()
        else:
            self._file.discard()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close(keep=True)


@overload
def write_atomic(
    path: str | Path,
    content: str | bytes,
    *,
    what: str = "",
    buffering: int = -1,
    create_parents: bool = True,
) -> None: ...


@overload
def write_atomic(
    path: str | Path,
    content: Callable[[IO[bytes]], T],
    *,
    what: str = "",
    buffering: int = -1,
    create_parents: bool = True,
) -> T: ...


def write_atomic(
    path: str | Path,
    content: str | bytes | Callable[[IO[bytes]], T],
    *,
    what: str = "",
    buffering: int = -1,
    create_parents: bool = True,
) -> T | None:
    """Write ``content`` to ``path`` atomically, owner-only (see the module docstring).

    ``content`` is text (written as UTF-8), bytes, or a function that writes
    to the binary stream it is given; its result is returned. Anything that
    function raises leaves the target untouched. ``what`` names the file in
    error messages ("cannot write corpus out.jsonl: ...").
    """
    with AtomicWriter(
        path, what=what, buffering=buffering, create_parents=create_parents
    ) as writer:
        if isinstance(content, str):
            writer.stream.write(content.encode("utf-8"))
            return None
        if isinstance(content, bytes):
            writer.stream.write(content)
            return None
        return content(writer.stream)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable: fsync the directory that holds the new name."""
    try:
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError as exc:
        if exc.errno not in _DIRECTORY_SYNC_UNSUPPORTED:
            raise ConfigError(f"cannot sync directory {directory}: {exc.strerror}") from None
    finally:
        os.close(descriptor)
