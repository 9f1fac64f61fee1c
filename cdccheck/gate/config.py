"""Gate configuration: ``[tool.cdccheck]`` in ``pyproject.toml``, or ``cdccheck.toml``.

Gate settings go under ``gate``; what they mean is in docs/gate.md::

    [tool.cdccheck]
    legacy = "schemas/comment/legacy.json"   # the default pair, also for check/replay/consume
    new = "schemas/comment/new.json"

    [tool.cdccheck.gate]
    mode = "full"                            # backward | forward | full
    fail-on = "any"                          # corpus findings: any | legacy | new | none
    allow = ["DESCRIPTION_CHANGED"]          # change kinds that never fail the gate
    schemas = ["schemas"]                    # what --against compares
    pairs = [{legacy = "a.json", new = "b.json"}]
    python-path = ["consumers"]              # import roots for py: references

A schema may be a reference to code instead of a file (docs/schemas-from-code.md)::

    [tool.cdccheck]
    legacy = "py:consumers.events:CommentEvent"
    new = "go:comment-svc/events:Event"       # the Go path is relative to this file

    [[tool.cdccheck.gate.ignore]]
    path = "/properties/legacy_id"           # JSON Pointer; covers everything under it
    kind = "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"   # optional
    file = "schemas/comment/new.json"        # optional
    reason = "consumers stopped reading it (ticket 123)"  # required

Command-line flags override the configuration, which overrides the defaults
(`cdccheck.gate.run.resolve_request` combines them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdccheck.configfile import read_config_table
from cdccheck.errors import ConfigError
from cdccheck.gate.compat import MODES, Change
from cdccheck.refs import GO_PREFIX, PY_PREFIX

FAIL_ON = ("any", "legacy", "new", "none")


@dataclass(frozen=True)
class Ignore:
    """A configured exception: changes at (or under) ``path`` do not fail the gate."""

    path: str
    reason: str
    kind: str | None = None
    file: str | None = None

    def matches(self, change: Change, file: str) -> bool:
        """Whether this exception covers ``change`` found in ``file``."""
        if self.kind is not None and change.kind != self.kind:
            return False
        if self.file is not None and Path(self.file) != Path(file):
            return False
        pointers = [loc.pointer for loc in (change.legacy, change.new) if loc is not None]
        return any(p == self.path or p.startswith(self.path.rstrip("/") + "/") for p in pointers)


@dataclass(frozen=True)
class GateConfig:
    """What ``[tool.cdccheck]`` / ``cdccheck.toml`` says about the gate."""

    source: str | None = None
    mode: str | None = None
    fail_on: str | None = None
    allow: frozenset[str] = frozenset()
    ignores: tuple[Ignore, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    schemas: tuple[str, ...] = ()
    default_pair: tuple[str, str] | None = None
    """The top-level ``legacy``/``new``: the schemas of ``check``, ``replay`` and ``consume``."""
    python_path: tuple[str, ...] = ()


def load_config(directory: Path | None = None) -> GateConfig:
    """Read the gate configuration from ``cdccheck.toml`` or ``pyproject.toml`` in ``directory``.

    ``cdccheck.toml`` wins when both exist. Paths in it are relative to its directory.
    """
    found = read_config_table(directory)
    if found is None:
        return GateConfig()
    table, path = found
    where = f"{path} [tool.cdccheck]" if path.name == "pyproject.toml" else str(path)
    return _parse_config(table, where, path.parent)


def _parse_config(table: Any, where: str, base: Path) -> GateConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    gate = table.get("gate", {})
    if not isinstance(gate, dict):
        raise ConfigError(f"{where}: `gate` must be a table ([tool.cdccheck.gate])")

    def text(key: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: `{key}` must be a non-empty string")
        return value

    def relative(value: str) -> str:
        # Keep paths as written when the configuration sits in the current directory.
        if value.startswith(GO_PREFIX):
            # go:PATH:Type: the path part is relative to this file, like a schema file.
            path, _, type_name = value[len(GO_PREFIX) :].rpartition(":")
            return f"{GO_PREFIX}{relative(path)}:{type_name}" if path else value
        if value.startswith(PY_PREFIX):
            return value  # a module name, found through the import roots
        if Path(value).is_absolute() or base.resolve() == Path.cwd().resolve():
            return value
        return str(base / value)

    mode = gate.get("mode")
    if mode is not None and mode not in MODES:
        raise ConfigError(f"{where}: gate mode {mode!r} is not one of {', '.join(MODES)}")
    fail_on = gate.get("fail-on", gate.get("fail_on"))
    if fail_on is not None and fail_on not in FAIL_ON:
        raise ConfigError(f"{where}: gate fail-on {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    allow = gate.get("allow", [])
    if not isinstance(allow, list) or not all(isinstance(k, str) for k in allow):
        raise ConfigError(
            f'{where}: gate `allow` must be a list of change kinds, e.g. ["TITLE_CHANGED"]'
        )
    pairs: list[tuple[str, str]] = []
    for i, pair in enumerate(gate.get("pairs", []), start=1):
        if not isinstance(pair, dict) or set(pair) != {"legacy", "new"}:
            raise ConfigError(f"{where}: gate pair {i} must be {{legacy = PATH, new = PATH}}")
        pairs.append((relative(text("legacy", pair["legacy"])), relative(text("new", pair["new"]))))
    default_pair = None
    if "legacy" in table or "new" in table:
        if "legacy" not in table or "new" not in table:
            raise ConfigError(f"{where}: set both `legacy` and `new` (or neither)")
        default_pair = (
            relative(text("legacy", table["legacy"])),
            relative(text("new", table["new"])),
        )
    if not pairs and default_pair is not None:
        pairs.append(default_pair)
    python_path = table.get("python-path", table.get("python_path", []))
    if not isinstance(python_path, list) or not all(isinstance(p, str) for p in python_path):
        raise ConfigError(f"{where}: `python-path` must be a list of directories")
    schemas = gate.get("schemas", [])
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise ConfigError(f"{where}: gate `schemas` must be a list of paths")
    ignores = []
    for i, entry in enumerate(gate.get("ignore", []), start=1):
        if not isinstance(entry, dict):
            raise ConfigError(
                f"{where}: gate ignore {i} must be a table ([[tool.cdccheck.gate.ignore]])"
            )
        unknown = set(entry) - {"path", "reason", "kind", "file"}
        if unknown:
            raise ConfigError(
                f"{where}: gate ignore {i} has unknown key(s) {', '.join(sorted(unknown))}"
            )
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(
                f"{where}: gate ignore {i} has no reason; "
                'say why the change is accepted (reason = "...")'
            )
        path = entry.get("path")
        if not isinstance(path, str) or (path and not path.startswith("/")):
            raise ConfigError(
                f'{where}: gate ignore {i} needs a JSON Pointer path such as "/properties/x"'
            )
        kind = entry.get("kind")
        file = entry.get("file")
        if kind is not None and not isinstance(kind, str):
            raise ConfigError(f"{where}: gate ignore {i}: `kind` must be a string")
        if file is not None and not isinstance(file, str):
            raise ConfigError(f"{where}: gate ignore {i}: `file` must be a string")
        ignores.append(Ignore(path, reason.strip(), kind, relative(file) if file else None))
    return GateConfig(
        source=where,
        mode=mode,
        fail_on=fail_on,
        allow=frozenset(allow),
        ignores=tuple(ignores),
        pairs=tuple(pairs),
        schemas=tuple(relative(s) for s in schemas),
        default_pair=default_pair,
        python_path=tuple(relative(p) for p in python_path),
    )
