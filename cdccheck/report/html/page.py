"""The page skeleton: inline CSS, the print script, the dispatch by document kind, loading."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cdccheck.errors import ConfigError
from cdccheck.report.html.check import check_sections
from cdccheck.report.html.compare import compare_sections
from cdccheck.report.html.gate import gate_sections
from cdccheck.report.html.pieces import esc

_CSS = """
:root{--fg:#1d2330;--muted:#5d6678;--bg:#fff;--panel:#f5f7fa;--line:#d9dee7;
--ok:#3d9a5b;--legacy:#e08a1e;--new:#7b52c7;--both:#c8323b;--wire:#4a4f5a;--bad:#c8323b}
@media (prefers-color-scheme:dark){:root{--fg:#e4e8ef;--muted:#9aa3b5;--bg:#14171d;
--panel:#1d222b;--line:#343b48;--wire:#aab1bf}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--fg);background:var(--bg)}
main{max-width:1240px;margin:0 auto;padding:16px}
h1{font-size:1.45em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .5em;
border-bottom:1px solid var(--line);padding-bottom:.2em}h3{font-size:1.02em;margin:1.1em 0 .3em}
.muted,.meta{color:var(--muted)}.meta{font-size:.9em;margin:.1em 0}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.meta code,td.path code{overflow-wrap:anywhere}
pre{background:var(--panel);padding:8px;border-radius:4px;white-space:pre-wrap;
overflow-wrap:anywhere;margin:.3em 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:8px;margin:.6em 0}
.card{background:var(--panel);border-radius:6px;padding:8px 10px;border-left:4px solid var(--line)}
.card b{display:block;font-size:1.35em}.card span{color:var(--muted);font-size:.85em}
.card.good{border-left-color:var(--ok)}.card.bad{border-left-color:var(--bad)}
.verdict{font-weight:600;margin:.6em 0}.verdict.good{color:var(--ok)}.verdict.bad{color:var(--bad)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;margin:.3em 0 .8em;font-size:.92em}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}
td.name,th.name{white-space:nowrap}td.path{min-width:12em;overflow-wrap:anywhere}
td.spark{width:180px;min-width:120px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.85em;margin:.3em 0}
.legend i{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:4px;
vertical-align:-1px}
.c-ok{fill:var(--ok);background:var(--ok)}.c-legacy{fill:var(--legacy);background:var(--legacy)}
.c-new{fill:var(--new);background:var(--new)}.c-both{fill:var(--both);background:var(--both)}
.c-wire{fill:var(--wire);background:var(--wire)}.c-share{fill:var(--bad);background:var(--bad)}
.c-group{fill:var(--legacy)}
.chart{margin:.4em 0 1.2em}.chart svg{display:block;width:100%;background:var(--panel);
border-radius:4px}
svg.stack{height:150px}svg.share{height:34px;margin-top:3px}
svg.mini{display:block;width:100%;height:26px;min-width:110px}
svg.bar{height:18px}
.axis{display:flex;justify-content:space-between;font-size:.78em;color:var(--muted);gap:8px}
.axis span:last-child{text-align:right}
.chart-head{display:flex;flex-wrap:wrap;justify-content:space-between;gap:4px 12px;
font-size:.88em}
.grid{stroke:var(--line);stroke-width:1}
details{margin:.2em 0}summary{cursor:pointer;color:var(--muted);font-size:.9em}
.samples td{font-size:.92em}.tag{display:inline-block;padding:0 6px;border-radius:8px;
font-size:.8em;background:var(--panel);border:1px solid var(--line)}
.tag.bad{border-color:var(--bad);color:var(--bad)}.tag.good{border-color:var(--ok);color:var(--ok)}
.trend{font-size:.85em;color:var(--muted)}
nav{font-size:.9em;display:flex;flex-wrap:wrap;gap:4px 14px;margin:.4em 0}
nav a{color:inherit}
@media (max-width:640px){main{padding:10px}body{font-size:14px}th,td{padding:3px 5px}
svg.stack{height:110px}td.spark{min-width:90px}}
@media print{:root{--fg:#000;--muted:#444;--bg:#fff;--panel:#f3f3f3;--line:#bbb}
main{max-width:none;padding:0}nav,summary{display:none}.scroll{overflow:visible}
h2{break-after:avoid}.chart,tr,.card{break-inside:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

# Chromium and Firefox print a closed <details> without its body: open them first.
_SCRIPT = (
    "addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(d){d.open=true})})"
)


def render_html(document: Mapping[str, Any], *, title: str | None = None) -> str:
    """The page for a check report, a gate result or a compare report (by its keys)."""
    if not isinstance(document, Mapping):
        raise ConfigError("cannot render HTML: the document is not a JSON object")
    if document.get("cdccheck_compare_report") == 1:
        heading, body = "cdccheck compare", compare_sections(document)
    elif document.get("cdccheck_report") == 1:
        heading, body = "cdccheck report", check_sections(document, "")
    elif "compatible" in document and "changes" in document:
        heading, body = "cdccheck gate", gate_sections(document)
    else:
        raise ConfigError(
            "cannot render HTML: not a cdccheck report, gate result or compare report "
            '(no "cdccheck_report": 1, "cdccheck_compare_report": 1 or "compatible" key)'
        )
    page_title = title or heading
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width,initial-scale=1">',
            # Belt and braces: even a future bug that emitted a URL could not load it.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
            f"<title>{esc(page_title)}</title><style>{_CSS}</style>",
            f"<script>{_SCRIPT}</script></head><body><main>",
            f"<h1>{esc(page_title)}</h1>",
            body,
            '<p class="meta">Rendered by cdccheck. This page is self-contained: '
            "no network request, no external file.</p>",
            "</main></body></html>\n",
        ]
    )


def load_document(path: str | Path) -> dict[str, Any]:
    """A JSON file ``render_html`` can draw: a check report, a gate result or a compare report.

    ConfigError (one line, exit 2) when the file is none of them.
    """
    from cdccheck.report.json import load_report

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not a cdccheck report: invalid JSON ({exc})") from None
    if isinstance(document, dict) and "cdccheck_report" in document:
        return load_report(path)  # the same checks as every other format
    if isinstance(document, dict) and (
        document.get("cdccheck_compare_report") == 1
        or ("compatible" in document and "changes" in document)
    ):
        return document
    raise ConfigError(
        f"{path} is not a cdccheck report, gate result (--format json) or compare report"
    )
