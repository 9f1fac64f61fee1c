"""The Go type model and the resolver: type expressions -> types, and reflect's questions.

The resolver turns tree-sitter type nodes into small frozen values (``Named``,
``Pointer``, ``Struct``, ...), parses other packages of the same module on
demand, and answers what encoding/json asks reflect: a type's kind, its
array length, whether it (or an embedded field) has MarshalJSON/MarshalText,
and the fields a struct declares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdccheck.errors import ConfigError
from cdccheck.refs.go.facts import ALIASES, PREDECLARED, UNSUPPORTED, WELL_KNOWN
from cdccheck.refs.go.parse import (
    Package,
    int_literal,
    load_package,
    module_of,
    node_text,
    unquote_go,
)


@dataclass(frozen=True)
class Ctx:
    """Where a type expression is read: its package, file imports and type arguments."""

    package: Package
    imports: dict[str, str] = field(compare=False)
    file: Path | None = None
    bindings: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Basic:
    """A predeclared scalar type (aliases resolved: ``byte`` is ``uint8``)."""

    name: str


@dataclass(frozen=True)
class Pointer:
    """``*T``."""

    elem: Any


@dataclass(frozen=True)
class Slice:
    """``[]T``."""

    elem: Any


@dataclass(frozen=True)
class Array:
    """``[N]T``; length None when N is neither a literal nor a package constant."""

    length: int | None
    elem: Any


@dataclass(frozen=True)
class Map:
    """``map[K]V``."""

    key: Any
    elem: Any


@dataclass(frozen=True, eq=False)
class Struct:
    """A struct type literal, read in the context that declares it."""

    node: Any
    ctx: Ctx


@dataclass(frozen=True)
class Interface:
    """An interface type (``any``, ``error`` included): any value at run time."""

    text: str


@dataclass(frozen=True)
class Unsupported:
    """A type encoding/json refuses (channels, functions, complex numbers)."""

    text: str


@dataclass(frozen=True)
class Named:
    """A defined type of a parsed package, with its type arguments."""

    package: Package = field(compare=False)
    directory: str
    name: str
    args: tuple[Any, ...] = ()

    def label(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}[{', '.join(type_label(arg) for arg in self.args)}]"


@dataclass(frozen=True)
class External:
    """A type from a package that is not parsed (well-known or unknown)."""

    import_path: str
    name: str
    text: str


@dataclass(frozen=True)
class Stripped:
    """The underlying type of an external type: its layout without its methods."""

    external: External


def type_label(t: Any) -> str:
    """Go-like spelling of a model type, for descriptions and warnings."""
    if isinstance(t, Basic):
        return t.name
    if isinstance(t, Named):
        return t.label()
    if isinstance(t, Pointer):
        return "*" + type_label(t.elem)
    if isinstance(t, Slice):
        return "[]" + type_label(t.elem)
    if isinstance(t, Array):
        return f"[{'?' if t.length is None else t.length}]{type_label(t.elem)}"
    if isinstance(t, Map):
        return f"map[{type_label(t.key)}]{type_label(t.elem)}"
    if isinstance(t, External):
        return t.text
    if isinstance(t, Stripped):
        return f"underlying({t.external.text})"
    if isinstance(t, Interface | Unsupported):
        return t.text
    return "struct{...}"


class Resolver:
    """Turns type expressions into the type model and answers kind/method questions."""

    def __init__(self, root: Package, label: str) -> None:
        self.root = root
        self.label = label
        self.packages: dict[str, Package] = {str(root.directory.resolve()): root}
        self.module = module_of(root.directory.resolve())

    # -- packages in the same module are parsed too

    def package_for(self, import_path: str) -> Package | None:
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
            self.packages[key] = load_package(directory, f"{self.label} (import {import_path})")
        return self.packages[key]

    # -- syntax -> model

    def convert(self, node: Any, ctx: Ctx) -> Any:
        kind = node.type
        if kind == "parenthesized_type":
            return self.convert(node.named_children[0], ctx)
        if kind == "type_identifier":
            return self.identifier(node_text(node), ctx, ())
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
            return self.identifier(node_text(base), ctx, args)
        if kind == "qualified_type":
            return self.qualified(node, ctx, ())
        if kind == "pointer_type":
            return Pointer(self.convert(node.named_children[0], ctx))
        if kind == "slice_type":
            return Slice(self.convert(node.child_by_field_name("element"), ctx))
        if kind == "array_type":
            length_node = node.child_by_field_name("length")
            return Array(
                self.array_length(length_node, ctx),
                self.convert(node.child_by_field_name("element"), ctx),
            )
        if kind == "implicit_length_array_type":
            return Array(None, self.convert(node.child_by_field_name("element"), ctx))
        if kind == "map_type":
            return Map(
                self.convert(node.child_by_field_name("key"), ctx),
                self.convert(node.child_by_field_name("value"), ctx),
            )
        if kind == "struct_type":
            return Struct(node, ctx)
        if kind == "interface_type":
            return Interface(node_text(node))
        if kind in ("channel_type", "function_type"):
            return Unsupported(node_text(node))
        if kind == "type_elem" and node.named_children:
            return self.convert(node.named_children[0], ctx)
        return Interface(node_text(node))

    def array_length(self, node: Any, ctx: Ctx) -> int | None:
        if node.type == "int_literal":
            return int_literal(node_text(node))
        if node.type == "identifier":
            return ctx.package.consts.get(node_text(node))
        return None

    def identifier(self, name: str, ctx: Ctx, args: tuple[Any, ...]) -> Any:
        for bound, value in ctx.bindings:
            if bound == name:
                return value
        if name in ctx.package.types:
            return self.named(ctx.package, name, args)
        if name in PREDECLARED:
            if name in ("error", "any"):
                return Interface(name)
            if name in UNSUPPORTED:
                return Unsupported(name)
            return Basic(ALIASES.get(name, name))
        return External("?", name, name)

    def qualified(self, node: Any, ctx: Ctx, args: tuple[Any, ...]) -> Any:
        alias = node_text(node.child_by_field_name("package"))
        name = node_text(node.child_by_field_name("name"))
        path = ctx.imports.get(alias)
        text = node_text(node)
        if path is None:
            return External("?", name, text)
        if (path, name) in WELL_KNOWN:
            return External(path, name, text)
        if path == "unsafe" and name == "Pointer":
            return Unsupported(text)
        package = self.package_for(path)
        if package is not None and name in package.types:
            return self.named(package, name, args)
        return External(path, name, text)

    def named(self, package: Package, name: str, args: tuple[Any, ...]) -> Any:
        declaration = package.types[name]
        if declaration.alias:
            ctx = Ctx(
                package,
                declaration.imports,
                declaration.file,
                tuple(zip(declaration.params, args, strict=False)),
            )
            return self.convert(declaration.type_node, ctx)
        return Named(package, str(package.directory), name, args)

    def underlying(self, named: Named, seen: frozenset[Named] = frozenset()) -> Any:
        """The type a named type is defined as, type arguments substituted."""
        if named in seen:
            # `type A B; type B A`: Go refuses it ("invalid recursive type").
            raise ConfigError(f"cannot derive {self.label}: invalid recursive type {named.name}")
        declaration = named.package.types[named.name]
        bindings = tuple(zip(declaration.params, named.args, strict=False))
        ctx = Ctx(named.package, declaration.imports, declaration.file, bindings)
        t = self.convert(declaration.type_node, ctx)
        # `type A B`: A's underlying type is B's, without B's methods.
        if isinstance(t, Named):
            return self.underlying(t, seen | {named})
        if isinstance(t, External):
            return Stripped(t)
        return t

    # -- questions encoding/json asks with reflect

    def kind(self, t: Any) -> str:
        """reflect.Kind of ``t``: 'struct', 'pointer', 'string', 'int64', ..., or '?'."""
        if isinstance(t, Basic):
            return t.name
        if isinstance(t, Named):
            return self.kind(self.underlying(t))
        if isinstance(t, Pointer):
            return "pointer"
        if isinstance(t, Slice):
            return "slice"
        if isinstance(t, Array):
            return "array"
        if isinstance(t, Map):
            return "map"
        if isinstance(t, Struct):
            return "struct"
        if isinstance(t, Interface):
            return "interface"
        if isinstance(t, External | Stripped):
            external = t.external if isinstance(t, Stripped) else t
            known = WELL_KNOWN.get((external.import_path, external.name))
            return known.kind if known is not None else "?"
        return "unsupported"

    def array_length_of(self, t: Any) -> int | None:
        if isinstance(t, Named):
            return self.array_length_of(self.underlying(t))
        if isinstance(t, Array):
            return t.length
        if isinstance(t, External | Stripped):
            external = t.external if isinstance(t, Stripped) else t
            known = WELL_KNOWN.get((external.import_path, external.name))
            return known.length if known is not None else None
        return None

    def marshaler(self, t: Any, seen: frozenset[Any] = frozenset()) -> tuple[str, Any] | None:
        """How ``t``'s own or promoted method encodes it, if it has one.

        Returns (how, origin): how is 'json' or 'text' with '-value' (every
        value has it) or '-pointer' (only an addressable value uses it);
        origin is the type that declares the method.
        """
        if isinstance(t, External):
            known = WELL_KNOWN.get((t.import_path, t.name))
            if known is not None:
                return ("json-value", t) if known.marshaler else None
            return ("unknown", t)
        if isinstance(t, Stripped):
            known = WELL_KNOWN.get((t.external.import_path, t.external.name))
            return None if known is not None else ("unknown", t.external)
        if isinstance(t, Struct):
            return self.promoted_marshaler(t, seen)
        if not isinstance(t, Named) or t in seen:
            return None
        methods = t.package.methods.get(t.name, {})
        for method, how in (("MarshalJSON", "json"), ("MarshalText", "text")):
            found = methods.get(method)
            if found is not None and found.right_signature:
                return (f"{how}-pointer" if found.pointer_receiver else f"{how}-value", t)
        underlying = self.underlying(t)
        if isinstance(underlying, Struct):
            return self.promoted_marshaler(underlying, seen | {t})
        return None

    def promoted_marshaler(self, struct: Struct, seen: frozenset[Any]) -> tuple[str, Any] | None:
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
                if isinstance(t, Named) and t not in seen:
                    underlying = self.underlying(t)
                    if isinstance(underlying, Struct):
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
        if isinstance(t, External):
            return self.marshaler(t)
        if isinstance(t, Named):
            methods = t.package.methods.get(t.name, {})
            for method, how in (("MarshalJSON", "json"), ("MarshalText", "text")):
                found = methods.get(method)
                if found is not None and found.right_signature:
                    return (f"{how}-pointer" if found.pointer_receiver else f"{how}-value", t)
        return None

    def embedded_of(self, struct: Struct) -> list[FieldDecl]:
        return [f for f in self.fields_of(struct) if f.embedded]

    def fields_of(self, struct: Struct) -> list[FieldDecl]:
        out: list[FieldDecl] = []
        body = struct.node.named_children[0] if struct.node.named_children else None
        if body is None:
            return out
        for declaration in body.named_children:
            if declaration.type != "field_declaration":
                continue
            type_node = declaration.child_by_field_name("type")
            tag_node = declaration.child_by_field_name("tag")
            tag = unquote_go(tag_node) if tag_node is not None else ""
            names = declaration.children_by_field_name("name")
            line = int(declaration.start_point[0]) + 1
            file = struct.ctx.file
            if names:
                t = self.convert(type_node, struct.ctx)
                for name in names:
                    out.append(
                        FieldDecl(
                            node_text(name), t, tag, False, False, file, line, node_text(type_node)
                        )
                    )
            else:
                pointer = any(child.type == "*" for child in declaration.children)
                base = self.convert(type_node, struct.ctx)
                name_node = type_node
                if name_node.type == "generic_type":
                    name_node = name_node.child_by_field_name("type")
                if name_node.type == "qualified_type":
                    name_node = name_node.child_by_field_name("name")
                t = Pointer(base) if pointer else base
                text = ("*" if pointer else "") + node_text(type_node)
                out.append(FieldDecl(node_text(name_node), t, tag, True, pointer, file, line, text))
        return out


@dataclass
class FieldDecl:
    """One field declaration of a struct (an embedded field is named after its type)."""

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
