"""The words every report format uses: source and schema labels, a group's writers and message.

The console table, Markdown and JUnit say the same things about a group, in
the same words; they differ only in layout.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = [
    "counter_columns",
    "group_example",
    "group_name",
    "schema_label",
    "source_label",
    "writers_text",
]


def counter_columns(report: dict[str, Any]) -> tuple[str, ...]:
    """The counters a report's tables show: ``errors`` only when some event has one.

    Reports written before ``errors`` existed have no such key: they show
    without it, as every report whose events were all checked.
    """
    from cdccheck.summary import COUNTER_COLUMNS

    tables = (report["totals"], *report["by_op"].values(), *report["by_writer"].values())
    if any(counters.get("errors", 0) for counters in tables):
        return COUNTER_COLUMNS
    return tuple(column for column in COUNTER_COLUMNS if column != "errors")


def schema_label(path: str) -> str:
    """A schema path for people: relative to the working directory when inside it, else its name.

    Absolute paths say where cdccheck was installed or the CI runner's work
    directory, which is noise in a pull-request comment.
    """
    if not path or not os.path.isabs(path):
        return path
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return Path(path).name
    return Path(path).name if relative.startswith("..") else relative


def source_label(source: dict[str, Any]) -> str:
    """``redis comments:cdc``, ``file a.jsonl, b.jsonl``, ``merged: redis s; file x.jsonl``."""
    kind = source.get("kind", "?")
    if kind == "merged":
        parts = [source_label(part) for part in source.get("parts", [])]
        return f"merged from {len(parts)} sources: " + "; ".join(parts)
    where = source.get("stream") or ", ".join(source.get("files", []))
    if not where and source.get("streams"):
        where = ", ".join(source["streams"])
    return f"{kind} {where}" if where else kind


def group_name(group: dict[str, Any]) -> str:
    """``legacy missing_required /comment/score``."""
    return f"{group['schema']} {group['kind']} {group['path'] or '(payload)'}"


def writers_text(group: dict[str, Any]) -> str:
    """``go-comments 53, py-monolith 2``: the group's events per writer, most first."""
    by_writer: dict[str, int] = group.get("by_writer", {})
    ranked = sorted(by_writer.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{writer} {events:,}" for writer, events in ranked)


def group_example(group: dict[str, Any]) -> tuple[str, str] | None:
    """(message, value) of the group's first sample; None when no sample was kept.

    The value is the shown value with --show-values, else its shape; it is
    empty when the message already shows it (most messages start with it).
    """
    if not group.get("samples"):
        return None
    sample = group["samples"][0]
    message = " ".join(sample["message"].split())
    described = sample["value"]
    if "value" in described:
        value = _json_text(described["value"])
    else:
        value = described.get("shape", described.get("type", ""))
    python = {"null": "None", "true": "True", "false": "False"}.get(value, value)
    if value.strip('"') in message or python in message or value in ("absent", ""):
        value = ""
    return message, value


def _json_text(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
