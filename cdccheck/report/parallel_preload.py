"""Imported once by the ``--jobs`` fork server, before it forks any worker.

The first schema a process loads imports jsonschema, its format checkers and
referencing, and builds the metaschema validator: most of an engine's build
time. Done here once, every worker forked afterwards starts with all of it
in memory and builds its own engine (:mod:`cdccheck.report.parallel`) in a
few milliseconds. A warm-up only: if it fails, workers do the work themselves.
"""

from __future__ import annotations

import contextlib

with contextlib.suppress(Exception):
    from cdccheck.engine import Engine, load_schema_bytes

    _SCHEMA = (
        b'{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",'
        b' "properties": {"at": {"type": "string", "format": "date-time"},'
        b' "n": {"type": "integer", "maximum": 10}}, "required": ["at"]}'
    )
    _legacy = load_schema_bytes(_SCHEMA, name="legacy", origin="warm-up")
    _new = load_schema_bytes(_SCHEMA, name="new", origin="warm-up")
    Engine(_legacy, _new).check_batch([])
