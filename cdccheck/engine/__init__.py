"""The check engine: one event under a legacy and a new schema -> a verdict.

The layers, from the bytes up (docs/architecture.md walks through them):

* :mod:`~cdccheck.engine.wire`: strict decoding within the limits
  (docs/semantics.md, rule 1; docs/security.md, "Limits");
* :mod:`~cdccheck.engine.patterns`: `pattern` searches that cannot stall
  (docs/security.md, "Patterns");
* :mod:`~cdccheck.engine.schema`: loading schemas (the metaschema check in
  :mod:`~cdccheck.engine.metaschema`), `$ref` lookup and confinement;
* :mod:`~cdccheck.engine.fastpath`: the msgspec fast tier, which only ever
  accepts what the reference accepts;
* :mod:`~cdccheck.engine.compiled`: schemas compiled to closures that explain
  an event exactly as the reference does;
* :mod:`~cdccheck.engine.reference`: python-jsonschema's errors as findings,
  for what the compiled schemas leave to it;
* :mod:`~cdccheck.engine.engine`: ``Engine``, the one place that decides
  which tier answers;
* :mod:`~cdccheck.engine.pipeline`: the batch loop every command shares.

The engine never imports typer, rich, a report or the command line.
"""

from cdccheck.engine.compiled import CompiledSchema
from cdccheck.engine.engine import LAYOUTS, Engine, HealthyCounts
from cdccheck.engine.fastpath import FastAcceptor, FastAnswer
from cdccheck.engine.pipeline import EventsWriter, check_batch, run, verdict_line
from cdccheck.engine.reference import findings_from_errors, reference_findings
from cdccheck.engine.schema import (
    DRAFT_7,
    DRAFT_2020_12,
    Schema,
    bundled_schema_path,
    load_schema,
    load_schema_bytes,
    resolve_ref,
    subresource,
)
from cdccheck.engine.wire import DEFAULT_LIMITS, Decoded, Limits, Undecodable, decode

__all__ = [
    "DEFAULT_LIMITS",
    "DRAFT_7",
    "DRAFT_2020_12",
    "LAYOUTS",
    "CompiledSchema",
    "Decoded",
    "Engine",
    "EventsWriter",
    "FastAcceptor",
    "FastAnswer",
    "HealthyCounts",
    "Limits",
    "Schema",
    "Undecodable",
    "bundled_schema_path",
    "check_batch",
    "decode",
    "findings_from_errors",
    "load_schema",
    "load_schema_bytes",
    "reference_findings",
    "resolve_ref",
    "run",
    "subresource",
    "verdict_line",
]
