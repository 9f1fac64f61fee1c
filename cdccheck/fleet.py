"""Moved to :mod:`cdccheck.sidecar.fleet`; this re-export goes away after one release."""

from cdccheck.sidecar.fleet import (
    FLEET_VERSION,
    QUARANTINED,
    TRIMMED,
    Fleet,
    FleetKeys,
    FleetSnapshot,
    QuarantineRecord,
    field,
    hash_tag,
    padded_id,
    sample_member,
)

__all__ = [
    "FLEET_VERSION",
    "QUARANTINED",
    "TRIMMED",
    "Fleet",
    "FleetKeys",
    "FleetSnapshot",
    "QuarantineRecord",
    "field",
    "hash_tag",
    "padded_id",
    "sample_member",
]
