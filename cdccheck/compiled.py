"""Kept for one release: compiled schemas moved to :mod:`cdccheck.engine.compiled`.

``resolver_subresource`` is now :func:`cdccheck.engine.schema.subresource`.
"""

from typing import Any

from cdccheck.engine.compiled import Check, CompiledSchema, Path, flatten, json_equal
from cdccheck.engine.schema import DRAFT_7, DRAFT_2020_12, subresource

__all__ = ["Check", "CompiledSchema", "Path", "flatten", "json_equal", "resolver_subresource"]


def resolver_subresource(resolver: Any, node: dict[str, Any], draft7: bool) -> Any:
    """The resolver for a schema object with an `$id`: its own scope."""
    return subresource(resolver, node, DRAFT_7 if draft7 else DRAFT_2020_12)
