"""Moved to `cdccheck.gate.render`; this path re-exports it for one release."""

from cdccheck.gate.render import *  # noqa: F403
