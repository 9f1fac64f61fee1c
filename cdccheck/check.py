"""Kept for one release: ``Engine`` moved to :mod:`cdccheck.engine.engine`."""

from cdccheck.engine.engine import LAYOUTS, Engine, HealthyCounts, declares_integer

__all__ = ["LAYOUTS", "Engine", "HealthyCounts", "declares_integer"]
