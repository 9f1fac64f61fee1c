"""What a comparison reports: the changes between a legacy and a new schema.

**backward** compatible: the new schema accepts every instance the legacy
one accepts (new readers read old data); **forward**: the legacy schema
accepts every instance the new one accepts; **full**: both (docs/gate.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdccheck.gate.witness import Witness

BACKWARD = "backward"
FORWARD = "forward"
FULL = "full"
MODES = (BACKWARD, FORWARD, FULL)


@dataclass(frozen=True)
class Location:
    """A place in a schema file: the file as named in the run, and a JSON Pointer."""

    file: str
    pointer: str


@dataclass
class Change:
    """One difference between the legacy and the new schema."""

    kind: str
    """Confluent Schema Registry's difference name where one fits, e.g. ``TYPE_NARROWED``."""
    legacy: Location | None
    new: Location | None
    backward: bool
    """Breaks backward compatibility: new rejects something legacy accepts."""
    forward: bool
    """Breaks forward compatibility: legacy rejects something new accepts."""
    message: str
    witness: Witness | None = None
    primary: str = "new"
    """Which side `path` points into: ``new``, or ``legacy`` for something removed."""

    @property
    def location(self) -> Location:
        """Where the change is: in the new schema, or in the legacy one for a removal."""
        chosen = self.new if self.primary == "new" else self.legacy
        fallback = self.legacy if chosen is self.new else self.new
        found = chosen or fallback
        assert found is not None, "a change has at least one location"
        return found

    @property
    def path(self) -> str:
        """JSON Pointer of the change (into the new schema, or the legacy one for removals)."""
        return self.location.pointer

    @property
    def proven(self) -> bool:
        """A verified witness shows the break; otherwise it is only suspected."""
        return self.witness is not None

    def breaks(self, mode: str) -> bool:
        """Whether the change breaks compatibility in ``mode`` (backward, forward, full)."""
        if mode == BACKWARD:
            return self.backward
        if mode == FORWARD:
            return self.forward
        return self.backward or self.forward


@dataclass
class Comparison:
    """Every change found between a legacy and a new schema."""

    legacy: str
    new: str
    changes: list[Change] = field(default_factory=list)

    @property
    def backward(self) -> bool:
        """New accepts everything legacy accepts (as far as cdccheck can prove)."""
        return not any(c.backward for c in self.changes)

    @property
    def forward(self) -> bool:
        """Legacy accepts everything new accepts (as far as cdccheck can prove)."""
        return not any(c.forward for c in self.changes)

    def compatible(self, mode: str = FULL) -> bool:
        """No change breaks compatibility in ``mode`` (backward, forward or full)."""
        return not any(c.breaks(mode) for c in self.changes)
