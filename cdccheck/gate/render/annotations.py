"""SARIF and GitHub annotations: each change mapped to the line of its schema file."""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cdccheck.gate.compat import BACKWARD, FORWARD, Change
from cdccheck.gate.kinds import explain
from cdccheck.gate.render.common import (
    as_sentence,
    broken_directions,
    corpus_line,
    each_change,
    explanation_of,
    full_stop,
    proof,
    verdict,
)
from cdccheck.gate.render.describe import is_derived
from cdccheck.gate.run import GateResult, SchemaResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def pointer_lines(text: str) -> dict[str, int]:
    """1-based line of every JSON Pointer in a JSON text (a member: its key's line)."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    lines: dict[str, int] = {}

    def line_at(index: int) -> int:
        return bisect.bisect_right(newlines, index - 1) + 1

    # json.decoder's string scanner: exact JSON string rules, including escapes.
    scanstring: Any = json.decoder.scanstring  # type: ignore[attr-defined]
    whitespace = re.compile(r"[ \t\r\n]*")
    scalar = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null")

    def skip(index: int) -> int:
        match = whitespace.match(text, index)
        return match.end() if match else index

    def value(index: int, pointer: str) -> int:
        index = skip(index)
        lines.setdefault(pointer, line_at(index))
        char = text[index]
        if char == "{":
            index = skip(index + 1)
            if text[index] == "}":
                return index + 1
            while True:
                key_at = index
                key, index = scanstring(text, index + 1)
                member = pointer + "/" + key.replace("~", "~0").replace("/", "~1")
                lines.setdefault(member, line_at(key_at))
                index = skip(index)
                index = value(index + 1, member)  # past the ':'
                index = skip(index)
                if text[index] == "}":
                    return index + 1
                index = skip(index + 1)  # past the ','
        if char == "[":
            index = skip(index + 1)
            if text[index] == "]":
                return index + 1
            position = 0
            while True:
                index = value(index, f"{pointer}/{position}")
                position += 1
                index = skip(index)
                if text[index] == "]":
                    return index + 1
                index = skip(index + 1)
        if char == '"':
            return scanstring(text, index + 1)[1]
        match = scalar.match(text, index)
        if match is None:
            raise ValueError(f"not JSON at offset {index}")
        return match.end()

    # A partial map is still useful: unknown pointers fall back to an ancestor's line.
    with contextlib.suppress(ValueError, IndexError):
        value(0, "")
    return lines


def line_of(text: str, pointer: str) -> int:
    """Line of ``pointer`` in ``text``, or of its nearest existing ancestor (else 1)."""
    lines = pointer_lines(text)
    while True:
        if pointer in lines:
            return lines[pointer]
        if not pointer:
            return 1
        pointer = pointer.rsplit("/", 1)[0]


def location_of(schema: SchemaResult, change: Change) -> tuple[str, int]:
    """File (as named in the run) and line where a change should be annotated."""
    loc = change.location
    file = loc.file
    if is_derived(file):
        return file, 0  # derived from code: no file to point into
    if not Path(file).is_file():
        # The legacy version at a git ref (REF:path): point at the same place in
        # the working-tree file, which is what a pull request shows.
        file = schema.file
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return file, 1
    return file, line_of(text, loc.pointer)


def _level(result: GateResult, change: Change) -> str | None:
    if change.breaks(result.mode):
        return "error"
    if change.backward or change.forward:
        return "warning"
    return None


def _annotation_message(result: GateResult, change: Change) -> str:
    return (
        f"{change.kind}: {explanation_of(result, change)} {full_stop(change.message)} "
        f"(breaks {broken_directions(change)}; {proof(result, change)})"
    )


def render_sarif(result: GateResult) -> str:
    """SARIF 2.1.0 for code scanning: one result per breaking change."""
    from cdccheck import __version__

    rules: dict[str, int] = {}
    results = []
    for schema, change in each_change(result):
        level = _level(result, change)
        if level is None:
            continue
        rules.setdefault(change.kind, len(rules))
        file, line = location_of(schema, change)
        physical: dict[str, Any] = {"artifactLocation": {"uri": Path(file).as_posix()}}
        if line >= 1:  # a reference to code has no line to point at (SARIF lines start at 1)
            physical["region"] = {"startLine": line}
        results.append(
            {
                "ruleId": change.kind,
                "ruleIndex": rules[change.kind],
                "level": level,
                "message": {"text": _annotation_message(result, change)},
                "locations": [{"physicalLocation": physical}],
                "properties": {
                    "breaking": {BACKWARD: change.backward, FORWARD: change.forward},
                    "proven": change.proven,
                    "path": change.path,
                },
            }
        )
    document = {
        "version": "2.1.0",
        "$schema": SARIF_SCHEMA,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cdccheck",
                        "version": __version__,
                        "rules": [_sarif_rule(kind, result.labels) for kind in rules],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _sarif_rule(kind: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """A SARIF rule for a change kind, with its plain-English explanation as help."""
    text = as_sentence(explain(kind, dict(labels)))
    return {
        "id": kind,
        "name": kind.title().replace("_", ""),
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "help": {
            "text": f"{text} The kinds are listed in docs/gate.md (Change kinds).",
            "markdown": f"**{kind}**: {text} See `docs/gate.md`, *Change kinds*.",
        },
    }


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: GateResult) -> str:
    """GitHub Actions workflow commands: ``::error file=...,line=...::`` per breaking change."""
    lines = []
    for schema, change in each_change(result):
        level = _level(result, change)
        if level is None:
            continue
        file, line = location_of(schema, change)
        place = [("file", file), ("line", str(line))] if line >= 1 else [("file", file)]
        properties = ",".join(
            f"{key}={_escape_property(value)}" for key, value in [*place, ("title", change.kind)]
        )
        lines.append(f"::{level} {properties}::{_escape_data(_annotation_message(result, change))}")
    if result.corpus_failures:
        lines.append(f"::error title=cdccheck corpus::{_escape_data(corpus_line(result) or '')}")
    lines.append(verdict(result))
    return "\n".join(lines) + "\n"
