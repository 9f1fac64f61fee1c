"""The writer view of a Go type: the JSON that ``encoding/json.Marshal`` can produce for it.

``derive_go(path, type_name)`` parses the Go package at ``path`` with
tree-sitter (a real parser, never regular expressions over source) and
follows ``encoding/json``'s own rules, as its ``encode.go`` implements them:

* exported fields only; the tag's name, else the Go field name; ``json:"-"``
  skipped, ``json:"-,"`` named ``-``; a tag name with characters Go refuses
  falls back to the field name;
* ``omitempty``: absent when empty (``false``, ``0``, ``""``, nil pointer or
  interface, empty slice, map, string or array), so not required, and not
  empty when present. A struct is never empty, so a ``time.Time`` or any
  struct with ``omitempty`` is still always written;
* ``,string`` on a bool, integer, float or string field writes it inside a
  JSON string;
* pointers, slices, maps and interfaces may be ``null``; ``[]byte`` is a
  base64 string; ``[N]T`` has exactly N items (``[N]byte`` too: only slices
  of bytes are base64); map keys are the string itself, or the decimal
  integer;
* integers carry their kind's exact bounds (``int`` and ``uint`` as 64-bit);
* embedded structs promote their fields: the shallowest wins, a tagged field
  beats untagged ones at its depth, two equal candidates cancel each other
  out; fields reached through an embedded pointer are absent when it is nil;
* ``MarshalJSON``/``MarshalText`` methods (declared in the package, or
  promoted from an embedded field) replace the default encoding; their output
  is unknown, so the schema is open there and a warning names the spot.
  ``time.Time`` (RFC 3339 with nanoseconds), ``uuid.UUID`` from
  github.com/google/uuid and a few standard types are mapped exactly.

Where cdccheck cannot know what Go writes (``any``, ``json.RawMessage``, a
type from a package it did not parse), the schema is widened, never narrowed,
and a warning names the file, line, type and field. See
docs/schemas-from-code.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdccheck.errors import ConfigError
from cdccheck.refs._jsonschema import (
    DRAFT_2020_12_URI,
    Schema,
    def_ref,
    nullable,
    ordered,
    with_description,
)
from cdccheck.refs.derived import Derived

# ---------------------------------------------------------------- Go's fixed facts

_INT_BOUNDS = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    # int and uint are 64 bits on every platform a service runs on (amd64, arm64).
    "int": (-(2**63), 2**63 - 1),
    "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
    "uint": (0, 2**64 - 1),
    "uintptr": (0, 2**64 - 1),
}
_ALIASES = {"byte": "uint8", "rune": "int32"}
_FLOATS = ("float32", "float64")
# The largest float32, as encoding/json writes it ("3.4028235e+38", the shortest
# float32 rendering), read back as a double: a bit above math.MaxFloat32.
_FLOAT32_MAX = 3.4028235e38
_UNSUPPORTED = ("complex64", "complex128")
_PREDECLARED = {
    "bool",
    "string",
    *_INT_BOUNDS,
    *_ALIASES,
    *_FLOATS,
    *_UNSUPPORTED,
    "error",
    "any",
}
_SCALAR_KINDS = {"bool", "string", *_INT_BOUNDS, *_FLOATS}

# time.Time.MarshalJSON writes layout RFC3339Nano: 4-digit year, fraction of 1
# to 9 digits without trailing zeros (none when zero), "Z" for a zero offset,
# else +hh:mm. Go 1.20 and later refuse offsets of 24h or more.
RFC3339NANO_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{0,8}[1-9])?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
# Standard base64 with padding, as encoding/base64.StdEncoding writes it.
BASE64_PATTERN = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_QUOTED_SIGNED = r"^-?(0|[1-9][0-9]*)$"
_QUOTED_UNSIGNED = r"^(0|[1-9][0-9]*)$"
_QUOTED_NONZERO_SIGNED = r"^-?[1-9][0-9]*$"
_QUOTED_NONZERO_UNSIGNED = r"^[1-9][0-9]*$"
# strconv.AppendFloat(f, 'f' or 'e', -1): 'e' for |f| < 1e-6 or >= 1e21, and
# encoding/json trims "e-07" to "e-7".
_QUOTED_FLOAT = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?(e[+-][0-9]+)?$"
_JSON_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
# A string encoded twice (`json:",string"` on a string field): the inner JSON
# string literal as encoding/json writes it, HTML-escaped, lowercase \u escapes.
_QUOTED_STRING = '^"([^"\\\\\\x00-\\x1f<>&\\u2028\\u2029]|\\\\["\\\\nrt]|\\\\u[0-9a-f]{4})*"$'
_ANY_JSON = "; the schema admits any JSON there"
_UUID_CANONICAL = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _time_schema() -> dict[str, Any]:
    # python-jsonschema's date-time checker refuses year 0000, which Go can
    # write (time.Date(0, ...)); every other Go rendering passes it.
    return {"type": "string", "format": "date-time", "pattern": RFC3339NANO_PATTERN}


@dataclass(frozen=True)
class _WellKnown:
    """A type from a package cdccheck does not parse but whose encoding is certain."""

    kind: str
    """reflect.Kind name, which decides omitempty: 'struct', 'string', 'array', ..."""
    schema: Schema | None
    """What Marshal writes for a value; None: open schema with a warning."""
    note: str
    underlying: Schema | None = None
    """What Marshal writes for a type defined on it (``type T time.Time``: no methods)."""
    marshaler: bool = True
    """Whether the type has its own MarshalJSON/MarshalText (else ``schema`` is the default)."""
    length: int | None = None


_WELL_KNOWN: dict[tuple[str, str], _WellKnown] = {
    ("time", "Time"): _WellKnown(
        "struct",
        _time_schema(),
        "time.Time.MarshalJSON: RFC 3339 with up to 9 fraction digits",
        # Its fields are all unexported: a type defined on it marshals as {}.
        underlying={"type": "object", "properties": {}, "additionalProperties": False},
    ),
    ("time", "Duration"): _WellKnown(
        "int64",
        {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
        "time.Duration: an int64 count of nanoseconds",
        underlying={"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
        marshaler=False,
    ),
    ("encoding/json", "RawMessage"): _WellKnown(
        "slice",
        None,
        "json.RawMessage is written as it is: any JSON",
        underlying={
            "type": ["string", "null"],
            "contentEncoding": "base64",
            "pattern": BASE64_PATTERN,
        },
    ),
    ("encoding/json", "Number"): _WellKnown(
        "string",
        {"type": "number"},
        "json.Number is written as a JSON number",
        underlying={"type": "string"},
        marshaler=False,
    ),
    ("github.com/google/uuid", "UUID"): _WellKnown(
        "array",
        {"type": "string", "format": "uuid", "pattern": _UUID_CANONICAL},
        "uuid.UUID.MarshalText: canonical lowercase hyphenated form",
        underlying={
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 255},
            "minItems": 16,
            "maxItems": 16,
        },
        length=16,
    ),
    ("github.com/google/uuid", "NullUUID"): _WellKnown(
        "struct",
        {"type": ["string", "null"], "format": "uuid", "pattern": _UUID_CANONICAL},
        "uuid.NullUUID.MarshalJSON: null when not Valid, else the canonical form",
    ),
}
_NUMBER_TYPE = ("encoding/json", "Number")


# ---------------------------------------------------------------- the parsed package


def _language() -> Any:
    try:
        import tree_sitter_go
        from tree_sitter import Language
    except ImportError as error:  # pragma: no cover - both are dependencies
        raise ConfigError(
            f"go: references need tree-sitter and tree-sitter-go ({error}); "
            "pip install tree-sitter tree-sitter-go"
        ) from None
    return Language(tree_sitter_go.language())


_PARSER: Any = None


def _parser() -> Any:
    global _PARSER  # noqa: PLW0603 - one parser per process: building the language is not free
    if _PARSER is None:
        from tree_sitter import Parser

        _PARSER = Parser(_language())
    return _PARSER


def _text(node: Any) -> str:
    return str(node.text.decode("utf-8"))


@dataclass
class _Decl:
    """One ``type`` declaration of the package."""

    name: str
    type_node: Any
    alias: bool
    params: tuple[str, ...]
    file: Path
    imports: dict[str, str]

    @property
    def line(self) -> int:
        return int(self.type_node.start_point[0]) + 1


@dataclass
class _Method:
    pointer_receiver: bool
    right_signature: bool


@dataclass
class _Package:
    """The non-test files of one Go package directory, parsed."""

    directory: Path
    name: str
    import_path: str | None
    types: dict[str, _Decl] = field(default_factory=dict)
    methods: dict[str, dict[str, _Method]] = field(default_factory=dict)
    consts: dict[str, int] = field(default_factory=dict)


def _find_error(node: Any) -> Any:
    if node.type == "ERROR" or node.is_missing:
        return node
    if not node.has_error:
        return None
    for child in node.children:
        found = _find_error(child)
        if found is not None:
            return found
    return node


def _build_ignored(root: Any) -> bool:
    """Whether a ``//go:build ignore`` line excludes the file from every build."""
    for child in root.children:
        if child.type == "package_clause":
            return False
        if child.type == "comment":
            text = _text(child).strip()
            if text.startswith("//go:build") and text.split(None, 1)[1:] == ["ignore"]:
                return True
    return False


def _unquote_go(literal: Any) -> str:
    """The value of a Go string literal node (raw or interpreted)."""
    text = _text(literal)
    if literal.type == "raw_string_literal":
        return text[1:-1].replace("\r", "")
    body = text[1:-1]
    # Go's escapes are a subset of Python's for everything a struct tag uses.
    return body.encode("latin-1", "backslashreplace").decode("unicode_escape")


def _int_literal(text: str) -> int | None:
    cleaned = text.replace("_", "")
    try:
        if re.fullmatch(r"0[0-7]+", cleaned):
            return int(cleaned, 8)
        return int(cleaned, 0)
    except ValueError:
        return None


def _module_of(directory: Path) -> tuple[Path, str] | None:
    """(module root, module path) from the nearest go.mod above ``directory``."""
    for parent in (directory, *directory.parents):
        go_mod = parent / "go.mod"
        if go_mod.is_file():
            for line in go_mod.read_text("utf-8", "replace").splitlines():
                words = line.split()
                if len(words) >= 2 and words[0] == "module":
                    return parent, words[1].strip('"')
            return None
    return None


def _load_package(directory: Path, label: str) -> _Package:
    try:
        names = sorted(directory.iterdir())
    except FileNotFoundError:
        raise ConfigError(f"cannot read {label}: no such file or directory") from None
    except OSError as error:
        raise ConfigError(f"cannot read {label}: {error.strerror or error}") from None
    files = [p for p in names if p.suffix == ".go" and not p.name.endswith("_test.go")]
    if not files:
        raise ConfigError(f"cannot read {label}: no .go files in {directory}")
    module = _module_of(directory.resolve())
    import_path = None
    if module is not None:
        relative = directory.resolve().relative_to(module[0]).as_posix()
        import_path = module[1] if relative == "." else f"{module[1]}/{relative}"
    package: _Package | None = None
    for file in files:
        try:
            source = file.read_bytes()
        except OSError as error:
            raise ConfigError(f"cannot read {file}: {error.strerror or error}") from None
        root = _parser().parse(source).root_node
        broken = _find_error(root)
        if broken is not None:
            line, column = broken.start_point
            raise ConfigError(
                f"cannot parse {label}: Go syntax error at {file}:{line + 1}:{column + 1}"
            )
        if _build_ignored(root):
            continue
        clause = next((c for c in root.children if c.type == "package_clause"), None)
        if clause is None:
            raise ConfigError(f"cannot parse {label}: {file} has no package clause")
        name = _text(clause.named_children[0])
        if package is None:
            package = _Package(directory, name, import_path)
        elif package.name != name:
            raise ConfigError(
                f"cannot parse {label}: {directory} mixes packages {package.name} and {name}"
            )
        _collect(root, file, package)
    if package is None:
        raise ConfigError(f"cannot read {label}: every .go file in {directory} is build-ignored")
    return package


def _imports(root: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for declaration in root.children:
        if declaration.type != "import_declaration":
            continue
        for spec in _descendants(declaration, "import_spec"):
            path = _unquote_go(spec.child_by_field_name("path"))
            alias_node = spec.child_by_field_name("name")
            alias = _text(alias_node) if alias_node is not None else _default_import_name(path)
            if alias not in ("_", "."):
                out[alias] = path
    return out


def _default_import_name(path: str) -> str:
    # The package name is usually the last element without a major-version
    # suffix ("gopkg.in/yaml.v3" -> yaml, "example.com/x/v2" -> x).
    parts = path.split("/")
    last = parts[-1]
    if re.fullmatch(r"v[0-9]+", last) and len(parts) > 1:
        last = parts[-2]
    last = re.sub(r"\.v[0-9]+$", "", last)
    return last.removeprefix("go-").replace("-", "_")


def _descendants(node: Any, kind: str) -> list[Any]:
    out = []
    for child in node.named_children:
        if child.type == kind:
            out.append(child)
        else:
            out.extend(_descendants(child, kind))
    return out


def _collect(root: Any, file: Path, package: _Package) -> None:
    imports = _imports(root)
    for node in root.children:
        if node.type == "type_declaration":
            for spec in node.named_children:
                if spec.type not in ("type_spec", "type_alias"):
                    continue
                name = _text(spec.child_by_field_name("name"))
                params_node = spec.child_by_field_name("type_parameters")
                params: tuple[str, ...] = ()
                if params_node is not None:
                    params = tuple(
                        _text(ident)
                        for declaration in params_node.named_children
                        for ident in declaration.children_by_field_name("name")
                    )
                package.types[name] = _Decl(
                    name,
                    spec.child_by_field_name("type"),
                    spec.type == "type_alias",
                    params,
                    file,
                    imports,
                )
        elif node.type == "method_declaration":
            _collect_method(node, package)
        elif node.type == "const_declaration":
            for spec in node.named_children:
                if spec.type != "const_spec":
                    continue
                names = [_text(n) for n in spec.children_by_field_name("name")]
                value = spec.child_by_field_name("value")
                if value is None:
                    continue
                values = value.named_children
                for const_name, expression in zip(names, values, strict=False):
                    if expression.type == "int_literal":
                        number = _int_literal(_text(expression))
                        if number is not None:
                            package.consts[const_name] = number


def _collect_method(node: Any, package: _Package) -> None:
    name = _text(node.child_by_field_name("name"))
    if name not in ("MarshalJSON", "MarshalText"):
        return
    receiver = node.child_by_field_name("receiver")
    declarations = [c for c in receiver.named_children if c.type == "parameter_declaration"]
    if not declarations:
        return
    receiver_type = declarations[0].child_by_field_name("type")
    pointer = receiver_type.type == "pointer_type"
    if pointer:
        receiver_type = receiver_type.named_children[0]
    if receiver_type.type == "generic_type":
        receiver_type = receiver_type.child_by_field_name("type")
    parameters = node.child_by_field_name("parameters")
    result = node.child_by_field_name("result")
    result_types = []
    if result is not None and result.type == "parameter_list":
        for declaration in result.named_children:
            count = max(1, len(declaration.children_by_field_name("name")))
            kind = re.sub(r"\s+", "", _text(declaration.child_by_field_name("type")))
            result_types.extend([kind] * count)
    right = not parameters.named_children and result_types == ["[]byte", "error"]
    package.methods.setdefault(_text(receiver_type), {})[name] = _Method(pointer, right)


# ---------------------------------------------------------------- the type model


@dataclass(frozen=True)
class _Ctx:
    """Where a type expression is read: its package, file imports and type arguments."""

    package: _Package
    imports: dict[str, str] = field(compare=False)
    file: Path | None = None
    bindings: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class _Basic:
    name: str


@dataclass(frozen=True)
class _Pointer:
    elem: Any


@dataclass(frozen=True)
class _Slice:
    elem: Any


@dataclass(frozen=True)
class _Array:
    length: int | None
    elem: Any


@dataclass(frozen=True)
class _Map:
    key: Any
    elem: Any


@dataclass(frozen=True, eq=False)
class _Struct:
    node: Any
    ctx: _Ctx


@dataclass(frozen=True)
class _Interface:
    text: str


@dataclass(frozen=True)
class _Unsupported:
    text: str


@dataclass(frozen=True)
class _Named:
    package: _Package = field(compare=False)
    directory: str
    name: str
    args: tuple[Any, ...] = ()

    def label(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}[{', '.join(_type_label(arg) for arg in self.args)}]"


@dataclass(frozen=True)
class _External:
    import_path: str
    name: str
    text: str


@dataclass(frozen=True)
class _Stripped:
    """The underlying type of an external type: its layout without its methods."""

    external: _External


def _type_label(t: Any) -> str:
    if isinstance(t, _Basic):
        return t.name
    if isinstance(t, _Named):
        return t.label()
    if isinstance(t, _Pointer):
        return "*" + _type_label(t.elem)
    if isinstance(t, _Slice):
        return "[]" + _type_label(t.elem)
    if isinstance(t, _Array):
        return f"[{'?' if t.length is None else t.length}]{_type_label(t.elem)}"
    if isinstance(t, _Map):
        return f"map[{_type_label(t.key)}]{_type_label(t.elem)}"
    if isinstance(t, _External):
        return t.text
    if isinstance(t, _Stripped):
        return f"underlying({t.external.text})"
    if isinstance(t, _Interface | _Unsupported):
        return t.text
    return "struct{...}"


class _Resolver:
    """Turns type expressions into the type model and answers kind/method questions."""

    def __init__(self, root: _Package, label: str) -> None:
        self.root = root
        self.label = label
        self.packages: dict[str, _Package] = {str(root.directory.resolve()): root}
        self.module = _module_of(root.directory.resolve())

    # -- packages in the same module are parsed too

    def package_for(self, import_path: str) -> _Package | None:
        if self.module is None:
            return None
        root_dir, module_path = self.module
        if import_path != module_path and not import_path.startswith(module_path + "/"):
            return None
        directory = root_dir / import_path[len(module_path) :].lstrip("/")
        key = str(directory.resolve())
        if key not in self.packages:
            if not directory.is_dir():
                return None
            self.packages[key] = _load_package(directory, f"{self.label} (import {import_path})")
        return self.packages[key]

    # -- syntax -> model

    def convert(self, node: Any, ctx: _Ctx) -> Any:
        kind = node.type
        if kind == "parenthesized_type":
            return self.convert(node.named_children[0], ctx)
        if kind == "type_identifier":
            return self.identifier(_text(node), ctx, ())
        if kind == "generic_type":
            base = node.child_by_field_name("type")
            arguments = node.child_by_field_name("type_arguments")
            args = tuple(
                self.convert(
                    argument.named_children[0] if argument.type == "type_elem" else argument, ctx
                )
                for argument in arguments.named_children
            )
            if base.type == "qualified_type":
                return self.qualified(base, ctx, args)
            return self.identifier(_text(base), ctx, args)
        if kind == "qualified_type":
            return self.qualified(node, ctx, ())
        if kind == "pointer_type":
            return _Pointer(self.convert(node.named_children[0], ctx))
        if kind == "slice_type":
            return _Slice(self.convert(node.child_by_field_name("element"), ctx))
        if kind == "array_type":
            length_node = node.child_by_field_name("length")
            return _Array(
                self.array_length(length_node, ctx),
                self.convert(node.child_by_field_name("element"), ctx),
            )
        if kind == "implicit_length_array_type":
            return _Array(None, self.convert(node.child_by_field_name("element"), ctx))
        if kind == "map_type":
            return _Map(
                self.convert(node.child_by_field_name("key"), ctx),
                self.convert(node.child_by_field_name("value"), ctx),
            )
        if kind == "struct_type":
            return _Struct(node, ctx)
        if kind == "interface_type":
            return _Interface(_text(node))
        if kind in ("channel_type", "function_type"):
            return _Unsupported(_text(node))
        if kind == "type_elem" and node.named_children:
            return self.convert(node.named_children[0], ctx)
        return _Interface(_text(node))

    def array_length(self, node: Any, ctx: _Ctx) -> int | None:
        if node.type == "int_literal":
            return _int_literal(_text(node))
        if node.type == "identifier":
            return ctx.package.consts.get(_text(node))
        return None

    def identifier(self, name: str, ctx: _Ctx, args: tuple[Any, ...]) -> Any:
        for bound, value in ctx.bindings:
            if bound == name:
                return value
        if name in ctx.package.types:
            return self.named(ctx.package, name, args)
        if name in _PREDECLARED:
            if name in ("error", "any"):
                return _Interface(name)
            if name in _UNSUPPORTED:
                return _Unsupported(name)
            return _Basic(_ALIASES.get(name, name))
        return _External("?", name, name)

    def qualified(self, node: Any, ctx: _Ctx, args: tuple[Any, ...]) -> Any:
        alias = _text(node.child_by_field_name("package"))
        name = _text(node.child_by_field_name("name"))
        path = ctx.imports.get(alias)
        text = _text(node)
        if path is None:
            return _External("?", name, text)
        if (path, name) in _WELL_KNOWN:
            return _External(path, name, text)
        if path == "unsafe" and name == "Pointer":
            return _Unsupported(text)
        package = self.package_for(path)
        if package is not None and name in package.types:
            return self.named(package, name, args)
        return _External(path, name, text)

    def named(self, package: _Package, name: str, args: tuple[Any, ...]) -> Any:
        declaration = package.types[name]
        if declaration.alias:
            ctx = _Ctx(
                package,
                declaration.imports,
                declaration.file,
                tuple(zip(declaration.params, args, strict=False)),
            )
            return self.convert(declaration.type_node, ctx)
        return _Named(package, str(package.directory), name, args)

    def underlying(self, named: _Named, seen: frozenset[_Named] = frozenset()) -> Any:
        """The type a named type is defined as, type arguments substituted."""
        if named in seen:
            # `type A B; type B A`: Go refuses it ("invalid recursive type").
            raise ConfigError(f"cannot derive {self.label}: invalid recursive type {named.name}")
        declaration = named.package.types[named.name]
        bindings = tuple(zip(declaration.params, named.args, strict=False))
        ctx = _Ctx(named.package, declaration.imports, declaration.file, bindings)
        t = self.convert(declaration.type_node, ctx)
        # `type A B`: A's underlying type is B's, without B's methods.
        if isinstance(t, _Named):
            return self.underlying(t, seen | {named})
        if isinstance(t, _External):
            return _Stripped(t)
        return t

    # -- questions encoding/json asks with reflect

    def kind(self, t: Any) -> str:
        """reflect.Kind of ``t``: 'struct', 'pointer', 'string', 'int64', ..., or '?'."""
        if isinstance(t, _Basic):
            return t.name
        if isinstance(t, _Named):
            return self.kind(self.underlying(t))
        if isinstance(t, _Pointer):
            return "pointer"
        if isinstance(t, _Slice):
            return "slice"
        if isinstance(t, _Array):
            return "array"
        if isinstance(t, _Map):
            return "map"
        if isinstance(t, _Struct):
            return "struct"
        if isinstance(t, _Interface):
            return "interface"
        if isinstance(t, _External | _Stripped):
            external = t.external if isinstance(t, _Stripped) else t
            known = _WELL_KNOWN.get((external.import_path, external.name))
            return known.kind if known is not None else "?"
        return "unsupported"

    def array_length_of(self, t: Any) -> int | None:
        if isinstance(t, _Named):
            return self.array_length_of(self.underlying(t))
        if isinstance(t, _Array):
            return t.length
        if isinstance(t, _External | _Stripped):
            external = t.external if isinstance(t, _Stripped) else t
            known = _WELL_KNOWN.get((external.import_path, external.name))
            return known.length if known is not None else None
        return None

    def marshaler(self, t: Any, seen: frozenset[Any] = frozenset()) -> tuple[str, Any] | None:
        """How ``t``'s own or promoted method encodes it, if it has one.

        Returns (how, origin): how is 'json' or 'text' with '-value' (every
        value has it) or '-pointer' (only an addressable value uses it);
        origin is the type that declares the method.
        """
        if isinstance(t, _External):
            known = _WELL_KNOWN.get((t.import_path, t.name))
            if known is not None:
                return ("json-value", t) if known.marshaler else None
            return ("unknown", t)
        if isinstance(t, _Stripped):
            known = _WELL_KNOWN.get((t.external.import_path, t.external.name))
            return None if known is not None else ("unknown", t.external)
        if isinstance(t, _Struct):
            return self.promoted_marshaler(t, seen)
        if not isinstance(t, _Named) or t in seen:
            return None
        methods = t.package.methods.get(t.name, {})
        for method, how in (("MarshalJSON", "json"), ("MarshalText", "text")):
            found = methods.get(method)
            if found is not None and found.right_signature:
                return (f"{how}-pointer" if found.pointer_receiver else f"{how}-value", t)
        underlying = self.underlying(t)
        if isinstance(underlying, _Struct):
            return self.promoted_marshaler(underlying, seen | {t})
        return None

    def promoted_marshaler(self, struct: _Struct, seen: frozenset[Any]) -> tuple[str, Any] | None:
        """A MarshalJSON/MarshalText promoted from embedded fields (Go's selector rules)."""
        level: list[tuple[Any, bool]] = [
            (embedded.type, embedded.pointer) for embedded in self.embedded_of(struct)
        ]
        visited: set[Any] = set()
        while level:
            found = []
            deeper: list[tuple[Any, bool]] = []
            for t, through_pointer in level:
                if t in visited:
                    continue
                visited.add(t)
                own = self.own_marshaler(t)
                if own is not None:
                    how, origin = own
                    if through_pointer and how.endswith("-pointer"):
                        how = how.replace("-pointer", "-value")
                    found.append((how, origin))
                    continue
                if isinstance(t, _Named) and t not in seen:
                    underlying = self.underlying(t)
                    if isinstance(underlying, _Struct):
                        deeper.extend(
                            (embedded.type, embedded.pointer or through_pointer)
                            for embedded in self.embedded_of(underlying)
                        )
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                return None  # ambiguous selector at this depth: no method is promoted
            level = deeper
        return None

    def own_marshaler(self, t: Any) -> tuple[str, Any] | None:
        if isinstance(t, _External):
            return self.marshaler(t)
        if isinstance(t, _Named):
            methods = t.package.methods.get(t.name, {})
            for method, how in (("MarshalJSON", "json"), ("MarshalText", "text")):
                found = methods.get(method)
                if found is not None and found.right_signature:
                    return (f"{how}-pointer" if found.pointer_receiver else f"{how}-value", t)
        return None

    def embedded_of(self, struct: _Struct) -> list[_FieldDecl]:
        return [f for f in self.fields_of(struct) if f.embedded]

    def fields_of(self, struct: _Struct) -> list[_FieldDecl]:
        out: list[_FieldDecl] = []
        body = struct.node.named_children[0] if struct.node.named_children else None
        if body is None:
            return out
        for declaration in body.named_children:
            if declaration.type != "field_declaration":
                continue
            type_node = declaration.child_by_field_name("type")
            tag_node = declaration.child_by_field_name("tag")
            tag = _unquote_go(tag_node) if tag_node is not None else ""
            names = declaration.children_by_field_name("name")
            line = int(declaration.start_point[0]) + 1
            file = struct.ctx.file
            if names:
                t = self.convert(type_node, struct.ctx)
                for name in names:
                    out.append(
                        _FieldDecl(_text(name), t, tag, False, False, file, line, _text(type_node))
                    )
            else:
                pointer = any(child.type == "*" for child in declaration.children)
                base = self.convert(type_node, struct.ctx)
                name_node = type_node
                if name_node.type == "generic_type":
                    name_node = name_node.child_by_field_name("type")
                if name_node.type == "qualified_type":
                    name_node = name_node.child_by_field_name("name")
                t = _Pointer(base) if pointer else base
                text = ("*" if pointer else "") + _text(type_node)
                out.append(_FieldDecl(_text(name_node), t, tag, True, pointer, file, line, text))
        return out


@dataclass
class _FieldDecl:
    name: str
    type: Any
    tag: str
    embedded: bool
    pointer: bool
    file: Path | None
    line: int
    type_text: str

    @property
    def exported(self) -> bool:
        return self.name[:1].isupper()


def struct_tag_get(tag: str, key: str) -> str:
    """reflect.StructTag.Get: the value of ``key`` in a conventional struct tag."""
    rest = tag
    while rest:
        rest = rest.lstrip(" ")
        if not rest:
            break
        index = 0
        while index < len(rest) and rest[index] > " " and rest[index] not in ':"\x7f':
            index += 1
        if index == 0 or index + 1 >= len(rest) or rest[index] != ":" or rest[index + 1] != '"':
            break
        name = rest[:index]
        rest = rest[index + 1 :]
        index = 1
        while index < len(rest) and rest[index] != '"':
            if rest[index] == "\\":
                index += 1
            index += 1
        if index >= len(rest):
            break
        quoted = rest[: index + 1]
        rest = rest[index + 1 :]
        if name == key:
            try:
                return str(
                    quoted[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
                )
            except UnicodeDecodeError:
                return ""
    return ""


def _valid_tag_name(name: str) -> bool:
    """encoding/json's isValidTag: letters, digits and most punctuation."""
    if not name:
        return False
    allowed = set("!#$%&()*+-./:;<=>?@[]^_{|}~ ")
    return all(c in allowed or c.isalpha() or c.isdigit() for c in name)


# ---------------------------------------------------------------- typeFields


@dataclass
class _JsonField:
    """One field as encoding/json's typeFields sees it."""

    name: str
    tagged: bool
    index: tuple[int, ...]
    decl: _FieldDecl
    owner: str
    omit_empty: bool
    quoted: bool
    through_pointer: str | None
    """The embedded pointer field it is reached through, if any (absent when nil)."""
    path: tuple[str, ...]


class _Deriver:
    def __init__(self, resolver: _Resolver, root: _Named, label: str) -> None:
        self.resolver = resolver
        self.root = root
        self.label = label
        self.defs: dict[str, Schema] = {}
        self.def_keys: dict[_Named, str] = {}
        self.warnings: list[str] = []
        self._warned: set[str] = set()

    # -- messages

    def spot(self, decl: _FieldDecl | None, owner: str) -> str:
        if decl is None:
            return owner
        where = f"{_relative(decl.file)}:{decl.line}: " if decl.file is not None else ""
        return f"{where}{owner}.{decl.name} ({decl.type_text})"

    def warn(self, spot: str, message: str) -> None:
        text = f"{spot}: {message}"
        if text not in self._warned:
            self._warned.add(text)
            self.warnings.append(text)

    # -- named types -> $defs

    def def_key(self, named: _Named) -> str:
        key = self.def_keys.get(named)
        if key is not None:
            return key
        key = named.label()
        if named.package is not self.resolver.root:
            key = f"{named.package.name}.{key}"
        taken = set(self.def_keys.values())
        base, counter = key, 2
        while key in taken:
            key, counter = f"{base}~{counter}", counter + 1
        self.def_keys[named] = key
        return key

    def reference(self, named: _Named) -> dict[str, Any]:
        key = self.def_key(named)
        if key not in self.defs:
            self.defs[key] = True  # placeholder: a recursive reference finds it
            self.defs[key] = self.named_body(named)
        root_key = self.def_keys.get(self.root)
        return {"$ref": def_ref(key, root_key)}

    def named_body(self, named: _Named) -> Schema:
        underlying = self.resolver.underlying(named)
        where = f"{named.package.name}.{named.label()}"
        body = self.value(underlying, owner=named.label(), spot=where)
        description = f"Go type {where}"
        declaration = named.package.types[named.name]
        description += f" ({_relative(declaration.file)}:{declaration.line})"
        return with_description(body, description)

    # -- values

    def value(self, t: Any, *, owner: str, spot: str, quoted: bool = False) -> Schema:
        """What Marshal writes for a value of ``t`` (nil included where ``t`` can be nil)."""
        resolver = self.resolver
        marshaler = resolver.marshaler(t)
        if marshaler is not None:
            return self.marshaled(t, marshaler, spot)
        if isinstance(t, _Named):
            underlying = resolver.underlying(t)
            kind = resolver.kind(underlying)
            if quoted or kind in _SCALAR_KINDS or kind in ("interface", "unsupported", "?"):
                return self.value(underlying, owner=owner, spot=spot, quoted=quoted)
            return self.reference(t)
        if isinstance(t, _Basic):
            return _basic(t.name, quoted=quoted)
        if isinstance(t, _Pointer):
            pointee = resolver.marshaler(t.elem)
            if pointee is not None:
                # A non-nil pointer is addressable: pointer-receiver methods apply.
                how = pointee[0].replace("-pointer", "-value")
                return nullable(self.marshaled(t.elem, (how, pointee[1]), spot))
            return nullable(self.value(t.elem, owner=owner, spot=spot, quoted=quoted))
        if isinstance(t, _Slice):
            if self.is_byte_slice(t):
                return {
                    "type": ["string", "null"],
                    "contentEncoding": "base64",
                    "pattern": BASE64_PATTERN,
                }
            return {"type": ["array", "null"], "items": self.value(t.elem, owner=owner, spot=spot)}
        if isinstance(t, _Array):
            items = self.value(t.elem, owner=owner, spot=spot)
            out: dict[str, Any] = {"type": "array", "items": items}
            if t.length is None:
                self.warn(
                    spot,
                    "array length is neither a literal nor a constant cdccheck reads: any length",
                )
            else:
                out.update(minItems=t.length, maxItems=t.length)
            return out
        if isinstance(t, _Map):
            return nullable(self.map_schema(t, owner=owner, spot=spot))
        if isinstance(t, _Struct):
            return self.struct(t, owner=owner)
        if isinstance(t, _Interface):
            self.warn(spot, f"{t.text} holds any value at run time{_ANY_JSON}")
            return True
        if isinstance(t, _External):
            known = _WELL_KNOWN.get((t.import_path, t.name))
            if known is not None and known.schema is not None:
                return _quote_known(known, quoted)
            if known is not None:
                self.warn(spot, f"{known.note}{_ANY_JSON}")
                return True
            where = "an unknown package" if t.import_path == "?" else f"package {t.import_path}"
            self.warn(
                spot,
                f"{t.text} comes from {where}, which cdccheck does not parse{_ANY_JSON}",
            )
            return True
        if isinstance(t, _Stripped):
            known = _WELL_KNOWN.get((t.external.import_path, t.external.name))
            if known is not None and known.underlying is not None:
                return with_description(
                    known.underlying, f"the layout of {t.external.text}, without its methods"
                )
            self.warn(
                spot,
                f"the underlying type of {t.external.text} is not parsed{_ANY_JSON}",
            )
            return True
        if isinstance(t, _Unsupported):
            self.warn(
                spot,
                f"encoding/json cannot marshal {t.text} (UnsupportedTypeError): nothing is written",
            )
            return False
        return True  # pragma: no cover - every model type is handled above

    def is_byte_slice(self, t: _Slice) -> bool:
        # A slice whose element kind is uint8 is base64, unless *elem has a
        # marshaler (then each element is marshaled on its own).
        return self.resolver.kind(t.elem) == "uint8" and self.resolver.marshaler(t.elem) is None

    def marshaled(self, t: Any, marshaler: tuple[str, Any], spot: str) -> Schema:
        how, origin = marshaler
        origin_label = _type_label(origin)
        if how == "unknown":
            assert isinstance(origin, _External)
            where = (
                "an unknown package"
                if origin.import_path == "?"
                else f"package {origin.import_path}"
            )
            if origin != t:
                self.warn(
                    spot,
                    f"embedded {origin.text} comes from {where}, which cdccheck does not parse: "
                    f"its fields and methods are unknown{_ANY_JSON}",
                )
            else:
                self.warn(
                    spot,
                    f"{origin.text} comes from {where}, which cdccheck does not parse{_ANY_JSON}",
                )
            return True
        if isinstance(origin, _External):
            known = _WELL_KNOWN[(origin.import_path, origin.name)]
            if known.schema is None:
                self.warn(spot, f"{known.note}{_ANY_JSON}")
                return True
            promoted = "" if origin == t else f" (promoted from embedded {origin_label})"
            return with_description(known.schema, known.note + promoted)
        promoted = "" if origin == t else f", promoted from embedded {origin_label}"
        if how == "text-value":
            self.warn(
                spot,
                f"{origin_label} has its own MarshalText{promoted}; any string admitted",
            )
            return {"type": "string"}
        method = "MarshalJSON" if how.startswith("json") else "MarshalText"
        if how.endswith("-pointer"):
            self.warn(
                spot,
                f"{origin_label} has its own {method} on a pointer receiver{promoted} "
                f"(used only when the value is addressable){_ANY_JSON}",
            )
        else:
            self.warn(
                spot,
                f"{origin_label} has its own {method}{promoted}{_ANY_JSON}",
            )
        return True

    def map_schema(self, t: _Map, *, owner: str, spot: str) -> Schema:
        resolver = self.resolver
        key_kind = resolver.kind(t.key)
        values = self.value(t.elem, owner=owner, spot=spot)
        out: dict[str, Any] = {"type": "object", "additionalProperties": values}
        if key_kind == "string":
            return out  # string keys are used as they are, even with a MarshalText
        # Map keys are not addressable: only a value-receiver MarshalText applies.
        marshaler = resolver.marshaler(t.key)
        if isinstance(t.key, _External) and marshaler is not None and marshaler[0] != "unknown":
            known = _WELL_KNOWN[(t.key.import_path, t.key.name)]
            if isinstance(known.schema, dict) and "pattern" in known.schema:
                out["propertyNames"] = {"pattern": known.schema["pattern"]}
            return out
        if isinstance(t.key, _Named):
            text = t.key.package.methods.get(t.key.name, {}).get("MarshalText")
            if text is not None and text.right_signature and not text.pointer_receiver:
                return out
        if key_kind in _INT_BOUNDS:
            signed = not key_kind.startswith("u")
            out["propertyNames"] = {"pattern": _QUOTED_SIGNED if signed else _QUOTED_UNSIGNED}
            return out
        if marshaler is not None and marshaler[0] == "unknown":
            self.warn(spot, f"map key {_type_label(t.key)} is not parsed; any key admitted")
            return out
        self.warn(
            spot,
            f"encoding/json cannot marshal {_type_label(t.key)} map keys: nothing is written",
        )
        return False

    # -- structs

    def struct(self, struct: _Struct, *, owner: str) -> Schema:
        fields, unknown = self.type_fields(struct, owner)
        if unknown:
            return True
        properties: dict[str, Any] = {}
        required: list[str] = []
        for json_field in fields:
            decl = json_field.decl
            spot = self.spot(decl, json_field.owner)
            kind = self.resolver.kind(decl.type)
            if (
                json_field.omit_empty
                and kind == "array"
                and self.resolver.array_length_of(decl.type) == 0
            ):
                continue  # an empty array is always empty: never written
            schema = self.field_value(json_field, spot)
            properties[json_field.name] = with_description(schema, self.describe(json_field, kind))
            if not self.may_be_absent(json_field, kind):
                required.append(json_field.name)
        out: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            out["required"] = required
        out["additionalProperties"] = False
        return out

    def may_be_absent(self, json_field: _JsonField, kind: str) -> bool:
        if json_field.through_pointer is not None:
            return True
        if not json_field.omit_empty:
            return False
        # isEmptyValue: a struct is never empty; an array only when its length is 0.
        if kind == "struct":
            return False
        if kind == "array":
            return self.resolver.array_length_of(json_field.decl.type) in (0, None)
        return True

    def field_value(self, json_field: _JsonField, spot: str) -> Schema:
        t = json_field.decl.type
        owner = json_field.owner
        quoted = json_field.quoted
        if not json_field.omit_empty:
            return self.value(t, owner=owner, spot=spot, quoted=quoted)
        resolver = self.resolver
        kind = resolver.kind(t)
        marshaler = resolver.marshaler(t)
        if kind == "pointer" and marshaler is None:
            # Present means non-nil: the pointee is written, whatever it holds.
            elem = t.elem if isinstance(t, _Pointer) else resolver.underlying(t).elem
            return self.value(elem, owner=owner, spot=spot, quoted=quoted)
        schema = self.value(t, owner=owner, spot=spot, quoted=quoted)
        if marshaler is not None or schema is True or schema is False:
            return schema  # the method writes what it likes for a non-empty value
        if isinstance(t, _External) and (t.import_path, t.name) == _NUMBER_TYPE:
            return schema  # json.Number("0") is not empty
        return _non_empty(schema, kind, quoted)

    def describe(self, json_field: _JsonField, kind: str) -> str:
        decl = json_field.decl
        go_name = ".".join((json_field.owner, *json_field.path))
        tag = (
            f'`json:"{struct_tag_get(decl.tag, "json")}"`' if "json" in decl.tag else "no json tag"
        )
        words = [f"Go field {go_name} {decl.type_text}, {tag}"]
        if json_field.through_pointer is not None:
            words.append(f"absent when the embedded {json_field.through_pointer} is nil")
        if json_field.omit_empty:
            if kind == "struct":
                words.append("omitempty has no effect on a struct: always written")
            elif kind == "array" and self.resolver.array_length_of(decl.type):
                words.append("omitempty has no effect on a non-empty array type: always written")
            else:
                words.append("omitted when empty")
        elif kind in ("pointer", "slice", "map", "interface"):
            words.append("null when nil")
        if json_field.quoted:
            words.append("written inside a JSON string (,string)")
        return "; ".join(words) + "."

    def type_fields(self, struct: _Struct, owner: str) -> tuple[list[_JsonField], bool]:
        """encoding/json's typeFields: the fields Marshal writes, in order.

        Returns (fields, unknown): unknown is True when an embedded type from
        an unparsed package could add fields or methods cdccheck cannot see.
        """
        resolver = self.resolver
        found: list[_JsonField] = []
        # Breadth-first over embedded structs, as typeFields does: (type,
        # struct, index, through_pointer, path).
        next_level: list[tuple[Any, _Struct, tuple[int, ...], str | None, tuple[str, ...]]] = [
            (struct, struct, (), None, ())
        ]
        visited: set[Any] = set()
        next_counts: dict[Any, int] = {}
        unknown = False
        while next_level:
            current, next_level = next_level, []
            counts, next_counts = next_counts, {}
            for key, level_struct, index, through, path in current:
                if key in visited:
                    continue
                visited.add(key)
                for position, decl in enumerate(resolver.fields_of(level_struct)):
                    target = decl.type.elem if decl.pointer else decl.type
                    if decl.embedded:
                        if not decl.exported and resolver.kind(target) != "struct":
                            continue
                    elif not decl.exported:
                        continue
                    tag = struct_tag_get(decl.tag, "json")
                    if tag == "-":
                        continue
                    name, _, options = tag.partition(",")
                    option_set = set(options.split(",")) if options else set()
                    if not _valid_tag_name(name):
                        name = ""
                    field_index = (*index, position)
                    # typeFields follows an unnamed pointer for these checks.
                    followed = decl.type.elem if isinstance(decl.type, _Pointer) else decl.type
                    followed_kind = resolver.kind(followed)
                    quoted = "string" in option_set and followed_kind in _SCALAR_KINDS
                    if name or not decl.embedded or followed_kind != "struct":
                        if decl.embedded and followed_kind == "?":
                            unknown = True
                            self.warn(
                                self.spot(decl, owner),
                                f"embedded {decl.type_text} is not parsed: its fields and methods "
                                "are unknown, so the schema admits any JSON for the whole struct",
                            )
                        json_field = _JsonField(
                            name or decl.name,
                            bool(name),
                            field_index,
                            decl,
                            owner,
                            "omitempty" in option_set,
                            quoted,
                            through,
                            (*path, decl.name),
                        )
                        found.append(json_field)
                        if counts.get(key, 0) > 1:
                            found.append(json_field)  # a second copy: the name is ambiguous
                        continue
                    if isinstance(followed, _External):
                        # A well-known struct (time.Time): no exported fields.
                        continue
                    next_counts[followed] = next_counts.get(followed, 0) + 1
                    if next_counts[followed] == 1:
                        inner = (
                            resolver.underlying(followed)
                            if isinstance(followed, _Named)
                            else followed
                        )
                        pointer_name = through
                        if decl.pointer and pointer_name is None:
                            pointer_name = ".".join((owner, *path, decl.name))
                        next_level.append(
                            (followed, inner, field_index, pointer_name, (*path, decl.name))
                        )
        found.sort(key=lambda f: (f.name, len(f.index), not f.tagged, f.index))
        out: list[_JsonField] = []
        position = 0
        while position < len(found):
            name = found[position].name
            end = position
            while end < len(found) and found[end].name == name:
                end += 1
            group = found[position:end]
            position = end
            if len(group) == 1:
                out.append(group[0])
                continue
            # dominantField: the first is shallowest (and tagged first); two
            # at that depth with the same taggedness cancel out.
            first, second = group[0], group[1]
            if len(first.index) == len(second.index) and first.tagged == second.tagged:
                continue
            out.append(first)
        out.sort(key=lambda f: f.index)
        return out, unknown


def _non_empty(schema: Schema, kind: str, quoted: bool) -> Schema:
    """``schema`` for a value ``omitempty`` did not drop: not null and not empty."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if kind == "bool":
        return {"const": "true"} if quoted else {"const": True}
    if kind in _INT_BOUNDS:
        if quoted:
            out["pattern"] = (
                _QUOTED_NONZERO_UNSIGNED if kind.startswith("u") else _QUOTED_NONZERO_SIGNED
            )
            return out
        return {**out, "not": {"const": 0}}
    if kind in _FLOATS:
        if quoted:
            return {**out, "not": {"enum": ["0", "-0"]}}
        return {**out, "not": {"const": 0}}
    if kind == "string":
        if quoted:
            return {**out, "not": {"const": '""'}}
        return {**out, "minLength": 1}
    if "$ref" in out:
        types = {"slice": "array", "map": "object"}
        if kind in types:
            extra: dict[str, Any] = {"type": types[kind]}
            extra["minItems" if kind == "slice" else "minProperties"] = 1
            return {**out, **extra}
        return out
    types_value = out.get("type")
    if isinstance(types_value, list) and "null" in types_value:
        rest = [name for name in types_value if name != "null"]
        out["type"] = rest[0] if len(rest) == 1 else rest
    if out.get("type") == "array":
        out["minItems"] = max(1, out.get("minItems", 0))
    elif out.get("type") == "object":
        out["minProperties"] = 1
    elif out.get("type") == "string" and out.get("contentEncoding") == "base64":
        out["minLength"] = 4  # the base64 of at least one byte
    return out


def _basic(name: str, *, quoted: bool) -> dict[str, Any]:
    if name == "bool":
        return {"enum": ["true", "false"]} if quoted else {"type": "boolean"}
    if name == "string":
        return {"type": "string", "pattern": _QUOTED_STRING} if quoted else {"type": "string"}
    if name in _INT_BOUNDS:
        low, high = _INT_BOUNDS[name]
        if quoted:
            return {
                "type": "string",
                "pattern": _QUOTED_SIGNED if low < 0 else _QUOTED_UNSIGNED,
                "maxLength": max(len(str(low)), len(str(high))),
            }
        return {"type": "integer", "minimum": low, "maximum": high}
    if name in _FLOATS:
        if quoted:
            return {"type": "string", "pattern": _QUOTED_FLOAT}
        if name == "float32":
            return {"type": "number", "minimum": -_FLOAT32_MAX, "maximum": _FLOAT32_MAX}
        return {"type": "number"}
    return {}


def _quote_known(known: _WellKnown, quoted: bool) -> Schema:
    schema = known.schema
    assert schema is not None
    if quoted and known.kind == "string" and schema == {"type": "number"}:
        return with_description({"type": "string", "pattern": _JSON_NUMBER}, known.note)
    return with_description(schema, known.note)


def _relative(path: Path | None) -> str:
    if path is None:
        return "?"
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# ---------------------------------------------------------------- entry point


def derive_go(path: str, type_name: str, *, label: str | None = None) -> Derived:
    """The writer view of Go type ``type_name`` in the package at ``path``.

    ``path`` is a package directory or one of its ``.go`` files (the type may
    be declared in any non-test file of the directory).
    """
    label = label or f"go:{path}:{type_name}"
    location = Path(path)
    if location.suffix == ".go" and not location.is_dir():
        if not location.exists():
            raise ConfigError(f"cannot read {label}: {path}: no such file or directory")
        location = location.parent
    elif not location.exists():
        raise ConfigError(f"cannot read {label}: {path}: no such file or directory")
    package = _load_package(location, label)
    if type_name not in package.types:
        known = ", ".join(sorted(package.types)) or "none"
        raise ConfigError(
            f"cannot derive {label}: no type {type_name} in package {package.name} (types: {known})"
        )
    declaration = package.types[type_name]
    if declaration.params:
        raise ConfigError(
            f"cannot derive {label}: {type_name} is generic; name a non-generic type that uses it"
        )
    resolver = _Resolver(package, label)
    target = resolver.named(package, type_name, ())
    root = _Named(package, str(package.directory), type_name)
    deriver = _Deriver(resolver, root, label)
    root_key = deriver.def_key(root)
    deriver.defs[root_key] = True  # a recursive reference to the root is "#"
    marshaler = resolver.marshaler(target)
    root_spot = f"{_relative(declaration.file)}:{declaration.line}: {type_name}"
    if marshaler is not None:
        root_schema = deriver.marshaled(target, marshaler, root_spot)
    elif isinstance(target, _Named):
        root_schema = deriver.named_body(target)
    else:  # an alias: derive what it stands for
        root_schema = deriver.value(target, owner=type_name, spot=root_spot)
    del deriver.defs[root_key]
    document: dict[str, Any] = {
        "$schema": DRAFT_2020_12_URI,
        "title": f"{package.name}.{type_name}: what encoding/json.Marshal writes",
    }
    if root_schema is False:
        document["not"] = {}
    elif isinstance(root_schema, dict):
        document.update(root_schema)
    document["description"] = (
        f"Derived from the Go type {package.name}.{type_name} "
        f"({_relative(declaration.file)}:{declaration.line}): the JSON encoding/json.Marshal "
        "writes for it (the writer view)."
    )
    if deriver.defs:
        document["$defs"] = deriver.defs
    warnings = deriver.warnings
    return Derived(ordered(document), label, warnings)
