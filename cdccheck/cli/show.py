"""``show``: one stream entry, decoded, with its verdict under both schemas and the causes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from cdccheck.cli.app import app
from cdccheck.cli.common import (
    EventOptions,
    SchemaOptions,
    bounds,
    build_engine,
    errors_to_exit_codes,
)
from cdccheck.cli.options import (
    AllowRefPathOption,
    EncodingOption,
    FailOn,
    FailOnOption,
    Layout,
    LayoutOption,
    LegacyOption,
    MaxIntDigitsOption,
    MaxKeyBytesOption,
    MaxObjectKeysOption,
    MaxPayloadBytesOption,
    NewOption,
    OpFieldOption,
    PatternTimeoutOption,
    PayloadFieldOption,
    PythonPathOption,
    ReaderTimeoutOption,
    RedisUrlOption,
    StreamOption,
    WriterFieldOption,
    env_option,
)


class ShowFormat(StrEnum):
    """What ``show`` prints: text for people, or the explanation as JSON."""

    text = "text"
    json = "json"


@app.command()
@errors_to_exit_codes
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
    python_path: PythonPathOption = None,
    reader_timeout: ReaderTimeoutOption = 5.0,
    payload_field: PayloadFieldOption = "payload",
    op_field: OpFieldOption = "op",
    writer_field: WriterFieldOption = "writer",
    layout: LayoutOption = Layout.default,
    encoding: EncodingOption = None,
    max_payload_bytes: MaxPayloadBytesOption = 8 * 1024 * 1024,
    max_int_digits: MaxIntDigitsOption = 4300,
    max_key_bytes: MaxKeyBytesOption = 64 * 1024,
    max_object_keys: MaxObjectKeysOption = 100_000,
    pattern_timeout_ms: PatternTimeoutOption = 100,
    allow_ref_path: AllowRefPathOption = None,
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
        EventOptions(
            payload_field,
            op_field,
            writer_field,
            layout,
            encoding,
            bounds(
                max_payload_bytes,
                max_int_digits,
                max_key_bytes,
                max_object_keys,
                pattern_timeout_ms,
            ),
        ),
        SchemaOptions(
            tuple(python_path or ()),
            reader_timeout,
            False,
            allow_ref_paths=tuple(allow_ref_path or ()),
        ),
    )
    entry = read_entry(redis_url, stream, entry_id)
    explained = explain_entry(entry, engine, show_values=show_values)
    typer.echo(render_entry(explained, output_format.value), nl=False)
    summary = Summary()
    summary.add(engine.check(entry))
    raise typer.Exit(1 if summary.counts_failures(fail_on.value) else 0)
