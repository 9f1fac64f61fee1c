"""Go types -> JSON Schema: what encoding/json.Marshal writes for each kind.

Integer kinds carry their exact bounds, ``,string`` quotes scalars,
``omitempty`` makes fields optional and non-empty, pointers, slices, maps and
interfaces may be null, ``[]byte`` is base64, ``[N]T`` has N items, and
well-known types (``time.Time``, ``uuid.UUID``, ...) are mapped exactly.
Where the output is unknown the schema is widened and a warning names the
spot (see docs/schemas-from-code.md).
"""

from __future__ import annotations

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
from cdccheck.refs.go.facts import (
    ANY_JSON,
    BASE64_PATTERN,
    FLOAT32_MAX,
    FLOATS,
    INT_BOUNDS,
    JSON_NUMBER,
    NUMBER_TYPE,
    QUOTED_FLOAT,
    QUOTED_NONZERO_SIGNED,
    QUOTED_NONZERO_UNSIGNED,
    QUOTED_SIGNED,
    QUOTED_STRING,
    QUOTED_UNSIGNED,
    SCALAR_KINDS,
    WELL_KNOWN,
    WellKnown,
)
from cdccheck.refs.go.jsonfields import JsonField, struct_tag_get, type_fields
from cdccheck.refs.go.parse import load_package
from cdccheck.refs.go.resolve import (
    Array,
    Basic,
    External,
    FieldDecl,
    Interface,
    Map,
    Named,
    Pointer,
    Resolver,
    Slice,
    Stripped,
    Struct,
    Unsupported,
    type_label,
)


class _Deriver:
    """Builds the JSON Schema of one root type: named types become ``$defs``, warnings collect."""

    def __init__(self, resolver: Resolver, root: Named, label: str) -> None:
        self.resolver = resolver
        self.root = root
        self.label = label
        self.defs: dict[str, Schema] = {}
        self.def_keys: dict[Named, str] = {}
        self.warnings: list[str] = []
        self._warned: set[str] = set()

    # -- messages

    def spot(self, decl: FieldDecl | None, owner: str) -> str:
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

    def def_key(self, named: Named) -> str:
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

    def reference(self, named: Named) -> dict[str, Any]:
        key = self.def_key(named)
        if key not in self.defs:
            self.defs[key] = True  # placeholder: a recursive reference finds it
            self.defs[key] = self.named_body(named)
        root_key = self.def_keys.get(self.root)
        return {"$ref": def_ref(key, root_key)}

    def named_body(self, named: Named) -> Schema:
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
        if isinstance(t, Named):
            underlying = resolver.underlying(t)
            kind = resolver.kind(underlying)
            if quoted or kind in SCALAR_KINDS or kind in ("interface", "unsupported", "?"):
                return self.value(underlying, owner=owner, spot=spot, quoted=quoted)
            return self.reference(t)
        if isinstance(t, Basic):
            return _basic(t.name, quoted=quoted)
        if isinstance(t, Pointer):
            pointee = resolver.marshaler(t.elem)
            if pointee is not None:
                # A non-nil pointer is addressable: pointer-receiver methods apply.
                how = pointee[0].replace("-pointer", "-value")
                return nullable(self.marshaled(t.elem, (how, pointee[1]), spot))
            return nullable(self.value(t.elem, owner=owner, spot=spot, quoted=quoted))
        if isinstance(t, Slice):
            if self.is_byte_slice(t):
                return {
                    "type": ["string", "null"],
                    "contentEncoding": "base64",
                    "pattern": BASE64_PATTERN,
                }
            return {"type": ["array", "null"], "items": self.value(t.elem, owner=owner, spot=spot)}
        if isinstance(t, Array):
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
        if isinstance(t, Map):
            return nullable(self.map_schema(t, owner=owner, spot=spot))
        if isinstance(t, Struct):
            return self.struct(t, owner=owner)
        if isinstance(t, Interface):
            self.warn(spot, f"{t.text} holds any value at run time{ANY_JSON}")
            return True
        if isinstance(t, External):
            known = WELL_KNOWN.get((t.import_path, t.name))
            if known is not None and known.schema is not None:
                return _quote_known(known, quoted)
            if known is not None:
                self.warn(spot, f"{known.note}{ANY_JSON}")
                return True
            where = "an unknown package" if t.import_path == "?" else f"package {t.import_path}"
            self.warn(
                spot,
                f"{t.text} comes from {where}, which cdccheck does not parse{ANY_JSON}",
            )
            return True
        if isinstance(t, Stripped):
            known = WELL_KNOWN.get((t.external.import_path, t.external.name))
            if known is not None and known.underlying is not None:
                return with_description(
                    known.underlying, f"the layout of {t.external.text}, without its methods"
                )
            self.warn(
                spot,
                f"the underlying type of {t.external.text} is not parsed{ANY_JSON}",
            )
            return True
        if isinstance(t, Unsupported):
            self.warn(
                spot,
                f"encoding/json cannot marshal {t.text} (UnsupportedTypeError): nothing is written",
            )
            return False
        return True  # pragma: no cover - every model type is handled above

    def is_byte_slice(self, t: Slice) -> bool:
        # A slice whose element kind is uint8 is base64, unless *elem has a
        # marshaler (then each element is marshaled on its own).
        return self.resolver.kind(t.elem) == "uint8" and self.resolver.marshaler(t.elem) is None

    def marshaled(self, t: Any, marshaler: tuple[str, Any], spot: str) -> Schema:
        how, origin = marshaler
        origin_label = type_label(origin)
        if how == "unknown":
            assert isinstance(origin, External)
            where = (
                "an unknown package"
                if origin.import_path == "?"
                else f"package {origin.import_path}"
            )
            if origin != t:
                self.warn(
                    spot,
                    f"embedded {origin.text} comes from {where}, which cdccheck does not parse: "
                    f"its fields and methods are unknown{ANY_JSON}",
                )
            else:
                self.warn(
                    spot,
                    f"{origin.text} comes from {where}, which cdccheck does not parse{ANY_JSON}",
                )
            return True
        if isinstance(origin, External):
            known = WELL_KNOWN[(origin.import_path, origin.name)]
            if known.schema is None:
                self.warn(spot, f"{known.note}{ANY_JSON}")
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
                f"(used only when the value is addressable){ANY_JSON}",
            )
        else:
            self.warn(
                spot,
                f"{origin_label} has its own {method}{promoted}{ANY_JSON}",
            )
        return True

    def map_schema(self, t: Map, *, owner: str, spot: str) -> Schema:
        resolver = self.resolver
        key_kind = resolver.kind(t.key)
        values = self.value(t.elem, owner=owner, spot=spot)
        out: dict[str, Any] = {"type": "object", "additionalProperties": values}
        if key_kind == "string":
            return out  # string keys are used as they are, even with a MarshalText
        # Map keys are not addressable: only a value-receiver MarshalText applies.
        marshaler = resolver.marshaler(t.key)
        if isinstance(t.key, External) and marshaler is not None and marshaler[0] != "unknown":
            known = WELL_KNOWN[(t.key.import_path, t.key.name)]
            if isinstance(known.schema, dict) and "pattern" in known.schema:
                out["propertyNames"] = {"pattern": known.schema["pattern"]}
            return out
        if isinstance(t.key, Named):
            text = t.key.package.methods.get(t.key.name, {}).get("MarshalText")
            if text is not None and text.right_signature and not text.pointer_receiver:
                return out
        if key_kind in INT_BOUNDS:
            signed = not key_kind.startswith("u")
            out["propertyNames"] = {"pattern": QUOTED_SIGNED if signed else QUOTED_UNSIGNED}
            return out
        if marshaler is not None and marshaler[0] == "unknown":
            self.warn(spot, f"map key {type_label(t.key)} is not parsed; any key admitted")
            return out
        self.warn(
            spot,
            f"encoding/json cannot marshal {type_label(t.key)} map keys: nothing is written",
        )
        return False

    # -- structs

    def struct(self, struct: Struct, *, owner: str) -> Schema:
        fields, unknown = type_fields(self.resolver, struct, owner)
        for decl in unknown:
            self.warn(
                self.spot(decl, owner),
                f"embedded {decl.type_text} is not parsed: its fields and methods "
                "are unknown, so the schema admits any JSON for the whole struct",
            )
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

    def may_be_absent(self, json_field: JsonField, kind: str) -> bool:
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

    def field_value(self, json_field: JsonField, spot: str) -> Schema:
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
            elem = t.elem if isinstance(t, Pointer) else resolver.underlying(t).elem
            return self.value(elem, owner=owner, spot=spot, quoted=quoted)
        schema = self.value(t, owner=owner, spot=spot, quoted=quoted)
        if marshaler is not None or schema is True or schema is False:
            return schema  # the method writes what it likes for a non-empty value
        if isinstance(t, External) and (t.import_path, t.name) == NUMBER_TYPE:
            return schema  # json.Number("0") is not empty
        return _non_empty(schema, kind, quoted)

    def describe(self, json_field: JsonField, kind: str) -> str:
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


def _non_empty(schema: Schema, kind: str, quoted: bool) -> Schema:
    """``schema`` for a value ``omitempty`` did not drop: not null and not empty."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if kind == "bool":
        return {"const": "true"} if quoted else {"const": True}
    if kind in INT_BOUNDS:
        if quoted:
            out["pattern"] = (
                QUOTED_NONZERO_UNSIGNED if kind.startswith("u") else QUOTED_NONZERO_SIGNED
            )
            return out
        return {**out, "not": {"const": 0}}
    if kind in FLOATS:
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
        return {"type": "string", "pattern": QUOTED_STRING} if quoted else {"type": "string"}
    if name in INT_BOUNDS:
        low, high = INT_BOUNDS[name]
        if quoted:
            return {
                "type": "string",
                "pattern": QUOTED_SIGNED if low < 0 else QUOTED_UNSIGNED,
                "maxLength": max(len(str(low)), len(str(high))),
            }
        return {"type": "integer", "minimum": low, "maximum": high}
    if name in FLOATS:
        if quoted:
            return {"type": "string", "pattern": QUOTED_FLOAT}
        if name == "float32":
            return {"type": "number", "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX}
        return {"type": "number"}
    return {}


def _quote_known(known: WellKnown, quoted: bool) -> Schema:
    schema = known.schema
    assert schema is not None
    if quoted and known.kind == "string" and schema == {"type": "number"}:
        return with_description({"type": "string", "pattern": JSON_NUMBER}, known.note)
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
    package = load_package(location, label)
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
    resolver = Resolver(package, label)
    target = resolver.named(package, type_name, ())
    root = Named(package, str(package.directory), type_name)
    deriver = _Deriver(resolver, root, label)
    root_key = deriver.def_key(root)
    deriver.defs[root_key] = True  # a recursive reference to the root is "#"
    marshaler = resolver.marshaler(target)
    root_spot = f"{_relative(declaration.file)}:{declaration.line}: {type_name}"
    if marshaler is not None:
        root_schema = deriver.marshaled(target, marshaler, root_spot)
    elif isinstance(target, Named):
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
