"""One self-contained HTML page for a check report, a gate result or a compare report.

The page makes no network request of any kind: styles are inline, charts are
inline SVG drawn here, and the only script is a one-line handler that opens
every ``<details>`` before printing. No URL is ever emitted as a ``src`` or
``href`` (links are ``#anchors`` within the page). It reads at 1280 px, on a
phone (tables scroll sideways inside their box, charts stretch to the width,
their labels are HTML text so they never shrink) and on paper.

Everything taken from the document is escaped: sample values, messages,
paths and writer names are user content (docs/security.md).

What is drawn (docs/reports.md): the totals; per writer, a stacked chart of
each time bucket's events (ok, legacy only, new only, both invalid,
undecodable) with a strip of the failing share under it; the finding groups,
each with a small timeline of its own, its trend ("first seen ..., rising
since ...") and its samples. A report without a ``timeline`` (an older
cdccheck) still renders, with a share bar per writer instead.

The package follows the page: ``page`` (skeleton, styles, dispatch and
loading), ``pieces`` (escaping, tables, legends), ``charts`` (the SVG),
and one module of sections per document kind: ``check``, ``gate``, ``compare``.
"""

from cdccheck.report.html.page import load_document, render_html

__all__ = ["load_document", "render_html"]
