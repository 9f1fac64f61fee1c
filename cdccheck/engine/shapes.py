"""Schemas as msgspec types: the translation the fast tier is built from.

Each schema is first translated to a small intermediate form (``Shape``);
the two shapes are intersected (``meet``: a string must match both patterns,
an integer lie in both ranges, an object carry only fields both know), and a
shape becomes a msgspec type (``DecoderBuilder`` in
:mod:`cdccheck.engine.decoders`). The rule that keeps verdicts exact (see
:mod:`cdccheck.engine.fastpath`) is that a decoder may only ACCEPT what the
reference accepts, so every translation is conservative:

* objects become Structs that forbid unknown fields; only schemas whose
  objects are closed (``additionalProperties: false``) translate, because an
  open Struct skips unknown fields without checking them strictly;
* integers are bounded to +-2**53, so big integers (a portability warning)
  take the full path; floats never decode as integers;
* ``format`` becomes a regular expression that matches a subset of what the
  format checker accepts (date-time without leap days; canonical uuid);
  patterns are not handed to msgspec but checked on the decoded value by
  ``DecoderBuilder.screen`` (cheaper; every decoder is used with it), each
  by its bounded Matcher (:mod:`cdccheck.engine.patterns`), so any pattern
  translates;
* ``allOf`` of ``if {op: const X} then {...}`` becomes a tagged union on op;
* anything else (anyOf, patternProperties, open objects, recursion ...)
  raises ``Unsupported``: the schema has no fast decoder, and its events
  take the full path.

Remembered failure shapes (:mod:`cdccheck.engine.remembered`) add
``Anything`` (a position left to the compiled schemas) and open objects to
the same algebra, and build their decoders with a builder of their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

from cdccheck.engine import patterns as regexes
from cdccheck.engine.schema import Schema, resolve_ref
from cdccheck.engine.warnings import SAFE_INTEGER

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
    {"$schema", "$id", "$comment", "$defs", "definitions", "title", "description",
     "default", "examples", "deprecated", "readOnly", "writeOnly"}
)  # fmt: skip
_STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern", "format"})
_NUMBER_KEYWORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
_ARRAY_KEYWORDS = frozenset({"items", "minItems", "maxItems"})
_OBJECT_KEYWORDS = frozenset({"properties", "required", "additionalProperties", "allOf"})
_MAX_NESTING = 64


KeySpec = tuple[int, tuple[str, ...], tuple[str, ...]]
"""Per Struct type: (keys always present, optional attributes, attributes that may hold objects)."""

Origin = tuple[Any, Any]
"""The schema object a shape was translated from, with the resolver in effect
where its parent refers to it: what ``CompiledSchema.subschema`` compiles."""


class Unsupported(Exception):
    """The schema uses something the fast path cannot translate soundly."""


ITEMS = "*"
"""A path part standing for every item of an array (PatternMismatch, remembered shapes)."""


class PatternMismatch(Exception):
    """A string in a decoded value fails its pattern (see DecoderBuilder.screen).

    ``path`` names the string: property names, ITEMS for an array item.
    """

    def __init__(self, path: tuple[str, ...]) -> None:
        super().__init__("/".join(path))
        self.path = path


# ---------------------------------------------------------------- shapes


class _CachedHash:
    """A composite shape hashes its whole tree; the memos of DecoderBuilder hash
    shapes again and again, so the hash is computed once per shape object."""

    def __hash__(self) -> int:
        return self._hash

    @cached_property
    def _hash(self) -> int:
        return hash(tuple(getattr(self, name.name) for name in fields(self) if name.compare))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Text:
    min_length: int = 0
    max_length: int | None = None
    patterns: tuple[str, ...] = ()
    checks: tuple[tuple[str, str], ...] = ()
    """The schema's own tests behind ``patterns``: ("pattern", regex) or ("format", name)."""


@dataclass(frozen=True)
class Choice:
    """A string that must be one of ``values`` (enum / const)."""

    values: tuple[str, ...]


@dataclass(frozen=True)
class Integer:
    lowest: int = -SAFE_INTEGER
    highest: int = SAFE_INTEGER


@dataclass(frozen=True)
class Number:
    integer: Integer = Integer()
    bounds: tuple[tuple[str, float], ...] = ()
    """msgspec float constraints: ("ge" | "le" | "gt" | "lt", value)."""


@dataclass(frozen=True)
class Boolean:
    pass


@dataclass(frozen=True)
class Null:
    pass


@dataclass(frozen=True)
class Array(_CachedHash):
    item: Shape
    min_items: int = 0
    max_items: int | None = None
    origin: Origin | None = field(default=None, compare=False)
    """The ``items`` schema the item shape comes from."""

    __hash__ = _CachedHash.__hash__


@dataclass(frozen=True)
class Object(_CachedHash):
    fields: tuple[tuple[str, Shape, bool], ...]
    """(name, shape, required) in declaration order."""
    origins: dict[str, Origin] = field(default_factory=dict, compare=False)
    """Per property, the schema it was translated from (see Origin)."""
    required_order: tuple[str, ...] = field(default=(), compare=False)
    """The ``required`` keyword's names, in its order: the order the reference reports them."""
    branch_required: tuple[str, ...] = field(default=(), compare=False)
    """Names only an ``allOf`` branch's ``then`` requires (a Tagged variant), in its order."""
    open: bool = False
    """Properties it does not declare are skipped, not refused: a remembered failure
    shape whose plan finds them (:mod:`cdccheck.engine.remembered`, extra points)."""

    __hash__ = _CachedHash.__hash__


@dataclass(frozen=True)
class Anything:
    """Any JSON value: a position left to the compiled schemas (remembered failure shapes)."""


@dataclass(frozen=True)
class Tagged(_CachedHash):
    """Objects told apart by a string property: a msgspec tagged union."""

    tag_field: str
    variants: tuple[tuple[str, Object], ...]

    __hash__ = _CachedHash.__hash__


@dataclass(frozen=True)
class AnyOf(_CachedHash):
    members: tuple[Shape, ...]

    __hash__ = _CachedHash.__hash__


Shape = (
    Text | Choice | Integer | Number | Boolean | Null | Array | Object | Tagged | AnyOf | Anything
)


def shape_of(schema: Schema) -> Shape | None:
    """The schema as a Shape; None when it uses something that does not translate."""
    try:
        return _Translator(schema).translate(schema.document, schema.resolver, 0)
    except Unsupported:
        return None


# ---------------------------------------------------------------- JSON Schema -> shape


class _Translator:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._active: set[int] = set()

    def translate(self, node: Any, resolver: Any, depth: int) -> Shape:
        if depth > _MAX_NESTING or not isinstance(node, dict):
            raise Unsupported("boolean schema or nesting too deep")
        if id(node) in self._active:
            raise Unsupported("recursive schema")
        self._active.add(id(node))
        try:
            return self._translate(node, resolver, depth)
        finally:
            self._active.discard(id(node))

    def _translate(self, node: dict[str, Any], resolver: Any, depth: int) -> Shape:
        keywords = set(node) - _ANNOTATIONS
        if "$ref" in node:
            if keywords != {"$ref"}:
                raise Unsupported("$ref with siblings")
            target, target_resolver = resolve_ref(resolver, node["$ref"])
            return self.translate(target, target_resolver, depth + 1)
        if "$id" in node and depth > 0:
            raise Unsupported("$id below the root")  # keeps resolver scoping trivial
        if "enum" in node or "const" in node:
            return self._choice(node, keywords)
        declared = node.get("type")
        if declared is None:
            raise Unsupported("no type")
        names = [declared] if isinstance(declared, str) else list(declared)
        if not names or len(set(names)) != len(names):
            raise Unsupported("odd type list")
        unknown = keywords - {"type"} - _STRING_KEYWORDS - _NUMBER_KEYWORDS
        unknown -= _ARRAY_KEYWORDS | _OBJECT_KEYWORDS
        if unknown:
            raise Unsupported(f"keywords {sorted(unknown)}")
        members = [self._typed(name, node, resolver, depth) for name in names]
        return members[0] if len(members) == 1 else AnyOf(tuple(members))

    def _typed(self, name: str, node: dict[str, Any], resolver: Any, depth: int) -> Shape:
        if name == "null":
            return Null()
        if name == "boolean":
            return Boolean()
        if name == "string":
            return self._text(node)
        if name == "integer":
            return _integer(node)
        if name == "number":
            return Number(_integer(node), _float_bounds(node))
        if name == "array":
            return self._array(node, resolver, depth)
        if name == "object":
            return self._object(node, resolver, depth)
        raise Unsupported(f"type {name}")

    def _text(self, node: dict[str, Any]) -> Text:
        # Any pattern translates: msgspec never sees it; DecoderBuilder.search_for
        # evaluates it with its bounded Matcher (docs/security.md, "Patterns").
        patterns = [node["pattern"]] if "pattern" in node else []
        checks = [("pattern", node["pattern"])] if "pattern" in node else []
        format_name = node.get("format")
        checker = self.schema.validator.format_checker
        if format_name is not None and checker is not None and format_name in checker.checkers:
            if format_name not in FORMAT_SUBSETS:
                raise Unsupported(f"format {format_name}")
            patterns.append(FORMAT_SUBSETS[format_name])
            checks.append(("format", format_name))
        return Text(node.get("minLength", 0), node.get("maxLength"), tuple(patterns), tuple(checks))

    def _array(self, node: dict[str, Any], resolver: Any, depth: int) -> Array:
        items = node.get("items")
        if not isinstance(items, dict):
            raise Unsupported("array without an items schema")
        item = self.translate(items, resolver, depth + 1)
        return Array(item, node.get("minItems", 0), node.get("maxItems"), (items, resolver))

    def _object(self, node: dict[str, Any], resolver: Any, depth: int) -> Object | Tagged:
        if node.get("additionalProperties") is not False:
            raise Unsupported("open content model")
        properties: dict[str, Any] = node.get("properties", {})
        required = set(node.get("required", ()))
        if not required <= set(properties):
            raise Unsupported("required property without a schema")
        fields = tuple(
            (name, self.translate(sub, resolver, depth + 1), name in required)
            for name, sub in properties.items()
        )
        origins = {name: (sub, resolver) for name, sub in properties.items()}
        base = Object(fields, origins, tuple(node.get("required", ())))
        if "allOf" not in node:
            return base
        return self._tagged(base, node["allOf"], resolver)

    def _tagged(self, base: Object, branches: list[Any], resolver: Any) -> Tagged:
        """``allOf`` of ``if {op: const X} then {required: [...]}``: one Struct per X."""
        tag_field = None
        variants = []
        names = {name for name, _, _ in base.fields}
        for branch in branches:
            tag_field_here, tag, extra = _discriminated_branch(branch)
            if tag_field is not None and tag_field != tag_field_here:
                raise Unsupported("branches discriminate on different properties")
            tag_field = tag_field_here
            if not set(extra) <= names:
                raise Unsupported("then requires an undeclared property")
            declared = {name: shape for name, shape, _ in base.fields}
            if tag_field in declared and not _admits(declared[tag_field], tag):
                raise Unsupported("op value refused by the op property schema")
            fields = tuple(
                (name, shape, required or name in extra)
                for name, shape, required in base.fields
                if name != tag_field
            )
            variants.append((tag, Object(fields, base.origins, base.required_order, extra)))
        if tag_field is None or len({tag for tag, _ in variants}) != len(variants):
            raise Unsupported("no discriminator, or tags repeat")
        return Tagged(tag_field, tuple(variants))

    def _choice(self, node: dict[str, Any], keywords: set[str]) -> Shape:
        if keywords - {"enum", "const", "type"} or ("enum" in node and "const" in node):
            raise Unsupported("enum with other keywords")
        options = node["enum"] if "enum" in node else [node["const"]]
        declared = node.get("type")
        if declared not in (None, "string", ["string", "null"], ["null", "string"]):
            raise Unsupported("enum with a type other than string")
        strings = tuple(option for option in options if isinstance(option, str))
        if not strings or len(strings) + (None in options) != len(options):
            raise Unsupported("enum of non-strings")
        if None in options and declared in (None, ["string", "null"], ["null", "string"]):
            return AnyOf((Choice(strings), Null()))
        return Choice(strings)


def _discriminated_branch(branch: Any) -> tuple[str, str, tuple[str, ...]]:
    if not isinstance(branch, dict) or set(branch) - _ANNOTATIONS != {"if", "then"}:
        raise Unsupported("allOf member is not if/then")
    condition, then = branch["if"], branch["then"]
    if not isinstance(condition, dict) or set(condition) - {"properties", "required"}:
        raise Unsupported("if is not a discriminator")
    properties = condition.get("properties", {})
    if len(properties) != 1:
        raise Unsupported("if is not a discriminator")
    [(tag_field, const)] = properties.items()
    if condition.get("required", [tag_field]) != [tag_field]:
        raise Unsupported("if is not a discriminator")
    if (
        not isinstance(const, dict)
        or set(const) != {"const"}
        or not isinstance(const["const"], str)
    ):
        raise Unsupported("if is not a const discriminator")
    if not isinstance(then, dict) or set(then) - _ANNOTATIONS - {"required"}:
        raise Unsupported("then does more than require properties")
    return tag_field, const["const"], tuple(dict.fromkeys(then.get("required", ())))


def _integer(node: dict[str, Any]) -> Integer:
    lowest, highest = -SAFE_INTEGER, SAFE_INTEGER
    if "minimum" in node:
        lowest = max(lowest, math.ceil(node["minimum"]))
    if "exclusiveMinimum" in node:
        lowest = max(lowest, math.floor(node["exclusiveMinimum"]) + 1)
    if "maximum" in node:
        highest = min(highest, math.floor(node["maximum"]))
    if "exclusiveMaximum" in node:
        highest = min(highest, math.ceil(node["exclusiveMaximum"]) - 1)
    return Integer(lowest, highest)


def _float_bounds(node: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    bounds = []
    for keyword, option in (("minimum", "ge"), ("maximum", "le"),
                            ("exclusiveMinimum", "gt"), ("exclusiveMaximum", "lt")):  # fmt: skip
        if keyword in node:
            value = float(node[keyword])
            if value != node[keyword]:
                raise Unsupported("bound not exact as a double")
            bounds.append((option, value))
    return tuple(bounds)


def _admits(shape: Shape, value: str) -> bool:
    """Whether a string ``value`` fits ``shape``, judged as the reference would."""
    if isinstance(shape, Anything):
        return True
    if isinstance(shape, AnyOf):
        return any(_admits(member, value) for member in shape.members)
    if isinstance(shape, Choice):
        return value in shape.values
    if isinstance(shape, Text):
        if len(value) < shape.min_length or (
            shape.max_length is not None and len(value) > shape.max_length
        ):
            return False
        try:
            return all(regexes.search(pattern, value) for pattern in shape.patterns)
        except regexes.PatternTimeout:
            raise Unsupported("pattern ran out of time on an enum value") from None
    return False


# ---------------------------------------------------------------- intersection


Meets = dict[tuple[Shape, Shape], "Shape | None"]


def meet(a: Shape, b: Shape, memo: Meets | None = None) -> Shape | None:
    """The shape of values that fit both ``a`` and ``b``; None when nothing does.

    ``Anything`` stays Anything: a position left to the compiled schemas is
    decoded as a plain value for both, whatever the other shape says there.
    ``memo`` keeps results by pair (relaxed shapes share most of their parts).
    """
    if memo is None:
        return _meet(a, b, None)
    key = (a, b)
    if key not in memo:
        memo[key] = _meet(a, b, memo)
    return memo[key]


def _meet(a: Shape, b: Shape, memo: Meets | None) -> Shape | None:
    if isinstance(a, Anything) or isinstance(b, Anything):
        return Anything()
    if isinstance(a, AnyOf) or isinstance(b, AnyOf):
        left = a.members if isinstance(a, AnyOf) else (a,)
        right = b.members if isinstance(b, AnyOf) else (b,)
        members = [m for x in left for y in right if (m := meet(x, y, memo)) is not None]
        if not members:
            return None
        return members[0] if len(members) == 1 else AnyOf(tuple(members))
    if isinstance(a, Text) and isinstance(b, Text):
        highest = [limit for limit in (a.max_length, b.max_length) if limit is not None]
        return Text(max(a.min_length, b.min_length), min(highest, default=None),
                    a.patterns + b.patterns, a.checks + b.checks)  # fmt: skip
    if isinstance(a, Choice) or isinstance(b, Choice):
        choice, other = (a, b) if isinstance(a, Choice) else (b, a)
        assert isinstance(choice, Choice)
        values = tuple(value for value in choice.values if _admits(other, value))
        return Choice(values) if values else None
    if isinstance(a, Integer | Number) and isinstance(b, Integer | Number):
        whole = _meet_integers(
            a if isinstance(a, Integer) else a.integer, b if isinstance(b, Integer) else b.integer
        )
        if isinstance(a, Number) and isinstance(b, Number):
            return Number(whole or Integer(1, 0), a.bounds + b.bounds)
        return whole
    if isinstance(a, Boolean) and isinstance(b, Boolean):
        return a
    if isinstance(a, Null) and isinstance(b, Null):
        return a
    if isinstance(a, Array) and isinstance(b, Array):
        item = meet(a.item, b.item, memo)
        if item is None:
            raise Unsupported("array items nothing fits")
        highest = [limit for limit in (a.max_items, b.max_items) if limit is not None]
        return Array(item, max(a.min_items, b.min_items), min(highest, default=None))
    if isinstance(a, Tagged) or isinstance(b, Tagged):
        return _meet_tagged(a, b, memo)
    if isinstance(a, Object) and isinstance(b, Object):
        return _meet_objects(a, b, memo)
    return None


def _meet_integers(a: Integer, b: Integer) -> Integer | None:
    lowest, highest = max(a.lowest, b.lowest), min(a.highest, b.highest)
    return Integer(lowest, highest) if lowest <= highest else None


def _meet_objects(a: Object, b: Object, memo: Meets | None) -> Object | None:
    # Both are closed: a field only one of them declares may not appear.
    theirs = {name: (shape, required) for name, shape, required in b.fields}
    ours = {name for name, _, _ in a.fields}
    if any(required and name not in ours for name, (_, required) in theirs.items()):
        return None
    fields = []
    for name, shape, required in a.fields:
        if name not in theirs:
            if required:
                return None
            continue
        other, other_required = theirs[name]
        common = meet(shape, other, memo)
        if common is None:
            if required or other_required:
                return None
            continue
        fields.append((name, common, required or other_required))
    # Open only when both are: a property one of them declares and the other
    # does not is then left out of the Struct, and the plan finds it.
    return Object(tuple(fields), open=a.open and b.open)


def _meet_tagged(a: Shape, b: Shape, memo: Meets | None) -> Shape | None:
    tagged, other = (a, b) if isinstance(a, Tagged) else (b, a)
    assert isinstance(tagged, Tagged)
    variants = []
    if isinstance(other, Tagged):
        if other.tag_field != tagged.tag_field:
            raise Unsupported("tagged on different properties")
        theirs = dict(other.variants)
        for tag, variant in tagged.variants:
            if tag in theirs and (common := _meet_objects(variant, theirs[tag], memo)) is not None:
                variants.append((tag, common))
    elif isinstance(other, Object):
        declared = {name: shape for name, shape, _ in other.fields}
        if tagged.tag_field not in declared:
            return None  # the plain object is closed and does not know the tag
        rest = Object(tuple(f for f in other.fields if f[0] != tagged.tag_field), open=other.open)
        for tag, variant in tagged.variants:
            if _admits(declared[tagged.tag_field], tag):
                common = _meet_objects(variant, rest, memo)
                if common is not None:
                    variants.append((tag, common))
    else:
        return None
    return Tagged(tagged.tag_field, tuple(variants)) if variants else None
