"""Load serialization schemas: JSON Schema documents plus a wire encoding.

A schema is loaded once per run and everything expensive is built here, once:
the metaschema check, the `$ref` registry (local files and `$defs` only, never
the network) and the python-jsonschema validator, which is the reference
that decides validity (docs/semantics.md, rule 2). The faster tiers in
:mod:`cdccheck.engine.compiled` and :mod:`cdccheck.engine.fastpath` are built
from the `Schema` objects this module returns, and follow `$ref` with
``resolve_ref`` and ``subresource`` below.

python-jsonschema is imported lazily: importing its format checkers costs
about a second, and ``cdccheck --help`` should not pay for it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import importlib
import importlib.util
import json
import os
import sys
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urldefrag, urlsplit

from cdccheck.errors import ConfigError

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

DRAFT_2020_12 = "2020-12"
DRAFT_7 = "draft-07"
ENCODINGS = ("json", "msgpack")
# A document may name its wire encoding; unknown keywords are ignored by validators.
ENCODING_KEYWORD = "x-cdccheck-encoding"

_DRAFT_BY_SCHEMA_URI = {
    "https://json-schema.org/draft/2020-12/schema": DRAFT_2020_12,
    "http://json-schema.org/draft-07/schema": DRAFT_7,
}


@dataclass(frozen=True, eq=False)
class Schema:
    """One loaded serialization schema. Build once, use for every event."""

    name: str
    """Role in the run: ``legacy`` or ``new`` (or a file name in the gate)."""
    path: str
    """Where it came from, as the user wrote it."""
    sha256: str
    """Digest of the exact document bytes, for reports."""
    document: Any
    draft: str
    encoding: str
    validator: Validator = field(repr=False)
    """python-jsonschema validator with the format checker: the reference."""
    registry: Any = field(default=None, repr=False)
    """The `referencing` registry the validator resolves `$ref` with (the gate walks it too)."""
    reader: Any = field(default=None, repr=False)
    """The real reader (a ``cdccheck.refs.GuardedReader``) of a ``py:`` reference naming a
    function or a pydantic model: when set it alone decides validity, and the document only
    serves the gate (docs/schemas-from-code.md)."""
    warnings: tuple[str, ...] = ()
    """Where a schema derived from code is wider than the code, each naming the spot."""
    reader_only: bool = False
    """A real reader function: no schema at all, the document is an accept-all stand-in."""

    @property
    def validator_class(self) -> type[Validator]:
        return type(self.validator)

    @property
    def resolver(self) -> Any:
        """The `referencing` resolver at the document's root, the one the validator starts from."""
        return self.validator._resolver


# ---------------------------------------------------------------- `$ref` lookup
# One way to follow references for every walker over a schema (the compiled
# schemas, the fast tier, the warnings, the gate's schema view), so they all
# resolve exactly as python-jsonschema does.


def resolve_ref(resolver: Any, ref: str) -> tuple[Any, Any]:
    """(target subschema, resolver in scope at the target) for a `$ref` value.

    ``resolver`` is the one in scope at the schema object holding the
    reference (``Schema.resolver`` at the root, then what ``resolve_ref`` and
    ``subresource`` hand out). Raises ``referencing.exceptions.Unresolvable``
    when the reference does not resolve; a schema from ``load_schema`` had
    every reference resolved when it was loaded.
    """
    resolved = resolver.lookup(ref)
    return resolved.contents, resolved.resolver


def in_place(nodes: list[tuple[Any, Any]], *, with_if: bool = True) -> list[tuple[Any, Any]]:
    """``(subschema, resolver)`` pairs plus every subschema that applies in place of them.

    In place: what `$ref`, `allOf`, `anyOf`, `oneOf`, `then` and `else` name,
    followed to the end, each object once; `if` too unless ``with_if`` is
    False (it only tests the value: what it names is not what the schema
    allows). A `$ref` that does not resolve is left out (a schema from
    ``load_schema`` has none), as is a reference without a resolver.
    """
    result: list[tuple[Any, Any]] = []
    seen: set[int] = set()
    pending = list(nodes)
    conditions = ("if", "then", "else") if with_if else ("then", "else")
    while pending:
        node, resolver = pending.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        result.append((node, resolver))
        ref = node.get("$ref")
        if isinstance(ref, str) and resolver is not None:
            with contextlib.suppress(Exception):
                pending.append(resolve_ref(resolver, ref))
        for keyword in ("allOf", "anyOf", "oneOf"):
            subs = node.get(keyword)
            if isinstance(subs, list):
                pending.extend((sub, resolver) for sub in subs)
        pending.extend((node[keyword], resolver) for keyword in conditions if keyword in node)
    return result


def subresource(resolver: Any, node: Any, draft: str) -> Any:
    """The resolver in scope inside ``node``: its own when it carries an `$id`.

    This is what python-jsonschema does when it descends into a subschema.
    (Under draft-07 an `$id` beside `$ref` is ignored: callers that honour
    that rule leave such a node out.)
    """
    if not isinstance(node, dict) or not isinstance(node.get("$id"), str):
        return resolver
    return resolver.in_subresource(specification(draft).create_resource(node))


def specification(draft: str) -> Any:
    """The `referencing` specification of ``draft`` (DRAFT_2020_12 or DRAFT_7)."""
    from referencing.jsonschema import DRAFT7, DRAFT202012

    return DRAFT202012 if draft == DRAFT_2020_12 else DRAFT7


def bundled_schema_dir() -> Path:
    """Directory of the bundled schemas, in a wheel or in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "_bundled_schemas", package.parent / "schemas"):
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        "bundled schemas are missing from this installation (pass --legacy and --new)"
    )


def bundled_schema_path(role: str) -> Path:
    """Path of the bundled comment-domain schema for ``legacy`` or ``new``."""
    return bundled_schema_dir() / "comment" / f"{role}.json"


def load_schema(
    path: str | Path,
    *,
    name: str,
    encoding: str | None = None,
    python_path: Sequence[str | Path] = (),
    reader_timeout: float = 5.0,
    allow_ref_paths: Sequence[str | Path] = (),
) -> Schema:
    """Read, check and compile the schema file at ``path``, or derive it from code.

    ``path`` may be a reference (``go:PATH:Type``, ``py:module:Name``): see
    :func:`load_reference`. Raises ConfigError (exit 2) for an unreadable
    file, invalid JSON, a document that fails its metaschema, an unsupported
    draft, a `$ref` that is remote, does not resolve, points outside the
    schema's directory tree (and the bundled schemas, and ``allow_ref_paths``),
    points at something that is not a schema, or makes a cycle that validation
    would never leave.
    """
    from cdccheck.refs import is_reference

    if is_reference(str(path)):
        return load_reference(
            str(path),
            name=name,
            encoding=encoding,
            python_path=python_path,
            reader_timeout=reader_timeout,
        )
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"cannot read {name} schema {path}: no such file (pass --{name} PATH)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {name} schema {path}: {exc.strerror or exc}") from None
    return load_schema_bytes(
        raw,
        name=name,
        origin=str(path),
        base_dir=file.resolve().parent,
        encoding=encoding,
        allow_ref_paths=allow_ref_paths,
    )


def load_reference(
    ref: str,
    *,
    name: str,
    encoding: str | None = None,
    python_path: Sequence[str | Path] = (),
    reader_timeout: float = 5.0,
) -> Schema:
    """The Schema a ``go:`` or ``py:`` reference stands for (docs/schemas-from-code.md).

    Its ``path`` is the reference as written (the gate shows each property's
    Go field or Python attribute for such a path) and its ``sha256`` that of
    the derived document in canonical form. A reference with a real reader (a
    function, a pydantic model) gets a ``reader`` that runs it in a worker
    process with ``reader_timeout`` seconds per event. A function has no
    schema: its document is the empty schema, which accepts every value, so
    the reader alone decides.
    """
    from cdccheck.refs import GuardedReader, derive

    derived = derive(ref, python_path=python_path)
    document: dict[str, Any] = (
        derived.document
        if derived.document is not None
        else {"description": f"{ref} is a real reader: it alone decides what is valid."}
    )
    schema = load_schema_bytes(document_bytes(document), name=name, origin=ref, encoding=encoding)
    reader = None
    if derived.reader is not None:
        reader = GuardedReader(
            ref, python_path=[str(p) for p in python_path], time_limit=reader_timeout
        )
    return dataclasses.replace(
        schema,
        reader=reader,
        warnings=tuple(derived.warnings),
        reader_only=derived.document is None,
    )


def document_bytes(document: Any) -> bytes:
    """A derived document as ``cdccheck schema derive`` writes it (its sha256 is the schema's)."""
    return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a big, long-lived structure is built.

    Each collection walks every object alive; building the registry and the
    compiled checks of an 80,000-property schema allocates millions, which
    set collections off again and again: 5 times slower than the work
    itself (issue 10, defect 12). When millions of objects were built, they
    are moved out of the collector's sight (``gc.freeze``): they live as
    long as the run, and would otherwise be walked again by every later
    full collection. Small schemas leave the collector as it was.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_count()[0] > _FREEZE_AFTER:
                gc.freeze()
            gc.enable()


_FREEZE_AFTER = 1_000_000
"""Objects built during a pause beyond which they are frozen (a schema of ~10,000 properties)."""


def load_schema_bytes(
    raw: bytes,
    *,
    name: str,
    origin: str,
    base_dir: Path | None = None,
    encoding: str | None = None,
    extra_files: dict[str, bytes] | None = None,
    allow_ref_paths: Sequence[str | Path] = (),
) -> Schema:
    """Compile a schema from its bytes; ``origin`` names it in messages.

    Relative `$ref` files are read from ``base_dir``, or from ``extra_files``
    (path relative to ``base_dir`` -> bytes) when given, which is how the gate
    loads a schema as it was at a git ref. Referenced files must lie under
    ``base_dir``, the bundled schemas or one of ``allow_ref_paths``
    (docs/security.md, "What is never fetched or read").
    """
    with gc_paused():
        document = _parse_json(raw, f"{name} schema {origin}")
        draft = _draft_of(document, origin)
        validator_class = _validator_class(draft)
        _check_against_metaschema(document, draft, origin)
        chosen = _encoding_of(document, encoding, origin)
        roots = _ref_roots(base_dir, allow_ref_paths)
        registry = _build_registry(document, origin, base_dir, extra_files or {}, roots)
    validator = validator_class(
        document, registry=registry, format_checker=validator_class.FORMAT_CHECKER
    )
    return Schema(
        name=name,
        path=origin,
        sha256=hashlib.sha256(raw).hexdigest(),
        document=document,
        draft=draft,
        encoding=chosen,
        validator=validator,
        registry=registry,
    )


def _parse_json(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read {what}: not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"cannot read {what}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


def _draft_of(document: Any, origin: str) -> str:
    if not isinstance(document, dict) or "$schema" not in document:
        return DRAFT_2020_12
    uri = document["$schema"]
    if not isinstance(uri, str):
        raise ConfigError(f"invalid schema {origin}: $schema must be a string")
    draft = _DRAFT_BY_SCHEMA_URI.get(uri.rstrip("#"))
    if draft is None:
        raise ConfigError(
            f"unsupported $schema {uri!r} in {origin}: cdccheck reads draft 2020-12 "
            f"(https://json-schema.org/draft/2020-12/schema) and draft-07"
        )
    return draft


def _validator_class(draft: str) -> type[Validator]:
    _defer_rfc3987_syntax()
    from jsonschema import Draft7Validator, Draft202012Validator

    from cdccheck.engine import patterns

    # The reference searches patterns with a bounded engine (docs/security.md, "Patterns").
    patterns.install()
    return Draft202012Validator if draft == DRAFT_2020_12 else Draft7Validator


def _defer_rfc3987_syntax() -> None:
    """Put off building rfc3987-syntax's grammar until an iri format is checked.

    jsonschema imports ``rfc3987_syntax.is_valid_syntax`` for the ``iri`` and
    ``iri-reference`` formats, and that import builds a Lark grammar: a few
    seconds at every start of every command, for formats few CDC schemas use.
    A stand-in module hands jsonschema a function that imports the real one on
    its first call, so those formats are still checked, by the same code.
    """
    name = "rfc3987_syntax"
    if name in sys.modules or "jsonschema" in sys.modules or importlib.util.find_spec(name) is None:
        return
    real: list[Any] = []

    def is_valid_syntax(rule: str, value: str) -> bool:
        if not real:
            del sys.modules[name]
            real.append(importlib.import_module(name).is_valid_syntax)
        return bool(real[0](rule, value))

    stand_in = types.ModuleType(name, "Stand-in that imports rfc3987_syntax on first use.")
    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    sys.modules[name] = stand_in


def _check_against_metaschema(document: Any, draft: str, origin: str) -> None:
    """Raise ConfigError unless ``document`` is valid under its draft's metaschema.

    With the format checker, as check_schema does: a `pattern` that Python's
    re cannot compile is a schema error now, not a crash per event later.
    One pass over the document (cdccheck.engine.metaschema): linear in its size.
    """
    from cdccheck.engine.metaschema import first_error

    error = first_error(document, draft)
    if error is None:
        return
    pointer, message, keyword = error
    raise ConfigError(
        f"invalid schema {origin}: at {pointer}: {_shorten(message)} (keyword {keyword!r})"
    )


def _encoding_of(document: Any, override: str | None, origin: str) -> str:
    declared = document.get(ENCODING_KEYWORD, "json") if isinstance(document, dict) else "json"
    chosen = override or declared
    if chosen not in ENCODINGS:
        raise ConfigError(
            f"invalid schema {origin}: {ENCODING_KEYWORD} must be one of "
            f"{', '.join(ENCODINGS)}, not {chosen!r}"
        )
    return str(chosen)


def _build_registry(
    document: Any,
    origin: str,
    base_dir: Path | None,
    extra_files: dict[str, bytes],
    roots: tuple[Path, ...] = (),
) -> Any:
    """A `referencing` registry holding the document and every local file it refers to.

    Every `$ref` and `$dynamicRef` is resolved now, so a remote, dangling or
    out-of-tree reference, one to something that is not a schema, and a cycle
    of references that never reaches into the instance are load-time errors,
    and validation never retrieves anything.
    """
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource, Unresolvable

    default_spec = specification(_draft_of(document, origin))
    loaded: dict[str, Any] = {}

    def retrieve(uri: str) -> Any:
        location = _local_location(uri, origin, base_dir)
        key = str(location)
        if key not in loaded:
            _confine(uri, location, origin, base_dir, roots, on_disk=key not in extra_files)
            if key in extra_files:
                raw = extra_files[key]
            else:
                try:
                    raw = (base_dir / location if base_dir else location).read_bytes()
                except OSError as exc:
                    raise NoSuchResource(ref=uri) from exc  # type: ignore[call-arg]
            contents = _parse_json(raw, f"schema file {location} (referenced from {origin})")
            loaded[key] = Resource.from_contents(contents, default_specification=default_spec)
        return loaded[key]

    root = Resource.from_contents(document, default_specification=default_spec)
    # The metaschemas ship inside jsonschema-specifications: a $ref to one is local.
    from jsonschema_specifications import REGISTRY as METASCHEMAS

    registry: Any = (
        Registry(retrieve=retrieve)  # type: ignore[call-arg]
        .with_resources(METASCHEMAS.items())
        .with_resource("", root)
        .crawl()
    )
    resolver = registry.resolver_with_root(root)
    draft7 = _draft_of(document, origin) == DRAFT_7
    seen: set[int] = set()
    in_place = _InPlace()
    # (subschema, resolver in scope there, its specification). Plain dictionaries, not
    # `referencing` Resources: a Resource per subschema costs more than the rest of the walk.
    pending: list[tuple[Any, Any, Any]] = [(document, resolver, default_spec.detect(document))]
    while pending:
        contents, scope, spec = pending.pop()
        if id(contents) in seen:
            continue
        seen.add(id(contents))
        if isinstance(contents, dict):
            in_place.applicators(contents, draft7)
            for keyword in ("$ref", "$dynamicRef"):
                ref = contents.get(keyword)
                if not isinstance(ref, str):
                    continue
                try:
                    target, target_scope = resolve_ref(scope, ref)
                except Unresolvable as exc:
                    cause = exc.__cause__ or exc.__context__
                    while cause is not None and not isinstance(cause, ConfigError):
                        cause = cause.__cause__ or cause.__context__
                    if isinstance(cause, ConfigError):
                        raise cause from None
                    raise ConfigError(
                        f"invalid schema {origin}: {keyword} {ref!r} does not resolve "
                        f"(no such $defs entry or local file)"
                    ) from None
                if not isinstance(target, dict | bool):
                    raise ConfigError(
                        f"invalid schema {origin}: {keyword} {ref!r} points at "
                        f"{_json_type(target)}, not a schema (an object or a boolean)"
                    )
                in_place.edge(contents, target, f"{keyword} {ref!r}")
                pending.append((target, target_scope, default_spec.detect(target)))
        for child in spec.subresources_of(contents):
            child_scope, child_spec = scope, spec
            if isinstance(child, dict) and ("$id" in child or "$schema" in child):
                # Only an $id moves the base URI, only a $schema the specification.
                child_spec = spec.detect(child)
                child_scope = scope.in_subresource(child_spec.create_resource(child))
            pending.append((child, child_scope, child_spec))
    cycle = in_place.cycle()
    if cycle is not None:
        raise ConfigError(
            f"invalid schema {origin}: {' -> '.join(cycle)} leads back to where it started "
            f"without descending into the instance, so validation would never end"
        )
    return registry


class _InPlace:
    """Which subschemas apply to the SAME instance as a schema: `$ref`, allOf, not, if, ...

    A cycle among them sends validation round forever, whatever the
    instance; a cycle through properties or items does not (each step
    descends into the instance, which is finite), so it is not recorded.
    """

    _ONE = ("not", "if", "then", "else")
    _MANY = ("allOf", "anyOf", "oneOf")

    def __init__(self) -> None:
        self.edges: dict[int, list[tuple[int, str]]] = {}

    def edge(self, source: Any, target: Any, label: str) -> None:
        self.edges.setdefault(id(source), []).append((id(target), label))

    def applicators(self, node: dict[str, Any], draft7: bool) -> None:
        if draft7 and "$ref" in node:
            return  # draft-07 ignores every sibling of $ref
        for keyword in self._ONE:
            if isinstance(node.get(keyword), dict):
                self.edge(node, node[keyword], keyword)
        for keyword in self._MANY:
            members = node.get(keyword)
            if isinstance(members, list):
                for index, member in enumerate(members):
                    if isinstance(member, dict):
                        self.edge(node, member, f"{keyword}/{index}")
        keyword = "dependencies" if draft7 else "dependentSchemas"
        dependent = node.get(keyword)
        if isinstance(dependent, dict):
            for name, member in dependent.items():
                if isinstance(member, dict):
                    self.edge(node, member, f"{keyword}/{name}")

    def cycle(self) -> list[str] | None:
        """The labels along one cycle of in-place edges, or None (iterative: schemas are big)."""
        state: dict[int, int] = {}  # 1 on the current path, 2 done
        for start in list(self.edges):
            if state.get(start):
                continue
            path: list[tuple[int, str]] = [(start, "")]
            stack = [iter(self.edges.get(start, ()))]
            state[start] = 1
            while stack:
                step = next(stack[-1], None)
                if step is None:
                    stack.pop()
                    state[path.pop()[0]] = 2
                    continue
                target, label = step
                if state.get(target) == 1:
                    begin = next(i for i, (node, _) in enumerate(path) if node == target)
                    return [edge_label for _, edge_label in path[begin + 1 :]] + [label]
                if not state.get(target):
                    state[target] = 1
                    path.append((target, label))
                    stack.append(iter(self.edges.get(target, ())))
        return None


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a number"


def _ref_roots(base_dir: Path | None, allowed: Sequence[str | Path]) -> tuple[Path, ...]:
    """The directories `$ref` may read files from: the schema's, the bundled ones, ``allowed``."""
    roots = [Path(os.path.realpath(base_dir))] if base_dir is not None else []
    with contextlib.suppress(ConfigError):  # an installation without them: nothing to allow
        roots.append(Path(os.path.realpath(bundled_schema_dir())))
    roots += [Path(os.path.realpath(Path(path).expanduser())) for path in allowed]
    return tuple(roots)


def _confine(
    uri: str,
    location: Path,
    origin: str,
    base_dir: Path | None,
    roots: tuple[Path, ...],
    *,
    on_disk: bool,
) -> None:
    """Refuse a referenced file outside ``roots`` (symbolic links followed, ``..`` resolved).

    A schema from a pull request must not read the machine's other files:
    their content could end up in reports (docs/security.md).
    """
    target = base_dir / location if base_dir is not None else location
    # A file at a git ref is not on disk: its path is judged as written.
    resolved = Path(os.path.realpath(target) if on_disk else os.path.normpath(target))
    if any(resolved == root or root in resolved.parents for root in roots):
        return
    own = f"the schema's directory {base_dir}" if base_dir is not None else "no directory"
    raise ConfigError(
        f"$ref {uri!r} in {origin} reads {resolved}, outside {own} and the bundled schemas: "
        f"cdccheck reads no other file unless told (pass --allow-ref-path DIR)"
    )


def _local_location(uri: str, origin: str, base_dir: Path | None) -> Path:
    """Map a retrieval URI to a local file path, or refuse it as remote."""
    without_fragment, _ = urldefrag(uri)
    parts = urlsplit(without_fragment)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme or parts.netloc:
        raise ConfigError(
            f"remote $ref {uri!r} in {origin}: cdccheck never fetches schemas over the network "
            f"(point $ref at a local file or a $defs entry)"
        )
    if base_dir is None:
        raise ConfigError(f"$ref {uri!r} in {origin}: relative files need the schema's directory")
    return Path(unquote(parts.path))


def _shorten(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
