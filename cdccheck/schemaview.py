"""Moved to `cdccheck.gate.schemaview`; this path re-exports it for one release."""

from cdccheck.gate.schemaview import *  # noqa: F403
