"""Where the sides of a compare come from: streams, corpus files, or one shared stream split.

``CompareSources`` holds the source options of ``cdccheck compare`` as given;
``check()`` refuses impossible combinations before anything is opened (a
usage error, exit 2), and ``opened_sides`` builds every Redis range (bounds
checked) before opening any of them (Redis contacted), so a bad bound never
costs a connection (docs/compare.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdccheck.errors import ConfigError

if TYPE_CHECKING:
    from cdccheck.compare.events import Tick
    from cdccheck.model import Entry
    from cdccheck.sources.redis_range import RedisRange


@dataclass
class Side:
    """One side of a compare: its entries and how the report describes where they came from."""

    entries: Iterable[Entry | Tick]
    source: dict[str, Any]


def file_side(path: Path) -> Side:
    """A corpus file as a side (SourceError, exit 3, when it cannot be read)."""
    from cdccheck.compare.run import entries_of
    from cdccheck.sources.corpus import read_corpus

    return Side(entries_of(read_corpus(path)), {"kind": "file", "files": [str(path)]})


def stream_side(source: RedisRange) -> Side:
    """An opened RedisRange as a side."""
    from cdccheck.report.run import range_source

    return Side(source, range_source(source))


def split_sides(
    source: RedisRange, split: tuple[str, str, str]
) -> tuple[Side, Side, dict[str, int]]:
    """The two sides of one shared stream by ``(field, primary value, candidate value)``."""
    from cdccheck.compare.run import split_entries

    field, primary_value, candidate_value = split
    primary, candidate, counts = split_entries(source, field, primary_value, candidate_value)
    base = stream_side(source).source
    return (
        Side(primary, {**base, "split": f"{field}={primary_value}"}),
        Side(candidate, {**base, "split": f"{field}={candidate_value}"}),
        counts,
    )


@dataclass(frozen=True)
class SideOptions:
    """The stream options of one side, before anything is opened."""

    stream: str | None
    url: str | None
    file: Path | None
    name: str

    def check(self, *, required: bool) -> None:
        """One source at most (exactly one when ``required``); ConfigError otherwise."""
        flag = f"--{self.name}"
        if self.url is not None and self.stream is None:
            raise ConfigError(f"{flag}-redis-url needs {flag}-stream KEY")
        if self.stream is not None and self.file is not None:
            raise ConfigError(f"give {flag}-stream KEY or {flag} FILE, not both")
        if required and self.stream is None and self.file is None:
            raise ConfigError(
                f"compare needs a {self.name}: {flag}-stream KEY or {flag} FILE "
                "(or --stream KEY --split writer=PRIMARY,CANDIDATE for one shared stream)"
            )

    def same_place(self, other: SideOptions, redis_url: str) -> bool:
        """Whether both sides name the same file, or the same stream on the same server."""
        if self.file is not None and other.file is not None:
            return self.file.resolve() == other.file.resolve()
        if self.stream is not None and other.stream is not None:
            return self.stream == other.stream and (self.url or redis_url) == (
                other.url or redis_url
            )
        return False


@dataclass(frozen=True)
class CompareSources:
    """The source options of one compare: each side's, the shared stream, the range."""

    primary: SideOptions
    candidate: SideOptions
    baseline: SideOptions
    redis_url: str
    stream: str | None = None
    """The stream both writers share (``--stream``), read with ``split``."""
    split: str | None = None
    """``--split`` as given (``writer=PRIMARY,CANDIDATE``)."""
    start: str | None = None
    end: str | None = None
    count: int | None = None
    batch_size: int = 1000

    def sides(self) -> dict[str, SideOptions]:
        """Each side's options by name: primary, candidate, baseline."""
        return {"primary": self.primary, "candidate": self.candidate, "baseline": self.baseline}

    def check(self) -> None:
        """Refuse impossible combinations before anything is opened (ConfigError, exit 2)."""
        sides = self.sides()
        if self.split is not None or self.stream is not None:
            if self.stream is None:
                raise ConfigError("--split needs --stream KEY, the stream both writers share")
            if self.split is None:
                raise ConfigError(
                    f"--stream {self.stream} needs --split writer=PRIMARY,CANDIDATE (for two "
                    "streams use --primary-stream and --candidate-stream; is CDCCHECK_STREAM set?)"
                )
            given = [
                flag
                for name in ("primary", "candidate")
                for flag, value in (
                    (f"--{name}-stream", sides[name].stream),
                    (f"--{name}-redis-url", sides[name].url),
                    (f"--{name}", sides[name].file),
                )
                if value is not None
            ]
            if given:
                raise ConfigError(
                    f"--split reads both sides from --stream; drop {', '.join(given)}"
                )
        else:
            self.primary.check(required=True)
            self.candidate.check(required=True)
            if self.primary.same_place(self.candidate, self.redis_url):
                raise ConfigError(
                    "the primary and the candidate are the same source; for one stream both "
                    "writers share use --stream KEY --split writer=PRIMARY,CANDIDATE"
                )
        self.baseline.check(required=False)
        streams_given = self.stream is not None or any(side.stream for side in sides.values())
        if not streams_given and (
            self.start is not None or self.end is not None or self.count is not None
        ):
            raise ConfigError(
                "--start, --end and --count select a range of a stream; with corpus files "
                "cut the range when exporting (cdccheck export --start ... --end ...)"
            )


@dataclass
class OpenedSides:
    """The sides of a compare, ready to read; ``split_counts`` with ``--split`` only."""

    primary: Side
    candidate: Side
    baseline: Side | None
    split_counts: dict[str, int] | None


@contextmanager
def opened_sides(
    sources: CompareSources, split_by: tuple[str, str, str] | None
) -> Iterator[OpenedSides]:
    """Open every side of ``sources``; the Redis ranges are closed on exit.

    ``split_by`` is ``sources.split`` parsed (``parse_split``), or None.
    Every range is built (bounds checked) before any is opened.
    """
    from cdccheck.sources.redis_range import RedisRange

    with ExitStack() as stack:

        def ranged(stream_key: str, url: str | None) -> RedisRange:
            return stack.enter_context(
                RedisRange(
                    url or sources.redis_url,
                    stream_key,
                    start=sources.start,
                    end=sources.end,
                    count=sources.count,
                    batch_size=sources.batch_size,
                )
            )

        sides = sources.sides()
        ranges: dict[str, RedisRange] = {}
        if sources.stream is not None:
            ranges["shared"] = ranged(sources.stream, None)
        for name, side in sides.items():
            if side.stream is not None:
                ranges[name] = ranged(side.stream, side.url)
        resolved: dict[str, Side] = {}
        for name, side in sides.items():
            if side.file is not None:
                resolved[name] = file_side(side.file)
        for source in ranges.values():
            source.open()
        for name, source in ranges.items():
            if name != "shared":
                resolved[name] = stream_side(source)
        counts: dict[str, int] | None = None
        if split_by is not None:
            resolved["primary"], resolved["candidate"], counts = split_sides(
                ranges["shared"], split_by
            )
        yield OpenedSides(
            resolved["primary"], resolved["candidate"], resolved.get("baseline"), counts
        )
