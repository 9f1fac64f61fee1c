"""Kept for one release: ``Engine`` moved to :mod:`cdccheck.engine.engine`.

``declares_integer`` moved to :mod:`cdccheck.engine.warnings`.
"""

from cdccheck.engine.engine import LAYOUTS, Engine, HealthyCounts
from cdccheck.engine.warnings import declares_integer

__all__ = ["LAYOUTS", "Engine", "HealthyCounts", "declares_integer"]
