"""Go's fixed facts that encoding/json relies on: kinds, bounds, literal shapes, well-known types.

Nothing here reads Go source; these are the constants the parser, the
resolver and the schema builder share (see docs/schemas-from-code.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdccheck.refs._jsonschema import Schema

INT_BOUNDS = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    # int and uint are 64 bits on every platform a service runs on (amd64, arm64).
    "int": (-(2**63), 2**63 - 1),
    "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
    "uint": (0, 2**64 - 1),
    "uintptr": (0, 2**64 - 1),
}
ALIASES = {"byte": "uint8", "rune": "int32"}
FLOATS = ("float32", "float64")
# The largest float32, as encoding/json writes it ("3.4028235e+38", the shortest
# float32 rendering), read back as a double: a bit above math.MaxFloat32.
FLOAT32_MAX = 3.4028235e38
UNSUPPORTED = ("complex64", "complex128")
PREDECLARED = {
    "bool",
    "string",
    *INT_BOUNDS,
    *ALIASES,
    *FLOATS,
    *UNSUPPORTED,
    "error",
    "any",
}
SCALAR_KINDS = {"bool", "string", *INT_BOUNDS, *FLOATS}

# time.Time.MarshalJSON writes layout RFC3339Nano: 4-digit year, fraction of 1
# to 9 digits without trailing zeros (none when zero), "Z" for a zero offset,
# else +hh:mm. Go 1.20 and later refuse offsets of 24h or more.
RFC3339NANO_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{0,8}[1-9])?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
# Standard base64 with padding, as encoding/base64.StdEncoding writes it.
BASE64_PATTERN = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
QUOTED_SIGNED = r"^-?(0|[1-9][0-9]*)$"
QUOTED_UNSIGNED = r"^(0|[1-9][0-9]*)$"
QUOTED_NONZERO_SIGNED = r"^-?[1-9][0-9]*$"
QUOTED_NONZERO_UNSIGNED = r"^[1-9][0-9]*$"
# strconv.AppendFloat(f, 'f' or 'e', -1): 'e' for |f| < 1e-6 or >= 1e21, and
# encoding/json trims "e-07" to "e-7".
QUOTED_FLOAT = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?(e[+-][0-9]+)?$"
JSON_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
# A string encoded twice (`json:",string"` on a string field): the inner JSON
# string literal as encoding/json writes it, HTML-escaped, lowercase \u escapes.
QUOTED_STRING = '^"([^"\\\\\\x00-\\x1f<>&\\u2028\\u2029]|\\\\["\\\\nrt]|\\\\u[0-9a-f]{4})*"$'
ANY_JSON = "; the schema admits any JSON there"
_UUID_CANONICAL = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _time_schema() -> dict[str, Any]:
    # python-jsonschema's date-time checker refuses year 0000, which Go can
    # write (time.Date(0, ...)); every other Go rendering passes it.
    return {"type": "string", "format": "date-time", "pattern": RFC3339NANO_PATTERN}


@dataclass(frozen=True)
class WellKnown:
    """A type from a package cdccheck does not parse but whose encoding is certain."""

    kind: str
    """reflect.Kind name, which decides omitempty: 'struct', 'string', 'array', ..."""
    schema: Schema | None
    """What Marshal writes for a value; None: open schema with a warning."""
    note: str
    underlying: Schema | None = None
    """What Marshal writes for a type defined on it (``type T time.Time``: no methods)."""
    marshaler: bool = True
    """Whether the type has its own MarshalJSON/MarshalText (else ``schema`` is the default)."""
    length: int | None = None


WELL_KNOWN: dict[tuple[str, str], WellKnown] = {
    ("time", "Time"): WellKnown(
        "struct",
        _time_schema(),
        "time.Time.MarshalJSON: RFC 3339 with up to 9 fraction digits",
        # Its fields are all unexported: a type defined on it marshals as {}.
        underlying={"type": "object", "properties": {}, "additionalProperties": False},
    ),
    ("time", "Duration"): WellKnown(
        "int64",
        {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
        "time.Duration: an int64 count of nanoseconds",
        underlying={"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
        marshaler=False,
    ),
    ("encoding/json", "RawMessage"): WellKnown(
        "slice",
        None,
        "json.RawMessage is written as it is: any JSON",
        underlying={
            "type": ["string", "null"],
            "contentEncoding": "base64",
            "pattern": BASE64_PATTERN,
        },
    ),
    ("encoding/json", "Number"): WellKnown(
        "string",
        {"type": "number"},
        "json.Number is written as a JSON number",
        underlying={"type": "string"},
        marshaler=False,
    ),
    ("github.com/google/uuid", "UUID"): WellKnown(
        "array",
        {"type": "string", "format": "uuid", "pattern": _UUID_CANONICAL},
        "uuid.UUID.MarshalText: canonical lowercase hyphenated form",
        underlying={
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 255},
            "minItems": 16,
            "maxItems": 16,
        },
        length=16,
    ),
    ("github.com/google/uuid", "NullUUID"): WellKnown(
        "struct",
        {"type": ["string", "null"], "format": "uuid", "pattern": _UUID_CANONICAL},
        "uuid.NullUUID.MarshalJSON: null when not Valid, else the canonical form",
    ),
}
NUMBER_TYPE = ("encoding/json", "Number")
