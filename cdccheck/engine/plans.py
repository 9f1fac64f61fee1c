"""The plans of remembered failure shapes: what finds the findings at the points.

A remembered shape (:mod:`cdccheck.engine.remembered`) is a relaxed decoder
plus, per schema, a *plan*: at each missing, extra or loose point of the
shape, the check that gives the findings the full path would give there, in
its order. This module holds the plans, the points as a tree (``Trie``),
the relaxing of a fast-tier shape at the points (``relaxed``), and the
writer that turns a plan into one Python function per Struct type.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin

import msgspec

from cdccheck.engine.compiled import flatten
from cdccheck.engine.decoders import written
from cdccheck.engine.shapes import ITEMS, Anything, Array, Object, Shape, Tagged
from cdccheck.engine.warnings import SAFE_INTEGER
from cdccheck.model import (
    ABSENT,
    LEGACY,
    MISSING_REQUIRED,
    NEW,
    PATTERN_TIMEOUT,
    UNKNOWN_FIELD,
    Finding,
    distinct,
    json_pointer,
)

if TYPE_CHECKING:
    from cdccheck.engine.remembered import RememberedShapes

LOOSE = "loose"
MISSING = "missing"
EXTRA = "extra"

Point = tuple[str, tuple[str, ...]]
"""(LOOSE, MISSING or EXTRA, path): property names from the root, ITEMS for array items.

An EXTRA point's path is an object's: it may hold properties neither schema declares."""
Signature = frozenset[Point]
"""The points of one failure shape: the key it is remembered by."""
Paths = Signature
"""Kept for one release (the old name, re-exported by cdccheck.fastpath)."""

LinkedPath = tuple[Any, Any] | None
"""A path as cdccheck.engine.compiled passes it: (parent, key), None at the root."""

_PLAIN_DEPTH = 64
_SCALARS = frozenset({str, int, float, bool, type(None)})
_KEPT = 512
"""Findings kept for missing properties per object plan; all forgotten when it is full."""
_FOUND: dict[tuple[Any, Any, type, Any], list[Finding]] = {}
"""Findings of a loose point's check by (check, path, type, value), for every plan:
one bounded table, so a memory full of shapes stays small."""
_FOUND_LIMIT = 4096


class NotPlain(Exception):
    """A loose value the strict decoder would warn about: the full path decides."""


# ---------------------------------------------------------------- plans


class Plan:
    """Finds one schema's findings at the points under one position of a decoded event."""

    def run(self, value: Any, path: LinkedPath, out: list[Finding], memo: RememberedShapes) -> None:
        raise NotImplementedError


@dataclass
class ValuePlan(Plan):
    """A loose point the schema declares: its compiled schema decides.

    Two shortcuts, both exact. Drift repeats its values (``null`` for
    awards, ``true`` for a score), so the findings for a scalar at a path
    are kept: the compiled checks are pure functions of value and path. And
    a loose point is often valid under one of the schemas (a Go timestamp
    under the new one): msgspec checks the value against that schema's own
    fast-tier type first (``msgspec.convert``, which accepts only what the
    reference accepts), and only a value it refuses is explained.
    """

    check: Any
    proven: Callable[[Any], bool] | None = None
    """Whether a value fits this schema's fast-tier shape here (DecoderBuilder.accepts)."""
    _credit: int = 8
    """Tries of ``proven`` left: a type that keeps refusing is soon not asked."""
    _idle: int = 0

    def bound(self, memo: RememberedShapes) -> Callable[[Any, LinkedPath, list[Finding]], None]:
        """``run`` with the memory given: what written-out plans call."""

        def run(value: Any, path: LinkedPath, out: list[Finding]) -> None:
            self.run(value, path, out, memo)

        return run

    def run(self, value: Any, path: LinkedPath, out: list[Finding], memo: RememberedShapes) -> None:
        kind = type(value)
        scalar = kind in _SCALARS and not (kind is float and value == 0)  # 0.0 == -0.0
        if scalar:
            key = (self.check, path, kind, value)
            found = _FOUND.get(key)
            if found is not None:
                out.extend(found)
                return
        if self.proven is not None and self._proves(value):
            # Valid under this schema's fast type: no finding, no warning either
            # (the type bounds integers and refuses floats where integers are due).
            if scalar:
                self._keep(key, [])
            return
        if not memo.plain(value, 0):
            raise NotPlain
        if not scalar:
            self.check(value, path, out)
            return
        found = []
        self.check(value, path, found)
        self._keep(key, found)
        out.extend(found)

    def _proves(self, value: Any) -> bool:
        if self.proven is None:
            return False
        if self._credit <= 0:
            self._idle += 1
            if self._idle < 256:
                return False
            self._idle, self._credit = 0, 1  # try again now and then: the stream may change
        try:
            fits = self.proven(value)
        except TypeError:  # a type msgspec cannot convert to after all
            fits = False
        if not fits:
            self._credit -= 1
            return False
        self._credit = min(self._credit + 2, 64)
        return True

    @staticmethod
    def _keep(key: tuple[Any, Any, type, Any], found: list[Finding]) -> None:
        if any(finding.kind == PATTERN_TIMEOUT for finding in found):
            return  # a budget ran out this time: the next value is evaluated again
        if len(_FOUND) >= _FOUND_LIMIT:
            _FOUND.clear()
        _FOUND[key] = found


@dataclass
class ArrayPlan(Plan):
    item: Plan

    def run(self, value: Any, path: LinkedPath, out: list[Finding], memo: RememberedShapes) -> None:
        item = self.item
        for index, each in enumerate(value):
            item.run(each, (path, index), out, memo)


Bound = tuple[tuple[tuple[str, str | None], ...], ...]
"""An object plan's four groups with each property's attribute in one Struct type
(None: the Struct has no such attribute, the property is never there)."""


@dataclass
class ObjectPlan(Plan):
    """The points of one object (one variant of a tagged one), in the reference's order."""

    unknown: tuple[str, ...] = ()
    """Loose properties the schema does not declare (additionalProperties: false)."""
    branch_missing: tuple[str, ...] = ()
    """Missing points an allOf branch requires (allOf comes before properties)."""
    children: tuple[tuple[str, Plan], ...] = ()
    """Declared properties with points at or under them, in declaration order."""
    missing: tuple[str, ...] = ()
    """Missing points the ``required`` keyword requires, in its order."""
    extra: bool = False
    """An extra point: properties are read from the payload's object (see Writer.object)."""
    declared: frozenset[str] = frozenset()
    """What the schema declares here; for an extra point, any other property is unknown."""
    order: tuple[str, ...] = ()
    """The declared properties in declaration order (for an extra point)."""
    by_payload: dict[str, Plan] = field(default_factory=dict)
    """For an extra point: the schema's check of each declared property, for those the
    decoder's Struct leaves out (declared by this schema only)."""
    _bound: dict[type, Bound] = field(default_factory=dict)
    _absent: dict[tuple[LinkedPath, str], Finding] = field(default_factory=dict)
    """Findings for missing properties by path: they never change."""

    def run(self, value: Any, path: LinkedPath, out: list[Finding], memo: RememberedShapes) -> None:
        bound = self._bound.get(type(value))
        if bound is None:
            bound = self._bind(type(value), memo)
        unknown, branch_missing, children, missing = bound
        unset = msgspec.UNSET
        for name, attribute in unknown:
            found = getattr(value, attribute, unset) if attribute else unset
            if found is not unset:
                if not memo.plain(found, 0):
                    raise NotPlain
                out.append(
                    Finding(
                        UNKNOWN_FIELD,
                        json_pointer(flatten((path, name))),
                        f"additional property {name!r} is not allowed",
                        found,
                    )
                )
        for name, attribute in branch_missing:
            if attribute is None or getattr(value, attribute) is unset:
                out.append(self.missing_finding(path, name))
        for (name, attribute), (_, plan) in zip(children, self.children, strict=True):
            found = getattr(value, attribute, unset) if attribute else unset
            if found is not unset:
                plan.run(found, (path, name), out, memo)
        for name, attribute in missing:
            if attribute is None or getattr(value, attribute) is unset:
                out.append(self.missing_finding(path, name))

    def missing_finding(self, path: LinkedPath, name: str) -> Finding:
        """The finding for property ``name`` missing from the object at ``path``."""
        key = (path, name)
        finding = self._absent.get(key)
        if finding is None:
            if len(self._absent) >= _KEPT:
                self._absent.clear()
            finding = self._absent[key] = Finding(
                MISSING_REQUIRED,
                json_pointer(flatten(key)),
                f"{name!r} is a required property",
                ABSENT,
            )
        return finding

    def _bind(self, kind: type, memo: RememberedShapes) -> Bound:
        attributes = memo.attributes.get(kind)
        if attributes is None:
            raise NotPlain  # not a Struct of this tier's decoders: never happens
        bound = tuple(
            tuple((name, attributes.get(name)) for name in names)
            for names in (
                self.unknown,
                self.branch_missing,
                tuple(name for name, _ in self.children),
                self.missing,
            )
        )
        self._bound[kind] = bound
        return bound


@dataclass
class TaggedPlan(Plan):
    variants: dict[str, ObjectPlan]

    def run(self, value: Any, path: LinkedPath, out: list[Finding], memo: RememberedShapes) -> None:
        plan = self.variants.get(memo.tags.get(type(value), ""))
        if plan is None:
            raise NotPlain  # a variant without a plan: never happens
        plan.run(value, path, out, memo)


# ---------------------------------------------------------------- the points as a tree


@dataclass
class Trie:
    """The points under one position: children by property name (ITEMS for items)."""

    loose: bool = False
    missing: bool = False
    extra: bool = False
    children: dict[str, Trie] = field(default_factory=dict)

    @classmethod
    def of(cls, points: Signature) -> Trie:
        root = cls()
        for kind, path in points:
            node = root
            for part in path:
                node = node.children.setdefault(part, cls())
            if kind == LOOSE:
                node.loose = True
            elif kind == EXTRA:
                node.extra = True
            else:
                node.missing = True
        return root


def relax(shape: Shape, trie: Trie) -> Shape | None:
    """``shape`` with its missing points optional and its loose points Anything."""
    if trie.loose:
        return Anything()
    if not trie.children and not trie.extra:
        return shape
    if isinstance(shape, Tagged):
        variants = []
        for tag, variant in shape.variants:
            relaxed = relax(variant, trie)
            if not isinstance(relaxed, Object):
                return None
            variants.append((tag, relaxed))
        return Tagged(shape.tag_field, tuple(variants))
    if isinstance(shape, Object):
        fields: list[tuple[str, Shape, bool]] = []
        for name, member, required in shape.fields:
            child = trie.children.get(name)
            if child is None:
                fields.append((name, member, required))
                continue
            relaxed = relax(member, child)
            if relaxed is None:
                return None
            fields.append((name, relaxed, required and not child.missing))
        declared = {name for name, _, _ in shape.fields}
        for name, child in trie.children.items():
            if name not in declared and child.loose:
                fields.append((name, Anything(), False))
        return Object(tuple(fields), open=trie.extra)
    if isinstance(shape, Array) and set(trie.children) == {ITEMS}:
        item = relax(shape.item, trie.children[ITEMS])
        return None if item is None else Array(item, shape.min_items, shape.max_items)
    return None


def fields_of(shape: Shape) -> dict[str, tuple[Shape, Object]] | None:
    """Declared properties of an object shape (every variant of a tagged one) -> (shape, owner)."""
    if isinstance(shape, Object):
        return {name: (member, shape) for name, member, _ in shape.fields}
    if isinstance(shape, Tagged) and shape.variants:
        # Variants differ in what they require, not in what they declare.
        first = shape.variants[0][1]
        return {name: (member, first) for name, member, _ in first.fields}
    return None


# ---------------------------------------------------------------- plans written out

Program = Callable[[Any, Any], tuple[list[Finding], list[Finding]]]
"""(decoded event, the payload's plain value) -> its (legacy, new) findings;
raises NotPlain for the full path."""


def _never(event: Any, root: Any) -> tuple[list[Finding], list[Finding]]:
    raise NotPlain


Explained = tuple[Any, tuple[list[Finding], list[Finding]], int, Any]
"""What a remembered failure shape says about one payload: (the payload decoded by
the shape's decoder, exactly the full path's (legacy, new) findings, how many object
keys the payload holds (for the duplicate-key proof), what to encode again for the
MessagePack duplicate-key proof: the plain value when the Struct skipped properties,
else the event). A plain tuple: one is made for most drifting events."""


class Writer:
    """Writes both schemas' plans out as one Python function for one Struct type.

    The plans above walk any event, looking up attributes, variants and
    paths as they go; an event of a given Struct type always takes the same
    walk, so it is written out once, as namedtuple writes its classes: every
    attribute is one the DecoderBuilder named (``f0``, ``f1``...) and every
    value from a schema or a payload (property names, paths, findings) is
    passed in the function's globals, never spelled in its source. Where the
    type of a value is not known before decoding (a union), the written
    function hands that value to its plan.
    """

    def __init__(self, memo: RememberedShapes) -> None:
        self.memo = memo
        self.lines: list[str] = []
        self.scope: dict[str, Any] = {"UNSET": msgspec.UNSET, "distinct": distinct, "at": _at}
        self.names = 0

    def program(self, plans: dict[str, Plan], kind: type) -> Program:
        """``program(event, root)``: ``root`` is the payload's plain value (for extra points)."""
        self.lines = ["def program(event, root):"]
        try:
            for role in (LEGACY, NEW):
                self.lines.append(f"    out_{role} = []")
                self.node(plans[role], kind, "event", None, "None", 1, f"out_{role}")
        except _Unwritable:
            return _never
        self.lines.append(f"    return distinct(out_{LEGACY}), distinct(out_{NEW})")
        program: Program = written("\n".join(self.lines), self.scope, "program")
        return program

    def constant(self, value: Any) -> str:
        name = f"k{self.names}"
        self.names += 1
        self.scope[name] = value
        return name

    def variable(self) -> str:
        self.names += 1
        return f"v{self.names}"

    def line(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def node(
        self, plan: Plan, kind: Any, var: str, path: Any, path_code: str, indent: int, out: str
    ) -> None:
        """Code for ``plan`` on the value in ``var`` of static type ``kind`` (None: unknown).

        ``path`` is the value's path when it is the same for every event
        (no array above it), else ``...``, and ``path_code`` the expression
        that gives it.
        """
        if isinstance(plan, TaggedPlan) and kind in self.memo.tags:
            plan = plan.variants[self.memo.tags[kind]]
        if isinstance(plan, ObjectPlan) and kind in self.memo.attributes:
            self.object(plan, kind, var, path, path_code, indent, out)
        elif isinstance(plan, ObjectPlan | TaggedPlan) and _has_extra(plan):
            raise _Unwritable(path_code)
        elif isinstance(plan, ArrayPlan) and isinstance(kind, tuple):
            index, item = self.variable(), self.variable()
            self.line(indent, f"for {index}, {item} in enumerate({var}):")
            self.line(indent + 1, "pass")
            self.node(plan.item, kind[1], item, ..., f"({path_code}, {index})", indent + 1, out)
        elif isinstance(plan, ValuePlan):
            self.line(indent, f"{self.constant(plan.bound(self.memo))}({var}, {path_code}, {out})")
        else:
            run = self.constant(plan.run)
            self.line(indent, f"{run}({var}, {path_code}, {out}, {self.constant(self.memo)})")

    def object(
        self, plan: ObjectPlan, kind: type, var: str, path: Any, path_code: str, indent: int,
        out: str,
    ) -> None:  # fmt: skip
        attributes = self.memo.attributes[kind]
        members = self.memo.builder.member_types.get(kind, {})

        def child(name: str) -> tuple[Any, str]:
            if path is ...:
                return ..., f"({path_code}, {self.constant(name)})"
            return (path, name), self.constant((path, name))

        plain = None  # the object as the payload has it, for an extra point
        if plan.extra:
            plain = self.variable()
            self.line(indent, f"{plain} = at(root, {path_code})")
            key, found = self.variable(), self.variable()
            declared, report = self.constant(plan.declared), self.constant(_report_unknown)
            self.line(indent, f"for {key}, {found} in {plain}.items():")
            self.line(
                indent + 1,
                f"if {key} not in {declared}: {report}({found}, ({path_code}, {key}), {out})",
            )
        else:
            for name in plan.unknown:
                attribute = attributes.get(name)
                if attribute is None:
                    continue  # the decoder refuses the property: never there
                found = self.variable()
                where = child(name)[1]
                self.line(indent, f"{found} = {var}.{attribute}")
                self.line(
                    indent,
                    f"if {found} is not UNSET: {self.constant(_report_unknown)}"
                    f"({found}, {where}, {out})",
                )
        for name in plan.branch_missing:
            self.missing(plan, attributes.get(name), name, var, plain, path, path_code, indent, out)
        children = dict(plan.children)
        for name in plan.order if plan.extra else tuple(children):
            attribute = attributes.get(name)
            sub = children.get(name)
            sub_path, sub_code = child(name)
            found = self.variable()
            if attribute is not None:
                if sub is None:
                    continue  # checked by the decoder
                self.line(indent, f"{found} = {var}.{attribute}")
                static = _static(members.get(name))
            elif plain is not None:
                # Left out of the Struct: the payload's value, checked by the schema.
                sub = sub or plan.by_payload.get(name)
                if not isinstance(sub, ValuePlan):
                    raise _Unwritable(name)
                self.line(indent, f"{found} = {plain}.get({self.constant(name)}, UNSET)")
                static = None
            else:
                continue  # the decoder refuses the property: never there
            self.line(indent, f"if {found} is not UNSET:")
            self.line(indent + 1, "pass")
            self.node(sub, static, found, sub_path, sub_code, indent + 1, out)
        for name in plan.missing:
            self.missing(plan, attributes.get(name), name, var, plain, path, path_code, indent, out)

    def missing(
        self, plan: ObjectPlan, attribute: str | None, name: str, var: str, plain: str | None,
        path: Any, path_code: str, indent: int, out: str,
    ) -> None:  # fmt: skip
        """Code for a missing point: ``path`` is the object's, as in ``node``."""
        if path is ...:
            make = self.constant(plan.missing_finding)
            finding = f"{make}({path_code}, {self.constant(name)})"
        else:
            finding = self.constant(plan.missing_finding(path, name))
        if attribute is not None:
            self.line(indent, f"if {var}.{attribute} is UNSET: {out}.append({finding})")
        elif plain is not None:
            self.line(indent, f"if {self.constant(name)} not in {plain}: {out}.append({finding})")
        else:
            self.line(indent, f"{out}.append({finding})")


def _has_extra(plan: Plan) -> bool:
    if isinstance(plan, TaggedPlan):
        return any(map(_has_extra, plan.variants.values()))
    if isinstance(plan, ArrayPlan):
        return _has_extra(plan.item)
    if isinstance(plan, ObjectPlan):
        return plan.extra or any(_has_extra(sub) for _, sub in plan.children)
    return False


class _Unwritable(Exception):
    """A plan the writer cannot write out: its shape is explained the full way."""


def _at(root: Any, path: LinkedPath) -> Any:
    """The value at ``path`` in the payload's plain value."""
    for part in flatten(path):
        root = root[part]
    return root


def _static(kind: Any) -> Any:
    """A msgspec type as the writer follows it: a Struct type, ("list", item), or None."""
    while get_origin(kind) is Annotated:
        kind = get_args(kind)[0]
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return kind
    if get_origin(kind) is list:
        return ("list", _static(get_args(kind)[0]))
    return None


def is_plain(value: Any, depth: int) -> bool:
    """Whether the strict decoder would take ``value`` as it is, with no warning.

    Anything else goes to the full path: an integer beyond 2**53, an
    integral float, a string holding U+FFFD or NUL, and what only
    MessagePack carries (a non-finite float, a non-string key, bytes, a
    timestamp or another extension).
    """
    kind = type(value)
    if kind is str:
        return "\ufffd" not in value and "\x00" not in value
    if kind is bool or value is None:
        return True
    if kind is int:
        return -SAFE_INTEGER <= value <= SAFE_INTEGER
    if kind is float:
        return math.isfinite(value) and not value.is_integer()
    if depth >= _PLAIN_DEPTH:
        return False
    if kind is list:
        return all(is_plain(item, depth + 1) for item in value)
    if kind is dict:
        return all(
            type(key) is str and is_plain(key, depth) and is_plain(item, depth + 1)
            for key, item in value.items()
        )
    return False


def count_keys(value: Any) -> int:
    """How many object keys a plain value holds."""
    kind = type(value)
    if kind is dict:
        return len(value) + sum(map(count_keys, value.values()))
    if kind is list:
        return sum(map(count_keys, value))
    return 0


def _report_unknown(value: Any, path: tuple[Any, Any], out: list[Finding]) -> None:
    """The finding for an unknown property ``path[1]`` (additionalProperties: false)."""
    if not is_plain(value, 0):
        raise NotPlain
    name = path[1]
    message = f"additional property {name!r} is not allowed"
    out.append(Finding(UNKNOWN_FIELD, json_pointer(flatten(path)), message, value))
