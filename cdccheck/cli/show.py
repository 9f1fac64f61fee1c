"""``show``: one stream entry, decoded, with its verdict under both schemas and the causes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from cdccheck.cli.app import app
from cdccheck.cli.common import (
    GROUPED_EVENTS,
    GROUPED_SCHEMAS,
    EventOptions,
    SchemaOptions,
    build_engine,
    errors_to_exit_codes,
    grouped_options,
)
from cdccheck.cli.options import (
    FailOn,
    FailOnOption,
    LegacyOption,
    NewOption,
    RedisUrlOption,
    StreamOption,
    env_option,
)


class ShowFormat(StrEnum):
    """What ``show`` prints: text for people, or the explanation as JSON."""

    text = "text"
    json = "json"


@app.command()
@errors_to_exit_codes
@grouped_options
def show(
    entry_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Stream id of the entry (1769601600650-0).", show_default=False
        ),
    ],
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    stream: StreamOption = ...,  # type: ignore[assignment]
    legacy: LegacyOption = None,
    new: NewOption = None,
    schemas: SchemaOptions = GROUPED_SCHEMAS,
    events: EventOptions = GROUPED_EVENTS,
    output_format: Annotated[
        ShowFormat, env_option("--format", "-f", help="What to print on stdout.")
    ] = ShowFormat.text,
    show_values: Annotated[
        bool,
        env_option(
            "--show-values",
            help="Print field and payload values as they are (default: their shapes).",
        ),
    ] = False,
    fail_on: FailOnOption = FailOn.any,
) -> None:
    """Show one stream entry: its fields, its decoded payload, its verdict and probable causes.

    What `redis-cli XRANGE KEY ID ID` gives, plus the answer: the payload is
    decoded as every command decodes it (values as shapes unless
    --show-values), checked under the legacy and the new schema, and each
    finding comes with its cause hint where a known pitfall fits.

    Example:

    \b
        cdccheck show 1769601600650-0 --redis-url redis://localhost:6379/0 \\
            --stream comments:cdc --legacy legacy.json --new new.json

    Exit codes: 0 the entry is fine, 1 it has findings counted by --fail-on,
    2 usage or schema error, 3 Redis unreachable, no such stream or entry.
    """
    from cdccheck.report.entry import explain_entry, read_entry, render_entry
    from cdccheck.summary import Summary

    engine = build_engine(
        legacy,
        new,
        events,
        schemas,
    )
    entry = read_entry(redis_url, stream, entry_id)
    explained = explain_entry(entry, engine, show_values=show_values)
    typer.echo(render_entry(explained, output_format.value), nl=False)
    summary = Summary()
    summary.add(engine.check(entry))
    raise typer.Exit(1 if summary.counts_failures(fail_on.value) else 0)
