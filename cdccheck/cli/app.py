"""The typer application every command module registers on.

A command family lives in its own module under ``cdccheck/cli/`` and
registers with this object, wrapped by the one exit-code decorator::

    from cdccheck.cli.app import app
    from cdccheck.cli.common import errors_to_exit_codes

    @app.command()
    @errors_to_exit_codes
    def compare(...) -> None:
        ...

and ``cdccheck/cli/__init__.py`` imports the module, which is what registers
it (the import order is the order of ``cdccheck --help``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

try:  # recent typer releases vendor click; older ones depend on it
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as click_errors  # type: ignore[no-redef]


def usage_line(error: Any, command: str = "cdccheck") -> str:
    """``cdccheck: error: <message> (see cdccheck CMD --help)`` for a parser's usage error.

    The option parser's own form is three lines (usage, hint, error); the
    promise of docs/cli.md is one line per error, whoever detects it.
    ``command`` is used when the error does not know its command.
    """
    message = " ".join(str(error.format_message()).split()).rstrip(".")
    # typer's value coercion prefixes its reason with this; it says nothing to a user.
    message = message.replace("Value error, ", "")
    message = message[:1].lower() + message[1:]
    context = getattr(error, "ctx", None)
    if context is not None:
        command = context.command_path
    return f"cdccheck: error: {message} (see {command} --help)"


class OneLineErrors(TyperGroup):
    """The root command group: usage errors of every command become one line, exit 2."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; as click's, but errors of the parser are one line."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.ClickException as error:
            _exit_on(error, self._command_path(prog_name, args))
        except typer.Abort:
            typer.echo("cdccheck: interrupted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def _command_path(self, prog_name: str | None, args: Sequence[str] | None) -> str:
        """``cdccheck report merge``: the (sub)command the arguments name, for a hint."""
        path = [prog_name or self.name or "cdccheck"]
        group: Any = self
        for word in sys.argv[1:] if args is None else args:
            command = getattr(group, "commands", {}).get(word)
            if command is None:
                if word.startswith("-"):
                    continue
                break
            path.append(word)
            group = command
        return " ".join(path)


def _exit_on(error: Any, command: str) -> NoReturn:
    no_args_is_help = getattr(click_errors, "NoArgsIsHelpError", None)
    if no_args_is_help is not None and isinstance(error, no_args_is_help):
        error.show()  # the help itself, as asked for by running a group bare
    elif isinstance(error, click_errors.UsageError):
        typer.echo(usage_line(error, command), err=True)
    else:
        typer.echo(f"cdccheck: error: {' '.join(error.format_message().split())}", err=True)
    sys.exit(error.exit_code)


app = typer.Typer(
    name="cdccheck",
    cls=OneLineErrors,
    help=(
        "Check that change-data-capture events stay decodable under a legacy and a new "
        "serialization schema.\n\n"
        "Example: cdccheck check events.jsonl --legacy schemas/comment/legacy.json "
        "--new schemas/comment/new.json"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from cdccheck import __version__

        typer.echo(f"cdccheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Check that CDC events stay decodable under a legacy and a new schema."""
