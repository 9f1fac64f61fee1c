"""The reader view of a Python type: the JSON its decoder accepts.

For msgspec Structs, dataclasses, attrs classes, TypedDicts, NamedTuples,
Enums, Literals and the standard scalar types, the decoder is
``msgspec.json.decode(payload, type=T)`` (the same rules as
``msgspec.convert(json.loads(payload), T, strict=True)``), and the schema
follows what it accepts, as msgspec's own type inspection reports it:

* ``int`` refuses ``5.0``, ``true`` and ``"5"`` and has no bounds; ``float``
  accepts integers; ``msgspec.Meta`` constraints become the matching keywords.
  JSON Schema cannot tell ``5.0`` from ``5`` (both are integers to it): the
  check engine's ``integral_float`` warning is what reports that case;
* ``datetime`` accepts RFC 3339 with ``T``, ``t`` or a space, any number of
  fraction digits, ``Z``/``z``, ``+hh:mm`` or ``+hhmm``, and no offset at all
  (a naive datetime) unless ``Meta(tz=True)``; only real calendar dates. The
  ``pattern`` says exactly that, leap years included; ``format: date-time``
  is not used because it refuses naive and space-separated timestamps;
* ``UUID`` accepts the hyphenated form and 32 hex digits, in either case;
  ``bytes`` is padded standard base64; ``Decimal`` accepts numbers and any
  string Python's ``Decimal`` parses (widened to any string, with a warning);
* fields without a default are required; unknown keys are ignored unless the
  Struct says ``forbid_unknown_fields`` or the reference says
  ``?unknown=forbid`` (a consumer that builds ``Cls(**payload)``);
  ``omit_defaults`` only changes what the writer leaves out, which the
  description notes.

pydantic v2 models (``pip install cdccheck[pydantic]``) derive from the
model's own validation schema, widened where lax mode coerces (``"5"`` for an
int) or a custom validator decides, and come with the model as the real
reader (``Derived.reader``) for the checks that can run it.

See docs/schemas-from-code.md.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from typing import Any

import msgspec
import msgspec.inspect as mi

from cdccheck.errors import ConfigError
from cdccheck.refs._jsonschema import (
    DRAFT_2020_12_URI,
    Schema,
    def_ref,
    nullable,
    ordered,
    with_description,
)
from cdccheck.refs.derived import Derived, Reader, ReaderFinding
from cdccheck.refs.readers import findings_from_exception

# ---------------------------------------------------------------- msgspec's strings, exactly

_YEAR = r"(?!0000)[0-9]{4}"
_LEAP_YEAR = r"(?!0000)([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)"
# Month and day with the real month lengths; 29 February only in leap years.
_MONTH_DAY = (
    r"((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    r"|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    r"|02-(0[1-9]|1[0-9]|2[0-8]))"
)
_DATE = rf"({_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_CLOCK = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
_OFFSET = r"([zZ]|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])"
_HEX = "[0-9a-fA-F]"
_UUID = rf"^({_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}|{_HEX}{{32}})$"
_BASE64 = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_INT_KEY = r"^-?(0|[1-9][0-9]*)$"
# msgspec's duration: [+-]P[nD][T[nH][nM][nS]], letters in either case, at
# least one segment, a "T" only before a time segment, a fraction only on the
# last segment.
_FRACTION = r"[0-9]+([.][0-9]+)?"
_DURATION = (
    rf"^[+-]?[pP]({_FRACTION}[dD]|([0-9]+[dD])?[tT]("
    rf"([0-9]+[hH])?([0-9]+[mM])?{_FRACTION}[sS]"
    rf"|([0-9]+[hH])?{_FRACTION}[mM]"
    rf"|{_FRACTION}[hH]))$"
)


def _offset_part(tz: bool | None) -> str:
    if tz is None:
        return f"{_OFFSET}?"
    return _OFFSET if tz else ""


def datetime_pattern(tz: bool | None = None) -> str:
    """What msgspec accepts for a ``datetime`` (``tz``: msgspec.Meta's constraint)."""
    return f"^{_DATE}[Tt ]{_CLOCK}{_offset_part(tz)}$"


def date_pattern() -> str:
    """What msgspec accepts for a ``date``."""
    return f"^{_DATE}$"


def time_pattern(tz: bool | None = None) -> str:
    """What msgspec accepts for a ``time``."""
    return f"^{_CLOCK}{_offset_part(tz)}$"


# ---------------------------------------------------------------- msgspec view


class _MsgspecView:
    """Builds the schema of one msgspec-decodable type."""

    def __init__(self, *, forbid_unknown: bool) -> None:
        self.forbid_unknown = forbid_unknown
        self.defs: dict[str, Schema] = {}
        self.def_names: dict[Any, str] = {}
        self.warnings: list[str] = []
        self.root: Any = None

    def warn(self, where: str, message: str) -> None:
        text = f"{where}: {message}"
        if text not in self.warnings:
            self.warnings.append(text)

    def schema(self, info: mi.Type, where: str, *, in_union: bool = False) -> Schema:
        if isinstance(info, mi.AnyType | mi.RawType):
            return True
        if isinstance(info, mi.NoneType):
            return {"type": "null"}
        if isinstance(info, mi.BoolType):
            return {"type": "boolean"}
        if isinstance(info, mi.IntType):
            return _numeric({"type": "integer"}, info)
        if isinstance(info, mi.FloatType):
            return _numeric({"type": "number"}, info)
        if isinstance(info, mi.StrType):
            out: dict[str, Any] = {"type": "string"}
            _lengths(out, info, "Length")
            if info.pattern is not None:
                out["pattern"] = info.pattern
            return out
        if isinstance(info, mi.BytesType | mi.ByteArrayType | mi.MemoryViewType):
            out = {"type": "string", "contentEncoding": "base64", "pattern": _BASE64}
            if info.min_length or info.max_length is not None:
                self.warn(
                    where,
                    "byte length bounds are not expressible on base64 text; any length admitted",
                )
            return out
        if isinstance(info, mi.DateTimeType):
            return {"type": "string", "pattern": datetime_pattern(info.tz)}
        if isinstance(info, mi.DateType):
            return {"type": "string", "pattern": date_pattern()}
        if isinstance(info, mi.TimeType):
            return {"type": "string", "pattern": time_pattern(info.tz)}
        if isinstance(info, mi.TimeDeltaType):
            return {"type": "string", "pattern": _DURATION}
        if isinstance(info, mi.UUIDType):
            return {"type": "string", "pattern": _UUID}
        if isinstance(info, mi.DecimalType):
            self.warn(
                where,
                "Decimal accepts numbers and every string decimal.Decimal parses "
                "(' 1', 'NaN', '1_000'); any string admitted",
            )
            return {"type": ["string", "number"]}
        if isinstance(info, mi.EnumType):
            return {"enum": [member.value for member in info.cls]}
        if isinstance(info, mi.LiteralType):
            return {"enum": list(info.values)}
        if isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
            out = {"type": "array", "items": self.schema(info.item_type, f"{where}[]")}
            _lengths(out, info, "Items")
            return out
        if isinstance(info, mi.TupleType):
            items = [self.schema(item, f"{where}[{i}]") for i, item in enumerate(info.item_types)]
            count = len(items)
            return {"type": "array", "prefixItems": items, "items": False, "minItems": count}
        if isinstance(info, mi.DictType | mi.FrozenDictType):
            out = {
                "type": "object",
                "additionalProperties": self.schema(info.value_type, f"{where}{{}}"),
            }
            names = self.key_schema(info.key_type, where)
            if names is not None:
                out["propertyNames"] = names
            _lengths(out, info, "Properties")
            return out
        if isinstance(info, mi.UnionType):
            return self.union(info, where)
        if isinstance(
            info, mi.StructType | mi.DataclassType | mi.TypedDictType | mi.NamedTupleType
        ):
            return self.reference(info, in_union=in_union)
        if isinstance(info, mi.ExtType):
            self.warn(where, "a MessagePack extension never comes out of JSON")
            return False
        self.warn(where, f"{type(info).__name__} is decoded by a custom hook; any JSON admitted")
        return True

    def key_schema(self, info: mi.Type, where: str) -> Schema | None:
        if isinstance(info, mi.StrType):
            key = self.schema(info, where)
            assert isinstance(key, dict)
            key.pop("type", None)
            return key or None
        if isinstance(info, mi.IntType):
            if any(
                bound is not None
                for bound in (info.ge, info.gt, info.le, info.lt, info.multiple_of)
            ):
                self.warn(
                    where, "bounds on integer keys are not expressible; any integer key admitted"
                )
            return {"pattern": _INT_KEY}
        if isinstance(info, mi.EnumType | mi.LiteralType):
            values = (
                info.values if isinstance(info, mi.LiteralType) else [m.value for m in info.cls]
            )
            return {"enum": [str(value) for value in values]}
        if isinstance(info, mi.UUIDType | mi.DateTimeType | mi.DateType | mi.TimeType):
            key = self.schema(info, where)
            assert isinstance(key, dict)
            return {"pattern": key["pattern"]}
        self.warn(where, f"{type(info).__name__} keys: any key admitted")
        return None

    def union(self, info: mi.UnionType, where: str) -> Schema:
        options = [self.schema(member, where, in_union=True) for member in info.types]
        has_null = {"type": "null"} in options
        rest = [option for option in options if option != {"type": "null"}]
        if any(option is True for option in rest):
            return True
        if len(rest) == 1:
            return nullable(rest[0]) if has_null else rest[0]
        simple = [
            o
            for o in rest
            if isinstance(o, dict) and set(o) == {"type"} and isinstance(o["type"], str)
        ]
        if len(simple) == len(rest):
            types = [o["type"] for o in simple] + (["null"] if has_null else [])
            return {"type": types}
        out: dict[str, Any] = {"anyOf": rest}
        return nullable(out) if has_null else out

    def reference(self, info: Any, *, in_union: bool) -> Schema:
        cls = info.cls
        key = self.def_names.get(cls)
        tagged_variant = in_union and isinstance(info, mi.StructType) and info.tag_field is not None
        if key is None:
            key = cls.__qualname__
            taken = set(self.def_names.values())
            counter = 2
            while key in taken:
                key, counter = f"{cls.__qualname__}~{counter}", counter + 1
            self.def_names[cls] = key
            self.defs[key] = True
            self.defs[key] = self.body(info)
        ref: dict[str, Any] = {
            "$ref": def_ref(key, self.def_names.get(self.root) if self.root else None)
        }
        if tagged_variant:
            # In a tagged union the tag picks the type, so it must be there.
            ref = {**ref, "required": [info.tag_field]}
        return ref

    def body(self, info: Any) -> Schema:
        cls = info.cls
        name = cls.__qualname__
        hints = _hints(cls)
        if isinstance(info, mi.NamedTupleType):
            tuple_items = []
            for f in info.fields:
                tuple_items.append(
                    with_description(
                        self.schema(f.type, f"{name}.{f.name}"),
                        f"Python attribute {name}.{f.name}: {_type_text(hints.get(f.name))}",
                    )
                )
            return {
                "description": f"NamedTuple {_qualified(cls)}: decoded from a JSON array",
                "type": "array",
                "prefixItems": tuple_items,
                "items": False,
                "minItems": sum(1 for f in info.fields if f.required),
            }
        kinds: dict[Any, str] = {
            mi.StructType: "msgspec Struct",
            mi.DataclassType: "attrs class" if _is_attrs(cls) else "dataclass",
            mi.TypedDictType: "TypedDict",
        }
        kind = kinds[type(info)]
        config = getattr(cls, "__struct_config__", None)
        omit_defaults = bool(getattr(config, "omit_defaults", False))
        properties: dict[str, Any] = {}
        required: list[str] = []
        tag_field = getattr(info, "tag_field", None)
        if tag_field is not None:
            properties[tag_field] = {
                "description": f"Tag of {name}: absent, or exactly this value",
                "const": info.tag,
            }
        for f in info.fields:
            words = [f"Python attribute {name}.{f.name}: {_type_text(hints.get(f.name))}"]
            if not f.required:
                words.append(f"default {_default_text(f)}, so it may be absent")
                if omit_defaults:
                    words.append("the writer omits it when it equals the default (omit_defaults)")
            schema = self.schema(f.type, f"{name}.{f.name}")
            properties[f.encode_name] = with_description(schema, "; ".join(words) + ".")
            if f.required:
                required.append(f.encode_name)
        forbid = bool(getattr(info, "forbid_unknown_fields", False))
        if self.forbid_unknown and isinstance(info, mi.DataclassType):
            forbid = True
        description = f"{kind} {_qualified(cls)}"
        if forbid:
            description += ": unknown keys are refused"
        else:
            description += ": unknown keys are ignored"
        if _has_post_init(cls):
            self.warn(
                name, "__post_init__ or attrs validators may refuse more than the schema says"
            )
        if getattr(info, "array_like", False):
            items = [properties[f.encode_name] for f in info.fields]
            if tag_field is not None:
                items.insert(0, {"const": info.tag})
            return {
                "description": description + " (array_like: decoded from a JSON array)",
                "type": "array",
                "prefixItems": items,
                "minItems": len(required) + (tag_field is not None),
                **({"maxItems": len(items)} if forbid else {}),
            }
        out: dict[str, Any] = {
            "description": description,
            "type": "object",
            "properties": properties,
        }
        if required:
            out["required"] = required
        if forbid:
            out["additionalProperties"] = False
        return out


def _numeric(out: dict[str, Any], info: Any) -> dict[str, Any]:
    for attribute, keyword in (
        ("ge", "minimum"),
        ("le", "maximum"),
        ("gt", "exclusiveMinimum"),
        ("lt", "exclusiveMaximum"),
        ("multiple_of", "multipleOf"),
    ):
        value = getattr(info, attribute)
        if value is not None:
            out[keyword] = value
    return out


def _lengths(out: dict[str, Any], info: Any, suffix: str) -> None:
    if info.min_length is not None:
        out[f"min{suffix}"] = info.min_length
    if info.max_length is not None:
        out[f"max{suffix}"] = info.max_length


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except Exception:  # hints are only for descriptions
        return {}


def _type_text(hint: Any) -> str:
    if hint is None:
        return "?"
    if isinstance(hint, type) and not typing.get_args(hint):
        return hint.__qualname__
    return str(hint).replace("typing.", "")


def _default_text(f: mi.Field) -> str:
    if f.default is not msgspec.NODEFAULT:
        text = repr(f.default)
        return text if len(text) <= 40 else text[:37] + "..."
    if f.default_factory is msgspec.NODEFAULT:
        return "UNSET"  # msgspec.inspect shows an UNSET default as neither default nor factory
    return "from a factory"


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_attrs(cls: type) -> bool:
    return hasattr(cls, "__attrs_attrs__")


def _has_post_init(cls: type) -> bool:
    if dataclasses.is_dataclass(cls) and hasattr(cls, "__post_init__"):
        return True
    if _is_attrs(cls):
        if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
            return True
        attributes = getattr(cls, "__attrs_attrs__", ())
        return any(getattr(a, "validator", None) is not None for a in attributes)
    return False


def msgspec_reader(target: Any) -> Reader:
    """``msgspec.json.decode(payload, type=target)`` as a :data:`Reader`."""
    decoder = msgspec.json.Decoder(target)

    def read(payload: bytes) -> list[ReaderFinding]:
        try:
            decoder.decode(payload)
        except Exception as error:  # any refusal is a finding
            return findings_from_exception(error)
        return []

    return read


def derive_msgspec(target: Any, *, label: str, forbid_unknown: bool = False) -> Derived:
    """The schema of what ``msgspec.json.decode(payload, type=target)`` accepts."""
    try:
        msgspec.json.Decoder(target)
        info = mi.type_info(target)
    except (TypeError, ValueError) as error:
        raise ConfigError(
            f"cannot derive {label}: msgspec cannot decode into it: {error}"
        ) from None
    view = _MsgspecView(forbid_unknown=forbid_unknown)
    root_cls = getattr(info, "cls", None)
    if isinstance(info, mi.StructType | mi.DataclassType | mi.TypedDictType | mi.NamedTupleType):
        view.root = root_cls
        view.reference(info, in_union=False)
        root = view.defs.pop(view.def_names[root_cls])
    else:
        root = view.schema(info, label)
    name = getattr(target, "__qualname__", None) or str(target)
    document: dict[str, Any] = {
        "$schema": DRAFT_2020_12_URI,
        "title": f"{name}: what its decoder accepts",
    }
    if root is False:
        document["not"] = {}
    elif isinstance(root, dict):
        document.update(root)
    document["description"] = (
        f"Derived from the Python type {name} ({getattr(target, '__module__', '?')}): "
        "the JSON msgspec.json.decode(payload, type=...) accepts (the reader view)."
        + (" " + root["description"] if isinstance(root, dict) and "description" in root else "")
    )
    if view.defs:
        document["$defs"] = view.defs
    # No reader: the schema says exactly what the decoder accepts, or warns where not.
    return Derived(ordered(document), label, view.warnings)


def is_msgspec_type(target: Any) -> bool:
    """Whether msgspec can decode into ``target`` (a class or a typing construct)."""
    try:
        msgspec.json.Decoder(target)
    except (TypeError, ValueError):
        return False
    return True


# ---------------------------------------------------------------- pydantic view

_LAX_TYPES = {
    "integer": ["integer", "number", "string"],
    "number": ["number", "string"],
    "boolean": ["boolean", "integer", "string"],
}
_LAX_FORMATS = ("date-time", "date", "time", "duration", "uuid")


def is_pydantic_model(target: Any) -> bool:
    """Whether ``target`` is a pydantic v2 model class."""
    try:
        from pydantic import BaseModel
    except ImportError:
        return False
    return isinstance(target, type) and issubclass(target, BaseModel)


def derive_pydantic(model: Any, *, label: str) -> Derived:
    """The pydantic model's validation schema, widened where the JSON Schema is not exact."""
    try:
        document = model.model_json_schema(mode="validation")
    except Exception as error:  # pydantic raises several kinds
        raise ConfigError(
            f"cannot derive {label}: pydantic cannot build its schema: {error}"
        ) from None
    strict = bool(model.model_config.get("strict", False))
    warnings: list[str] = []
    _widen(document, "", strict=strict, warnings=warnings, name=model.__qualname__)
    for field_name, info in model.model_fields.items():
        if info.metadata and any(type(m).__name__ == "AfterValidator" for m in info.metadata):
            warnings.append(
                f"{model.__qualname__}.{field_name}: a custom validator decides; schema widened"
            )
    decorators = getattr(model, "__pydantic_decorators__", None)
    if decorators is not None:
        for kind in ("field_validators", "model_validators"):
            for decorator_name in getattr(decorators, kind, {}):
                warnings.append(
                    f"{model.__qualname__}.{decorator_name}: a custom validator decides what is "
                    "accepted; the schema may admit more (the real reader runs it)"
                )
    document = {
        "$schema": DRAFT_2020_12_URI,
        **document,
        "description": (
            f"Derived from the pydantic model {model.__module__}.{model.__qualname__} "
            f"({'strict' if strict else 'lax'} mode): what model_validate_json accepts, "
            "widened where JSON Schema cannot say it exactly."
        ),
    }
    return Derived(ordered(document), label, warnings, _pydantic_reader(model))


def _widen(node: Any, pointer: str, *, strict: bool, warnings: list[str], name: str) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _widen(item, f"{pointer}/{index}", strict=strict, warnings=warnings, name=name)
        return
    if not isinstance(node, dict):
        return
    fmt = node.get("format")
    if fmt in _LAX_FORMATS:
        # pydantic's parsers take more spellings than the format checkers
        # (naive datetimes, unix timestamps, braces around a UUID).
        del node["format"]
        if not strict:
            node["type"] = (
                ["string", "number"]
                if fmt in ("date-time", "date", "time", "duration")
                else "string"
            )
        warnings.append(f"{name} at {pointer or '/'}: format {fmt} widened to what pydantic parses")
    kind = node.get("type")
    if not strict and isinstance(kind, str) and kind in _LAX_TYPES:
        node["type"] = _LAX_TYPES[kind]
        warnings.append(
            f'{name} at {pointer or "/"}: {kind} widened for lax mode (e.g. "5" accepted)'
        )
    for key, value in node.items():
        if key in ("enum", "const", "default", "examples"):
            continue
        _widen(value, f"{pointer}/{key}", strict=strict, warnings=warnings, name=name)


def _pydantic_reader(model: Any) -> Reader:
    def read(payload: bytes) -> list[ReaderFinding]:
        try:
            model.model_validate_json(payload)
        except Exception as error:  # any refusal is a finding
            return findings_from_exception(error)
        return []

    return read


def derive_python_type(target: Any, *, label: str, forbid_unknown: bool = False) -> Derived:
    """The reader view of ``target``: pydantic model or msgspec-decodable type."""
    if is_pydantic_model(target):
        return derive_pydantic(target, label=label)
    if isinstance(target, type) and issubclass(target, enum.Enum):
        return derive_msgspec(target, label=label)
    return derive_msgspec(target, label=label, forbid_unknown=forbid_unknown)
