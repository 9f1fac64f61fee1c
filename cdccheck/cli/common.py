"""What every command shares: errors to exit codes, engine building, progress, finishing.

A new command uses these and writes no plumbing of its own:

- ``errors_to_exit_codes``: wraps EVERY command (docs/cli.md, exit codes);
  ``fail(message, code)`` for a one-line error a command detects itself;
- ``grouped_options``: a command that names an ``events: EventOptions`` or a
  ``schemas: SchemaOptions`` parameter gets their command-line options
  declared for it, once for every command, and receives them built;
- ``EventOptions`` with ``build_engine`` (schema paths or references) or
  ``engine_for`` (loaded schemas): the event options (payload field, layout,
  ...) and the ``Bounds`` (decoding limits, pattern budget, built by
  ``bounds`` from the options) into an Engine; ``SchemaOptions`` with
  ``load_schemas`` for every command that loads schemas (``--python-path``,
  ``--reader-timeout``, ``--allow-ref-path``; warnings about derived schemas
  printed once);
- ``Output`` with ``report_run``: the progress display around one library
  run (``cdccheck.report.run``), then ``finish`` writes ``--report``, prints
  the report and returns the exit code;
- ``render_for_stdout`` and ``print_or_write``: one report on stdout or in a file;
- ``bucket_width``: ``--bucket`` as seconds (None: automatic), checked before any work;
- ``note``: a line for the person at the terminal, on stderr.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

from cdccheck.cli.options import (
    AllowRefPathOption,
    Encoding,
    EncodingOption,
    FailOn,
    Layout,
    LayoutOption,
    MaxIntDigitsOption,
    MaxKeyBytesOption,
    MaxObjectKeysOption,
    MaxPayloadBytesOption,
    OpFieldOption,
    PatternTimeoutOption,
    PayloadFieldOption,
    PythonPathOption,
    ReaderTimeoutOption,
    ReportFormat,
    WriterFieldOption,
)

if TYPE_CHECKING:
    from cdccheck.engine.engine import Engine
    from cdccheck.engine.schema import Schema
    from cdccheck.engine.wire import Limits
    from cdccheck.model import Entry
    from cdccheck.report.run import CheckRun
    from cdccheck.summary import Summary

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INTERNAL_ERROR = 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (`| head`)

# typer's own signals (Exit, Abort) and usage errors pass through untouched.
_TYPER_SIGNALS = (typer.Exit, typer.Abort, typer.TyperException)


# ---------------------------------------------------------------- errors


def fail(message: str, exit_code: int) -> NoReturn:
    """Print ``cdccheck: error: <message>`` on stderr and exit with ``exit_code``."""
    typer.echo(f"cdccheck: error: {message}", err=True)
    raise typer.Exit(exit_code)


def errors_to_exit_codes(command: F) -> F:
    """The one place where errors become a message and an exit code; wrap EVERY command.

    CdccheckError: its one-line message and its exit code (2 usage or
    configuration, 3 source). Ctrl-C: 130. A reader of stdout that went
    away: 141, silently. Anything else is a bug: one line naming it, exit 4,
    never a traceback.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from cdccheck.errors import CdccheckError

        try:
            return command(*args, **kwargs)
        except _TYPER_SIGNALS:
            raise
        except CdccheckError as error:
            fail(error.message, error.exit_code)
        except KeyboardInterrupt:
            typer.echo("cdccheck: interrupted", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # Point stdout at /dev/null so the interpreter's final flush does not fail again
            # (not possible, nor needed, when stdout is not a real file, as under CliRunner).
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except Exception as error:
            bug = _describe_bug(error)
            fail(f"internal error: {bug} (please report this)", EXIT_INTERNAL_ERROR)

    wrapper.errors_to_exit_codes = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _describe_bug(error: Exception) -> str:
    """``Type: message at file:line`` of the innermost frame, on one line."""
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}{where}" if message else type(error).__name__ + where


# ---------------------------------------------------------------- engine


@dataclass(frozen=True)
class Bounds:
    """How much work one event may cost (docs/security.md, "Limits" and "Patterns").

    The options ``--max-payload-bytes``, ``--max-int-digits``,
    ``--max-key-bytes``, ``--max-object-keys`` and ``--pattern-timeout-ms``;
    the defaults are the documented ones. Where a schema's `$ref` may read
    (``--allow-ref-path``) is a schema option: ``SchemaOptions``.
    """

    max_payload_bytes: int = 8 * 1024 * 1024
    max_int_digits: int = 4300
    max_key_bytes: int = 64 * 1024
    max_object_keys: int = 100_000
    pattern_timeout_ms: int = 100

    def limits(self) -> Limits:
        """The decoding limits (``cdccheck.engine.wire.Limits``)."""
        from cdccheck.engine.wire import Limits

        return Limits(
            self.max_payload_bytes, self.max_int_digits, self.max_key_bytes, self.max_object_keys
        )

    def apply_pattern_timeout(self) -> None:
        """Give every pattern evaluation of this process the ``--pattern-timeout-ms`` budget."""
        from cdccheck.engine import patterns

        patterns.set_timeout(self.pattern_timeout_ms)


def bounds(
    max_payload_bytes: int,
    max_int_digits: int,
    max_key_bytes: int,
    max_object_keys: int,
    pattern_timeout_ms: int,
) -> Bounds:
    """``Bounds`` from the options of the same names."""
    return Bounds(
        max_payload_bytes,
        max_int_digits,
        max_key_bytes,
        max_object_keys,
        pattern_timeout_ms,
    )


@dataclass(frozen=True)
class EventOptions:
    """Where an entry keeps its event: the options of every command that checks events."""

    payload_field: str = "payload"
    op_field: str = "op"
    writer_field: str = "writer"
    layout: Layout = Layout.default
    encoding: Encoding | None = None
    bounds: Bounds = Bounds()
    """The decoding limits and the pattern budget."""


_EVENT_PARAMETERS: tuple[tuple[str, Any, Any], ...] = (
    ("payload_field", PayloadFieldOption, "payload"),
    ("op_field", OpFieldOption, "op"),
    ("writer_field", WriterFieldOption, "writer"),
    ("layout", LayoutOption, Layout.default),
    ("encoding", EncodingOption, None),
    ("max_payload_bytes", MaxPayloadBytesOption, 8 * 1024 * 1024),
    ("max_int_digits", MaxIntDigitsOption, 4300),
    ("max_key_bytes", MaxKeyBytesOption, 64 * 1024),
    ("max_object_keys", MaxObjectKeysOption, 100_000),
    ("pattern_timeout_ms", PatternTimeoutOption, 100),
)
"""The options an ``events: EventOptions`` parameter stands for, in --help order."""

_SCHEMA_PARAMETERS: tuple[tuple[str, Any, Any], ...] = (
    ("python_path", PythonPathOption, None),
    ("reader_timeout", ReaderTimeoutOption, 5.0),
    ("allow_ref_path", AllowRefPathOption, None),
)
"""The options a ``schemas: SchemaOptions`` parameter stands for (``quiet`` stays the command's)."""


def _events_from(values: dict[str, Any]) -> EventOptions:
    return EventOptions(
        values["payload_field"],
        values["op_field"],
        values["writer_field"],
        values["layout"],
        values["encoding"],
        bounds(
            values["max_payload_bytes"],
            values["max_int_digits"],
            values["max_key_bytes"],
            values["max_object_keys"],
            values["pattern_timeout_ms"],
        ),
    )


def _schemas_from(values: dict[str, Any], quiet: bool) -> SchemaOptions:
    return SchemaOptions(
        tuple(values["python_path"] or ()),
        values["reader_timeout"],
        quiet,
        allow_ref_paths=tuple(values["allow_ref_path"] or ()),
    )


def grouped_options(command: F) -> F:
    """Declare the event and schema options once for every command that takes them.

    A command names a parameter ``events: EventOptions`` and/or ``schemas:
    SchemaOptions``; typer sees, in their place, the command-line options they
    stand for (``_EVENT_PARAMETERS``, ``_SCHEMA_PARAMETERS``), and the command
    receives them built. ``SchemaOptions.quiet`` is the command's own
    ``--quiet`` when it has one.
    """
    signature = inspect.signature(command, eval_str=True)
    groups = {
        "events": _EVENT_PARAMETERS,
        "schemas": _SCHEMA_PARAMETERS,
    }
    parameters: list[inspect.Parameter] = []
    taken: dict[str, tuple[str, ...]] = {}
    for parameter in signature.parameters.values():
        group = groups.get(parameter.name)
        if group is None:
            parameters.append(parameter)
            continue
        taken[parameter.name] = tuple(name for name, _, _ in group)
        parameters.extend(
            inspect.Parameter(name, parameter.kind, default=default, annotation=annotation)
            for name, annotation, default in group
        )
    if not taken:
        raise TypeError(f"{command.__name__} has no events or schemas parameter")
    has_quiet = "quiet" in signature.parameters

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for names in taken.values() for name in names}
        if "events" in taken:
            kwargs["events"] = _events_from(values)
        if "schemas" in taken:
            kwargs["schemas"] = _schemas_from(values, bool(has_quiet and kwargs["quiet"]))
        return command(*args, **kwargs)

    # typer reads the options from the signature; the command's own annotations
    # (events, schemas) are not options.
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
    return wrapper  # type: ignore[return-value]


NO_SCHEMA_HINT = (
    "or set CDCCHECK_LEGACY and CDCCHECK_NEW, or legacy = PATH and new = PATH under "
    "[tool.cdccheck] in pyproject.toml or in cdccheck.toml; to make them, see "
    "`cdccheck schema derive` (from code) and `cdccheck schema infer` (from events)"
)


def resolve_schemas(
    legacy: str | Path | None, new: str | Path | None
) -> tuple[str | Path, str | Path]:
    """The two schema paths: the flags (or CDCCHECK_LEGACY/NEW), else the configuration.

    The configuration is ``legacy``/``new`` under ``[tool.cdccheck]`` in
    ``pyproject.toml``, or in ``cdccheck.toml``, in the current directory (the
    gate's file, docs/gate.md); it is read only when a flag is missing. There
    is no default: the bundled comment schemas on someone else's stream only
    give meaningless findings, so a missing schema is ConfigError (exit 2)
    saying how to give one. Only ``demo`` uses the bundled schemas.
    """
    if legacy is not None and new is not None:
        return legacy, new
    from cdccheck.errors import ConfigError
    from cdccheck.gate.config import load_config

    configured = load_config().default_pair
    if configured is not None:
        return legacy or configured[0], new or configured[1]
    if legacy is None and new is None:
        raise ConfigError(f"no schemas given: pass --legacy PATH --new PATH ({NO_SCHEMA_HINT})")
    missing = "new" if new is None else "legacy"
    raise ConfigError(
        f"no {missing} schema given: pass --{missing} PATH too ("
        + NO_SCHEMA_HINT.replace("CDCCHECK_LEGACY and CDCCHECK_NEW", f"CDCCHECK_{missing.upper()}")
        + ")"
    )


@dataclass(frozen=True)
class SchemaOptions:
    """How schema references (``go:...``, ``py:...``) are loaded: docs/schemas-from-code.md."""

    python_path: tuple[Path, ...] = ()
    """Import roots for ``py:`` references; the current directory always is one."""
    reader_timeout: float = 5.0
    """Seconds a real reader may take on one event before it is stopped (a finding)."""
    quiet: bool = False
    """No warnings about where a derived schema is wider than the code."""
    allow_ref_paths: tuple[Path, ...] = ()
    """Directories a schema's `$ref` may read besides its own tree (``--allow-ref-path``)."""


GROUPED_EVENTS = EventOptions()
"""The default of a command's ``events`` parameter (``grouped_options`` always passes one)."""
GROUPED_SCHEMAS = SchemaOptions()
"""The default of a command's ``schemas`` parameter (``grouped_options`` always passes one)."""


def load_schemas(
    sides: Sequence[tuple[str, str | Path]],
    options: SchemaOptions,
    *,
    encoding: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[Schema]:
    """Load each ``(name, path or reference)``; each derivation warning is said once.

    Warnings go to ``warn`` (default: a line on stderr unless quiet).
    """
    from cdccheck.engine.schema import load_schema

    loaded = [
        load_schema(
            path,
            name=name,
            encoding=encoding,
            python_path=options.python_path,
            reader_timeout=options.reader_timeout,
            allow_ref_paths=options.allow_ref_paths,
        )
        for name, path in sides
    ]
    said: set[str] = set()
    for schema in loaded:
        for warning in schema.warnings:
            if warning in said:
                continue
            said.add(warning)
            if warn is not None:
                warn(warning)
            else:
                note(f"cdccheck: warning: {warning}", quiet=options.quiet)
    return loaded


def build_engine(
    legacy: str | Path | None,
    new: str | Path | None,
    events: EventOptions,
    schemas: SchemaOptions | None = None,
    *,
    warn: Callable[[str], None] | None = None,
) -> Engine:
    """Load both schemas (``resolve_schemas``: flags, environment or configuration)."""
    legacy_path, new_path = resolve_schemas(legacy, new)
    chosen = events.encoding.value if events.encoding else None
    legacy_schema, new_schema = load_schemas(
        [("legacy", legacy_path), ("new", new_path)],
        schemas or SchemaOptions(),
        encoding=chosen,
        warn=warn,
    )
    return engine_for(legacy_schema, new_schema, events)


def engine_for(legacy: Schema, new: Schema, events: EventOptions) -> Engine:
    """The engine for two loaded schemas; ``--encoding`` overrides what they declare."""
    import dataclasses

    from cdccheck.engine.engine import Engine

    if events.encoding is not None:
        legacy = dataclasses.replace(legacy, encoding=events.encoding.value)
        new = dataclasses.replace(new, encoding=events.encoding.value)
    events.bounds.apply_pattern_timeout()
    return Engine(
        legacy,
        new,
        payload_field=events.payload_field,
        op_field=events.op_field,
        writer_field=events.writer_field,
        layout=events.layout.value,
        limits=events.bounds.limits(),
    )


# ---------------------------------------------------------------- progress


class Progress:
    """A rich progress line on stderr while events are checked; silent when not a TTY."""

    def __init__(self, *, total: int | None, quiet: bool, what: str = "events") -> None:
        self._enabled = not quiet and sys.stderr.isatty()
        self._progress: Any = None
        self._task: Any = None
        self._total = total
        self._what = what

    def __enter__(self) -> Progress:
        if self._enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            self._progress = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:>10} ev/s"),
                TextColumn("{task.fields[bad]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._what, total=self._total, rate="", bad="")
            self._started = time.perf_counter()
        return self

    def update(self, batch: list[Entry], summary: Summary) -> None:
        """The pipeline's ``on_batch`` callback."""
        if self._progress is None:
            return
        done = summary.totals.events
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        bad = done - summary.totals.ok
        self._progress.update(
            self._task, completed=done, rate=f"{done / elapsed:,.0f}", bad=f"{bad:,} with findings"
        )

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


# ---------------------------------------------------------------- finishing


@dataclass(frozen=True)
class Output:
    """What a checking command does with its report: the options check, replay and demo share."""

    format: ReportFormat = ReportFormat.table
    report: Path | None = None
    fail_on: FailOn = FailOn.any
    quiet: bool = False
    format_asked: bool = False
    """-f/--format (or CDCCHECK_FORMAT) was given: its output goes to stdout even with -q."""

    html: Path | None = None
    """Also write the report as one HTML page here, and say where (``demo``)."""

    @property
    def prints(self) -> bool:
        """Whether the report goes to stdout.

        ``-q`` silences what is for a person watching (progress, notes); the
        output asked for with ``-f`` is never silenced. Only the default table
        is left out when ``-q --report`` says the file is the output.
        """
        return not (self.quiet and self.report is not None and not self.format_asked)


def report_run(
    run: Callable[..., CheckRun],
    *,
    total: int | None,
    output: Output,
    empty: Callable[[], str] | None = None,
) -> int:
    """Call ``run(on_batch=...)`` under the progress display, then ``finish``; the exit code.

    ``run`` is one library run, e.g. ``functools.partial(check_run, batches,
    engine, source=...)`` or ``Demo.replay``. When its source went away part
    way, the report of what was checked is still written and shown, then the
    SourceInterrupted is raised (exit 3, with the id to resume from). When
    the run checked no event, ``empty()`` says what the source held instead
    (``nothing_checked``).
    """
    with Progress(total=total, quiet=output.quiet) as progress:
        result = run(on_batch=progress.update)
    code = finish(result, output)
    if result.interrupted is not None:
        raise result.interrupted
    if empty is not None and result.summary.totals.events == 0:
        return nothing_checked(empty(), output.fail_on)
    return code


def nothing_checked(message: str, fail_on: FailOn) -> int:
    """A run that checked no event: exit 5 (NothingToCheck), or a warning and 0 with --fail-on none.

    An empty range or corpus is not clean: a nightly job pointed at the wrong
    range must not stay green (docs/cli.md, exit codes).
    """
    from cdccheck.errors import NothingToCheck

    if fail_on is FailOn.none:
        typer.echo(f"cdccheck: warning: {message}", err=True)
        return 0
    raise NothingToCheck(message)


def finish(result: CheckRun, output: Output) -> int:
    """Write ``--report``, print the report (see ``Output.prints``); the exit code."""
    from cdccheck.files import write_atomic
    from cdccheck.report.json import render_json

    if output.report is not None:
        write_atomic(output.report, render_json(result.report))
    if output.html is not None:
        from cdccheck.report.html import render_html

        write_atomic(output.html, render_html(result.report))
    if output.prints:
        typer.echo(render_for_stdout(result.report, output.format), nl=False)
    if output.html is not None:
        note(f"HTML report: {output.html.resolve()} (open it in a browser)", quiet=output.quiet)
    return 1 if result.summary.counts_failures(output.fail_on.value) else 0


def render_for_stdout(report: dict[str, Any], output_format: ReportFormat) -> str:
    """The report in ``output_format``; a table is coloured and sized for a terminal."""
    from cdccheck.report import render

    if output_format is ReportFormat.table:
        import shutil

        tty = sys.stdout.isatty()
        # A pipe gets 80 columns, unless COLUMNS says otherwise (CI runners set it).
        sized = tty or os.environ.get("COLUMNS", "").isdigit()
        width = shutil.get_terminal_size((80, 24)).columns if sized else 80
        return render(report, "table", color=tty, width=width)
    return render(report, output_format.value)


def print_or_write(report: dict[str, Any], output_format: ReportFormat, path: Path | None) -> None:
    """Print the report on stdout, or write it (uncoloured, atomically) to ``path``."""
    from cdccheck.files import write_atomic
    from cdccheck.report import render

    if path is None:
        typer.echo(render_for_stdout(report, output_format), nl=False)
    else:
        write_atomic(path, render(report, output_format.value, color=False))


def bucket_width(bucket: str | None) -> int | None:
    """``--bucket`` in seconds, None for the automatic width; ConfigError (exit 2) when bad."""
    from cdccheck.timeline import parse_width

    return None if bucket is None else parse_width(bucket)


def given(context: typer.Context, parameter: str) -> bool:
    """Whether the user gave ``parameter`` (on the command line or in the environment)."""
    source = context.get_parameter_source(parameter)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def note(message: str, *, quiet: bool = False) -> None:
    """A line for the person at the terminal, on stderr (stdout carries the report)."""
    if not quiet:
        typer.echo(message, err=True)
