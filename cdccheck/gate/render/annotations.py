"""Render a gate result: text, json, markdown, junit, sarif or GitHub annotations.

Every renderer takes a `cdccheck.gate.GateResult` and returns text. The JSON
shape is the contract of docs/gate.md::

    {"compatible": {"backward": bool, "forward": bool},
     "changes": [{"kind", "path", "breaking": {"backward", "forward"},
                  "proven", "witness", "message"}],
     "corpus": <check report or null>}

When one run covers several schema files (``--against``), each change also
carries ``"file"``; with a corpus, ``"evidence"``. Annotations (github,
sarif) and the text lines point at the line of the schema file where the
change is: the JSON Pointer is mapped to a line by scanning the file's text.

For a pull request the text and Markdown outputs put breaking changes first,
one line each (place, kind, directions, the witness at the place that shows
the change), then the kind's explanation from `cdccheck.gate.kinds`; harmless
changes are counted unless ``verbose``. The sides are named by
``result.labels`` (``base``/``head`` with ``--against``).
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from cdccheck.errors import ConfigError
from cdccheck.files import write_atomic
from cdccheck.gate.compat import BACKWARD, FORWARD, Change
from cdccheck.gate.kinds import explain
from cdccheck.gate.run import GateResult, SchemaResult
from cdccheck.model import ABSENT
from cdccheck.summary import aggregate_path

FORMATS = ("text", "json", "markdown", "junit", "sarif", "github", "html")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LINE_WIDTH = 120
"""What one text line per change aims at (a CI log, a terminal)."""
DERIVED_PREFIXES = ("go:", "py:")
"""Schema origins that are references to code (docs/schemas-from-code.md)."""
_WITNESS_CHARS = 160


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


# ---- shared pieces ----------------------------------------------------------------------


def _entries(result: GateResult) -> Iterator[tuple[SchemaResult, Change]]:
    for schema in result.schemas:
        for change in schema.changes:
            yield schema, change


def _breaks(change: Change) -> bool:
    return change.backward or change.forward


def _directions(change: Change) -> str:
    broken = [d for d, flag in ((BACKWARD, change.backward), (FORWARD, change.forward)) if flag]
    return " and ".join(broken) if broken else "nothing"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def _witness_text(change: Change, limit: int | None = _WITNESS_CHARS) -> str:
    """The whole witness instance, abridged (long strings shortened)."""
    if change.witness is None:
        return ""
    text = json.dumps(_abridged(change.witness.instance), ensure_ascii=False, sort_keys=True)
    return text if limit is None else _clip(text, limit)


def _abridged(value: Any) -> Any:
    """Long strings shortened for display (the JSON output keeps the real witness)."""
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:8]}...({len(value)} chars)"
    if isinstance(value, list):
        return [_abridged(v) for v in value]
    if isinstance(value, dict):
        return {k: _abridged(v) for k, v in value.items()}
    return value


def _focus(change: Change, limit: int = 80) -> str:
    """The witness where it shows the change: ``/comment/score absent``, ``/op = "x"``.

    The whole instance only when the change is at its root.
    """
    witness = change.witness
    if witness is None:
        return ""
    if not witness.path:
        return _witness_text(change, limit)
    focus = witness.focus
    shown = "absent" if focus is ABSENT else "= " + json.dumps(_abridged(focus), ensure_ascii=False)
    text = f"{witness.path} {shown}"
    if len(text) > limit and witness.path.count("/") > 1:
        # The value matters more than the whole path: keep its last step.
        text = f".../{witness.path.rsplit('/', 1)[1]} {shown}"
    return _clip(text, limit)


def _sides(result: GateResult, change: Change) -> str:
    """``new accepts, legacy rejects`` in the run's labels."""
    witness = change.witness
    if witness is None:
        return ""
    labels = result.labels
    return f"{labels[witness.accepted_by]} accepts, {labels[witness.rejected_by]} rejects"


def _proof(result: GateResult, change: Change) -> str:
    if change.witness is None:
        return "suspected (no witness found)"
    return f"proven: {_sides(result, change)} {_focus(change, _WITNESS_CHARS)}"


def _sentence(text: str) -> str:
    """A sentence from an explanation: capitalised, with its full stop."""
    return text[:1].upper() + _stop(text[1:])


def _stop(text: str) -> str:
    """``text`` ending in a full stop (messages start with keywords: no capital)."""
    return text if text.endswith(".") else text + "."


def _explanation(result: GateResult, change: Change) -> str:
    return _sentence(explain(change.kind, dict(result.labels)))


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
    labels = result.labels
    return (
        f"corpus: {events:,} event(s): {totals.get('ok', 0):,} ok, "
        f"{totals.get('undecodable', 0):,} undecodable, "
        f"{totals.get('legacy_invalid', 0):,} invalid under {labels['legacy']}, "
        f"{totals.get('new_invalid', 0):,} invalid under {labels['new']} "
        f"({result.corpus_failures:,} counted by --fail-on {result.fail_on})"
    )


def _corpus_hits(result: GateResult, change: Change) -> str | None:
    """What the corpus shows for a change: the events that already fail the way it would.

    Counted from the finding groups at the witness's place, under the schema
    the change breaks, of the finding kinds that kind of change can cause
    (cdccheck.gate.kinds), each group with its own count.
    """
    evidence = result.evidence(change)
    if evidence is None or result.corpus is None:
        return None
    labels = result.labels
    total = (result.corpus.get("totals") or {}).get("events", 0)
    where = aggregate_path(change.witness.path) if change.witness else ""
    if not evidence:
        schemas = " or ".join(labels[s] for s in _broken_schemas(change))
        return (
            f"corpus: no event of {total:,} fails at {where or '/'} under {schemas} "
            "the way this change would (could break, did not yet)"
        )
    parts = []
    for schema in dict.fromkeys(e.schema for e in evidence):
        counts = ", ".join(f"{e.events:,} {e.kind}" for e in evidence if e.schema == schema)
        parts.append(f"{counts} under {labels[schema]}")
    return f"corpus: did break at {where or '/'}: {'; '.join(parts)} (of {total:,} events)"


def _broken_schemas(change: Change) -> list[str]:
    return [s for s, flag in (("new", change.backward), ("legacy", change.forward)) if flag]


def _shown_path(path: str) -> str:
    """A file as a reader should see it: relative to the working directory when inside it.

    An absolute path elsewhere is cut to its name (it says nothing to the
    reader of a pull request and exposes the machine's layout).
    """
    if path.split(":", 1)[0] in ("go", "py") or not Path(path).is_absolute():
        return path
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return Path(path).name


def _header(result: GateResult, schema: SchemaResult) -> str:
    labels = result.labels
    if schema.legacy and schema.new:
        return (
            f"{labels['legacy']} {_shown_path(schema.legacy)} -> "
            f"{labels['new']} {_shown_path(schema.new)}"
        )
    side = "new" if schema.new else "legacy"
    return f"{_shown_path(schema.file)} (only in {labels[side]})"


# ---- the description hook (schemas derived from code) ------------------------------------


def is_derived(origin: str | None) -> bool:
    """Whether a schema came from a reference to code (``go:``, ``py:``), not a file."""
    return origin is not None and origin.startswith(DERIVED_PREFIXES)


def property_description(document: Any, pointer: str) -> str | None:
    """The `description` of the property schema nearest above ``pointer``, if any.

    Derived schemas put the code's field and tag there (``Comment.Score,
    json:"score,omitempty"``), which tells the reader of a change which field
    of which type to fix.
    """
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    nodes: list[Any] = [document]
    for token in tokens:
        node = nodes[-1]
        if isinstance(node, dict) and token in node:
            nodes.append(node[token])
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            nodes.append(node[int(token)])
        else:
            break
    for depth in range(len(nodes) - 1, 1, -1):
        node = nodes[depth]
        if tokens[depth - 2] == "properties" and isinstance(node, dict):
            description = node.get("description")
            if isinstance(description, str) and description.strip():
                return description.strip()
    return None


def describe(schema: SchemaResult, change: Change) -> str | None:
    """The hook: the code-side description of what a change touches, for derived schemas.

    Only schemas from a code reference (`is_derived`) are asked: in a
    hand-written schema a description is prose for humans, not a locator.
    ``describe_sides`` has each side on its own; this joins them.
    """
    found = describe_sides(schema, change)
    if len(found) > 1:
        return " ".join(f"{side}: {text}" for side, text in found)
    return found[0][1] if found else None


def describe_sides(schema: SchemaResult, change: Change) -> list[tuple[str, str]]:
    """(side, description) for each side derived from code that describes the change.

    With a witness, each side is asked about the property the witness points
    at, so a change found on one side (a ``required`` that went away in the
    legacy dataclass) also names the field on the other (the Go field with
    ``omitempty``); without one, the side the change points into is asked
    about the changed place. The change's own side comes first.
    """
    first = change.primary
    sides = [
        (side, origin, loaded)
        for side, origin, loaded in (
            ("new", schema.new, schema.new_schema),
            ("legacy", schema.legacy, schema.legacy_schema),
        )
        if loaded is not None and is_derived(origin)
    ]
    sides.sort(key=lambda item: item[0] != first)
    found: list[tuple[str, str]] = []
    for side, _, loaded in sides:
        if change.witness is not None:
            pointer = pointer_at_instance(loaded.document, change.witness.path)
        else:
            location = change.legacy if side == "legacy" else change.new
            pointer = location.pointer if location is not None else None
        text = property_description(loaded.document, pointer) if pointer is not None else None
        if text and all(text != seen for _, seen in found):
            found.append((side, text))
    return found


def pointer_at_instance(document: Any, path: str) -> str | None:
    """The schema pointer of the property schema an instance path leads to, or None.

    Follows ``properties``, ``items``, local ``$ref`` and the ``anyOf``/``oneOf``
    branches that lead on; enough for the documents derived from code.
    """
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]
    pointer, node = "", document
    for token in tokens:
        step = _step_into(document, node, pointer, token)
        if step is None:
            return None
        pointer, node = step
    return pointer or None


def _step_into(document: Any, node: Any, pointer: str, token: str) -> tuple[str, Any] | None:
    seen: set[str] = set()
    pending = [(pointer, node)]
    while pending:
        at, here = pending.pop(0)
        if not isinstance(here, dict):
            continue
        ref = here.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and ref not in seen:
            seen.add(ref)
            target = _resolve_local(document, ref[1:])
            if target is not None:
                pending.append((ref[1:], target))
        properties = here.get("properties")
        if isinstance(properties, dict) and token in properties:
            escaped = token.replace("~", "~0").replace("/", "~1")
            return f"{at}/properties/{escaped}", properties[token]
        if token.isdigit() and isinstance(here.get("items"), dict):
            return f"{at}/items", here["items"]
        for keyword in ("anyOf", "oneOf", "allOf"):
            branches = here.get(keyword)
            if isinstance(branches, list):
                pending += [(f"{at}/{keyword}/{i}", b) for i, b in enumerate(branches)]
    return None


def _resolve_local(document: Any, pointer: str) -> Any:
    node = document
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return None
    return node


# ---- text ---------------------------------------------------------------------------------


def _status(result: GateResult, change: Change) -> str:
    if not _breaks(change):
        return "harmless"
    if change.breaks(result.mode):
        return f"breaks {_directions(change)}"
    return f"breaks {_directions(change)} (not gated in mode {result.mode})"


def _headline(result: GateResult, schema: SchemaResult, change: Change) -> tuple[str, str | None]:
    """``new.json:57 /pointer  KIND  breaks forward  witness: /comment/x = ""`` (about 120).

    Returns the line, and the witness for a line of its own when the place
    and kind leave it too little room.
    """
    file, line = _location(schema, change)
    where = f"{_short_origin(file, line)} {change.path or '/'}"
    head = f"{where}  {change.kind}  {_status(result, change)}"
    if change.witness is None:
        return (f"{head}  no witness found (suspected)" if _breaks(change) else head), None
    focus = _focus(change, LINE_WIDTH - len("    witness: "))
    if len(head) + len("  witness: ") + len(focus) <= LINE_WIDTH:
        return f"{head}  witness: {focus}", None
    return head, f"witness: {focus}"


_CODE_WORDS = ("Go ", "Python ")
"""How the descriptions of derived schemas start (cdccheck.refs.go, cdccheck.refs.python)."""


def _short_origin(file: str, line: int) -> str:
    """``new.json:57`` for a file; the type's name (``Event``) for a schema derived from code."""
    if is_derived(file):
        return file.partition("?")[0].rpartition(":")[2]
    return f"{Path(file).name}:{line}"


def _text_change(result: GateResult, schema: SchemaResult, change: Change) -> list[str]:
    headline, witness = _headline(result, schema, change)
    details = [_explanation(result, change), change.message]
    if witness:
        details.insert(0, witness)
    for _side, described in describe_sides(schema, change):
        # "Go field ..." and "Python attribute ..." say which side they are.
        details.append(
            described if described.startswith(_CODE_WORDS) else f"described as: {described}"
        )
    hits = _corpus_hits(result, change) if _breaks(change) else None
    if hits:
        details.append(hits)
    return [headline] + [_clip(f"    {detail}", LINE_WIDTH) for detail in details]


def render_text(result: GateResult, *, verbose: bool = False) -> str:
    """Plain text for a terminal or a CI log: breaking changes first, one line each.

    Harmless changes are only counted unless ``verbose`` (the CLI's ``--verbose``).
    """
    lines = []
    harmless: Counter[str] = Counter()
    for schema in result.schemas:
        lines.append(_header(result, schema))
        gated = [c for c in schema.changes if c.breaks(result.mode)]
        ungated = [c for c in schema.changes if _breaks(c) and not c.breaks(result.mode)]
        quiet = [c for c in schema.changes if not _breaks(c)]
        if not schema.changes and not schema.suppressed:
            lines.append("  no changes")
        for change in [*gated, *ungated]:
            lines += _text_change(result, schema, change)
        if verbose:
            for change in quiet:
                lines += _text_change(result, schema, change)
        else:
            harmless.update(c.kind for c in quiet)
        for change, reason in schema.suppressed:
            lines.append(f"  ignored: {change.kind} at {change.path or '/'} ({reason})")
    if harmless:
        kinds = ", ".join(f"{kind} x{count}" for kind, count in sorted(harmless.items()))
        total = sum(harmless.values())
        lines.append(f"{total} harmless change(s) not shown ({kinds}); --verbose lists them")
    corpus = _corpus_line(result)
    if corpus:
        lines.append(corpus)
    lines.append(_verdict(result))
    return "\n".join(lines) + "\n"


# ---- json ---------------------------------------------------------------------------------


def to_json(result: GateResult) -> dict[str, Any]:
    """The JSON object of docs/gate.md; changes carry ``file`` when several files were compared.

    With a corpus, each change that was proven carries ``evidence``: the
    finding groups that show it breaking events (`cdccheck.gate.run.corpus_evidence`).
    """
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
        evidence = result.evidence(change) if _breaks(change) else None
        if evidence is not None:
            entry["evidence"] = [
                {"schema": e.schema, "kind": e.kind, "path": e.path, "events": e.events}
                for e in evidence
            ]
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


def _code(text: str) -> str:
    """Inline code that survives backticks in the text and sits in a table cell."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{_md(text)}{pad}{fence}"


def _md_where(result: GateResult, schema: SchemaResult, change: Change) -> str:
    file, line = _location(schema, change)
    shown = Path(file).name if len(result.schemas) == 1 else _shown_path(file)
    return f"{_code(f'{shown}:{line}')} {_code(change.path or '/')}"


def _md_witness(result: GateResult, change: Change) -> str:
    if change.witness is None:
        return "suspected (no witness found)" if _breaks(change) else ""
    return f"{_code(_focus(change, 100))} ({_sides(result, change)})"


def _md_why(result: GateResult, schema: SchemaResult, change: Change) -> str:
    parts = [_explanation(result, change), _stop(change.message)]
    for _side, described in describe_sides(schema, change):
        parts.append(f"Described as: {_stop(described)}")
    hits = _corpus_hits(result, change) if _breaks(change) else None
    if hits:
        parts.append(f"**{hits}**")
    return _md(" ".join(parts))


def render_markdown(result: GateResult) -> str:
    """A Markdown summary for a pull request (also what goes to $GITHUB_STEP_SUMMARY).

    Breaking changes in a table, the witness focused on the place of the
    change; whole witness events and harmless changes folded away below.
    """
    compatible = result.compatible
    legacy, new = result.labels["legacy"], result.labels["new"]
    lines = [
        f"## cdccheck gate: {'PASS' if result.exit_code == 0 else 'FAIL'} (mode {result.mode})",
        "",
        "| direction | compatible |",
        "| --- | --- |",
        f"| backward ({new} reads {legacy} data) | {'yes' if compatible[BACKWARD] else '**no**'} |",
        f"| forward ({legacy} reads {new} data) | {'yes' if compatible[FORWARD] else '**no**'} |",
        "",
    ]
    entries = list(_entries(result))
    breaking = [(s, c) for s, c in entries if _breaks(c)]
    breaking.sort(key=lambda sc: not sc[1].breaks(result.mode))
    quiet = [(s, c) for s, c in entries if not _breaks(c)]
    if breaking:
        lines += [
            f"### Breaking changes ({len(breaking)})",
            "",
            "| breaks | where | kind | witness | why |",
            "| --- | --- | --- | --- | --- |",
        ]
        for schema, change in breaking:
            gated = "" if change.breaks(result.mode) else " (not gated)"
            lines.append(
                f"| {_directions(change)}{gated} | {_md_where(result, schema, change)} "
                f"| `{change.kind}` | {_md_witness(result, change)} "
                f"| {_md_why(result, schema, change)} |"
            )
        lines.append("")
        proven = [(s, c) for s, c in breaking if c.witness is not None]
        if proven:
            lines += [
                "<details><summary>Witness events (whole instances)</summary>",
                "",
                "Long strings are abridged here; `--format json` has the exact instances.",
                "",
            ]
            for _, change in proven:
                whole = _witness_text(change, None)
                lines += [
                    f"`{change.kind}` at `{_md(change.path or '/')}`: {_sides(result, change)}",
                    "",
                    "```json",
                    whole,
                    "```",
                    "",
                ]
            lines += ["</details>", ""]
    elif not entries:
        lines += ["No schema changes.", ""]
    if quiet:
        counts = Counter(c.kind for _, c in quiet)
        summary = ", ".join(f"{kind} x{count}" for kind, count in sorted(counts.items()))
        lines += [
            f"<details><summary>{len(quiet)} harmless change(s): {_md(summary)}</summary>",
            "",
        ]
        lines += [f"- `{c.kind}` at {_md_where(result, s, c)}: {_md(c.message)}" for s, c in quiet]
        lines += ["", "</details>", ""]
    suppressed = [(s, c, r) for s in result.schemas for c, r in s.suppressed]
    if suppressed:
        lines += ["Ignored by configuration:", ""]
        lines += [
            f"- `{c.kind}` at `{_md(c.path or '/')}` in `{_md(_shown_path(s.file))}`: {_md(r)}"
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
            failure.text = (
                f"{_explanation(result, change)} Breaks {_directions(change)}; "
                f"{_proof(result, change)}"
            )
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
        f"{change.kind}: {_explanation(result, change)} {_stop(change.message)} "
        f"(breaks {_directions(change)}; {_proof(result, change)})"
    )


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
                "message": {"text": _annotation_message(result, change)},
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
    text = _sentence(explain(kind, dict(labels)))
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
    for schema, change in _entries(result):
        level = _level(result, change)
        if level is None:
            continue
        file, line = _location(schema, change)
        properties = ",".join(
            f"{key}={_escape_property(value)}"
            for key, value in (("file", file), ("line", str(line)), ("title", change.kind))
        )
        lines.append(f"::{level} {properties}::{_escape_data(_annotation_message(result, change))}")
    if result.corpus_failures:
        lines.append(f"::error title=cdccheck corpus::{_escape_data(_corpus_line(result) or '')}")
    lines.append(_verdict(result))
    return "\n".join(lines) + "\n"


def append_step_summary(result: GateResult, path: str | Path) -> None:
    """Append the Markdown summary to a GitHub step summary file ($GITHUB_STEP_SUMMARY)."""
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(render_markdown(result))
