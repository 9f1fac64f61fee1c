"""Parsing a Go package with tree-sitter: type declarations, integer constants, marshal methods.

A real parser, never regular expressions over source: every non-test,
non-build-ignored file of the directory is parsed, and a syntax error is a
ConfigError naming the file and position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdccheck.errors import ConfigError


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


def node_text(node: Any) -> str:
    """The source text of a tree-sitter node."""
    return str(node.text.decode("utf-8"))


@dataclass
class Decl:
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
class Method:
    """A MarshalJSON/MarshalText method: receiver kind, whether the signature fits."""

    pointer_receiver: bool
    right_signature: bool


@dataclass
class Package:
    """The non-test files of one Go package directory, parsed."""

    directory: Path
    name: str
    import_path: str | None
    types: dict[str, Decl] = field(default_factory=dict)
    methods: dict[str, dict[str, Method]] = field(default_factory=dict)
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
            text = node_text(child).strip()
            if text.startswith("//go:build") and text.split(None, 1)[1:] == ["ignore"]:
                return True
    return False


def unquote_go(literal: Any) -> str:
    """The value of a Go string literal node (raw or interpreted)."""
    text = node_text(literal)
    if literal.type == "raw_string_literal":
        return text[1:-1].replace("\r", "")
    body = text[1:-1]
    # Go's escapes are a subset of Python's for everything a struct tag uses.
    return body.encode("latin-1", "backslashreplace").decode("unicode_escape")


def int_literal(text: str) -> int | None:
    """The value of a Go integer literal, None when it is not one."""
    cleaned = text.replace("_", "")
    try:
        if re.fullmatch(r"0[0-7]+", cleaned):
            return int(cleaned, 8)
        return int(cleaned, 0)
    except ValueError:
        return None


def module_of(directory: Path) -> tuple[Path, str] | None:
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


def load_package(directory: Path, label: str) -> Package:
    """Parse the package in ``directory``; ConfigError naming ``label`` if it cannot."""
    try:
        names = sorted(directory.iterdir())
    except FileNotFoundError:
        raise ConfigError(f"cannot read {label}: no such file or directory") from None
    except OSError as error:
        raise ConfigError(f"cannot read {label}: {error.strerror or error}") from None
    files = [p for p in names if p.suffix == ".go" and not p.name.endswith("_test.go")]
    if not files:
        raise ConfigError(f"cannot read {label}: no .go files in {directory}")
    module = module_of(directory.resolve())
    import_path = None
    if module is not None:
        relative = directory.resolve().relative_to(module[0]).as_posix()
        import_path = module[1] if relative == "." else f"{module[1]}/{relative}"
    package: Package | None = None
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
        name = node_text(clause.named_children[0])
        if package is None:
            package = Package(directory, name, import_path)
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
            path = unquote_go(spec.child_by_field_name("path"))
            alias_node = spec.child_by_field_name("name")
            alias = node_text(alias_node) if alias_node is not None else _default_import_name(path)
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


def _collect(root: Any, file: Path, package: Package) -> None:
    imports = _imports(root)
    for node in root.children:
        if node.type == "type_declaration":
            for spec in node.named_children:
                if spec.type not in ("type_spec", "type_alias"):
                    continue
                name = node_text(spec.child_by_field_name("name"))
                params_node = spec.child_by_field_name("type_parameters")
                params: tuple[str, ...] = ()
                if params_node is not None:
                    params = tuple(
                        node_text(ident)
                        for declaration in params_node.named_children
                        for ident in declaration.children_by_field_name("name")
                    )
                package.types[name] = Decl(
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
                names = [node_text(n) for n in spec.children_by_field_name("name")]
                value = spec.child_by_field_name("value")
                if value is None:
                    continue
                values = value.named_children
                for const_name, expression in zip(names, values, strict=False):
                    if expression.type == "int_literal":
                        number = int_literal(node_text(expression))
                        if number is not None:
                            package.consts[const_name] = number


def _collect_method(node: Any, package: Package) -> None:
    name = node_text(node.child_by_field_name("name"))
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
            kind = re.sub(r"\s+", "", node_text(declaration.child_by_field_name("type")))
            result_types.extend([kind] * count)
    right = not parameters.named_children and result_types == ["[]byte", "error"]
    package.methods.setdefault(node_text(receiver_type), {})[name] = Method(pointer, right)
