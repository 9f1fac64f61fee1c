"""Kept for one release: strict decoding moved to :mod:`cdccheck.engine.wire`."""

from cdccheck.engine.warnings import SAFE_INTEGER
from cdccheck.engine.wire import (
    MAX_DEPTH,
    Decoded,
    Undecodable,
    decode,
    decode_json,
    decode_msgpack,
)

__all__ = [
    "MAX_DEPTH",
    "SAFE_INTEGER",
    "Decoded",
    "Undecodable",
    "decode",
    "decode_json",
    "decode_msgpack",
]
