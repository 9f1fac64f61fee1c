"""One stream entry explained: its fields, its decoded payload, its verdict and the causes.

What ``redis-cli XRANGE key id id`` gives, plus the answer: ``explain_entry``
checks one entry as every other command would and says, per schema, what is
wrong and why it probably happened (cdccheck.hints). Values are shapes unless
``show_values`` (docs/semantics.md, rule 5): a field or payload value is
shown as it is only when it is ``true``/``false``/``null`` or a code where the
schema allows a closed set of values (``enum``, ``const``).

``read_entry`` fetches the entry from Redis; ``render_entry`` prints the
explanation as text or JSON (``cdccheck show``).
"""

from __future__ import annotations

import base64
import json
import re
import textwrap
from typing import TYPE_CHECKING, Any

from cdccheck.errors import ConfigError, SourceError
from cdccheck.grouping import aggregate_path, group_path
from cdccheck.hints import SchemaFacts, evidence_of, hint_for, payload_hint
from cdccheck.model import LEGACY, NEW, UNDECODABLE, WIRE, Entry, json_pointer
from cdccheck.redaction import redact_finding
from cdccheck.shapes import shape_of
from cdccheck.summary import Summary

if TYPE_CHECKING:
    from cdccheck.engine.engine import Engine

__all__ = ["explain_entry", "read_entry", "render_entry"]

_STREAM_ID = re.compile(r"\d+-\d+")


def read_entry(url: str, stream: str, entry_id: str, *, password: str | None = None) -> Entry:
    """The entry ``entry_id`` of ``stream``; SourceError (exit 3) when there is none.

    ``entry_id`` must be a full stream id (``1769601600650-0``): a millisecond
    alone can name several entries.
    """
    from cdccheck.sources.redis_range import RedisRange

    if not _STREAM_ID.fullmatch(entry_id):
        raise ConfigError(
            f"bad entry id {entry_id!r}: expected a full stream id such as 1769601600650-0 "
            "(as XRANGE and the reports print them)"
        )
    with RedisRange(url, stream, start=entry_id, end=entry_id, count=1, password=password) as one:
        found = [entry for batch in one.batches() for entry in batch]
        if found:
            return found[0]
        where = one.where
    with RedisRange(url, stream, batch_size=1, password=password) as whole:
        length = whole.total() or 0
        first = next(iter(whole), None)
        last = whole.end_id
    held = f"it holds {length:,} entries, {first.id} .. {last}" if first else "it is empty"
    raise SourceError(f"no entry {entry_id} in {where} ({held})")


def explain_entry(
    entry: Entry, engine: Engine, *, show_values: bool = False, facts: SchemaFacts | None = None
) -> dict[str, Any]:
    """Everything cdccheck says about one entry, as a JSON-ready dictionary.

    Keys: ``id``, ``writer``, ``op``, ``fields`` (name -> shown value),
    ``encoding``, ``decodable``, ``wire`` (``{"message", "hint"}`` when
    undecodable, else None), ``error`` (why checking the entry raised, an
    ``internal_error``; else None), ``payload``
    (the decoded value, leaves as shapes unless ``show_values``), ``legacy``
    and ``new`` (``{"valid", "findings"}`` with a ``hint`` per finding, or
    None when undecodable), ``warnings`` and ``hints`` (about the raw payload).
    """
    from cdccheck import wire

    facts = facts or SchemaFacts({LEGACY: engine.legacy, NEW: engine.new})
    verdict = engine.check(entry)
    payload, encoding, _missing = engine.payload_of(entry)
    summary = Summary(samples=1, show_values=show_values)
    summary.add(verdict)
    groups = summary.to_dict()
    hints = {
        (group["schema"], group["kind"], group["path"]): hint_for(evidence_of(group, facts=facts))
        for group in (*groups["findings"], *groups["warnings"])
    }
    decoded: Any = None
    if verdict.decodable and payload is not None:
        value = wire.decode(payload, encoding)
        if isinstance(value, wire.Decoded):
            decoded = _shown_tree(value.value, (), facts, show_values)

    def findings_of(schema: str, findings: list[Any] | None) -> dict[str, Any] | None:
        if findings is None:
            return None
        listed = []
        for finding in findings:
            item: dict[str, Any] = dict(redact_finding(finding, show_values))
            item["hint"] = hints.get((schema, finding.kind, group_path(finding.path)))
            listed.append(item)
        return {"valid": not findings, "findings": listed}

    warnings: list[dict[str, Any]] = []
    for schema, warning in verdict.warnings:
        hint = hints.get((schema, warning.kind, group_path(warning.path)))
        warnings.append({"schema": schema, **redact_finding(warning, show_values), "hint": hint})
    payload_field = None if engine.layout == "debezium" else engine.payload_field
    raw_hint = payload_hint(payload, verdict.writer) if verdict.decodable else None
    return {
        "id": entry.id,
        "writer": verdict.writer,
        "op": verdict.op,
        "fields": {
            name: _shown_field(name, raw, payload_field, engine, show_values)
            for name, raw in entry.fields.items()
        },
        "encoding": encoding,
        "decodable": verdict.decodable,
        "wire": None
        if verdict.decodable or verdict.error is not None
        else {"message": verdict.wire_message, "hint": hints.get((WIRE, UNDECODABLE, ""))},
        "error": verdict.error,
        "payload": decoded,
        "legacy": findings_of(LEGACY, verdict.legacy),
        "new": findings_of(NEW, verdict.new),
        "warnings": warnings,
        "hints": [raw_hint] if raw_hint else [],
    }


def _shown_field(
    name: str, raw: bytes, payload_field: str | None, engine: Engine, show_values: bool
) -> str:
    """A field's value for people: metadata as it is, the payload and free text as shapes."""
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if show_values:
        return text if text is not None else "base64:" + base64.b64encode(raw).decode()
    if name == payload_field or payload_field is None:
        return f"<{len(raw):,} bytes>"
    if name in (engine.writer_field, engine.encoding_field) and text is not None:
        return text  # what the reports show anyway
    return shape_of(text) if text is not None else f"<{len(raw):,} bytes, not UTF-8>"


def _shown_tree(value: Any, path: tuple[Any, ...], facts: SchemaFacts, show_values: bool) -> Any:
    """The decoded payload with every leaf replaced by its shape (unless ``show_values``)."""
    if isinstance(value, dict):
        return {
            key: _shown_tree(item, (*path, key), facts, show_values) for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            _shown_tree(item, (*path, index), facts, show_values)
            for index, item in enumerate(value)
        ]
    if show_values:
        return value
    pointer = aggregate_path(json_pointer(path))
    closed = any(
        declared is not None and declared.closed_set
        for declared in (facts.declared(LEGACY, pointer), facts.declared(NEW, pointer))
    )
    shape = shape_of(value, closed_set=closed)
    # A value shown as it is stays the JSON value (true, null, 7, "create"); a shape is text.
    return value if shape == json.dumps(value) else shape


def render_entry(explained: dict[str, Any], output_format: str, *, width: int = 80) -> str:
    """The explanation as ``text`` (for people) or ``json``."""
    if output_format == "json":
        return json.dumps(explained, indent=2, ensure_ascii=False) + "\n"
    if output_format != "text":
        raise ConfigError(f"unknown format {output_format!r} (expected text or json)")
    lines = [f"entry {explained['id']}   writer {explained['writer']}   op {explained['op']}"]
    lines.append("fields:")
    name_w = max((len(name) for name in explained["fields"]), default=0)
    lines += [f"  {name.ljust(name_w)}  {value}" for name, value in explained["fields"].items()]
    if explained.get("error") is not None:
        lines.append("")
        lines += _wrapped(f"internal error while checking: {explained['error']}", "", width)
    elif not explained["decodable"]:
        wire = explained["wire"]
        lines.append("")
        lines += _wrapped(f"undecodable ({explained['encoding']}): {wire['message']}", "", width)
        if wire["hint"]:
            lines += _hint_lines(wire["hint"], width)
    else:
        lines += ["", f"payload ({explained['encoding']}):"]
        body = json.dumps(explained["payload"], indent=2, ensure_ascii=False)
        lines += ["  " + line for line in body.splitlines()]
    lines.append("")
    lines.append(_verdict(explained))
    for schema in (LEGACY, NEW):
        judged = explained[schema]
        if judged is None:
            continue
        if judged["valid"]:
            lines.append(f"{schema}: valid")
            continue
        lines.append(f"{schema}: {len(judged['findings'])} finding(s)")
        for finding in judged["findings"]:
            lines += _finding_lines(finding, width)
    if explained["warnings"]:
        lines.append("portability warnings (never change a verdict):")
        for warning in explained["warnings"]:
            lines += _finding_lines(
                {**warning, "kind": f"{warning['schema']} {warning['kind']}"}, width
            )
    for hint in explained["hints"]:
        lines.append("about the raw payload:")
        lines += _hint_lines(hint, width)
    return "\n".join(lines) + "\n"


def _verdict(explained: dict[str, Any]) -> str:
    if explained.get("error") is not None:
        return "verdict: internal error (checked under neither schema; please report it)"
    if not explained["decodable"]:
        return "verdict: undecodable (checked under neither schema)"
    legacy, new = explained[LEGACY]["valid"], explained[NEW]["valid"]
    if legacy and new:
        return "verdict: ok, valid under both schemas"
    said = {True: "valid", False: "invalid"}
    return f"verdict: {said[legacy]} under legacy, {said[new]} under new"


def _finding_lines(finding: dict[str, Any], width: int) -> list[str]:
    lines = _wrapped(
        f"{finding['kind']}  {finding['path'] or '(payload)'}  {finding['message']}", "  ", width
    )
    if finding.get("hint"):
        lines += _hint_lines(finding["hint"], width)
    return lines


def _hint_lines(hint: dict[str, str], width: int) -> list[str]:
    lines: list[str] = []
    for label, text in (
        ("cause", f"{hint['cause']} [{hint['name']}]"),
        ("fix", hint["fix"]),
        ("evidence", hint["evidence"]),
    ):
        lines += _wrapped(text, f"    {label.ljust(8)} ", width)
    return lines


def _wrapped(text: str, first: str, width: int) -> list[str]:
    return textwrap.wrap(
        text,
        width=max(width, 40),
        initial_indent=first,
        subsequent_indent=" " * len(first),
        break_on_hyphens=False,
    ) or [first]
