"""Kept for one release: moved to :mod:`cdccheck.engine.reference` (``short_repr`` to model)."""

from cdccheck.engine.reference import (
    additional_properties,
    findings_from_errors,
    reference_findings,
)
from cdccheck.model import short_repr

__all__ = ["additional_properties", "findings_from_errors", "reference_findings", "short_repr"]
