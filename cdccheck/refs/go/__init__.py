"""Schemas from Go code (``go:`` references); the code lives in :mod:`cdccheck.refs.go.schema`."""

from cdccheck.refs.go.schema import BASE64_PATTERN, RFC3339NANO_PATTERN, derive_go, struct_tag_get

__all__ = ["BASE64_PATTERN", "RFC3339NANO_PATTERN", "derive_go", "struct_tag_get"]
