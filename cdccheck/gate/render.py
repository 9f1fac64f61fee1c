"""Render a gate result: text, json, markdown, junit, sarif or GitHub annotations.

Every renderer takes a `cdccheck.gate.GateResult` and returns text. The JSON
shape is the contract of docs/gate.md::

    {"compatible": {"backward": bool, "forward": bool},
     "changes": [{"kind", "path", "breaking": {"backward", "forward"},
                  "proven", "witness", "message"}],
     "corpus": <check report or null>}

When one run covers several schema files (``--against``), each change also
carries ``"file"``. Annotations (github, sarif) point at the line of the
schema file where the change is: the JSON Pointer is mapped to a line by
scanning the file's text.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from cdccheck.errors import ConfigError
from cdccheck.files import write_atomic
from cdccheck.gate.compat import BACKWARD, FORWARD, Change
from cdccheck.gate.run import GateResult, SchemaResult
from cdccheck.model import ABSENT

FORMATS = ("text", "json", "markdown", "junit", "sarif", "github", "html")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_WITNESS_CHARS = 160


def render(result: GateResult, fmt: str) -> str:
    """The result in one of `FORMATS`."""
    renderers = {
        "text": render_text,
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


# ---- shared pieces ----------------------------------------------------------------------


def _entries(result: GateResult) -> Iterator[tuple[SchemaResult, Change]]:
    for schema in result.schemas:
        for change in schema.changes:
            yield schema, change


def _directions(change: Change) -> str:
    broken = [d for d, flag in ((BACKWARD, change.backward), (FORWARD, change.forward)) if flag]
    return " and ".join(broken) if broken else "nothing"


def _witness_text(change: Change, limit: int | None = _WITNESS_CHARS) -> str:
    if change.witness is None:
        return ""
    text = json.dumps(_abridged(change.witness.instance), ensure_ascii=False, sort_keys=True)
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _abridged(value: Any) -> Any:
    """Long strings shortened for display (the JSON output keeps the real witness)."""
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:8]}...({len(value)} chars)"
    if isinstance(value, list):
        return [_abridged(v) for v in value]
    if isinstance(value, dict):
        return {k: _abridged(v) for k, v in value.items()}
    return value


def _proof(change: Change) -> str:
    if change.witness is None:
        return "suspected (no witness found)"
    w = change.witness
    text = f"proven: {w.accepted_by} accepts, {w.rejected_by} rejects {_witness_text(change)}"
    if w.path:
        focus = w.focus
        shown = "absent" if focus is ABSENT else json.dumps(_abridged(focus), ensure_ascii=False)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        text += f" (at {w.path}: {shown})"
    return text


def _verdict(result: GateResult) -> str:
    compatible = result.compatible
    words = ", ".join(f"{d} {'yes' if compatible[d] else 'NO'}" for d in (BACKWARD, FORWARD))
    breaking = result.breaking
    proven = sum(1 for c in breaking if c.proven)
    if result.exit_code == 0:
        return f"PASS (mode {result.mode}): compatible {words}"
    parts = []
    if breaking:
        parts.append(f"{len(breaking)} breaking change(s), {proven} proven")
    if result.corpus_failures:
        parts.append(
            f"{result.corpus_failures} corpus event(s) counted by --fail-on {result.fail_on}"
        )
    return f"FAIL (mode {result.mode}): {'; '.join(parts)}; compatible {words}"


def _corpus_line(result: GateResult) -> str | None:
    if result.corpus is None:
        return None
    totals = result.corpus.get("totals") or {}
    events = totals.get("events", 0)
    return (
        f"corpus: {events} event(s): {totals.get('ok', 0)} ok, "
        f"{totals.get('undecodable', 0)} undecodable, "
        f"{totals.get('legacy_invalid', 0)} invalid under legacy, "
        f"{totals.get('new_invalid', 0)} invalid under new "
        f"({result.corpus_failures} counted by --fail-on {result.fail_on})"
    )


def _corpus_hits(result: GateResult, change: Change) -> str | None:
    """ "did break on N of M events": the corpus findings where the witness points.

    A change "could break" readers; with a corpus, the events that already
    fail at the witness's path under the rejecting schema show that it did.
    """
    if result.corpus is None or change.witness is None or not change.witness.path:
        return None
    from cdccheck.summary import aggregate_path

    where = aggregate_path(change.witness.path)
    schema = change.witness.rejected_by
    hits = [
        group["events"]
        for group in result.corpus.get("findings", ())
        if group.get("schema") == schema and group.get("path") == where
    ]
    events = (result.corpus.get("totals") or {}).get("events", 0)
    if not hits:
        return f"corpus: no event fails at {where} under {schema} (could break, did not yet)"
    return f"corpus: did break on {max(hits):,} of {events:,} events at {where} under {schema}"


# ---- text ---------------------------------------------------------------------------------


def render_text(result: GateResult) -> str:
    """Plain text for a terminal or a CI log."""
    lines = []
    for schema in result.schemas:
        if schema.legacy and schema.new:
            lines.append(f"legacy {schema.legacy} -> new {schema.new}")
        else:
            lines.append(schema.file)
        if not schema.changes and not schema.suppressed:
            lines.append("  no changes")
        for change in schema.changes:
            if change.breaks(result.mode):
                status = f"BREAKS {_directions(change)}"
            elif change.backward or change.forward:
                status = f"breaks {_directions(change)} (not gated in mode {result.mode})"
            else:
                status = "ok"
            lines.append(f"  {status}: {change.kind} at {change.path or '/'}")
            lines.append(f"      {change.message}")
            if change.backward or change.forward:
                lines.append(f"      {_proof(change)}")
                hits = _corpus_hits(result, change)
                if hits:
                    lines.append(f"      {hits}")
        for change, reason in schema.suppressed:
            lines.append(f"  ignored: {change.kind} at {change.path or '/'} ({reason})")
    corpus = _corpus_line(result)
    if corpus:
        lines.append(corpus)
    lines.append(_verdict(result))
    return "\n".join(lines) + "\n"


# ---- json ---------------------------------------------------------------------------------


def to_json(result: GateResult) -> dict[str, Any]:
    """The JSON object of docs/gate.md; changes carry ``file`` when several files were compared."""
    several = len(result.schemas) > 1
    changes = []
    for schema, change in _entries(result):
        entry: dict[str, Any] = {
            "kind": change.kind,
            "path": change.path,
            "breaking": {BACKWARD: change.backward, FORWARD: change.forward},
            "proven": change.proven,
            "witness": change.witness.instance if change.witness else None,
            "message": change.message,
        }
        if several:
            entry["file"] = schema.file
        changes.append(entry)
    return {
        "compatible": result.compatible,
        "changes": changes,
        "corpus": dict(result.corpus) if result.corpus is not None else None,
    }


def render_json(result: GateResult) -> str:
    """`to_json` as indented JSON text."""
    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"


# ---- markdown -----------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: GateResult) -> str:
    """A Markdown summary (also what goes to $GITHUB_STEP_SUMMARY)."""
    compatible = result.compatible
    lines = [
        f"## cdccheck gate: {'PASS' if result.exit_code == 0 else 'FAIL'} (mode {result.mode})",
        "",
        "| direction | compatible |",
        "| --- | --- |",
        f"| backward (new reads legacy data) | {'yes' if compatible[BACKWARD] else '**no**'} |",
        f"| forward (legacy reads new data) | {'yes' if compatible[FORWARD] else '**no**'} |",
        "",
    ]
    entries = list(_entries(result))
    if entries:
        lines += [
            "| breaks | kind | file | path | proof | message |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for schema, change in entries:
            proof = (
                f"`{_md(_witness_text(change, 100))}` ({change.witness.accepted_by} only)"
                if change.witness
                else ("suspected" if change.backward or change.forward else "")
            )
            hits = _corpus_hits(result, change)
            if hits:
                proof += f"; {_md(hits)}"
            lines.append(
                f"| {_directions(change) if change.backward or change.forward else '-'} "
                f"| `{change.kind}` | `{_md(schema.file)}` | `{_md(change.path or '/')}` "
                f"| {proof} | {_md(change.message)} |"
            )
        lines.append("")
    else:
        lines += ["No schema changes.", ""]
    suppressed = [(s, c, r) for s in result.schemas for c, r in s.suppressed]
    if suppressed:
        lines += ["Ignored by configuration:", ""]
        lines += [
            f"- `{c.kind}` at `{_md(c.path or '/')}` in `{_md(s.file)}`: {_md(r)}"
            for s, c, r in suppressed
        ]
        lines.append("")
    corpus = _corpus_line(result)
    if corpus:
        lines += [corpus, ""]
    lines.append(_verdict(result))
    return "\n".join(lines) + "\n"


# ---- junit --------------------------------------------------------------------------------


def render_junit(result: GateResult) -> str:
    """JUnit XML: one testcase per change (failing when it breaks in the gate's mode)."""
    suite = ET.Element("testsuite", name="cdccheck gate")
    failures = 0
    cases = 0
    for schema, change in _entries(result):
        cases += 1
        case = ET.SubElement(
            suite, "testcase", classname=schema.file, name=f"{change.kind} {change.path or '/'}"
        )
        if change.breaks(result.mode):
            failures += 1
            failure = ET.SubElement(case, "failure", message=change.message, type=change.kind)
            failure.text = f"breaks {_directions(change)}; {_proof(change)}"
    if cases == 0:
        cases = 1
        ET.SubElement(suite, "testcase", classname="cdccheck gate", name="no schema changes")
    if result.corpus is not None:
        cases += 1
        case = ET.SubElement(suite, "testcase", classname="cdccheck gate", name="corpus")
        if result.corpus_failures:
            failures += 1
            ET.SubElement(case, "failure", message=_corpus_line(result) or "", type="corpus")
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    root = ET.Element("testsuites", name="cdccheck", tests=str(cases), failures=str(failures))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ---- sarif and github: locations ---------------------------------------------------------


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


def _location(schema: SchemaResult, change: Change) -> tuple[str, int]:
    """File (as named in the run) and line where a change should be annotated."""
    loc = change.location
    file = loc.file
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


def _annotation_message(change: Change) -> str:
    return f"{change.kind}: {change.message} (breaks {_directions(change)}; {_proof(change)})"


def render_sarif(result: GateResult) -> str:
    """SARIF 2.1.0 for code scanning: one result per breaking change."""
    from cdccheck import __version__

    rules: dict[str, int] = {}
    results = []
    for schema, change in _entries(result):
        level = _level(result, change)
        if level is None:
            continue
        rules.setdefault(change.kind, len(rules))
        file, line = _location(schema, change)
        results.append(
            {
                "ruleId": change.kind,
                "ruleIndex": rules[change.kind],
                "level": level,
                "message": {"text": _annotation_message(change)},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": Path(file).as_posix()},
                            "region": {"startLine": line},
                        }
                    }
                ],
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
                        "rules": [
                            {
                                "id": kind,
                                "name": kind.title().replace("_", ""),
                                "shortDescription": {"text": kind.replace("_", " ").lower()},
                            }
                            for kind in rules
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: GateResult) -> str:
    """GitHub Actions workflow commands: ``::error file=...,line=...::`` per breaking change."""
    lines = []
    for schema, change in _entries(result):
        level = _level(result, change)
        if level is None:
            continue
        file, line = _location(schema, change)
        properties = ",".join(
            f"{key}={_escape_property(value)}"
            for key, value in (("file", file), ("line", str(line)), ("title", change.kind))
        )
        lines.append(f"::{level} {properties}::{_escape_data(_annotation_message(change))}")
    if result.corpus_failures:
        lines.append(f"::error title=cdccheck corpus::{_escape_data(_corpus_line(result) or '')}")
    lines.append(_verdict(result))
    return "\n".join(lines) + "\n"


def append_step_summary(result: GateResult, path: str | Path) -> None:
    """Append the Markdown summary to a GitHub step summary file ($GITHUB_STEP_SUMMARY)."""
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(render_markdown(result))
