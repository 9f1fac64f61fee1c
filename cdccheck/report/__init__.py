"""Check reports: one Summary rendered as JSON, a console table, Markdown, JUnit XML or HTML.

``build_report`` (in :mod:`cdccheck.report.json`) turns a Summary plus what
the run knows about itself into the JSON report of docs/reports.md; every
other format renders that same dictionary, so they never disagree.
``write_atomic`` is :func:`cdccheck.files.write_atomic`, kept here for the
callers that import it from this package.
"""

from __future__ import annotations

from typing import Any

from cdccheck.errors import ConfigError
from cdccheck.files import write_atomic

__all__ = ["FORMATS", "render", "write_atomic"]

FORMATS = ("table", "json", "markdown", "junit", "html")


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
    if format_name == "html":
        from cdccheck.report.html import render_html

        return render_html(report)
    if format_name == "table":
        from cdccheck.report.console import render_table

        return render_table(report, color=color, width=width)
    raise ConfigError(f"unknown format {format_name!r} (expected one of {', '.join(FORMATS)})")
