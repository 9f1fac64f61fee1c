"""Parsing what ``cdccheck compare`` is told: pointers, keys, durations, splits, configuration.

Every function here turns one option value into a checked value or raises
``ConfigError`` with a one-line message that names the option, the value,
what is wrong and what would be right, so the command line stays a thin
shell (docs/cli.md, exit code 2).

Pointers are RFC 6901 JSON Pointers. A key or entity option lists
alternatives separated by commas (``/comment/id,/comment_id``): the first
one that resolves is used (docs/compare.md). ``*`` stands for any one step
in ``--ignore`` only; a key must name real fields.

Configuration lives in ``[tool.cdccheck.compare]`` of ``pyproject.toml`` or
in the ``compare`` table of ``cdccheck.toml``; every ignore needs a reason::

    [tool.cdccheck.compare]
    key = ["/op", "/comment/id,/comment_id"]
    entity = "/comment/id,/comment_id"
    window = "60s"
    time-tolerance = "0"
    noise-ratio = 0.5

    [[tool.cdccheck.compare.ignore]]
    path = "/event_id"
    reason = "each writer draws its own event id"
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdccheck.configfile import read_config_table
from cdccheck.errors import ConfigError

Pointer = tuple[str, ...]
"""A parsed JSON Pointer: its unescaped reference tokens ("" is the empty tuple)."""
Alternatives = tuple[Pointer, ...]
"""One key or entity option: pointers tried in order, the first that resolves wins."""

WILDCARD = "*"
DEFAULT_WINDOW_MS = 60_000
DEFAULT_NOISE_RATIO = 0.5
FAIL_ON = ("differing", "missing", "diverged", "any", "none")

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000}
_BAD_ESCAPE = re.compile(r"~(?![01])")


@dataclass(frozen=True)
class Ignore:
    """A path set aside from the comparison; ``reason`` is required in configuration."""

    pointer: str
    reason: str | None = None

    @property
    def steps(self) -> Pointer:
        """The unescaped tokens; ``*`` matches any one step."""
        return parse_pointer(self.pointer, option="--ignore", wildcard=True)


def format_pointer(steps: Sequence[str | int]) -> str:
    """RFC 6901 text for a sequence of tokens ("" for the root)."""
    return "".join(
        "/" + (step.replace("~", "~0").replace("/", "~1") if isinstance(step, str) else str(step))
        for step in steps
    )


def parse_pointer(text: str, *, option: str, wildcard: bool = False) -> Pointer:
    """The tokens of the JSON Pointer ``text``; ConfigError naming ``option`` if it is not one.

    The root pointer ``""`` is refused: a key, entity or ignore must name a field.
    ``*`` as a whole token is refused unless ``wildcard`` (``--ignore``).
    """
    shown = text.strip()
    if not shown:
        raise ConfigError(
            f"bad {option} {text!r}: an empty pointer names the whole event; name a field, "
            "e.g. /comment/id"
        )
    if not shown.startswith("/"):
        raise ConfigError(f"bad {option} {text!r}: a JSON Pointer starts with '/' (e.g. /{shown})")
    if _BAD_ESCAPE.search(shown):
        raise ConfigError(
            f"bad {option} {text!r}: '~' must be written ~0 and '/' inside a name ~1 (RFC 6901)"
        )
    steps = tuple(part.replace("~1", "/").replace("~0", "~") for part in shown[1:].split("/"))
    if not wildcard and WILDCARD in shown[1:].split("/"):
        raise ConfigError(
            f"bad {option} {text!r}: '*' is allowed in --ignore only; "
            "a key or entity must name real fields"
        )
    return steps


def parse_alternatives(text: str, *, option: str) -> Alternatives:
    """``PTR[,ALT...]``: pointers tried in order (``/comment/id,/comment_id``)."""
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in parts):
        raise ConfigError(
            f"bad {option} {text!r}: expected POINTER[,ALTERNATIVE...] "
            "(e.g. /comment/id,/comment_id), with no empty entries"
        )
    pointers = tuple(parse_pointer(part, option=option) for part in parts)
    if len(set(pointers)) != len(pointers):
        raise ConfigError(f"bad {option} {text!r}: the same pointer is listed twice")
    return pointers


def parse_keys(values: Sequence[str]) -> tuple[Alternatives, ...]:
    """Every ``--key`` option; at least one is required."""
    if isinstance(values, str):
        values = [values]
    if not values:
        raise ConfigError(
            "compare needs --key POINTER[,ALT...] naming the fields that identify a change "
            "(e.g. --key /op --key /comment/id,/comment_id)"
        )
    keys = tuple(parse_alternatives(value, option="--key") for value in values)
    if len(set(keys)) != len(keys):
        raise ConfigError("bad --key: the same key is given twice")
    return keys


def parse_entity(value: str | None) -> Alternatives | None:
    """``--entity POINTER[,ALT...]``, or None when not given."""
    if value is None or value == "":
        return None
    return parse_alternatives(value, option="--entity")


def parse_ignores(values: Sequence[str | Ignore]) -> tuple[Ignore, ...]:
    """``--ignore`` pointers (``*`` allowed), checked; duplicates dropped, first reason kept."""
    seen: dict[str, Ignore] = {}
    for value in values:
        ignore = value if isinstance(value, Ignore) else Ignore(value.strip())
        parse_pointer(ignore.pointer, option="--ignore", wildcard=True)
        seen.setdefault(ignore.pointer, ignore)
    return tuple(seen.values())


def parse_duration(text: str | int | float, *, option: str = "--window") -> int:
    """A duration in whole milliseconds: ``500ms``, ``60s``, ``1.5s``, ``5m``, ``1h`` or ``0``.

    Numbers given as int or float (from configuration) are seconds.
    """
    if isinstance(text, bool):
        raise ConfigError(f"bad {option} {text!r}: expected a duration such as 60s")
    if isinstance(text, int | float):
        if text < 0:
            raise ConfigError(f"bad {option} {text!r}: a duration cannot be negative")
        return round(text * 1000)
    shown = text.strip().lower()
    if shown == "0":
        return 0
    match = _DURATION.fullmatch(shown)
    if match is None:
        hint = (
            "add a unit" if re.fullmatch(r"\d+(\.\d+)?", shown) else "expected NUMBER followed by"
        )
        raise ConfigError(f"bad {option} {text!r}: {hint} ms, s, m or h (e.g. 500ms, 60s, 5m, 1h)")
    number, unit = match.groups()
    return round(float(number) * _UNIT_MS[unit])


def parse_split(text: str, *, default_field: str = "writer") -> tuple[str, str, str]:
    """``--split FIELD=PRIMARY,CANDIDATE`` -> (field, primary value, candidate value).

    ``PRIMARY,CANDIDATE`` alone uses ``default_field``. The two values must differ:
    an entry cannot belong to both sides.
    """
    field, equals, values = text.partition("=")
    if not equals:
        field, values = default_field, text
    field = field.strip()
    parts = [part.strip() for part in values.split(",")]
    if not field or len(parts) != 2 or not all(parts):
        raise ConfigError(
            f"bad --split {text!r}: expected FIELD=PRIMARY,CANDIDATE "
            "(e.g. writer=py-monolith,go-comments)"
        )
    if parts[0] == parts[1]:
        raise ConfigError(
            f"bad --split {text!r}: primary and candidate are both {parts[0]!r}; "
            "each entry must belong to one side"
        )
    return field, parts[0], parts[1]


def parse_noise_ratio(value: str | float) -> float:
    """``--noise-ratio``: a number above 0 (0.5 = the baseline differs at half the rate)."""
    try:
        ratio = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"bad --noise-ratio {value!r}: expected a number such as 0.5") from None
    if not 0 < ratio < float("inf"):  # also refuses NaN
        raise ConfigError(f"bad --noise-ratio {value!r}: it must be a finite number above 0")
    return ratio


def parse_fail_on(value: str) -> str:
    """``--fail-on``: differing, missing, diverged, any or none."""
    if value not in FAIL_ON:
        raise ConfigError(f"bad --fail-on {value!r}: expected one of {', '.join(FAIL_ON)}")
    return value


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class CompareConfig:
    """What ``[tool.cdccheck.compare]`` says; None where it says nothing."""

    source: str | None = None
    key: tuple[str, ...] = ()
    entity: str | None = None
    window_ms: int | None = None
    time_tolerance_ms: int | None = None
    noise_ratio: float | None = None
    ignores: tuple[Ignore, ...] = ()


_CONFIG_KEYS = {"key", "entity", "window", "time-tolerance", "noise-ratio", "ignore"}


def load_compare_config(directory: str | Path | None = None) -> CompareConfig:
    """Read the compare configuration from ``cdccheck.toml`` or ``pyproject.toml``.

    ``cdccheck.toml`` wins when both exist, as for the gate. A file without a
    compare table gives the empty configuration.
    """
    found = read_config_table(directory)
    if found is None:
        return CompareConfig()
    table, path = found
    if path.name == "pyproject.toml":
        where = f"{path} [tool.cdccheck.compare]"
    else:
        where = f"{path} [compare]"
    return compare_config_from(
        table.get("compare", {}) if isinstance(table, dict) else table, where
    )


def compare_config_from(table: Any, where: str) -> CompareConfig:
    """Check one ``compare`` table (already read from TOML); ``where`` prefixes messages."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: `compare` must be a table")
    unknown = set(table) - _CONFIG_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(_CONFIG_KEYS))})"
        )
    try:
        key = table.get("key", [])
        if isinstance(key, str):
            key = [key]
        if not isinstance(key, list) or not all(isinstance(k, str) for k in key):
            raise ConfigError('`key` must be a list of "POINTER[,ALT...]" strings')
        if key:
            parse_keys(key)
        entity = table.get("entity")
        if entity is not None:
            if not isinstance(entity, str):
                raise ConfigError('`entity` must be a "POINTER[,ALT...]" string')
            parse_entity(entity)
        window = table.get("window")
        tolerance = table.get("time-tolerance")
        ratio = table.get("noise-ratio")
        ignores = []
        for index, entry in enumerate(table.get("ignore", []), start=1):
            if not isinstance(entry, dict) or set(entry) - {"path", "reason"}:
                raise ConfigError(
                    f"ignore {index} must be a table with `path` and `reason` only "
                    f"([[tool.cdccheck.compare.ignore]])"
                )
            path, reason = entry.get("path"), entry.get("reason")
            if not isinstance(path, str):
                raise ConfigError(f'ignore {index} needs a JSON Pointer `path` such as "/event_id"')
            if not isinstance(reason, str) or not reason.strip():
                raise ConfigError(
                    f"ignore {index} ({path}) has no reason; say why the difference is "
                    'expected (reason = "...")'
                )
            ignores.append(Ignore(path, reason.strip()))
        return CompareConfig(
            source=where,
            key=tuple(key),
            entity=entity,
            window_ms=None if window is None else parse_duration(window, option="window"),
            time_tolerance_ms=(
                None if tolerance is None else parse_duration(tolerance, option="time-tolerance")
            ),
            noise_ratio=None if ratio is None else parse_noise_ratio(ratio),
            ignores=parse_ignores(ignores),
        )
    except ConfigError as error:
        if error.message.startswith(where):
            raise
        raise ConfigError(f"{where}: {error.message}") from None


@dataclass(frozen=True)
class CompareSettings:
    """Every setting of one compare run, parsed and checked (flags over configuration)."""

    keys: tuple[Alternatives, ...]
    entity: Alternatives | None
    ignores: tuple[Ignore, ...]
    window_ms: int
    time_tolerance_ms: int
    noise_ratio: float


def resolve_settings(
    *,
    key: Sequence[str] = (),
    entity: str | None = None,
    ignore: Sequence[str] = (),
    window: str | None = None,
    time_tolerance: str | None = None,
    noise_ratio: str | float | None = None,
    config: CompareConfig | None = None,
) -> CompareSettings:
    """The settings of a run from command-line values (None/empty: not given) and configuration.

    A flag replaces the configured value; ``--ignore`` flags add to the
    configured ignores (whose reasons are kept). Raises ConfigError for any
    bad value, or when no key is given anywhere.
    """
    config = config or CompareConfig()
    keys = parse_keys(list(key) or list(config.key))
    return CompareSettings(
        keys=keys,
        entity=parse_entity(entity if entity is not None else config.entity),
        ignores=parse_ignores([*config.ignores, *ignore]),
        window_ms=(
            parse_duration(window, option="--window")
            if window is not None
            else config.window_ms
            if config.window_ms is not None
            else DEFAULT_WINDOW_MS
        ),
        time_tolerance_ms=(
            parse_duration(time_tolerance, option="--time-tolerance")
            if time_tolerance is not None
            else config.time_tolerance_ms or 0
        ),
        noise_ratio=(
            parse_noise_ratio(noise_ratio)
            if noise_ratio is not None
            else config.noise_ratio
            if config.noise_ratio is not None
            else DEFAULT_NOISE_RATIO
        ),
    )
