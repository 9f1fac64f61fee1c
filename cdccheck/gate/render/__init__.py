"""Render a gate result; the code lives in :mod:`cdccheck.gate.render.annotations`."""

from cdccheck.gate.render.annotations import *  # noqa: F403
