"""The shared CLI plumbing: one exit-code decorator on every command, and what it maps."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.cli.common import errors_to_exit_codes
from cdccheck.errors import ConfigError, SourceError
from cdccheck.samples import SAMPLE_CORPUS
from tests.helpers import SCHEMA_ARGS


def _callbacks(application: typer.Typer, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for command in application.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "?")
        yield prefix + name, command.callback
    for group in application.registered_groups:
        instance = group.typer_instance
        assert instance is not None
        name = prefix + (group.name or "?")
        if instance.registered_callback is not None:
            yield name, instance.registered_callback.callback
        yield from _callbacks(instance, name + " ")


def test_every_command_goes_through_the_one_exit_code_decorator() -> None:
    """A command added later (schema, compare, ...) fails here until it is wrapped."""
    found = dict(_callbacks(app))
    assert {"check", "replay", "export", "demo", "consume", "gate", "report"} <= set(found)
    assert {"report render", "report merge"} <= set(found)
    unwrapped = [
        name
        for name, callback in found.items()
        if not getattr(callback, "errors_to_exit_codes", False)
    ]
    assert unwrapped == []


def _one_command(behaviour: Callable[[], None]) -> typer.Typer:
    """A throwaway app whose only command does ``behaviour`` under the decorator."""
    application = typer.Typer()

    @application.command()
    @errors_to_exit_codes
    def run() -> None:
        behaviour()

    return application


def _raise(error: BaseException) -> Callable[[], None]:
    def behaviour() -> None:
        raise error

    return behaviour


@pytest.mark.parametrize(
    ("error", "code", "stderr"),
    [
        (
            ConfigError("bad option --x (pass --y)"),
            2,
            "cdccheck: error: bad option --x (pass --y)\n",
        ),
        (SourceError("cannot reach Redis"), 3, "cdccheck: error: cannot reach Redis\n"),
        (KeyboardInterrupt(), 130, "cdccheck: interrupted\n"),
    ],
)
def test_errors_become_one_line_and_an_exit_code(
    error: BaseException, code: int, stderr: str
) -> None:
    result = CliRunner().invoke(_one_command(_raise(error)), [])
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", stderr)


def test_a_bug_is_exit_4_on_one_line_never_a_traceback() -> None:
    def buggy() -> None:
        {}["missing"]

    result = CliRunner().invoke(_one_command(buggy), [])
    assert result.exit_code == 4
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("cdccheck: error: internal error: KeyError: 'missing' at ")
    assert result.stderr.endswith(" (please report this)\n")
    assert "Traceback" not in result.stderr


def test_typer_exits_and_usage_errors_pass_through() -> None:
    def exits() -> None:
        raise typer.Exit(7)

    assert CliRunner().invoke(_one_command(exits), []).exit_code == 7

    def bad_parameter() -> None:
        raise typer.BadParameter("nope")

    result = CliRunner().invoke(_one_command(bad_parameter), [])
    assert result.exit_code == 2
    assert "nope" in result.stderr


def test_a_closed_stdout_ends_quietly_with_141(tmp_path: Path) -> None:
    """`cdccheck check ... | head` when head has gone: no traceback, no 'internal error'."""
    script = Path(sys.executable).with_name("cdccheck")
    process = subprocess.Popen(
        [str(script), "check", str(SAMPLE_CORPUS), *SCHEMA_ARGS, "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before the report is printed
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 141
    assert stderr == b""
