"""cdccheck: keep change-data-capture events readable across a rewrite.

Decode every event under a legacy and a new serialization schema, flag what
fails to decode or drifts from a schema, and summarise it. The command line
(``cdccheck``) is a thin shell over this library.
"""

from cdccheck.errors import CdccheckError, ConfigError, SourceError, SourceInterrupted
from cdccheck.model import Entry, EventVerdict, Finding
from cdccheck.schema import Schema, load_schema
from cdccheck.wire import Decoded, Undecodable, decode

__version__ = "0.1.0"

__all__ = [
    "CdccheckError",
    "ConfigError",
    "Decoded",
    "Entry",
    "EventVerdict",
    "Finding",
    "Schema",
    "SourceError",
    "SourceInterrupted",
    "Undecodable",
    "__version__",
    "decode",
    "load_schema",
]
