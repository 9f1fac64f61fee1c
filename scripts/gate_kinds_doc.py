"""Rewrite the kind tables of docs/gate.md ("## Change kinds") from cdccheck.gate.kinds.

Run after changing the table: `python scripts/gate_kinds_doc.py`. The test
tests/gate/test_kinds.py fails while the page and the table disagree.
"""

from __future__ import annotations

from pathlib import Path

from cdccheck.gate.kinds import KINDS, explain

DOC = Path(__file__).resolve().parents[1] / "docs" / "gate.md"
# The first kind of each group, and the group's heading.
GROUPS = {
    "TYPE_NARROWED": "Types and values",
    "MULTIPLE_OF_ADDED": "Numbers and strings",
    "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "Objects",
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL": "Arrays",
    "NOT_ADDED": "Combinators and the rest",
    "TITLE_CHANGED": "Annotations (never breaking)",
    "SCHEMA_FILE_ADDED": "Files (`--against`)",
    "MIN_LENGTH_ADDED": "Bounds (`minLength`, `maxLength`, `minimum`, `maximum`, "
    "`exclusiveMinimum`, `exclusiveMaximum`, `minItems`, `maxItems`, `minProperties`, "
    "`maxProperties`, `minContains`, `maxContains`)",
}
FIRST_TABLE = "**Types and values**"
NEXT_SECTION = "\n## Comparing against a git ref"


def tables() -> str:
    """The kind tables, grouped, as Markdown."""
    lines: list[str] = []
    for kind in KINDS:
        if kind in GROUPS:
            if lines:
                lines.append("")
            lines += [f"**{GROUPS[kind]}**", "", "| kind | meaning |", "| --- | --- |"]
        lines.append(f"| `{kind}` | {explain(kind)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(FIRST_TABLE), text.index(NEXT_SECTION)
    DOC.write_text(text[:start] + tables() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
