"""Where schemas come from: derived from code, or inferred from traffic.

Wherever a schema path is accepted, a reference may name code instead:

``go:PATH:Type``
    The Go type's writer view: the JSON ``encoding/json.Marshal`` writes for it
    (:mod:`cdccheck.refs.go`). PATH is a package directory or one of its files.
``py:module.path:Name``
    The Python type's reader view: the JSON its decoder accepts
    (:mod:`cdccheck.refs.python`). ``?unknown=forbid`` says the consumer
    builds ``Name(**payload)``, which refuses unknown keys.
``py:module.path:function``
    A callable is a real reader: the consumer's own decode step, called with
    the payload bytes (:mod:`cdccheck.refs.readers`). It has no schema.

Anything else is a JSON Schema file. ``derive(ref)`` turns any of them into
a :class:`Derived`; :mod:`cdccheck.refs.infer` infers a schema from events.
See docs/schemas-from-code.md.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cdccheck.errors import ConfigError
from cdccheck.refs.derived import READER_REJECTED, Derived, Reader, ReaderFinding
from cdccheck.refs.readers import GuardedReader, call_reader, run_with_time_limit

__all__ = [
    "GO_PREFIX",
    "PY_PREFIX",
    "READER_REJECTED",
    "Derived",
    "GuardedReader",
    "Reader",
    "ReaderFinding",
    "derive",
    "is_reference",
    "parse_go",
    "parse_py",
    "run_with_time_limit",
]

GO_PREFIX = "go:"
PY_PREFIX = "py:"
_PY_OPTIONS = {"unknown": ("forbid", "ignore")}


def is_reference(text: str) -> bool:
    """Whether ``text`` names code (``go:...`` or ``py:...``) rather than a schema file."""
    return text.startswith((GO_PREFIX, PY_PREFIX))


def derive(ref: str, *, python_path: Sequence[str | Path] = ()) -> Derived:
    """The schema (and real reader, where there is one) that ``ref`` stands for.

    ``python_path`` adds import roots for ``py:`` references (the current
    directory always is one). Raises ConfigError with a one-line message for
    a missing file, an unknown type, a Go syntax error or an import error.
    """
    if ref.startswith(GO_PREFIX):
        return _derive_go(ref)
    if ref.startswith(PY_PREFIX):
        return _derive_py(ref, python_path)
    return _read_schema_file(ref)


def parse_go(ref: str) -> tuple[str, str]:
    """(PATH, TypeName) of a ``go:PATH:TypeName`` reference; ConfigError if malformed."""
    body = ref[len(GO_PREFIX) :]
    path, _, type_name = body.rpartition(":")
    if not path or not type_name.isidentifier():
        raise ConfigError(f"bad reference {ref!r}: expected go:PATH:TypeName")
    return path, type_name


def _derive_go(ref: str) -> Derived:
    from cdccheck.refs.go import derive_go

    path, type_name = parse_go(ref)
    return derive_go(path, type_name, label=ref)


def parse_py(ref: str) -> tuple[str, str, dict[str, str]]:
    """(module, name, options) of a ``py:module:Name[?key=value&...]`` reference.

    ConfigError if malformed or an option is unknown.
    """
    body = ref[len(PY_PREFIX) :]
    body, _, query = body.partition("?")
    module, _, name = body.partition(":")
    if not module or not name:
        raise ConfigError(f"bad reference {ref!r}: expected py:module.path:Name")
    options: dict[str, str] = {}
    for item in filter(None, query.split("&")):
        key, _, value = item.partition("=")
        if key not in _PY_OPTIONS or value not in _PY_OPTIONS[key]:
            known = ", ".join(f"{k}={'|'.join(v)}" for k, v in _PY_OPTIONS.items())
            raise ConfigError(f"bad reference {ref!r}: unknown option {item!r} (known: {known})")
        options[key] = value
    return module, name, options


def _add_import_roots(python_path: Sequence[str | Path]) -> None:
    # Kept on sys.path afterwards: the imported module may import lazily later.
    roots = [str(Path(p).resolve()) for p in python_path] + [str(Path.cwd())]
    for root in reversed(roots):
        if root not in sys.path:
            sys.path.insert(0, root)
    importlib.invalidate_caches()


def resolve_python(ref: str, python_path: Sequence[str | Path] = ()) -> Any:
    """Import the object a ``py:module:Name`` reference names."""
    module_name, name, _ = parse_py(ref)
    _add_import_roots(python_path)
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as error:
        raise ConfigError(
            f"cannot import {ref}: SyntaxError at {error.filename}:{error.lineno}: {error.msg}"
        ) from None
    except Exception as error:  # any import failure is the user's to fix
        text = str(error).splitlines()[0] if str(error) else ""
        raise ConfigError(f"cannot import {ref}: {type(error).__name__}: {text}") from None
    target: Any = module
    for part in name.split("."):
        if not hasattr(target, part):
            raise ConfigError(f"cannot derive {ref}: module {module_name} has no {name!r}")
        target = getattr(target, part)
    return target


def _derive_py(ref: str, python_path: Sequence[str | Path]) -> Derived:
    from cdccheck.refs.python import derive_python_type, is_msgspec_type, is_pydantic_model

    _, _, options = parse_py(ref)
    target = resolve_python(ref, python_path)
    is_type = isinstance(target, type) or is_msgspec_type(target)
    if is_type or is_pydantic_model(target):
        return derive_python_type(
            target, label=ref, forbid_unknown=options.get("unknown") == "forbid"
        )
    if callable(target):
        if options:
            raise ConfigError(
                f"bad reference {ref!r}: options apply to types, not to a reader function"
            )
        return Derived(None, ref, [], call_reader(target))
    raise ConfigError(
        f"cannot derive {ref}: {type(target).__name__} is neither a type cdccheck can read "
        "nor a callable"
    )


def _read_schema_file(path: str) -> Derived:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"cannot read schema {path}: no such file") from None
    except OSError as error:
        raise ConfigError(f"cannot read schema {path}: {error.strerror or error}") from None
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"cannot read schema {path}: invalid JSON ({error})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"cannot read schema {path}: a schema document is a JSON object")
    return Derived(document, path)
