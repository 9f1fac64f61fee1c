"""Entities and races: did both writers end up saying the same thing about each entity?

Per ``--entity`` value (e.g. a comment id), docs/compare.md defines:

* ``converged``: the LAST event of the entity on each side, paired or not,
  compare equal under the same rules and ignores; otherwise ``diverged``
  (also when one side has no event of the entity at all);
* ``transient``: converged, but at least one of its pairs differed along
  the way (a race or a reordering that healed);
* ``reordered``: its paired events appear in a different order on the two
  sides (pair i before pair j on one side, after it on the other).

A pair belongs to the entity of its primary event. Entity comparisons add
no warnings.

Memory: an entity keeps its last value of each side only while it is active,
that is until both sides have read more than a window past its last event.
Then it is put to rest: its verdict so far is decided exactly, and it keeps
only that, its flags and the hash of each side's canonical last event
(``Differ.canonical``): about 200 bytes per entity at rest, not a copy of it.
Should an entity at rest get another event, the hash stands for the side
that got none, which is exact except that ``--time-tolerance`` cannot apply
to a hash.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from cdccheck.compare.diff import Differ
from cdccheck.compare.events import Event
from cdccheck.compare.pairing import NEVER
from cdccheck.compare.summary import EntityCounts

REORDER_MEMORY = 64
"""Pairs of one active entity kept to detect reordering (the most recent ones)."""

_GONE = object()
"""The value of a side not held: never seen, or put to rest (then its hash stands for it)."""
_NEVER_SEEN = -1
_AT_REST = -2
"""Side position of a side whose last event was put to rest."""

_CONVERGED, _DIFFERED, _REORDERED, _HAS_PRIMARY, _HAS_CANDIDATE = 1, 2, 4, 8, 16

_Rest = tuple[int, "int | None", "int | None"]
"""An entity at rest: (flags, hash of the primary's last event, of the candidate's)."""


class _Entity:
    """An active entity: its last events are still held."""

    __slots__ = (
        "differed",
        "hashes",
        "last_pair",
        "last_pair_equal",
        "last_time",
        "pairs",
        "reordered",
        "seqs",
        "values",
    )

    def __init__(self, rest: _Rest | None = None) -> None:
        self.seqs = [_NEVER_SEEN, _NEVER_SEEN]
        """Side position of the last event of each side."""
        self.values: list[Any] = [_GONE, _GONE]
        self.hashes: list[int | None] = [None, None]
        self.last_time = 0
        self.last_pair: tuple[int, int] | None = None
        self.last_pair_equal = False
        self.differed = False
        self.reordered = False
        self.pairs: list[tuple[int, int]] = []
        if rest is not None:
            flags, primary_hash, candidate_hash = rest
            self.differed = bool(flags & _DIFFERED)
            self.reordered = bool(flags & _REORDERED)
            self.hashes = [primary_hash, candidate_hash]
            self.seqs = [
                _AT_REST if flags & _HAS_PRIMARY else _NEVER_SEEN,
                _AT_REST if flags & _HAS_CANDIDATE else _NEVER_SEEN,
            ]


class EntityTracker:
    """Follows every entity of the primary (side 0) and the candidate (side 1)."""

    def __init__(self, differ: Differ, window_ms: int) -> None:
        self.differ = differ
        self.window_ms = window_ms
        self._entities: dict[Any, _Entity | _Rest] = {}
        self._activity: deque[tuple[int, Any]] = deque()

    def __len__(self) -> int:
        return len(self._entities)

    def active(self) -> int:
        """Entities still holding values (bounded by the window; for memory tests)."""
        return sum(1 for state in self._entities.values() if type(state) is _Entity)

    def _active(self, entity: Any) -> _Entity:
        state = self._entities.get(entity)
        if type(state) is _Entity:
            return state
        woken = self._entities[entity] = _Entity(state)  # type: ignore[arg-type]
        return woken

    def read(self, side: int, event: Event) -> None:
        """An event of ``side`` (keyed or not) was read."""
        entity = event.entity
        if entity is None:
            return
        state = self._active(entity)
        state.seqs[side] = event.seq
        state.values[side] = event.value
        state.hashes[side] = None
        state.last_time = event.time
        self._activity.append((event.time, entity))

    def pair(self, primary: Event, candidate: Event, equal: bool) -> None:
        """A pair was formed (after both its events were read)."""
        entity = primary.entity
        if entity is None:
            return
        state = self._active(entity)
        if not equal:
            state.differed = True
            if candidate.entity is not None and candidate.entity != entity:
                self._active(candidate.entity).differed = True
        p, c = primary.seq, candidate.seq
        pairs = state.pairs
        if not state.reordered:
            for earlier_p, earlier_c in pairs:
                if (earlier_p < p) != (earlier_c < c):
                    state.reordered = True
                    break
        pairs.append((p, c))
        if len(pairs) > REORDER_MEMORY:
            del pairs[0]
        state.last_pair = (p, c)
        state.last_pair_equal = equal

    def progress(self, head_times: Sequence[int]) -> None:
        """Both sides' heads moved: put to rest the entities neither side can touch soon."""
        earliest = min(head_times[0], head_times[1])
        if earliest >= NEVER:
            return  # both ranges ended: finish() compares the values still held
        horizon = earliest - self.window_ms
        activity = self._activity
        entities = self._entities
        while activity and activity[0][0] < horizon:
            time, entity = activity.popleft()
            state = entities[entity]
            if type(state) is _Entity and state.last_time == time:
                entities[entity] = self._rest(state)

    def _rest(self, state: _Entity) -> _Rest:
        converged = self._converged(state)
        flags = (
            (_CONVERGED if converged else 0)
            | (_DIFFERED if state.differed else 0)
            | (_REORDERED if state.reordered else 0)
            | (_HAS_PRIMARY if state.seqs[0] != _NEVER_SEEN else 0)
            | (_HAS_CANDIDATE if state.seqs[1] != _NEVER_SEEN else 0)
        )
        if converged:
            # Equal under the rules: one canonical form stands for both sides.
            shared = self._hash(state, 0)
            return flags, shared, shared
        return flags, self._hash(state, 0), self._hash(state, 1)

    def _hash(self, state: _Entity, side: int) -> int | None:
        value = state.values[side]
        if value is _GONE:
            return state.hashes[side]
        return hash(self.differ.canonical(value))

    def finish(self) -> EntityCounts:
        """The verdict over every entity seen."""
        counts = EntityCounts()
        for state in self._entities.values():
            if type(state) is _Entity:
                converged = self._converged(state)
                differed, reordered = state.differed, state.reordered
            else:
                flags = state[0]  # type: ignore[index]
                converged = bool(flags & _CONVERGED)
                differed, reordered = bool(flags & _DIFFERED), bool(flags & _REORDERED)
            counts.total += 1
            if converged:
                counts.converged += 1
                counts.transient += differed
            else:
                counts.diverged += 1
            counts.reordered += reordered
        return counts

    def _converged(self, state: _Entity) -> bool:
        first, second = state.seqs
        if _NEVER_SEEN in (first, second):
            return False
        if first >= 0 and second >= 0 and state.last_pair == (first, second):
            return state.last_pair_equal
        values = state.values
        if values[0] is not _GONE and values[1] is not _GONE:
            return self.differ.equal(values[0], values[1])
        return self._hash(state, 0) == self._hash(state, 1)
