"""Moved to `cdccheck.gate.compat`; this path re-exports it for one release."""

from cdccheck.gate.compat import *  # noqa: F403
