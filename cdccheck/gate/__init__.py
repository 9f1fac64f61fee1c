"""The CI schema-drift gate: compare schemas statically, optionally replay a corpus.

The wing, from the outside in (semantics in docs/gate.md):

* `config`: ``[tool.cdccheck]`` / ``cdccheck.toml`` settings;
* `run`: a resolved request, the run (pairs or ``--against GIT_REF``), results;
* `atref`: references to code as they were at a git ref (the base of ``--against``);
* `render`: results as text, JSON, Markdown, JUnit, SARIF or GitHub annotations;
* `compat`: the static comparison of two schemas, by keyword family;
* `witness`: instances one schema accepts and the other rejects;
* `schemaview`: the read-only view of schema documents the comparison walks.

The names below are what ``cdccheck.gate`` exported as a single module.
"""

from cdccheck.configfile import CONFIG_FILES
from cdccheck.gate.compat import (
    BACKWARD,
    FORWARD,
    FULL,
    MODES,
    Change,
    Comparison,
    Location,
    compare,
)
from cdccheck.gate.config import FAIL_ON, GateConfig, Ignore, load_config
from cdccheck.gate.run import (
    DEFAULT_SCHEMA_ROOTS,
    CorpusCheck,
    Evidence,
    GateRequest,
    GateResult,
    SchemaResult,
    corpus_evidence,
    corpus_failures,
    resolve_request,
    run_gate,
)

__all__ = [
    "BACKWARD",
    "CONFIG_FILES",
    "DEFAULT_SCHEMA_ROOTS",
    "FAIL_ON",
    "FORWARD",
    "FULL",
    "MODES",
    "Change",
    "Comparison",
    "CorpusCheck",
    "Evidence",
    "GateConfig",
    "GateRequest",
    "GateResult",
    "Ignore",
    "Location",
    "SchemaResult",
    "compare",
    "corpus_evidence",
    "corpus_failures",
    "load_config",
    "resolve_request",
    "run_gate",
]
