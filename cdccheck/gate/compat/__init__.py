"""Static compatibility of two JSON Schemas, in both directions, with witnesses."""

from cdccheck.gate.compat.walker import (
    BACKWARD,
    FORWARD,
    FULL,
    MAX_STEPS,
    MODES,
    Change,
    Comparison,
    Location,
    compare,
    compare_documents,
)

__all__ = [
    "BACKWARD",
    "FORWARD",
    "FULL",
    "MAX_STEPS",
    "MODES",
    "Change",
    "Comparison",
    "Location",
    "compare",
    "compare_documents",
]
