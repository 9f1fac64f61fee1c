"""Reports: one Summary rendered as JSON, a console table, Markdown or JUnit XML.

``build_report`` (in :mod:`cdccheck.report.json`) turns a Summary plus what
the run knows about itself into the JSON report of DESIGN.md; every other
format renders that same dictionary, so they never disagree.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from cdccheck.errors import ConfigError

FORMATS = ("table", "json", "markdown", "junit")


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename.

    A reader (or a crash) never sees half a report: the rename is atomic on
    POSIX when both names are on one filesystem, hence the same directory.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def render(
    report: dict[str, Any], format_name: str, *, color: bool | None = None, width: int | None = None
) -> str:
    """The report in ``format_name`` (one of FORMATS)."""
    if format_name == "json":
        from cdccheck.report.json import render_json

        return render_json(report)
    if format_name == "markdown":
        from cdccheck.report.markdown import render_markdown

        return render_markdown(report)
    if format_name == "junit":
        from cdccheck.report.junit import render_junit

        return render_junit(report)
    if format_name == "table":
        from cdccheck.report.console import render_table

        return render_table(report, color=color, width=width)
    raise ConfigError(f"unknown format {format_name!r} (expected one of {', '.join(FORMATS)})")
