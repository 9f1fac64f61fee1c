"""Corpus files: exact byte round trips and clear errors for broken files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import msgspec
import pytest

from cdccheck.errors import ConfigError, SourceError
from cdccheck.model import Entry
from cdccheck.sources.corpus import read_corpus, write_corpus

TRICKY_VALUES = {
    "invalid_utf8": b'{"body": "caf\xe9"}',
    "lone_continuation": b"\x80",
    "nan": b'{"toxicity": NaN}',
    "replacement_char": '{"body": "caf\ufffd"}'.encode(),
    "surrogate_escape": b'{"body": "\\ud800"}',
    "encoded_surrogate": b"\xed\xa0\x80",
    "empty": b"",
    "msgpack_bin": msgspec.msgpack.encode({"body": b"\x00\xff"}),
    "newlines_and_quotes": b'line1\nline2\r\n"quoted"\\',
    "nul_and_controls": b"\x00\x01\x1f\x7f",
    "line_separator": "a\u2028b\u2029c".encode(),
    "bom": b"\xef\xbb\xbf{}",
    "emoji": "🔥".encode(),
}


def _entries() -> list[Entry]:
    return [
        Entry(f"1769603696{index:03d}-0", {"payload": value, "writer": b"go-comments"})
        for index, value in enumerate(TRICKY_VALUES.values())
    ] + [Entry("1769603697000-1", {})]


def _read_all(path: Path, batch_size: int = 1000) -> list[Entry]:
    return [entry for batch in read_corpus(path, batch_size=batch_size) for entry in batch]


def test_round_trip_is_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    entries = _entries()
    assert write_corpus(path, entries) == len(entries)
    assert _read_all(path) == entries
    for entry in _read_all(path):
        assert all(type(value) is bytes for value in entry.fields.values())


def test_values_are_strings_when_utf8_else_base64(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    write_corpus(path, _entries())
    lines = [json.loads(line) for line in path.read_text("utf-8").split("\n") if line]
    by_value = dict(zip(TRICKY_VALUES, (line["fields"]["payload"] for line in lines), strict=False))
    assert by_value["replacement_char"] == '{"body": "caf\ufffd"}'
    assert by_value["surrogate_escape"] == '{"body": "\\ud800"}'
    assert by_value["empty"] == ""
    assert set(by_value["invalid_utf8"]) == {"b64"}
    assert set(by_value["encoded_surrogate"]) == {"b64"}
    assert set(by_value["msgpack_bin"]) == {"b64"}


def test_batches_keep_order(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    entries = [Entry(f"{index}-0", {"payload": b"{}"}) for index in range(25)]
    write_corpus(path, entries)
    batches = list(read_corpus(path, batch_size=10))
    assert [len(batch) for batch in batches] == [10, 10, 5]
    assert [entry for batch in batches for entry in batch] == entries


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(b'\n{"id": "1-0", "fields": {"payload": "{}"}}\n\n  \n')
    assert _read_all(path) == [Entry("1-0", {"payload": b"{}"})]


def test_write_is_atomic_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    write_corpus(path, [Entry("1-0", {"payload": b"old"})])

    def failing() -> object:
        yield Entry("2-0", {"payload": b"new"})
        raise RuntimeError("source went away")

    with pytest.raises(RuntimeError):
        write_corpus(path, failing())  # type: ignore[arg-type]
    assert _read_all(path) == [Entry("1-0", {"payload": b"old"})]
    assert os.listdir(tmp_path) == ["corpus.jsonl"]


def test_unwritable_location_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot write corpus"):
        write_corpus(tmp_path / "missing-dir" / "corpus.jsonl", [])


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"missing\.jsonl: no such file"):
        read_corpus(tmp_path / "missing.jsonl")


def test_directory_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a directory"):
        read_corpus(tmp_path)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b'{"id": "2-0", "fields": {"payload": "{}"}', "invalid JSON at column 42"),
        (b"not json at all", "invalid JSON at column 1"),
        (b'{"id": "2-0", "fields": {}} {}', "invalid JSON at column 29: Extra data"),
        (b'{"id": 2, "fields": {}}', r"Expected `str`, got `int` - at `\$.id`"),
        (b'{"id": "2-0"}', "missing required field `fields`"),
        (b'{"id": "2-0", "fields": {"payload": 5}}', r"at `\$.fields\[...\]`"),
        (b'{"id": "2-0", "fields": {"payload": {"hex": "00"}}}', "unknown field `hex`"),
        (b'{"id": "2-0", "fields": {"payload": {"b64": "!!"}}}', "invalid base64"),
        (b'{"id": "2-0", "fields": {"payload": "\\ud800"}}', "surrogate"),
        (b'{"id": "2-0", "fields": {}, "extra": 1}', "unknown field `extra`"),
    ],
)
def test_corrupt_line_names_file_and_line(tmp_path: Path, line: bytes, problem: str) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_bytes(b'{"id": "1-0", "fields": {"payload": "{}"}}\n' + line + b"\n")
    batches = read_corpus(path, batch_size=1)
    assert next(batches) == [Entry("1-0", {"payload": b"{}"})]
    with pytest.raises(SourceError, match=r"corpus\.jsonl:2: not a corpus entry: ") as caught:
        next(batches)
    assert caught.match(problem)
