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
Then the values are replaced by their canonical form's hash
(``Differ.canonical``), so a long range costs a few hundred bytes per entity,
not a copy of every entity. When the last events were partners, the pair's
own result decides, exactly. Otherwise two remembered hashes decide, which
is exact except that ``--time-tolerance`` cannot apply to them.
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
"""An entity's value once it was replaced by its hash."""


class _Entity:
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

    def __init__(self) -> None:
        self.seqs = [-1, -1]
        """Side position of the last event of each side (-1: none yet)."""
        self.values: list[Any] = [_GONE, _GONE]
        self.hashes: list[int | None] = [None, None]
        self.last_time = 0
        self.last_pair: tuple[int, int] | None = None
        self.last_pair_equal = False
        self.differed = False
        self.reordered = False
        self.pairs: list[tuple[int, int]] | None = None


class EntityTracker:
    """Follows every entity of the primary (side 0) and the candidate (side 1)."""

    def __init__(self, differ: Differ, window_ms: int) -> None:
        self.differ = differ
        self.window_ms = window_ms
        self._entities: dict[Any, _Entity] = {}
        self._activity: deque[tuple[int, Any]] = deque()

    def __len__(self) -> int:
        return len(self._entities)

    def active(self) -> int:
        """Entities still holding values (bounded by the window; for memory tests)."""
        return sum(1 for state in self._entities.values() if state.pairs is not None)

    def read(self, side: int, event: Event) -> None:
        """An event of ``side`` (keyed or not) was read."""
        entity = event.entity
        if entity is None:
            return
        state = self._entities.get(entity)
        if state is None:
            state = self._entities[entity] = _Entity()
        state.seqs[side] = event.seq
        state.values[side] = event.value
        state.hashes[side] = None
        state.last_time = event.time
        if state.pairs is None:
            state.pairs = []
        self._activity.append((event.time, entity))

    def pair(self, primary: Event, candidate: Event, equal: bool) -> None:
        """A pair was formed (after both its events were read)."""
        entity = primary.entity
        if entity is None:
            return
        state = self._entities[entity]
        if not equal:
            state.differed = True
            if candidate.entity is not None and candidate.entity != entity:
                self._entities[candidate.entity].differed = True
        p, c = primary.seq, candidate.seq
        pairs = state.pairs
        if pairs is None:
            pairs = state.pairs = []
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
        """Both sides' heads moved: put away the entities neither side can touch again soon."""
        earliest = min(head_times[0], head_times[1])
        if earliest >= NEVER:
            return  # both ranges ended: finish() compares the values still held, exactly
        horizon = earliest - self.window_ms
        activity = self._activity
        entities = self._entities
        while activity and activity[0][0] < horizon:
            time, entity = activity.popleft()
            state = entities[entity]
            if state.last_time == time and state.pairs is not None:
                self._put_away(state)

    def _put_away(self, state: _Entity) -> None:
        values = state.values
        if (
            state.last_pair == (state.seqs[0], state.seqs[1])
            and state.last_pair_equal
            and values[0] is not _GONE
        ):
            # Equal under the rules: one canonical form stands for both.
            state.hashes[0] = state.hashes[1] = hash(self.differ.canonical(values[0]))
        else:
            for side in (0, 1):
                if values[side] is not _GONE:
                    state.hashes[side] = hash(self.differ.canonical(values[side]))
        values[0] = values[1] = _GONE
        state.pairs = None

    def finish(self) -> EntityCounts:
        """The verdict over every entity seen."""
        counts = EntityCounts()
        for state in self._entities.values():
            counts.total += 1
            converged = self._converged(state)
            if converged:
                counts.converged += 1
                if state.differed:
                    counts.transient += 1
            else:
                counts.diverged += 1
            if state.reordered:
                counts.reordered += 1
        return counts

    def _converged(self, state: _Entity) -> bool:
        first, second = state.seqs
        if first < 0 or second < 0:
            return False
        if state.last_pair == (first, second):
            return state.last_pair_equal
        values = state.values
        if values[0] is not _GONE and values[1] is not _GONE:
            return self.differ.equal(values[0], values[1])
        hashes = [
            state.hashes[side]
            if values[side] is _GONE
            else hash(self.differ.canonical(values[side]))
            for side in (0, 1)
        ]
        return hashes[0] == hashes[1]
