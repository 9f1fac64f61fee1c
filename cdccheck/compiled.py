"""Kept for one release: compiled schemas moved to :mod:`cdccheck.engine.compiled`."""

from cdccheck.engine.compiled import (
    Check,
    CompiledSchema,
    Path,
    flatten,
    json_equal,
    resolver_subresource,
)

__all__ = ["Check", "CompiledSchema", "Path", "flatten", "json_equal", "resolver_subresource"]
