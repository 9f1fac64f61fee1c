"""Read a JSON Schema as positioned nodes, for the static comparison and its witnesses.

A `Node` is one subschema together with where it sits (file and JSON Pointer)
and the `referencing` resolver in scope there, so `$ref` is followed the way
python-jsonschema follows it. The module also knows the few things both the
comparison and the witness builder need: which keywords a draft asserts, the
JSON types a subschema allows, and `alternatives`: a subschema rewritten as
"any of these conjunctions", which is how `allOf`/`anyOf`/`oneOf`/`$ref` are
taken apart.

`alternatives` may OVER-approximate (it treats `oneOf` as `anyOf`, drops what
it cannot expand): every instance of the subschema is an instance of some
alternative. That is the safe direction for the side whose instances must all
be accepted by the other side, and for the witness builder, whose results are
always validated.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urldefrag

from cdccheck.engine.schema import DRAFT_7, DRAFT_2020_12
from cdccheck.model import json_pointer

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

# JSON types as the comparison sees them: "number" is split so that "integer"
# (which python-jsonschema also grants to 1.0) is a true subset of it.
FRACTION = "fraction"
ALL_TYPES = frozenset({"null", "boolean", "object", "array", "integer", FRACTION, "string"})
_TYPE_KEYWORD_MEANING = {
    "null": frozenset({"null"}),
    "boolean": frozenset({"boolean"}),
    "object": frozenset({"object"}),
    "array": frozenset({"array"}),
    "string": frozenset({"string"}),
    "integer": frozenset({"integer"}),
    "number": frozenset({"integer", FRACTION}),
}
# Keywords that only carry information; a change to them never changes a verdict.
ANNOTATIONS = {
    "title": "TITLE_CHANGED",
    "description": "DESCRIPTION_CHANGED",
    "$comment": "COMMENT_CHANGED",
    "default": "DEFAULT_CHANGED",
    "examples": "EXAMPLES_CHANGED",
    "deprecated": "DEPRECATED_CHANGED",
    "readOnly": "READ_ONLY_CHANGED",
    "writeOnly": "WRITE_ONLY_CHANGED",
    "$id": "ID_CHANGED",
}
# Past this many alternatives a disjunction is dropped (treated as `true`):
# safe on the over-approximated side and keeps pathological schemas fast.
MAX_ALTERNATIVES = 64


def value_type(value: Any) -> str:
    """The comparison's type name for a JSON value (1.0 is an integer, as in jsonschema)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else FRACTION
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def declared_types(schema: Any) -> frozenset[str] | None:
    """Types a `type` keyword allows, or None when the keyword is absent."""
    if not isinstance(schema, dict) or "type" not in schema:
        return None
    names = schema["type"]
    if isinstance(names, str):
        names = [names]
    allowed: frozenset[str] = frozenset()
    for name in names:
        allowed |= _TYPE_KEYWORD_MEANING.get(name, frozenset())
    return allowed


@dataclass(eq=False)
class Doc:
    """One schema document in a comparison: its role, draft and reference validator."""

    role: str
    """``legacy`` or ``new``."""
    origin: str
    draft: str
    validator: Validator = field(repr=False)
    resolver: Any = field(repr=False)
    """`referencing` resolver rooted at the document."""
    _pointers: dict[int, str] = field(default_factory=dict, repr=False)
    _files: dict[str, dict[int, str]] = field(default_factory=dict, repr=False)
    _validators: dict[tuple[int, int], Validator] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._pointers = _index_pointers(self.validator.schema)
        self.asserted = frozenset(self.validator.VALIDATORS)
        checker = self.validator.format_checker
        self.formats = frozenset(checker.checkers) if checker is not None else frozenset()

    @property
    def root(self) -> Node:
        return Node(self.validator.schema, self, self.origin, "", self.resolver)

    def accepts(self, node: Node, instance: Any, *, unknown: bool = False) -> bool:
        """Whether python-jsonschema (the reference) accepts ``instance`` under ``node``.

        ``unknown`` is the answer when the reference itself fails (a pattern
        Python cannot compile, an unresolvable reference): callers pick the
        answer that errs towards reporting a break.
        """
        try:
            return bool(self.validator_for(node).is_valid(instance))
        except Exception:  # the reference cannot decide; see `unknown`
            return unknown

    def validator_for(self, node: Node) -> Validator:
        """The reference validator for one subschema (built once, with its resolver)."""
        key = (id(node.value), id(node.resolver))
        validator = self._validators.get(key)
        if validator is None:
            validator = self.validator.evolve(schema=node.value, _resolver=node.resolver)
            self._validators[key] = validator
        return validator

    def locate(self, target: Any, ref: str, near: Node) -> tuple[str, str]:
        """File and JSON Pointer of a `$ref` target, for messages and annotations."""
        if isinstance(target, dict | list) and id(target) in self._pointers:
            return self.origin, self._pointers[id(target)]
        uri, fragment = urldefrag(ref)
        pointer = unquote(fragment) if fragment.startswith("/") else ""
        if not uri:
            return near.file, pointer
        name = uri if "://" in uri else str(PurePosixPath(near.file).parent / uri)
        if name not in self._files:
            try:
                contents = near.resolver.lookup(uri).contents
            except Exception:
                contents = None
            self._files[name] = _index_pointers(contents)
        pointers = self._files[name]
        if isinstance(target, dict | list) and id(target) in pointers:
            return name, pointers[id(target)]
        return name, pointer


def _index_pointers(document: Any) -> dict[int, str]:
    index: dict[int, str] = {}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            index[id(value)] = json_pointer(path)
            stack.extend((child, (*path, key)) for key, child in value.items())
        elif isinstance(value, list):
            index[id(value)] = json_pointer(path)
            stack.extend((child, (*path, i)) for i, child in enumerate(value))
    return index


@dataclass(frozen=True, eq=False)
class Node:
    """A subschema at a known place, with the resolver in scope there."""

    value: Any
    doc: Doc
    file: str
    pointer: str
    resolver: Any = field(repr=False)
    flat: bool = False
    """Stands only for its own keywords: its combinators were already taken apart."""

    @cached_property
    def key(self) -> tuple[int, str, str, bool]:
        return (id(self.doc), self.file, self.pointer, self.flat)

    def flattened(self) -> Node:
        return replace(self, flat=True)

    @property
    def draft(self) -> str:
        return self.doc.draft

    def has(self, keyword: str) -> bool:
        return isinstance(self.value, dict) and keyword in self.value

    def get(self, keyword: str, default: Any = None) -> Any:
        return self.value.get(keyword, default) if isinstance(self.value, dict) else default

    def child(self, *parts: str | int) -> Node:
        """The subschema under ``parts`` (keyword, then name or index)."""
        value = self.value
        for part in parts:
            value = value[part]
        resolver = self.resolver
        if isinstance(value, dict) and isinstance(value.get("$id"), str):
            resolver = resolver.in_subresource(_specification(self.draft).create_resource(value))
        return Node(value, self.doc, self.file, self.pointer + json_pointer(parts), resolver)

    def follow(self, keyword: str = "$ref") -> Node | None:
        """The node a `$ref` (or `$dynamicRef`, resolved statically) points at.

        None when it does not resolve here (a remote or metaschema URI: loading
        a schema refuses those, bare documents may still carry them).
        """
        from referencing.exceptions import Unresolvable

        ref = self.value[keyword]
        try:
            resolved = self.resolver.lookup(ref)
        except Unresolvable:
            return None
        file, pointer = self.doc.locate(resolved.contents, ref, self)
        return Node(resolved.contents, self.doc, file, pointer, resolved.resolver)

    @property
    def is_false(self) -> bool:
        return self.value is False

    @property
    def is_true(self) -> bool:
        """True for `true`, `{}` and any schema made only of annotations."""
        if self.value is True:
            return True
        return isinstance(self.value, dict) and not any(k in self.doc.asserted for k in self.value)

    def where(self, suffix: str = "") -> str:
        return self.pointer + suffix


def _specification(draft: str) -> Any:
    from referencing.jsonschema import DRAFT7, DRAFT202012

    return DRAFT202012 if draft == DRAFT_2020_12 else DRAFT7


Alternative = tuple[Node, ...]


def alternatives(nodes: Sequence[Node]) -> list[Alternative]:
    """The conjunction of ``nodes`` as a disjunction of conjunctions of plain nodes.

    Each node of an alternative still holds its own keywords; its `allOf`,
    `anyOf`, `oneOf`, `$ref` and `if`/`then`/`else` have been taken apart
    into the alternatives and must not be read again. Over-approximates: see
    the module docstring. An empty list means no instance at all.
    """
    result: list[Alternative] = [()]
    for node in nodes:
        result = _product(result, _expand(node, frozenset()))
    return result


def _product(left: list[Alternative], right: list[Alternative]) -> list[Alternative]:
    combined = [_union(a, b) for a, b in itertools.product(left, right)]
    return combined if len(combined) <= MAX_ALTERNATIVES else left


def _union(a: Alternative, b: Alternative) -> Alternative:
    seen = {n.key for n in a}
    return a + tuple(n for n in b if n.key not in seen)


def _expand(node: Node, expanding: frozenset[Any]) -> list[Alternative]:
    if node.is_false:
        return []
    if not isinstance(node.value, dict):
        return [()]
    if node.flat:
        return [(node,)]
    if node.key in expanding:
        # A reference cycle at one instance position: assume nothing more.
        return [()]
    expanding = expanding | {node.key}
    value = node.value
    if "not" in value and node.child("not").is_true:
        # `{"not": {}}` and `{"not": true}` accept nothing, like `false`.
        return []
    if "$ref" in value and node.draft != DRAFT_2020_12:
        # Before 2019-09 a `$ref` replaces its siblings.
        target = node.follow()
        return [()] if target is None else _expand(target, expanding)
    parts: list[list[Alternative]] = [[(node.flattened(),)]]
    if "$ref" in value:
        target = node.follow()
        if target is not None:
            parts.append(_expand(target, expanding))
    for i in range(len(value.get("allOf", ()))):
        parts.append(_expand(node.child("allOf", i), expanding))
    for keyword in ("anyOf", "oneOf"):
        if keyword in value:
            choices: list[Alternative] = []
            for i in range(len(value[keyword])):
                choices.extend(_expand(node.child(keyword, i), expanding))
            if len(choices) <= MAX_ALTERNATIVES:
                parts.append(choices)
    if "if" in value and "then" in value and "else" in value:
        parts.append(
            _expand(node.child("then"), expanding) + _expand(node.child("else"), expanding)
        )
    elif "if" in value:
        # An `if` that always (never) holds makes `then` (`else`) apply to everything.
        condition = node.child("if")
        branch = "then" if condition.is_true else "else" if condition.is_false else None
        if branch is not None and branch in value:
            parts.append(_expand(node.child(branch), expanding))
    result: list[Alternative] = [()]
    for part in parts:
        result = _product(result, part)
    return result


def types_of(alternative: Alternative) -> frozenset[str]:
    """The JSON types an alternative may allow (from `type`, `const` and `enum`)."""
    allowed = ALL_TYPES
    for node in alternative:
        declared = declared_types(node.value)
        if declared is not None:
            allowed &= declared
        if node.has("const"):
            allowed &= {value_type(node.value["const"])}
        if node.has("enum") and isinstance(node.value["enum"], list):
            allowed &= {value_type(v) for v in node.value["enum"]}
        multiple = node.get("multipleOf")
        integral = isinstance(multiple, int | float) and not isinstance(multiple, bool)
        if integral and float(multiple).is_integer():
            # A multiple of an integer is integral (and 1.0 counts as an integer).
            allowed -= {FRACTION}
    return allowed


def possible_types(*nodes: Node) -> frozenset[str]:
    """Over-approximation of the JSON types the conjunction of ``nodes`` accepts."""
    allowed: frozenset[str] = frozenset()
    for alternative in alternatives(nodes):
        allowed |= types_of(alternative)
    return allowed


def finite_values(alternative: Alternative, types: frozenset[str]) -> list[Any] | None:
    """Every value the alternative may accept, when that is a short list; else None.

    Values are kept when every node of the alternative accepts them, which is
    exact for the conjunction of the nodes.
    """
    candidates: list[Any] | None = None
    for node in alternative:
        if node.has("const"):
            candidates = [node.value["const"]]
            break
        if node.has("enum") and isinstance(node.value["enum"], list):
            candidates = list(node.value["enum"])
            break
    if candidates is None:
        if not types or not types <= {"null", "boolean"}:
            return None
        candidates = []
        if "null" in types:
            candidates.append(None)
        if "boolean" in types:
            candidates += [True, False]
    kept: list[Any] = []
    for candidate in candidates:
        if value_type(candidate) not in types:
            continue
        if all(node.doc.accepts(node, candidate, unknown=True) for node in alternative) and not any(
            same_json(candidate, k) for k in kept
        ):
            kept.append(candidate)
    return kept


def same_json(a: Any, b: Any) -> bool:
    """JSON equality that tells `1` from `true` (Python's == does not)."""
    return canonical(a) == canonical(b)


def canonical(value: Any, cache: dict[int, Any] | None = None) -> Any:
    """A hashable form of a JSON value; equal forms mean equal JSON.

    ``cache`` (keyed by object id) is for values that live as long as it does.
    """
    if cache is not None and isinstance(value, dict | list):
        found = cache.get(id(value))
        if found is None:
            found = cache[id(value)] = _canonical(value, cache)
        return found
    return _canonical(value, cache)


def _canonical(value: Any, cache: dict[int, Any] | None) -> Any:
    if isinstance(value, bool) or value is None:
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", value)
    if isinstance(value, dict):
        return ("o", tuple(sorted((k, canonical(v, cache)) for k, v in value.items())))
    if isinstance(value, list):
        return ("a", tuple(canonical(v, cache) for v in value))
    return ("s", value)


def ref_paths(value: Any) -> list[tuple[str | int, ...]]:
    """Relative paths of the subschemas of ``value`` that hold a `$ref` or `$dynamicRef`."""
    found: list[tuple[str | int, ...]] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        current, path = stack.pop()
        if isinstance(current, dict):
            if isinstance(current.get("$ref"), str) or isinstance(current.get("$dynamicRef"), str):
                found.append(path)
            stack.extend((v, (*path, k)) for k, v in current.items())
        elif isinstance(current, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(current))
    return found


# ---- content models -----------------------------------------------------------------


@dataclass
class ObjectModel:
    """What one node says about an object's properties, for one side of the comparison."""

    node: Node | None
    """None for an unconstrained source (see `open_model`)."""
    properties: dict[str, Node]
    patterns: dict[str, Node]
    additional: Node | None
    """Applies to names the node does not cover; None: nothing applies."""
    covered_names: frozenset[str]
    covered_patterns: tuple[str, ...]
    required: frozenset[str]

    @property
    def openness(self) -> str:
        """``open``, ``closed`` or ``partial`` (Confluent's words)."""
        if self.additional is None or self.additional.is_true:
            return "open" if not self.patterns else "partial"
        if self.additional.is_false and not self.patterns:
            return "closed"
        return "partial"

    @property
    def fully_closed(self) -> bool:
        """No name outside `properties` can occur."""
        return (
            self.additional is not None
            and self.additional.is_false
            and not self.patterns
            and not self.extra_names
            and not self.extra_patterns
        )

    @property
    def extra_names(self) -> frozenset[str]:
        """Names other applicators evaluate (for `unevaluatedProperties`), with no schema here."""
        return self.covered_names - set(self.properties)

    @property
    def extra_patterns(self) -> tuple[str, ...]:
        """Patterns other applicators evaluate, with no schema here."""
        return tuple(p for p in self.covered_patterns if p not in self.patterns)

    def values_for(self, name: str, *, exact: bool) -> list[Node]:
        """The subschemas a property called ``name`` must satisfy.

        A pattern Python's `re` cannot compile is taken to match when
        ``exact`` (the stricter reading) and skipped otherwise.
        """
        out: list[Node] = []
        if name in self.properties:
            out.append(self.properties[name])
        for pattern, node in self.patterns.items():
            matches = regex_search(pattern, name)
            if matches or (matches is None and exact):
                out.append(node)
        matched_pattern = False
        for pattern in self.covered_patterns:
            matches = regex_search(pattern, name)
            # Unknown: the exact reading applies `additionalProperties` too.
            if matches or (matches is None and not exact):
                matched_pattern = True
        if self.additional is not None and name not in self.covered_names and not matched_pattern:
            out.append(self.additional)
        return out


def open_model(node: Node | None) -> ObjectModel:
    """The content model of a node without object keywords: anything goes."""
    return ObjectModel(node, {}, {}, None, frozenset(), (), frozenset())


def regex_search(pattern: str, text: str) -> bool | None:
    """`re.search` as python-jsonschema uses it; None when Python cannot compile the pattern.

    Searched with a bounded engine (docs/security.md, "Patterns"): None too
    when the search runs out of its time budget.
    """
    import re

    from cdccheck.engine import patterns

    try:
        return patterns.search(pattern, text)
    except (re.error, patterns.PatternTimeout):
        return None


def universal_pattern(pattern: str) -> bool:
    """Whether ``pattern`` provably matches every string under `re.search`.

    Conservative: True only when the regex can match the empty string at the
    start of any string (the only assertions met there being ``^`` and
    ``\\A``) or at its end (``$``, ``\\Z``). `re.search` tries both positions,
    so such a pattern finds a match in every string: ``a*``, ``.*``, ``""``,
    ``^``, ``.*$``. ``^.*$`` is not universal: ``.`` stops at a newline, so
    ``"a\\nb"`` does not match. Anything the analysis does not understand
    (lookbehind, backreferences, atomic groups, possessive repeats) counts as
    not universal, and the pattern keeps being compared as written.
    """
    import re._parser as parser  # the parser `re.compile` itself uses

    try:
        re.compile(pattern)
        parsed = parser.parse(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return False
    return _empty_match(list(parsed), _AT_START) or _empty_match(list(parsed), _AT_END)


# Zero-width assertions that hold at the start / at the end of every string.
_AT_START = frozenset({"AT_BEGINNING", "AT_BEGINNING_STRING", "AT_BEGINNING_LINE"})
_AT_END = frozenset({"AT_END", "AT_END_STRING", "AT_END_LINE"})


def _empty_match(items: Sequence[Any], anchors: frozenset[str]) -> bool:
    """Every item of a sequence can match the empty string where ``anchors`` hold."""
    return all(_empty_item(op, argument, anchors) for op, argument in items)


def _empty_item(op: Any, argument: Any, anchors: frozenset[str]) -> bool:
    name = str(op)
    if name in ("MAX_REPEAT", "MIN_REPEAT"):
        low, _, body = argument
        return low == 0 or _empty_match(list(body), anchors)
    if name == "SUBPATTERN":
        return _empty_match(list(argument[-1]), anchors)
    if name == "BRANCH":
        return any(_empty_match(list(branch), anchors) for branch in argument[1])
    if name == "AT":
        return str(argument) in anchors
    if name == "ASSERT":
        direction, body = argument
        return direction == 1 and _empty_match(list(body), anchors)  # lookahead only
    # Characters, classes, negative lookarounds, backreferences, conditionals,
    # atomic groups and possessive repeats: never provably empty everywhere.
    return False


_IN_PLACE_APPLICATORS = ("$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", "if", "not")


def object_model(node: Node, *, strict: bool) -> ObjectModel:
    """Read a node's object keywords.

    ``strict`` picks the reading of `unevaluatedProperties` when other
    applicators sit beside it: the stricter one (only names covered through
    `allOf`/`$ref` count as evaluated) for the side that must accept, the
    looser one (ignore it) for the side whose instances are enumerated.
    """
    value = node.value if isinstance(node.value, dict) else {}
    properties = {
        name: node.child("properties", name)
        for name in (value.get("properties") or {})
        if isinstance(value.get("properties"), dict)
    }
    patterns = {
        pattern: node.child("patternProperties", pattern)
        for pattern in (value.get("patternProperties") or {})
        if isinstance(value.get("patternProperties"), dict)
    }
    additional: Node | None = None
    covered_names = frozenset(properties)
    covered_patterns = tuple(patterns)
    if "additionalProperties" in value:
        additional = node.child("additionalProperties")
    elif "unevaluatedProperties" in value and node.draft == DRAFT_2020_12:
        names, pats, everything = _evaluated(node, strict=strict, depth=0)
        if not everything:
            additional = node.child("unevaluatedProperties")
            covered_names |= names
            covered_patterns += pats
    required = value.get("required")
    if not isinstance(required, list):
        required = []
    return ObjectModel(
        node,
        properties,
        patterns,
        additional,
        covered_names,
        covered_patterns,
        frozenset(r for r in required if isinstance(r, str)),
    )


def _evaluated(
    node: Node, *, strict: bool, depth: int
) -> tuple[frozenset[str], tuple[str, ...], bool]:
    """Property names and patterns in-place applicators may evaluate, for unevaluatedProperties.

    Strict: only what every valid instance has evaluated (`allOf` and `$ref`).
    Loose: anything any applicator might evaluate, so that a name outside the
    result is certainly unevaluated. The flag says "may evaluate every name"
    (an applicator with its own additional/unevaluatedProperties).
    """
    names: frozenset[str] = frozenset()
    patterns: tuple[str, ...] = ()
    if depth > 16 or not isinstance(node.value, dict):
        return names, patterns, not strict
    value = node.value
    subs: list[Node] = [node.child("allOf", i) for i in range(len(value.get("allOf", ())))]
    if "$ref" in value:
        target = node.follow()
        if target is None:
            return names, patterns, not strict
        subs.append(target)
    if not strict:
        for keyword in ("anyOf", "oneOf"):
            subs += [node.child(keyword, i) for i in range(len(value.get(keyword, ())))]
        subs += [node.child(k) for k in ("if", "then", "else") if k in value]
        subs += [node.child("dependentSchemas", k) for k in value.get("dependentSchemas") or {}]
        if "$dynamicRef" in value:
            return names, patterns, True
    for sub in subs:
        if not isinstance(sub.value, dict):
            continue
        if not strict and (
            "additionalProperties" in sub.value or "unevaluatedProperties" in sub.value
        ):
            return names, patterns, True
        names |= frozenset(sub.value.get("properties") or {})
        patterns += tuple(sub.value.get("patternProperties") or {})
        deeper_names, deeper_patterns, everything = _evaluated(sub, strict=strict, depth=depth + 1)
        if everything:
            return names, patterns, True
        names |= deeper_names
        patterns += deeper_patterns
    return names, patterns, False


@dataclass
class ArrayModel:
    """What one node says about an array's items."""

    node: Node
    prefix: list[Node]
    rest: Node | None
    prefix_keyword: str
    rest_keyword: str | None

    def item(self, index: int) -> Node | None:
        return self.prefix[index] if index < len(self.prefix) else self.rest

    @property
    def max_length(self) -> int | None:
        """Longest array the item keywords allow (a `false` item stops it)."""
        for i, item in enumerate(self.prefix):
            if item.is_false:
                return i
        if self.rest is not None and self.rest.is_false:
            return len(self.prefix)
        return None


def array_model(node: Node, *, strict: bool) -> ArrayModel:
    """Read a node's item keywords, per draft (see `object_model` for ``strict``)."""
    value = node.value if isinstance(node.value, dict) else {}
    if node.draft == DRAFT_2020_12:
        prefix = [node.child("prefixItems", i) for i in range(len(value.get("prefixItems", ())))]
        if "items" in value:
            return ArrayModel(node, prefix, node.child("items"), "prefixItems", "items")
        if "unevaluatedItems" in value:
            simple = not any(k in value for k in (*_IN_PLACE_APPLICATORS, "contains"))
            if simple or strict:
                return ArrayModel(
                    node, prefix, node.child("unevaluatedItems"), "prefixItems", "unevaluatedItems"
                )
        return ArrayModel(node, prefix, None, "prefixItems", None)
    items = value.get("items")
    if isinstance(items, list):
        rest = node.child("additionalItems") if "additionalItems" in value else None
        prefix = [node.child("items", i) for i in range(len(items))]
        return ArrayModel(node, prefix, rest, "items", "additionalItems")
    if "items" in value:
        return ArrayModel(node, [], node.child("items"), "items", "items")
    if "additionalItems" in value and strict:
        # The reference ignores additionalItems without an items array. Read
        # strictly it would constrain every item; a false alarm is acceptable,
        # and the witness search then finds nothing, so the change stays "suspected".
        return ArrayModel(node, [], node.child("additionalItems"), "items", "additionalItems")
    return ArrayModel(node, [], None, "items", None)


def dependencies(node: Node) -> tuple[dict[str, list[str]], dict[str, Node]]:
    """(dependentRequired, dependentSchemas) of a node, draft-07 `dependencies` included."""
    value = node.value if isinstance(node.value, dict) else {}
    required: dict[str, list[str]] = {}
    schemas: dict[str, Node] = {}
    if node.draft == DRAFT_2020_12:
        for name, names in (value.get("dependentRequired") or {}).items():
            required[name] = list(names)
        for name in value.get("dependentSchemas") or {}:
            schemas[name] = node.child("dependentSchemas", name)
    else:
        for name, dependency in (value.get("dependencies") or {}).items():
            if isinstance(dependency, list):
                required[name] = list(dependency)
            else:
                schemas[name] = node.child("dependencies", name)
    return required, schemas


def walk_refs(document: Any) -> Iterator[str]:
    """Every `$ref` string in a document (for reading referenced files at a git ref)."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def make_doc(
    document: Any,
    *,
    role: str,
    origin: str,
    draft: str | None = None,
    validator: Validator | None = None,
    registry: Any = None,
) -> Doc:
    """A `Doc` from a loaded schema's parts, or from a bare document (internal refs only)."""
    from jsonschema.validators import validator_for
    from referencing import Resource

    if validator is None:
        cls: Any = validator_for(document, default=_validator_class(draft or DRAFT_2020_12))
        registry = registry or _registry_of(document, cls)
        validator = cls(document, registry=registry, format_checker=cls.FORMAT_CHECKER)
    cls = type(validator)
    registry = registry or _registry_of(document, cls)
    family = DRAFT_2020_12 if _is_modern(cls) else DRAFT_7
    root = Resource.from_contents(document, default_specification=_specification(family))
    resolver = registry.resolver_with_root(root)
    return Doc(role=role, origin=origin, draft=family, validator=validator, resolver=resolver)


def _registry_of(document: Any, cls: Any) -> Any:
    """A registry holding just ``document`` (its internal `$ref`s and `$id`s)."""
    from referencing import Registry, Resource

    spec = _specification(DRAFT_2020_12 if _is_modern(cls) else DRAFT_7)
    resource = Resource.from_contents(document, default_specification=spec)
    return Registry().with_resource("", resource).crawl()


def _validator_class(draft: str) -> Any:
    from jsonschema import Draft7Validator, Draft202012Validator

    return Draft202012Validator if draft == DRAFT_2020_12 else Draft7Validator


def _is_modern(cls: Any) -> bool:
    """2020-12 reads `prefixItems`/`items` and `dependent*`; older drafts the draft-07 way."""
    return "prefixItems" in cls.VALIDATORS
