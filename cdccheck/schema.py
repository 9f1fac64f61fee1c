"""Kept for one release: schema loading moved to :mod:`cdccheck.engine.schema`."""

from cdccheck.engine.schema import (
    DRAFT_7,
    DRAFT_2020_12,
    ENCODING_KEYWORD,
    ENCODINGS,
    Schema,
    bundled_schema_dir,
    bundled_schema_path,
    load_schema,
    load_schema_bytes,
)

__all__ = [
    "DRAFT_7",
    "DRAFT_2020_12",
    "ENCODINGS",
    "ENCODING_KEYWORD",
    "Schema",
    "bundled_schema_dir",
    "bundled_schema_path",
    "load_schema",
    "load_schema_bytes",
]
