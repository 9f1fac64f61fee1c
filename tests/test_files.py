"""The one atomic writer: contents, owner-only mode, fsync order, failures leave no trace."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from cdccheck.errors import ConfigError
from cdccheck.files import FILE_MODE, AtomicWriter, write_atomic


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """A umask that would leave an ordinary new file world-readable (0644)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def disk_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Records fsync and rename calls in order; the real calls still run."""
    log: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        log.append(("fsync", os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        log.append(("replace", str(target)))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return log


@pytest.mark.usefixtures("permissive_umask")
def test_text_bytes_and_writer_function(tmp_path: Path) -> None:
    text, raw, streamed = tmp_path / "a.txt", tmp_path / "b.bin", tmp_path / "c.bin"
    assert write_atomic(text, "héllo\n") is None
    assert write_atomic(raw, b"\x00\xff") is None

    def chunks(out: IO[bytes]) -> int:
        out.write(b"one\n")
        out.write(b"two\n")
        return 2

    assert write_atomic(streamed, chunks) == 2
    assert text.read_bytes() == "héllo\n".encode()
    assert raw.read_bytes() == b"\x00\xff"
    assert streamed.read_bytes() == b"one\ntwo\n"
    assert {mode_of(path) for path in (text, raw, streamed)} == {FILE_MODE} == {0o600}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin", "c.bin"]


@pytest.mark.usefixtures("permissive_umask")
def test_replacing_a_world_readable_file_leaves_it_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o644)
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert mode_of(target) == 0o600


def test_file_synced_before_the_rename_and_directory_after(
    tmp_path: Path, disk_log: list[tuple[str, str]]
) -> None:
    target = tmp_path / "out" / "report.json"
    write_atomic(target, "{}")
    kinds = [kind for kind, _ in disk_log]
    assert kinds == ["fsync", "replace", "fsync"]
    synced_file, renamed, synced_directory = (path for _, path in disk_log)
    assert Path(synced_file).parent == target.parent  # the temporary file, next to the target
    assert Path(synced_file).name.startswith(".report.json.")
    assert renamed == str(target)
    assert synced_directory == str(target.parent)


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "corpus.jsonl"
    target.write_text("old contents")

    def broken(out: IO[bytes]) -> None:
        out.write(b"half")
        raise RuntimeError("source went away")

    with pytest.raises(RuntimeError, match="source went away"):
        write_atomic(target, broken)
    assert target.read_text() == "old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["corpus.jsonl"]


def test_an_os_error_while_writing_is_a_config_error(tmp_path: Path) -> None:
    def disk_full(out: IO[bytes]) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(ConfigError, match=r"^cannot write corpus .*x\.jsonl: No space left"):
        write_atomic(tmp_path / "x.jsonl", disk_full, what="corpus")
    assert list(tmp_path.iterdir()) == []


def test_parents_are_created_unless_told_not_to(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a" / "b" / "r.json", "{}")
    assert (tmp_path / "a" / "b" / "r.json").read_text() == "{}"
    with pytest.raises(ConfigError, match=r"cannot write corpus .*: No such file or directory"):
        write_atomic(tmp_path / "missing" / "c.jsonl", b"", what="corpus", create_parents=False)
    assert not (tmp_path / "missing").exists()


def test_unwritable_location_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match=r"^cannot write .*file/r\.json: "):
        write_atomic(blocker / "r.json", "{}")


@pytest.mark.usefixtures("permissive_umask")
def test_atomic_writer_streams_text_and_discards(tmp_path: Path) -> None:
    kept, dropped = tmp_path / "events.jsonl", tmp_path / "dropped.jsonl"
    writer = AtomicWriter(kept, text=True)
    writer.stream.write('{"id": "1-0"}\n')
    assert not kept.exists()  # nothing under the name until commit
    writer.commit()
    writer.commit()  # idempotent
    assert kept.read_text() == '{"id": "1-0"}\n'
    assert mode_of(kept) == 0o600
    other = AtomicWriter(dropped, text=True)
    other.stream.write("partial")
    other.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.jsonl"]

    def failing_block() -> None:
        with AtomicWriter(dropped) as failing:
            failing.stream.write(b"x")
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        failing_block()
    assert not dropped.exists()
