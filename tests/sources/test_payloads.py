"""Bare payload files and golden directories as entries (issue 11, shift-left inputs)."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import msgspec
import pytest

from cdccheck.errors import SourceError
from cdccheck.model import Entry
from cdccheck.sources.payloads import PayloadFiles, is_msgpack_name, object_end


def entries(source: PayloadFiles) -> list[Entry]:
    return [entry for batch in source.batches() for entry in batch]


def test_a_json_lines_file_gives_one_entry_per_line_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "payloads.jsonl"
    path.write_bytes(b'{"a": 1}\n\n{"b": "caf\xe9"}\r\n   \n{"c": NaN}')
    source = PayloadFiles([path], batch_size=2)
    got = entries(source)
    # Ids count lines (blank ones too), so an id names its line.
    assert got == [
        Entry("0-1", {"payload": b'{"a": 1}'}),
        Entry("0-3", {"payload": b'{"b": "caf\xe9"}'}),
        Entry("0-5", {"payload": b'{"c": NaN}'}),
    ]
    assert source.origin("0-3") == f"{path}:3"
    assert source.origin("0-9") is None
    assert source.origin("1769-3") is None
    assert source.spans() == [{"file": str(path), "first_id": "0-1", "last_id": "0-5"}]


def test_a_golden_directory_gives_one_entry_per_file(tmp_path: Path) -> None:
    golden = tmp_path / "testdata"
    (golden / "update").mkdir(parents=True)
    (golden / ".git").mkdir()
    (golden / "create.golden").write_bytes(b'{"op": "create"}\n')  # the newline is kept
    (golden / "update" / "score.golden").write_bytes(b'{"op": "update"}')
    (golden / "delete.msgpack").write_bytes(msgspec.msgpack.encode({"op": "delete"}))
    (golden / ".hidden.golden").write_bytes(b"no")
    (golden / ".git" / "HEAD").write_bytes(b"no")
    lines = tmp_path / "more.jsonl"
    lines.write_bytes(b"{}\n{}\n")
    source = PayloadFiles([golden, lines], payload_field="data")
    got = entries(source)
    assert got == [
        Entry("0-1", {"data": b'{"op": "create"}\n'}),
        Entry("0-2", {"data": msgspec.msgpack.encode({"op": "delete"}), "encoding": b"msgpack"}),
        Entry("0-3", {"data": b'{"op": "update"}'}),
        Entry("0-4", {"data": b"{}"}),
        Entry("0-5", {"data": b"{}"}),
    ]
    assert source.origin("0-2") == str(golden / "delete.msgpack")
    assert source.origin("0-3") == str(golden / "update" / "score.golden")
    assert source.origin("0-5") == f"{lines}:2"
    # The debezium layout wants one field: no encoding field then.
    bare = PayloadFiles([golden / "delete.msgpack"], encoding_field=None)
    assert entries(bare) == [Entry("0-1", {"payload": msgspec.msgpack.encode({"op": "delete"})})]


def test_compressed_payload_files(tmp_path: Path) -> None:
    path = tmp_path / "payloads.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n{"a": 2}\n'))
    assert [e.fields["payload"] for e in entries(PayloadFiles([path]))] == [
        b'{"a": 1}',
        b'{"a": 2}',
    ]
    zst = tmp_path / "p.msgpack.zst"
    import zstandard

    zst.write_bytes(zstandard.ZstdCompressor().compress(msgspec.msgpack.encode([1, 2])))
    assert is_msgpack_name(zst)
    assert entries(PayloadFiles([zst])) == [
        Entry("0-1", {"payload": msgspec.msgpack.encode([1, 2]), "encoding": b"msgpack"})
    ]


VALUES = [
    {"op": "create", "comment": {"id": 7, "body": "héllo", "score": -3}},
    [None, True, False, 1.5, -(2**63), 2**64 - 1, "x" * 40, "y" * 300, "z" * 70_000],
    {"bin": b"\x00" * 300, "f": math.pi, "deep": [[[[{}]]]], "many": list(range(20))},
    {str(i): i for i in range(20)},
    msgspec.msgpack.Ext(5, b"abcd"),
    msgspec.msgpack.Ext(-1, b"x" * 12),
    msgspec.msgpack.Ext(3, b"y" * 300),
    -1,
    "",
]


def test_a_msgpack_file_splits_where_each_object_ends(tmp_path: Path) -> None:
    encoded = [msgspec.msgpack.encode(value) for value in VALUES]
    path = tmp_path / "events.msgpack"
    truncated = msgspec.msgpack.encode({"cut": "short string"})[:-3]
    path.write_bytes(b"".join(encoded) + truncated)
    got = [entry.fields["payload"] for entry in entries(PayloadFiles([path]))]
    assert got == [*encoded, truncated]  # the cut-short tail is one more (undecodable) payload
    for blob in encoded:
        assert object_end(blob, 0) == len(blob)
        assert object_end(blob[:-1], 0) is None


def test_object_end_reads_framing_only() -> None:
    # A NaN float and an invalid-UTF-8 string are still framed; 0xc1 is one byte.
    nan = b"\xcb" + msgspec.msgpack.encode(float("nan"))[1:]
    assert object_end(nan + b"\x01", 0) == 9
    assert object_end(b"\xa2\xff\xfe\x01", 0) == 3
    assert object_end(b"\xc1\x01", 0) == 1
    assert object_end(b"\xdd\xff\xff\xff\xff", 0) is None  # a huge array, nothing in it


def test_missing_and_unreadable_paths_are_source_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"cannot read payloads .*nope: no such file"):
        PayloadFiles([tmp_path / "nope"])
    damaged = tmp_path / "p.jsonl.gz"
    damaged.write_bytes(gzip.compress(b'{"a": 1}\n' * 1000)[:-20])
    with pytest.raises(SourceError, match="damaged compressed data"):
        entries(PayloadFiles([damaged]))
