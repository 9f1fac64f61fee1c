"""Moved to `cdccheck.gate.witness`; this path re-exports it for one release."""

from cdccheck.gate.witness import *  # noqa: F403
