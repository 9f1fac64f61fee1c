"""One self-contained HTML page per document; the code lives in :mod:`cdccheck.report.html.check`."""

from cdccheck.report.html.check import load_document, render_html

__all__ = ["load_document", "render_html"]
