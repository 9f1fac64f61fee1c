"""The writer view of a Go type: the JSON that ``encoding/json.Marshal`` can produce for it.

``derive_go(path, type_name)`` parses the Go package at ``path`` with
tree-sitter (a real parser, never regular expressions over source) and
follows ``encoding/json``'s own rules, as its ``encode.go`` implements them:

* exported fields only; the tag's name, else the Go field name; ``json:"-"``
  skipped, ``json:"-,"`` named ``-``; a tag name with characters Go refuses
  falls back to the field name;
* ``omitempty``: absent when empty (``false``, ``0``, ``""``, nil pointer or
  interface, empty slice, map, string or array), so not required, and not
  empty when present. A struct is never empty, so a ``time.Time`` or any
  struct with ``omitempty`` is still always written;
* ``,string`` on a bool, integer, float or string field writes it inside a
  JSON string;
* pointers, slices, maps and interfaces may be ``null``; ``[]byte`` is a
  base64 string; ``[N]T`` has exactly N items (``[N]byte`` too: only slices
  of bytes are base64); map keys are the string itself, or the decimal
  integer;
* integers carry their kind's exact bounds (``int`` and ``uint`` as 64-bit);
* embedded structs promote their fields: the shallowest wins, a tagged field
  beats untagged ones at its depth, two equal candidates cancel each other
  out; fields reached through an embedded pointer are absent when it is nil;
* ``MarshalJSON``/``MarshalText`` methods (declared in the package, or
  promoted from an embedded field) replace the default encoding; their output
  is unknown, so the schema is open there and a warning names the spot.
  ``time.Time`` (RFC 3339 with nanoseconds), ``uuid.UUID`` from
  github.com/google/uuid and a few standard types are mapped exactly.

Where cdccheck cannot know what Go writes (``any``, ``json.RawMessage``, a
type from a package it did not parse), the schema is widened, never narrowed,
and a warning names the file, line, type and field. See
docs/schemas-from-code.md.

The package follows those jobs: ``parse`` reads the Go source with
tree-sitter, ``resolve`` holds the type model and answers reflect's questions,
``jsonfields`` applies encoding/json's field rules, ``schema`` turns types into
JSON Schema, and ``facts`` keeps Go's fixed constants they share.
"""

from cdccheck.refs.go.facts import BASE64_PATTERN, RFC3339NANO_PATTERN
from cdccheck.refs.go.jsonfields import struct_tag_get
from cdccheck.refs.go.schema import derive_go

__all__ = ["BASE64_PATTERN", "RFC3339NANO_PATTERN", "derive_go", "struct_tag_get"]
