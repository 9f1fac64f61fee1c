"""Cutting a stream range or corpus files into parts for --jobs: every entry exactly once."""

from __future__ import annotations

import bisect
import gzip
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdccheck.demo import seed_stream
from cdccheck.errors import SourceError
from cdccheck.model import Entry
from cdccheck.samples import SAMPLE_CORPUS, mixed_stream
from cdccheck.sources._redis import connect
from cdccheck.sources.corpus import read_corpus, write_corpus
from cdccheck.sources.split import (
    CorpusSpan,
    cut_range,
    plan_corpus,
    plan_range,
    range_parts,
    read_span,
    read_spans,
)

MAX = 2**64 - 1
END = f"{MAX}-{MAX}"


def order(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq)


def probe_over(ids: list[str]) -> Any:
    """The probe ``cut_range`` asks Redis for, answered from a sorted list of ids."""
    keys = [order(i) for i in ids]

    def probe(
        intervals: Sequence[tuple[str, str]], count: int
    ) -> list[tuple[list[str], str | None]]:
        answers: list[tuple[list[str], str | None]] = []
        for low, high in intervals:
            inside = ids[
                bisect.bisect_left(keys, order(low)) : bisect.bisect_right(keys, order(high))
            ]
            answers.append((inside[:count], inside[-1] if inside else None))
        return answers

    return probe


def members(ids: list[str], bounds: list[tuple[str, str]]) -> list[list[str]]:
    return [[i for i in ids if order(low) <= order(i) <= order(high)] for low, high in bounds]


# ---------------------------------------------------------------- stream ranges

stream_ids = st.lists(
    st.tuples(st.integers(0, 3_000), st.integers(0, 4)), min_size=0, max_size=400, unique=True
).map(lambda pairs: [f"{ms}-{seq}" for ms, seq in sorted(pairs)])


@settings(max_examples=300, deadline=None)
@given(ids=stream_ids, parts=st.integers(1, 9))
def test_parts_hold_every_id_exactly_once_in_order(ids: list[str], parts: int) -> None:
    start, end = "0-0", f"{MAX}-{MAX}"
    cuts = cut_range(ids[0], ids[-1], parts, probe_over(ids)) if ids else []
    bounds = range_parts(start, end, cuts)
    assert len(bounds) <= parts
    assert [order(c) for c in cuts] == sorted({order(c) for c in cuts})  # strictly increasing
    found = members(ids, bounds)
    assert [i for part in found for i in part] == ids  # each once, in order
    assert all(found) or len(ids) < 2  # no part is empty when there is something to share
    # Adjacent parts touch: the end of one is the id just before the start of the next.
    for (_, high), (low, _) in itertools.pairwise(bounds):
        ms, seq = order(low)
        assert order(high) == ((ms, seq - 1) if seq else (ms - 1, MAX))


def test_uniform_stream_is_cut_into_equal_parts() -> None:
    ids = [f"{1_700_000_000_000 + i}-0" for i in range(100_000)]
    for parts in (2, 3, 4, 7):
        found = members(
            ids, range_parts("0-0", END, cut_range(ids[0], ids[-1], parts, probe_over(ids)))
        )
        assert len(found) == parts
        assert max(map(len, found)) - min(map(len, found)) <= 100_000 // parts // 20, parts


def test_bursty_stream_is_cut_by_count_not_by_time() -> None:
    """90% of the entries in the last tenth of the time: cuts follow the entries."""
    sparse = [f"{1_700_000_000_000 + 9 * i}-0" for i in range(10_000)]
    dense = [f"{1_700_000_090_000 + i // 9}-{i % 9}" for i in range(90_000)]
    ids = sparse + dense
    found = members(ids, range_parts("0-0", END, cut_range(ids[0], ids[-1], 2, probe_over(ids))))
    assert [len(part) for part in found] == pytest.approx([50_000, 50_000], rel=0.1)


def test_one_millisecond_is_cut_inside_it() -> None:
    ids = [f"1700000000000-{seq}" for seq in range(1_000)]
    cuts = cut_range(ids[0], ids[-1], 4, probe_over(ids))
    assert len(cuts) == 3
    assert all(c.startswith("1700000000000-") for c in cuts)
    found = members(ids, range_parts("0-0", END, cuts))
    assert [i for part in found for i in part] == ids
    assert [len(part) for part in found] == pytest.approx([250] * 4, abs=70)


def test_plan_range_on_redis_splits_inside_a_millisecond(redis_client: Any, redis_url: str) -> None:
    """Real XRANGE probes; a burst of ids in one millisecond straddles a cut."""
    burst = [Entry(f"1769601600500-{seq}", {"payload": b"{}"}) for seq in range(600)]
    before = [Entry(f"{1769601600000 + i}-0", {"payload": b"{}"}) for i in range(200)]
    after = [Entry(f"{1769601600600 + i}-0", {"payload": b"{}"}) for i in range(200)]
    entries = before + burst + after
    seed_stream(redis_client, "s", entries)
    client = connect(redis_url)
    ids = [entry.id for entry in entries]
    for parts in (2, 3, 5):
        bounds = plan_range(client, "s", "0-0", ids[-1], parts)
        assert (bounds[0][0], bounds[-1][1]) == ("0-0", ids[-1])
        read = [[e.id for e in client.execute_command("XRANGE", "s", lo, hi)] for lo, hi in bounds]
        assert [i for part in read for i in part] == ids
        assert len(bounds) == parts
        straddled = [
            lo for lo, _ in bounds[1:] if lo.startswith("1769601600500-") and lo != ids[200]
        ]
        assert straddled, bounds  # some cut falls inside the burst's millisecond
    assert plan_range(client, "s", "0-0", ids[-1], 1) == [("0-0", ids[-1])]
    assert plan_range(client, "s", ids[3], ids[3], 4) == [(ids[3], ids[3])]  # one entry
    assert plan_range(client, "s", "1-0", "2-0", 4) == [("1-0", "2-0")]  # none
    client.close()


# ---------------------------------------------------------------- corpus files


def ids_of(batches: Any) -> list[str]:
    return [entry.id for batch in batches for entry in batch]


@pytest.fixture
def corpora(tmp_path: Path) -> list[Path]:
    """Three corpus files of unequal size, one empty, with blank lines and no final newline."""
    entries = list(mixed_stream(3_000))
    paths = []
    for name, chunk in (
        ("a", entries[:100]),
        ("b", entries[100:2_500]),
        ("c", []),
        ("d", entries[2_500:]),
    ):
        path = tmp_path / f"{name}.jsonl"
        write_corpus(path, chunk)
        paths.append(path)
    text = paths[1].read_bytes()
    cut = text.index(b"\n", 5_000) + 1
    paths[1].write_bytes(text[:cut] + b"\n  \n" + text[cut:].rstrip(b"\n"))
    return paths


@pytest.mark.parametrize("parts", [1, 2, 3, 4, 7, 50])
def test_corpus_parts_read_every_line_once_in_order(corpora: list[Path], parts: int) -> None:
    whole = ids_of(b for path in corpora for b in read_corpus(path))
    planned = plan_corpus(corpora, parts)
    assert 1 <= len(planned) <= parts
    assert ids_of(b for spans in planned for b in read_spans(spans, batch_size=7)) == whole


def test_one_big_file_is_cut_at_line_starts(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    write_corpus(path, mixed_stream(5_000))
    planned = plan_corpus([path], 4)
    assert len(planned) == 4
    data = path.read_bytes()
    for spans in planned:
        (span,) = spans
        assert span.start == 0 or data[span.start - 1 : span.start] == b"\n"
        assert span.stop is None or data[span.stop - 1 : span.stop] == b"\n"
    counts = [sum(len(b) for b in read_spans(spans)) for spans in planned]
    assert sum(counts) == 5_000
    assert max(counts) - min(counts) < 200


def test_compressed_and_missing_files_are_never_cut(tmp_path: Path) -> None:
    packed = tmp_path / "events.jsonl"  # gzip content, plain name: found by its magic bytes
    packed.write_bytes(gzip.compress(SAMPLE_CORPUS.read_bytes()))
    missing = tmp_path / "missing.jsonl"
    planned = plan_corpus([packed, missing], 4)
    spans = [span for part in planned for span in part]
    assert spans == [CorpusSpan(str(packed)), CorpusSpan(str(missing))]


def test_a_bad_line_in_a_span_names_its_line_in_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    write_corpus(path, mixed_stream(400))
    lines = path.read_bytes().splitlines(keepends=True)
    lines[300] = b'{"id": "1-0"}\n'
    path.write_bytes(b"".join(lines))
    with pytest.raises(SourceError) as whole:
        ids_of(read_corpus(path))
    assert ":301: " in whole.value.message
    offset = sum(len(line) for line in lines[:250])
    with pytest.raises(SourceError) as part:
        ids_of(read_span(CorpusSpan(str(path), offset, None)))
    assert part.value.message == whole.value.message
    # The span before it stops at its end and never sees the bad line.
    assert len(ids_of(read_span(CorpusSpan(str(path), 0, offset)))) == 250
