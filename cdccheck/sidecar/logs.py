"""The sidecar's log lines: one JSON object per line on stderr, or text for people.

A line carries ``ts``, ``level`` and ``msg``, then the fields the caller
passed (``info("consuming", group=...)``); the consumer-group source logs
through the same ``cdccheck.sidecar`` logger with ``extra={"fields": ...}``.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from cdccheck.errors import ConfigError

__all__ = ["configure_logging", "info", "log", "warning"]

log = logging.getLogger("cdccheck.sidecar")


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "msg": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        return json.dumps(line, ensure_ascii=False, default=str)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        fields = " ".join(f"{key}={value}" for key, value in getattr(record, "fields", {}).items())
        return f"{moment} {record.levelname.lower():7} {record.getMessage()}  {fields}".rstrip()


def configure_logging(log_format: str = "json", stream: Any = None) -> None:
    """Send cdccheck's logs to stderr: one JSON object per line, or ``text`` for people."""
    if log_format not in ("json", "text"):
        raise ConfigError(f"bad --log-format {log_format!r}: expected json or text")
    logger = logging.getLogger("cdccheck")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _TextFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def info(message: str, **fields: Any) -> None:
    """Log ``message`` at INFO with ``fields`` (keys of the JSON line, ``k=v`` in text)."""
    log.info(message, extra={"fields": fields})


def warning(message: str, **fields: Any) -> None:
    """Log ``message`` at WARNING with ``fields``, as ``info`` does."""
    log.warning(message, extra={"fields": fields})
