"""Pairing the events of two sources: first in, first out per key, within a window.

The rules (docs/compare.md, "Pairing"):

* Within each source, events with the same key pair in order of appearance:
  the n-th event of a key on one side with the n-th on the other.
* Both sources are read together in stream-id time order (milliseconds of the
  id; on a tie the primary first).
* An event waiting for its partner expires, as ``missing_in_candidate`` or
  ``extra_in_candidate``, once the other side has read an event more than
  ``window_ms`` later than it, or has reached the end of its range.

Memory is bounded by the window, not by the range: each side keeps only the
events still waiting, and an event can only wait while the other side is
within the window of it. The reader of a side is always one event ahead (its
"head"); the time of that head is what "the other side has read" means. That
is exact: until the head is consumed nothing else can arrive from that side,
and when it is, everything more than a window older has to expire first.

A waiting event sits in two places: the queue of its key (for pairing) and
its side's queue in time order (for expiry). Both hold the same one-element
list; pairing empties it, and expiry skips empty slots.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from cdccheck.compare.events import Event, Tick, Unreadable

NEVER = 1 << 62
"""The head time of a side that has reached the end of its range."""

PairCallback = Callable[[Event, Event], None]
"""(event of side 0, event of side 1)."""
UnpairedCallback = Callable[[Event, int], None]
"""(event, its side: 0 or 1)."""

_Slot = list[Any]


class Pairing:
    """Pairs the events of two sides (0 and 1) by key, first in first out, within a window."""

    def __init__(
        self, window_ms: int, on_pair: PairCallback, on_unpaired: UnpairedCallback
    ) -> None:
        if window_ms < 0:
            raise ValueError("window_ms cannot be negative")
        self.window_ms = window_ms
        self.on_pair = on_pair
        self.on_unpaired = on_unpaired
        self._waiting: tuple[dict[Any, deque[_Slot]], dict[Any, deque[_Slot]]] = ({}, {})
        self._queues: tuple[deque[_Slot], deque[_Slot]] = (deque(), deque())
        self.heads = [0, 0]
        """Time of each side's next event; NEVER once it has no more."""

    def waiting(self) -> int:
        """How many events wait for a partner (for tests and memory checks)."""
        return sum(len(queue) for side in self._waiting for queue in side.values())

    def offer(self, side: int, event: Event) -> None:
        """``event`` of ``side`` was read: pair it with the oldest waiting partner, or wait."""
        other = 1 - side
        key = event.key
        partners = self._waiting[other].get(key)
        if partners:
            slot = partners.popleft()
            if not partners:
                del self._waiting[other][key]
            partner = slot[0]
            slot[0] = None
            if side == 0:
                self.on_pair(event, partner)
            else:
                self.on_pair(partner, event)
            return
        if self.heads[other] - event.time > self.window_ms:
            # The other side is already past the window: no partner can come.
            self.on_unpaired(event, side)
            return
        slot = [event]
        own = self._waiting[side]
        queue = own.get(key)
        if queue is None:
            own[key] = deque((slot,))
        else:
            queue.append(slot)
        self._queues[side].append(slot)

    def advance(self, side: int, head_time: int) -> None:
        """``side``'s next event is at ``head_time``: expire the other side's events it outran."""
        self.heads[side] = head_time
        other = 1 - side
        queue = self._queues[other]
        if not queue:
            return
        horizon = head_time - self.window_ms
        waiting = self._waiting[other]
        while queue:
            slot = queue[0]
            event = slot[0]
            if event is None:
                queue.popleft()
                continue
            if event.time >= horizon:
                return
            queue.popleft()
            slot[0] = None
            # The oldest waiting event of the side is the oldest of its key.
            same_key = waiting[event.key]
            same_key.popleft()
            if not same_key:
                del waiting[event.key]
            self.on_unpaired(event, other)

    def finish(self) -> None:
        """Both ranges ended: whatever still waits is unpaired."""
        self.advance(0, NEVER)
        self.advance(1, NEVER)


Route = tuple[Pairing, int]
"""A pairing a source feeds, and the side it is there."""
ReadCallback = Callable[[int, Event], None]
UnreadableCallback = Callable[[int, Event | Unreadable], None]
ProgressCallback = Callable[[Sequence[int]], None]


def _next_keyed(
    items: Iterator[Event | Unreadable | Tick], index: int, on_unreadable: UnreadableCallback
) -> Event | Tick | None:
    for item in items:
        kind = type(item)
        if kind is Event or kind is Tick:
            return item  # type: ignore[return-value]
        on_unreadable(index, item)  # type: ignore[arg-type]
    return None


def pair_sources(
    sources: Sequence[Iterable[Event | Unreadable | Tick]],
    routes: Sequence[Sequence[Route]],
    *,
    on_unreadable: UnreadableCallback,
    on_read: ReadCallback | None = None,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Read ``sources`` together in time order and feed each keyed event to its pairings.

    ``routes[i]`` lists the pairings source ``i`` takes part in (the primary
    takes part in two when there is a baseline). Undecodable and unkeyed
    items go to ``on_unreadable``; every keyed event to ``on_read`` before it
    is offered; ``on_progress`` sees the head times after each step. A Tick
    in a source is a head without an event: the earliest time its next event
    can have, which is enough to expire what waits on the other side.
    """
    count = len(sources)
    iterators = [iter(source) for source in sources]
    heads: list[Event | Tick | None] = [
        _next_keyed(iterators[i], i, on_unreadable) for i in range(count)
    ]
    times = [NEVER if head is None else head.time for head in heads]
    for index in range(count):
        for pairing, side in routes[index]:
            pairing.heads[side] = times[index]
    while True:
        # The earliest head, the lowest index on a tie (primary first).
        index = 0
        for other in range(1, count):
            if times[other] < times[index]:
                index = other
        if times[index] == NEVER:
            break
        event = heads[index]
        own_routes = routes[index]
        if type(event) is Event:
            if on_read is not None:
                on_read(index, event)
            for pairing, side in own_routes:
                pairing.offer(side, event)
        # A Tick only moves the side's clock: its next event is at least that late.
        head = _next_keyed(iterators[index], index, on_unreadable)
        heads[index] = head
        time = NEVER if head is None else head.time
        times[index] = time
        for pairing, side in own_routes:
            pairing.advance(side, time)
        if on_progress is not None:
            on_progress(times)
    for own_routes in routes:
        for pairing, _ in own_routes:
            pairing.finish()
