"""Render a gate result: text, json, markdown, junit, sarif or GitHub annotations.

Every renderer takes a `cdccheck.gate.GateResult` and returns text. The JSON
shape is the contract of docs/gate.md::

    {"compatible": {"backward": bool, "forward": bool},
     "changes": [{"kind", "path", "breaking": {"backward", "forward"},
                  "proven", "witness", "message"}],
     "corpus": <check report or null>}

When one run covers several schema files (``--against``), each change also
carries ``"file"``; with a corpus, ``"evidence"``; with ``--against`` the
object carries ``"labels"`` (``{"legacy": "base", "new": "head"}``). Annotations (github,
sarif) and the text lines point at the line of the schema file where the
change is: the JSON Pointer is mapped to a line by scanning the file's text.

For a pull request the text and Markdown outputs put breaking changes first,
one line each (place, kind, directions, the witness at the place that shows
the change), then the kind's explanation from `cdccheck.gate.kinds`; harmless
changes are counted unless ``verbose``. The sides are named by
``result.labels`` (``base``/``head`` with ``--against``).

The package has one module per format (``text``, ``json``, ``markdown``,
``junit``, ``annotations`` for SARIF and GitHub), the pieces they share
(``common``), the description hook for schemas derived from code
(``describe``) and the dispatcher (``formats``).
"""

from cdccheck.gate.render.annotations import (
    SARIF_SCHEMA,
    line_of,
    pointer_lines,
    render_github,
    render_sarif,
)
from cdccheck.gate.render.common import LINE_WIDTH
from cdccheck.gate.render.describe import (
    DERIVED_PREFIXES,
    describe,
    describe_sides,
    is_derived,
    pointer_at_instance,
    property_description,
)
from cdccheck.gate.render.formats import FORMATS, render, render_html, write_report
from cdccheck.gate.render.json import render_json, to_json
from cdccheck.gate.render.junit import render_junit
from cdccheck.gate.render.markdown import append_step_summary, render_markdown
from cdccheck.gate.render.text import render_text

__all__ = [
    "DERIVED_PREFIXES",
    "FORMATS",
    "LINE_WIDTH",
    "SARIF_SCHEMA",
    "append_step_summary",
    "describe",
    "describe_sides",
    "is_derived",
    "line_of",
    "pointer_at_instance",
    "pointer_lines",
    "property_description",
    "render",
    "render_github",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_sarif",
    "render_text",
    "to_json",
    "write_report",
]
