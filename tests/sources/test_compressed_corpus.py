"""gzip and zstd corpora: written by name, read by content, byte-exact (issue 11)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import zstandard

from cdccheck.errors import SourceError
from cdccheck.model import Entry
from cdccheck.sources.corpus import read_corpus, write_corpus
from tests.sources.test_corpus import _entries


def read_all(path: Path) -> list[Entry]:
    return [entry for batch in read_corpus(path, batch_size=7) for entry in batch]


@pytest.mark.parametrize(
    ("name", "decompress"),
    [
        ("c.jsonl.gz", gzip.decompress),
        # A streamed frame does not record its size up front: decompress it as a stream.
        ("c.jsonl.zst", lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data)),
    ],
)
def test_a_compressed_corpus_round_trips_byte_for_byte(
    tmp_path: Path, name: str, decompress: object
) -> None:
    entries = _entries() * 5
    plain, packed = tmp_path / "c.jsonl", tmp_path / name
    assert write_corpus(packed, entries) == len(entries)
    write_corpus(plain, entries)
    assert packed.read_bytes()[:4] != plain.read_bytes()[:4]  # really compressed
    assert decompress(packed.read_bytes()) == plain.read_bytes()  # type: ignore[operator]
    assert read_all(packed) == entries
    for entry in read_all(packed):
        assert all(type(value) is bytes for value in entry.fields.values())


def test_gzip_output_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl.gz", tmp_path / "b" / "a.jsonl.gz"
    second.parent.mkdir()
    write_corpus(first, _entries())
    write_corpus(second, _entries())
    assert first.read_bytes()[:2] == b"\x1f\x8b"
    assert first.read_bytes() == second.read_bytes()  # no time stamp, no file name inside


def test_reading_goes_by_content_not_by_name(tmp_path: Path) -> None:
    plain = tmp_path / "plain.jsonl"
    write_corpus(plain, _entries())
    disguised = tmp_path / "corpus.jsonl"  # zstd data under a plain name
    disguised.write_bytes(zstandard.ZstdCompressor().compress(plain.read_bytes()))
    assert read_all(disguised) == _entries()
    # Several concatenated gzip members read as one file, as gzip(1) does.
    members = tmp_path / "members.gz"
    half = len(plain.read_bytes()) // 2
    cut = plain.read_bytes().index(b"\n", half) + 1
    members.write_bytes(
        gzip.compress(plain.read_bytes()[:cut]) + gzip.compress(plain.read_bytes()[cut:])
    )
    assert read_all(members) == _entries()


@pytest.mark.parametrize("name", ["c.jsonl.gz", "c.jsonl.zst"])
def test_a_damaged_compressed_corpus_is_a_source_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_corpus(path, _entries() * 50)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(SourceError, match=rf"cannot read corpus .*{name} after line \d+: damaged"):
        read_all(path)
