"""cdccheck: keep change-data-capture events readable across a rewrite.

Decode every event under a legacy and a new serialization schema, flag what
fails to decode or drifts from a schema, and summarise it. The command line
(``cdccheck``) is a thin shell over this library::

    from cdccheck import Engine, Summary, load_schema, run
    from cdccheck.sources.corpus import read_corpus

    engine = Engine(load_schema("legacy.json", name="legacy"), load_schema("new.json", name="new"))
    summary = run(read_corpus("events.jsonl"), engine, Summary())
"""

from cdccheck.engine.engine import Engine
from cdccheck.engine.pipeline import check_batch, run
from cdccheck.engine.schema import Schema, load_schema
from cdccheck.engine.wire import Decoded, Undecodable, decode
from cdccheck.errors import CdccheckError, ConfigError, SourceError, SourceInterrupted
from cdccheck.model import Entry, EventVerdict, Finding
from cdccheck.report.json import build_report, merge_reports
from cdccheck.summary import Summary

__version__ = "0.1.0"

__all__ = [
    "CdccheckError",
    "ConfigError",
    "Decoded",
    "Engine",
    "Entry",
    "EventVerdict",
    "Finding",
    "Schema",
    "SourceError",
    "SourceInterrupted",
    "Summary",
    "Undecodable",
    "__version__",
    "build_report",
    "check_batch",
    "decode",
    "load_schema",
    "merge_reports",
    "run",
]
