"""The fast path: msgspec decoders compiled from the schemas accept healthy events.

Most events in a stream are healthy. For those, one typed msgspec decode per
schema (C speed, straight from the payload bytes) proves the event valid,
and nothing else needs to run. The rule that keeps verdicts exact:

    a fast decoder may only ACCEPT what the reference accepts.

It may refuse more (a float 1.0 for an integer, a leap day, a big integer):
a refused event simply takes the full path, where the compiled schema and
python-jsonschema decide. So every translation below is conservative:

* objects become Structs that forbid unknown fields; only schemas whose
  objects are closed (``additionalProperties: false``) compile, because an
  open Struct skips unknown fields without checking them strictly;
* integers are bounded to +-2**53, so big integers (a portability warning)
  take the full path; floats never decode as integers;
* ``format`` becomes a regular expression that matches a subset of what the
  format checker accepts (date-time without leap days; canonical uuid);
* ``allOf`` of ``if {op: const X} then {...}`` becomes a tagged union on op;
* anything else (anyOf, patternProperties, open objects, recursion ...)
  means the schema has no fast decoder, and its events take the full path.

An accepted event must also carry no portability warning: the payload bytes
are screened for U+FFFD, NUL and duplicate keys (see ``clean``).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal, Union

import msgspec

from cdccheck.model import UNKNOWN
from cdccheck.schema import DRAFT_7, Schema
from cdccheck.wire import SAFE_INTEGER

_DATE_TIME = (
    r"^(?!0000)[0-9]{4}-"
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
    r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])\Z"
)
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
FORMAT_SUBSETS = {"date-time": _DATE_TIME, "uuid": _UUID}
"""Per format, a regex whose matches the format checker always accepts."""

_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "definitions",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
_MAX_NESTING = 64

_ESCAPED_UNSAFE = re.compile(rb"\\u(?:[fF][fF][fF][dD]|0000|0022|003[aA])")
_KEY_WITH_SPACE_BEFORE_COLON = re.compile(rb'"[ \t\r\n]+:')
_RAW_REPLACEMENT_CHARACTER = "\ufffd".encode()


class Unsupported(Exception):
    """The schema uses something the fast path cannot translate soundly."""


class FastAcceptor:
    """Typed msgspec decoders for the legacy and the new schema."""

    def __init__(
        self,
        legacy: msgspec.json.Decoder | None,
        new: msgspec.json.Decoder | None,
        ops: dict[type, str],
        op_attributes: dict[type, str],
    ) -> None:
        self.legacy = legacy
        self.new = new
        self._ops = ops
        self._op_attributes = op_attributes
        self._encoder = msgspec.json.Encoder()

    @classmethod
    def build(cls, legacy: Schema, new: Schema, *, op_field: str = "op") -> FastAcceptor | None:
        """Decoders for each schema that translates; None when neither does."""
        ops: dict[type, str] = {}
        op_attributes: dict[type, str] = {}
        decoders: list[msgspec.json.Decoder[Any] | None] = []
        for schema in (legacy, new):
            try:
                translator = _Translator(schema, op_field)
                decoder = msgspec.json.Decoder(translator.root_type())
            except (Unsupported, TypeError, ValueError):
                decoders.append(None)
                continue
            ops.update(translator.ops)
            op_attributes.update(translator.op_attributes)
            decoders.append(decoder)
        if decoders == [None, None]:
            return None
        return cls(decoders[0], decoders[1], ops, op_attributes)

    @staticmethod
    def valid(decoder: msgspec.json.Decoder | None, payload: bytes) -> Any:
        """The decoded event when ``decoder`` proves it valid, else None."""
        if decoder is None:
            return None
        try:
            return decoder.decode(payload)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            return None

    def accepts(self, payload: bytes) -> str | None:
        """The event's op when both schemas accept it and it is warning-free, else None."""
        legacy = self.valid(self.legacy, payload)
        if legacy is None or self.valid(self.new, payload) is None:
            return None
        if not self.clean(payload, legacy):
            return None
        return self.op_of(legacy)

    def op_of(self, event: Any) -> str:
        kind = type(event)
        op = self._ops.get(kind)
        if op is not None:
            return op
        attribute = self._op_attributes.get(kind)
        value = getattr(event, attribute, None) if attribute else None
        return value if isinstance(value, str) else UNKNOWN

    def clean(self, payload: bytes, event: Any) -> bool:
        """No U+FFFD, no NUL, no duplicate key: nothing a warning would flag.

        Duplicate keys: every key written without space before its colon ends
        in ``":``. Re-encoding the decoded event writes each distinct key once
        and every string with ``\\"`` for a quote, so if the payload has no
        key with space before its colon and no quote or colon written as a
        \\u escape, equal counts of ``":`` prove no key was repeated.
        """
        if _RAW_REPLACEMENT_CHARACTER in payload:
            return False
        if b"\\u" in payload and _ESCAPED_UNSAFE.search(payload):
            return False
        if _KEY_WITH_SPACE_BEFORE_COLON.search(payload):
            return False
        return payload.count(b'":') == self._encoder.encode(event).count(b'":')


class _Translator:
    """JSON Schema -> msgspec type, or Unsupported."""

    def __init__(self, schema: Schema, op_field: str) -> None:
        self.schema = schema
        self.draft7 = schema.draft == DRAFT_7
        self.op_field = op_field
        self.ops: dict[type, str] = {}
        self.op_attributes: dict[type, str] = {}
        self._names = 0
        self._active: set[int] = set()

    def root_type(self) -> Any:
        return self.translate(self.schema.document, self.schema.validator._resolver, 0)

    def translate(self, node: Any, resolver: Any, depth: int) -> Any:
        if depth > _MAX_NESTING or not isinstance(node, dict):
            raise Unsupported("boolean schema or nesting too deep")
        if id(node) in self._active:
            raise Unsupported("recursive schema")
        self._active.add(id(node))
        try:
            return self._translate(node, resolver, depth)
        finally:
            self._active.discard(id(node))

    def _translate(self, node: dict[str, Any], resolver: Any, depth: int) -> Any:
        if "$ref" in node:
            if set(node) - _ANNOTATIONS - {"$ref"}:
                raise Unsupported("$ref with siblings")
            resolved = resolver.lookup(node["$ref"])
            return self.translate(resolved.contents, resolved.resolver, depth + 1)
        if "$id" in node:
            raise Unsupported("$id below the root")  # keeps resolver scoping trivial
        if "enum" in node or "const" in node:
            return self._literal(node)
        declared = node.get("type")
        if declared is None:
            raise Unsupported("no type")
        names = [declared] if isinstance(declared, str) else list(declared)
        if not names or len(set(names)) != len(names):
            raise Unsupported("odd type list")
        members = [self._typed(name, node, resolver, depth) for name in names]
        return members[0] if len(members) == 1 else Union[tuple(members)]  # noqa: UP007

    def _typed(self, name: str, node: dict[str, Any], resolver: Any, depth: int) -> Any:
        keywords = set(node) - _ANNOTATIONS - {"type"}
        if name == "null":
            return None
        if name == "boolean":
            return bool
        if name == "string":
            return self._string(node, keywords)
        if name == "integer":
            return self._integer(node, keywords)
        if name == "number":
            return Union[self._integer(node, keywords), self._number(node, keywords)]  # noqa: UP007
        if name == "array":
            return self._array(node, keywords, resolver, depth)
        if name == "object":
            return self._object(node, keywords, resolver, depth)
        raise Unsupported(f"type {name}")

    def _string(self, node: dict[str, Any], keywords: set[str]) -> Any:
        keywords = keywords - {
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "minItems",
            "maxItems",
            "items",
            "properties",
            "required",
            "additionalProperties",
        }
        if keywords:
            raise Unsupported(f"string keywords {sorted(keywords)}")
        pattern = node.get("pattern")
        format_name = node.get("format")
        checker = self.schema.validator.format_checker
        if format_name is not None and checker is not None and format_name in checker.checkers:
            if pattern is not None:
                raise Unsupported("pattern together with format")
            if format_name not in FORMAT_SUBSETS:
                raise Unsupported(f"format {format_name}")
            pattern = FORMAT_SUBSETS[format_name]
        meta: dict[str, Any] = {}
        if "minLength" in node:
            meta["min_length"] = node["minLength"]
        if "maxLength" in node:
            meta["max_length"] = node["maxLength"]
        if pattern is not None:
            meta["pattern"] = pattern
        return Annotated[str, msgspec.Meta(**meta)] if meta else str

    def _integer(self, node: dict[str, Any], keywords: set[str]) -> Any:
        lowest, highest = -SAFE_INTEGER, SAFE_INTEGER
        if "minimum" in node:
            lowest = max(lowest, math.ceil(node["minimum"]))
        if "exclusiveMinimum" in node:
            lowest = max(lowest, math.floor(node["exclusiveMinimum"]) + 1)
        if "maximum" in node:
            highest = min(highest, math.floor(node["maximum"]))
        if "exclusiveMaximum" in node:
            highest = min(highest, math.ceil(node["exclusiveMaximum"]) - 1)
        self._only_numeric(keywords)
        if lowest > highest:
            raise Unsupported("empty integer range")
        return Annotated[int, msgspec.Meta(ge=lowest, le=highest)]

    def _number(self, node: dict[str, Any], keywords: set[str]) -> Any:
        self._only_numeric(keywords)
        meta: dict[str, Any] = {}
        for keyword, option in (
            ("minimum", "ge"),
            ("maximum", "le"),
            ("exclusiveMinimum", "gt"),
            ("exclusiveMaximum", "lt"),
        ):
            if keyword in node:
                meta[option] = float(node[keyword])
                if meta[option] != node[keyword]:
                    raise Unsupported("bound not exact as a double")
        return Annotated[float, msgspec.Meta(**meta)] if meta else float

    @staticmethod
    def _only_numeric(keywords: set[str]) -> None:
        other = keywords - {
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "minItems",
            "maxItems",
            "items",
            "properties",
            "required",
            "additionalProperties",
        }
        if other:
            raise Unsupported(f"number keywords {sorted(other)}")

    def _array(self, node: dict[str, Any], keywords: set[str], resolver: Any, depth: int) -> Any:
        if keywords - {
            "items",
            "minItems",
            "maxItems",
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "minimum",
            "maximum",
            "properties",
            "required",
            "additionalProperties",
        }:
            raise Unsupported("array keywords")
        items = node.get("items")
        if not isinstance(items, dict):
            raise Unsupported("array without an items schema")
        item_type = self.translate(items, resolver, depth + 1)
        meta: dict[str, Any] = {}
        if "minItems" in node:
            meta["min_length"] = node["minItems"]
        if "maxItems" in node:
            meta["max_length"] = node["maxItems"]
        return Annotated[list[item_type], msgspec.Meta(**meta)] if meta else list[item_type]  # type: ignore[valid-type]

    def _object(self, node: dict[str, Any], keywords: set[str], resolver: Any, depth: int) -> Any:
        if node.get("additionalProperties") is not False:
            raise Unsupported("open content model")
        branches = node.get("allOf")
        rest = keywords - {
            "properties",
            "required",
            "additionalProperties",
            "allOf",
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "minimum",
            "maximum",
            "items",
            "minItems",
            "maxItems",
        }
        if rest:
            raise Unsupported(f"object keywords {sorted(rest)}")
        properties: dict[str, Any] = node.get("properties", {})
        required = set(node.get("required", ()))
        if not required <= set(properties):
            raise Unsupported("required property without a schema")
        if branches is None:
            return self._struct(properties, required, resolver, depth, tag=None)
        return self._tagged_union(properties, required, branches, resolver, depth)

    def _tagged_union(
        self,
        properties: dict[str, Any],
        required: set[str],
        branches: list[Any],
        resolver: Any,
        depth: int,
    ) -> Any:
        """``allOf`` of ``if {op: const X} then {...}``: one Struct per op value."""
        op = self.op_field
        members = []
        for branch in branches:
            tag, extra_required = self._discriminated_branch(branch, properties)
            if op in properties and not self._accepts(properties[op], resolver, tag):
                raise Unsupported("op value refused by the op property schema")
            fields = {name: sub for name, sub in properties.items() if name != op}
            members.append(
                self._struct(fields, (required | extra_required) - {op}, resolver, depth, tag=tag)
            )
        if len({self.ops[member] for member in members}) != len(members):
            raise Unsupported("op values repeat")
        return Union[tuple(members)]  # noqa: UP007

    def _discriminated_branch(
        self, branch: Any, properties: dict[str, Any]
    ) -> tuple[str, set[str]]:
        op = self.op_field
        if not isinstance(branch, dict) or set(branch) - _ANNOTATIONS != {"if", "then"}:
            raise Unsupported("allOf member is not if/then")
        condition, then = branch["if"], branch["then"]
        if not isinstance(condition, dict) or set(condition) - {"properties", "required"}:
            raise Unsupported("if is not a discriminator")
        if condition.get("required", [op]) != [op] or set(condition.get("properties", {})) != {op}:
            raise Unsupported("if is not a discriminator")
        const = condition["properties"][op]
        if (
            not isinstance(const, dict)
            or set(const) != {"const"}
            or not isinstance(const["const"], str)
        ):
            raise Unsupported("if is not a const discriminator")
        if not isinstance(then, dict) or set(then) - _ANNOTATIONS - {"required"}:
            raise Unsupported("then does more than require properties")
        extra_required = set(then.get("required", ()))
        if not extra_required <= set(properties):
            raise Unsupported("then requires an undeclared property")
        return const["const"], extra_required

    def _accepts(self, subschema: Any, resolver: Any, value: Any) -> bool:
        validator = self.schema.validator
        return not any(True for _ in validator.descend(value, subschema, resolver=resolver))

    def _struct(
        self,
        properties: dict[str, Any],
        required: set[str],
        resolver: Any,
        depth: int,
        tag: str | None,
    ) -> Any:
        fields: list[Any] = []
        rename: dict[str, str] = {}
        op_attribute = None
        for index, (name, subschema) in enumerate(properties.items()):
            attribute = f"f{index}"
            rename[attribute] = name
            field_type = self.translate(subschema, resolver, depth + 1)
            if name == self.op_field:
                op_attribute = attribute
            if name in required:
                fields.append((attribute, field_type))
            else:
                fields.append((attribute, Union[field_type, msgspec.UnsetType], msgspec.UNSET))  # noqa: UP007
        # Required fields first: msgspec wants defaults after non-defaults.
        fields.sort(key=len)
        self._names += 1
        options: dict[str, Any] = {"forbid_unknown_fields": True, "rename": rename}
        if tag is not None:
            options.update(tag_field=self.op_field, tag=tag)
        struct = msgspec.defstruct(f"Fast{self._names}", fields, **options)
        if tag is not None:
            self.ops[struct] = tag
        elif op_attribute is not None and depth == 0:
            self.op_attributes[struct] = op_attribute
        return struct

    def _literal(self, node: dict[str, Any]) -> Any:
        if set(node) - _ANNOTATIONS - {"enum", "const", "type"}:
            raise Unsupported("enum with other keywords")
        options = node["enum"] if "enum" in node else [node["const"]]
        if "enum" in node and "const" in node:
            raise Unsupported("enum and const")
        declared = node.get("type")
        strings = [option for option in options if isinstance(option, str)]
        allows_null = None in options and declared in (None, ["string", "null"], ["null", "string"])
        if len(strings) + (None in options) != len(options) or not strings:
            raise Unsupported("enum of non-strings")
        if declared not in (None, "string", ["string", "null"], ["null", "string"]):
            raise Unsupported("enum with a type other than string")
        literal = Literal[tuple(strings)]  # type: ignore[valid-type]
        return Union[literal, None] if allows_null else literal  # noqa: UP007
