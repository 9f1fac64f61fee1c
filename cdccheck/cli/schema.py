"""``schema``: derive a JSON Schema from code, or infer one from traffic.

What each derivation and inference means is in docs/schemas-from-code.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cdccheck.cli.app import app
from cdccheck.cli.common import SchemaOptions, errors_to_exit_codes, load_schemas, note
from cdccheck.cli.options import (
    AllowRefPathOption,
    BatchOption,
    CountOption,
    EncodingOption,
    EndOption,
    Layout,
    LayoutOption,
    PayloadFieldOption,
    PythonPathOption,
    QuietOption,
    RedisUrlOption,
    StartOption,
    WriterFieldOption,
    env_option,
)
from cdccheck.errors import ConfigError

if TYPE_CHECKING:
    from cdccheck.model import Entry

schema_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
app.add_typer(
    schema_app,
    name="schema",
    help="Derive a JSON Schema from Go or Python code, or infer one from a stream's events.",
    epilog=(
        "Examples:\n\n\b\n"
        "  cdccheck schema derive go:./comment-svc/events:Event -o schemas/new.json\n"
        "  cdccheck schema infer --stream comments:cdc --writer py-monolith -o inferred.json"
    ),
)

OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write here (atomically) instead of stdout.", show_default=False
    ),
]


class Bounds(StrEnum):
    """Numeric bounds of an inferred schema."""

    observed = "observed"
    type = "type"


_DERIVE_EXAMPLES = """\
Examples:

\b
  cdccheck schema derive go:./comment-svc/events:Event -o schemas/new.json
  cdccheck schema derive 'py:consumers.events:CommentEvent?unknown=forbid' --python-path src
  cdccheck schema derive schemas/comment/legacy.json
"""


@schema_app.command("derive", epilog=_DERIVE_EXAMPLES)
@errors_to_exit_codes
def derive(
    reference: Annotated[
        str,
        typer.Argument(
            metavar="REF",
            help="go:PATH:Type (a Go file or package directory), py:module:Name, or a "
            "JSON Schema file.",
            show_default=False,
        ),
    ],
    output: OutputOption = None,
    python_path: PythonPathOption = None,
    allow_ref_path: AllowRefPathOption = None,
    quiet: QuietOption = False,
) -> None:
    """Print the JSON Schema (draft 2020-12) a type in code stands for.

    Go types give their writer view (the JSON encoding/json.Marshal writes),
    Python types their reader view (the JSON their decoder accepts), each
    property described with the Go field and tag or the Python attribute
    behind it, named types under $defs, keys in a stable order: review it,
    commit it, diff it. Where JSON Schema cannot follow the code the schema is
    wider and a warning on stderr names the spot. A JSON Schema file is
    checked and printed unchanged.

    Exit codes: 0 printed, 2 bad reference (missing file, unknown type, Go
    syntax error, import error) or a reader function (it has no schema).
    """
    from cdccheck.engine.schema import document_bytes
    from cdccheck.files import write_atomic
    from cdccheck.refs import is_reference

    options = SchemaOptions(
        tuple(python_path or ()), quiet=quiet, allow_ref_paths=tuple(allow_ref_path or ())
    )
    (schema,) = load_schemas([("derived", reference)], options)
    if schema.reader_only:
        raise ConfigError(
            f"{reference} is a real reader (a function): it has no schema to print "
            "(name the type it decodes into)"
        )
    if is_reference(reference):
        content = document_bytes(schema.document)
    else:
        content = Path(reference).read_bytes()
    if output is None:
        typer.echo(content.decode(), nl=False)
    else:
        write_atomic(output, content)
        note(f"wrote {output}", quiet=quiet)


_INFER_EXAMPLES = """\
Examples:

\b
  cdccheck schema infer --redis-url redis://localhost:6379/0 --stream comments:cdc \\
      --writer py-monolith --count 100000 -o schemas/legacy-inferred.json

\b
  cdccheck schema infer corpus.jsonl --enum-threshold 5 --bounds type

Then see where the Go writer drifts from what the legacy writer always wrote:

\b
  cdccheck replay --stream comments:cdc --legacy schemas/legacy-inferred.json \\
      --new go:./comment-svc/events:Event
"""


@schema_app.command("infer", epilog=_INFER_EXAMPLES)
@errors_to_exit_codes
def infer(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[FILE]...",
            help="Corpus files (JSON Lines, as `cdccheck export` writes them); or read a "
            "stream range with --stream.",
            show_default=False,
        ),
    ] = None,
    redis_url: RedisUrlOption = "redis://localhost:6379/0",
    stream: Annotated[
        str | None,
        env_option("--stream", help="Stream key to read a range of.", show_default=False),
    ] = None,
    start: StartOption = None,
    end: EndOption = None,
    count: CountOption = None,
    batch_size: BatchOption = 1000,
    writer: Annotated[
        str | None,
        env_option(
            "--writer",
            metavar="W",
            help="Only the entries of this writer (the entry's writer field).",
            show_default=False,
        ),
    ] = None,
    op_field: Annotated[
        str,
        env_option(
            "--op-field",
            help="Payload property naming the operation: one branch per op ('' for none).",
        ),
    ] = "op",
    enum_threshold: Annotated[
        int,
        env_option(
            "--enum-threshold",
            min=0,
            help="A string with at most this many distinct values becomes an enum (0: never).",
        ),
    ] = 10,
    bounds: Annotated[
        Bounds,
        env_option(
            "--bounds",
            help="Numeric bounds: as observed, or none beyond the JSON type.",
        ),
    ] = Bounds.observed,
    show_values: Annotated[
        bool,
        env_option(
            "--show-values",
            help="Put example values in the descriptions (default: their shapes only).",
        ),
    ] = False,
    open_objects: Annotated[
        bool,
        env_option(
            "--open",
            help="Allow properties that were never seen (default: additionalProperties false).",
        ),
    ] = False,
    title: Annotated[
        str | None,
        env_option("--title", help="The schema's title.", show_default=False),
    ] = None,
    payload_field: PayloadFieldOption = "payload",
    writer_field: WriterFieldOption = "writer",
    layout: LayoutOption = Layout.default,
    encoding: EncodingOption = None,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """Infer the JSON Schema that a stream's events satisfy, with the evidence.

    Reads corpus files or a stream range, as `check` and `replay` do: one
    branch per op, required = present in every event of the op, nullable
    where null was seen, integer vs number, formats and the exact timestamp
    rendering seen, enums for low-cardinality strings, bounds as observed.
    Each property's description says how often it was seen and in which
    shapes (values only with --show-values). Review it before committing: it
    says what was seen, not what is allowed.

    Exit codes: 0 written, 2 usage error or no events, 3 source unreachable.
    """
    from cdccheck.files import write_atomic
    from cdccheck.refs.infer import EventDecoding, infer_schema

    if files and stream is not None:
        raise ConfigError("pass corpus files or --stream, not both")
    if not files and stream is None:
        raise ConfigError("nothing to infer from: pass corpus files or --stream KEY")
    decoding = EventDecoding(
        payload_field=payload_field,
        writer_field=writer_field,
        layout=layout.value,
        encoding=encoding.value if encoding else "json",
    )
    with contextlib.ExitStack() as stack:
        if files:
            batches: Iterable[list[Entry]] = _corpus_batches(files, batch_size)
        else:
            from cdccheck.cli.check import open_range

            assert stream is not None
            source = stack.enter_context(
                open_range(redis_url, stream, start, end, count, batch_size)
            )
            batches = source.batches()
        inferred = infer_schema(
            decoding.events(batches),
            writer=writer,
            op_field=op_field or None,
            enum_threshold=enum_threshold,
            bounds=bounds.value,
            show_values=show_values,
            additional_properties=open_objects,
            title=title,
        )
    from cdccheck.engine.schema import document_bytes

    content = document_bytes(inferred.document)
    if output is None:
        typer.echo(content.decode(), nl=False)
    else:
        write_atomic(output, content)
    left_out = f", {decoding.undecodable:,} undecodable left out" if decoding.undecodable else ""
    others = f", {inferred.skipped:,} of other writers" if inferred.skipped else ""
    where = f" to {output}" if output is not None else ""
    note(
        f"inferred{where} from {inferred.events:,} events{others}{left_out}",
        quiet=quiet,
    )


def _corpus_batches(files: list[Path], batch_size: int) -> Iterator[list[Entry]]:
    from cdccheck.sources.corpus import read_corpus

    for file in files:
        yield from read_corpus(file, batch_size=batch_size)
