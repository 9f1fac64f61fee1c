"""The configuration file: ``cdccheck.toml``, else ``[tool.cdccheck]`` in ``pyproject.toml``.

The gate (docs/gate.md), compare (docs/compare.md) and the schema pair of
check/replay/consume (docs/cli.md) read their tables from the same file,
found the same way in the current (or a given) directory.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from cdccheck.errors import ConfigError

__all__ = ["CONFIG_FILES", "read_config_table"]

CONFIG_FILES = ("cdccheck.toml", "pyproject.toml")
"""Where the configuration is looked for, first match wins."""


def read_config_table(directory: str | Path | None = None) -> tuple[Any, Path] | None:
    """cdccheck's table and the file it came from; None when there is none.

    ``cdccheck.toml`` is the table as a whole; in ``pyproject.toml`` it is
    ``[tool.cdccheck]`` (a pyproject.toml without it is not a configuration).
    An unreadable file is ConfigError (exit 2) naming it.
    """
    base = Path(directory or Path.cwd())
    for name in CONFIG_FILES:
        path = base / name
        if not path.is_file():
            continue
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
        if name != "pyproject.toml":
            return document, path
        table = document.get("tool", {}).get("cdccheck")
        if table is not None:
            return table, path
    return None
