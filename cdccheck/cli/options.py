"""The option vocabulary every command shares (docs/cli.md).

One ``FailOn``, one set of output-format names (each command accepts the
subset its renderers implement), the environment-backed option factory, and
the option declarations that more than one command uses. Every option built
here also reads ``CDCCHECK_<OPTION>`` from the environment.

Enum members are spelled as their values (``FailOn.any``, ``GateFormat.sarif``)
so that code reads like the command line.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer


class FailOn(StrEnum):
    """Which findings make the exit code 1 (docs/cli.md, exit codes)."""

    any = "any"
    legacy = "legacy"
    new = "new"
    none = "none"


class ReportFormat(StrEnum):
    """Formats of a check report (``cdccheck.report.FORMATS``)."""

    table = "table"
    json = "json"
    markdown = "markdown"
    junit = "junit"
    html = "html"


class GateFormat(StrEnum):
    """Formats of a gate result (``cdccheck.gate.render.FORMATS``).

    ``text`` is the plain gate summary; json, markdown, junit and html mean
    what they mean for a check report.
    """

    text = "text"
    json = "json"
    markdown = "markdown"
    junit = "junit"
    sarif = "sarif"
    github = "github"
    html = "html"


class Layout(StrEnum):
    """How a stream entry holds its event (docs/semantics.md, stream layout)."""

    default = "default"
    debezium = "debezium"


class Encoding(StrEnum):
    """Wire encodings of a payload."""

    json = "json"
    msgpack = "msgpack"


def env_name(flag: str) -> str:
    """The environment variable behind ``--flag``: ``--fail-on`` -> ``CDCCHECK_FAIL_ON``."""
    return "CDCCHECK_" + flag.lstrip("-").upper().replace("-", "_")


def env_option(flag: str, *names: str, **settings: Any) -> Any:
    """A typer option that also reads ``CDCCHECK_<OPTION>`` from the environment."""
    return typer.Option(flag, *names, envvar=env_name(flag), **settings)


# ---------------------------------------------------------------- schemas and events

LegacyOption = Annotated[
    str | None,
    env_option(
        "--legacy",
        metavar="SCHEMA",
        help="Legacy schema: a JSON Schema file, or go:PATH:Type / py:module:Name "
        "(required: this flag, CDCCHECK_LEGACY, or legacy = ... under [tool.cdccheck]).",
        show_default=False,
    ),
]
NewOption = Annotated[
    str | None,
    env_option(
        "--new",
        metavar="SCHEMA",
        help="New schema: a JSON Schema file, or go:PATH:Type / py:module:Name "
        "(required: this flag, CDCCHECK_NEW, or new = ... under [tool.cdccheck]).",
        show_default=False,
    ),
]
PythonPathOption = Annotated[
    list[Path] | None,
    env_option(
        "--python-path",
        metavar="DIR",
        help="Import root for py: schema references (repeatable; the current directory "
        "always is one).",
        show_default=False,
    ),
]
ReaderTimeoutOption = Annotated[
    float,
    env_option(
        "--reader-timeout",
        min=0.001,
        metavar="SECONDS",
        help="Time a real reader (py:module:function, a pydantic model) may take on one "
        "event; past it the event gets a reader_rejected finding.",
    ),
]
PayloadFieldOption = Annotated[
    str,
    env_option("--payload-field", help="Entry field holding the payload."),
]
OpFieldOption = Annotated[
    str,
    env_option("--op-field", help="Payload property naming the operation."),
]
WriterFieldOption = Annotated[
    str,
    env_option("--writer-field", help="Entry field naming the writer."),
]
LayoutOption = Annotated[
    Layout,
    env_option("--layout", help="Entry layout: default, or debezium (one field: key -> value)."),
]
EncodingOption = Annotated[
    Encoding | None,
    env_option(
        "--encoding",
        help="Wire encoding when entries do not say "
        "(default: the schemas' x-cdccheck-encoding, else json).",
        show_default=False,
    ),
]

# ---------------------------------------------------------------- bounds (docs/security.md)

MaxPayloadBytesOption = Annotated[
    int,
    env_option(
        "--max-payload-bytes",
        min=1,
        help="Longest payload decoded; a longer one is undecodable.",
    ),
]
MaxIntDigitsOption = Annotated[
    int,
    env_option(
        "--max-int-digits",
        min=16,
        help="Most digits in one integer literal (reading one costs time quadratic "
        "in its digits); beyond, the payload is undecodable.",
    ),
]
MaxKeyBytesOption = Annotated[
    int,
    env_option(
        "--max-key-bytes",
        min=1,
        help="Longest object key, in UTF-8 bytes; beyond, the payload is undecodable.",
    ),
]
MaxObjectKeysOption = Annotated[
    int,
    env_option(
        "--max-object-keys",
        min=1,
        help="Most keys in one object; beyond, the payload is undecodable.",
    ),
]
PatternTimeoutOption = Annotated[
    int,
    env_option(
        "--pattern-timeout-ms",
        min=1,
        help="Time budget of one `pattern` evaluation that neither re (proven linear) "
        "nor RE2 can take; beyond it the event gets a pattern_timeout finding.",
    ),
]
AllowRefPathOption = Annotated[
    list[Path] | None,
    env_option(
        "--allow-ref-path",
        metavar="DIR",
        help="Let schema $ref read files under DIR too (repeatable; by default only the "
        "schema's own directory tree and the bundled schemas).",
        show_default=False,
    ),
]

# ---------------------------------------------------------------- output

FormatOption = Annotated[
    ReportFormat,
    env_option("--format", "-f", help="What to print on stdout."),
]
ReportOption = Annotated[
    Path | None,
    env_option(
        "--report", help="Also write the JSON report to this file (atomically).", show_default=False
    ),
]
EventsOutOption = Annotated[
    Path | None,
    env_option(
        "--events-out", help="Write one JSON line per event to this file.", show_default=False
    ),
]
FailOnOption = Annotated[
    FailOn,
    env_option("--fail-on", help="Which findings make the exit code 1."),
]
SamplesOption = Annotated[
    int,
    env_option("--samples", min=0, help="Samples kept per finding group."),
]
ShowValuesOption = Annotated[
    bool,
    env_option(
        "--show-values", help="Put offending values in samples (default: type and length only)."
    ),
]
BucketOption = Annotated[
    str | None,
    env_option(
        "--bucket",
        metavar="DURATION",
        help="Width of the report's timeline buckets: 1s 5s 10s 30s 1m 5m 10m 30m 1h 3h 6h "
        "12h 1d (default: automatic, 40 to 200 buckets over the range).",
        show_default=False,
    ),
]
QuietOption = Annotated[
    bool,
    env_option(
        "--quiet",
        "-q",
        help="No progress line and no notes on stderr; with --report, nothing on stdout "
        "either unless -f/--format asks for it.",
    ),
]

# ---------------------------------------------------------------- Redis

RedisUrlOption = Annotated[
    str,
    env_option(
        "--redis-url",
        help="redis:// or rediss:// URL; the password may also come from "
        "CDCCHECK_REDIS_PASSWORD. Never printed.",
    ),
]
StreamOption = Annotated[str, env_option("--stream", help="Stream key.", show_default=False)]
StreamsOption = Annotated[
    list[str] | None,
    env_option(
        "--stream",
        metavar="KEY",
        help="Stream key; repeat for several streams (sharded streams).",
        show_default=False,
    ),
]
GroupOption = Annotated[
    str,
    env_option(
        "--group",
        help="Consumer group of the sidecars (their own, never the production consumers').",
    ),
]
StartOption = Annotated[
    str | None,
    env_option(
        "--start",
        help="First entry (inclusive): stream id, epoch milliseconds or ISO-8601 time.",
        show_default=False,
    ),
]
EndOption = Annotated[
    str | None,
    env_option(
        "--end",
        help="Last entry (inclusive): stream id, epoch milliseconds or ISO-8601 time.",
        show_default=False,
    ),
]
CountOption = Annotated[
    int | None,
    env_option("--count", min=1, help="Read at most N entries.", show_default=False),
]
BatchOption = Annotated[int, env_option("--batch-size", min=1, help="Entries per XRANGE.")]
