"""The gate's output formats: one name -> one renderer, and writing a report."""

from __future__ import annotations

import json
from pathlib import Path

from cdccheck.errors import ConfigError
from cdccheck.files import write_atomic
from cdccheck.gate.render.annotations import render_github, render_sarif
from cdccheck.gate.render.json import render_json
from cdccheck.gate.render.junit import render_junit
from cdccheck.gate.render.markdown import render_markdown
from cdccheck.gate.render.text import render_text
from cdccheck.gate.run import GateResult

FORMATS = ("text", "json", "markdown", "junit", "sarif", "github", "html")


def render(result: GateResult, fmt: str, *, verbose: bool = False) -> str:
    """The result in one of `FORMATS`; ``verbose`` lists harmless changes in text too."""
    if fmt == "text":
        return render_text(result, verbose=verbose)
    renderers = {
        "json": render_json,
        "markdown": render_markdown,
        "junit": render_junit,
        "sarif": render_sarif,
        "github": render_github,
        "html": render_html,
    }
    if fmt not in renderers:
        # The same error as cdccheck.report.render: a usage error, exit code 2.
        raise ConfigError(f"unknown gate format {fmt!r} (expected one of {', '.join(FORMATS)})")
    return renderers[fmt](result)


def render_html(result: GateResult) -> str:
    """One self-contained HTML page of the result (``cdccheck.report.html``)."""
    from cdccheck.report.html import render_html as page

    return page(json.loads(render_json(result)))


def write_report(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file, then a rename."""
    write_atomic(path, text)
