"""Remembered failure shapes: systematic drift explained without the full path.

The fast tier (:mod:`cdccheck.engine.fastpath`) owns one ``RememberedShapes``;
it feeds it what the full path found and asks it about payloads its own
decoders refuse.

A systematic drift fails the same way event after event: the Go service
leaves ``score`` out, writes ``null`` for an empty ``awards`` slice, adds a
field the legacy schema does not know, writes timestamps the legacy
``pattern`` refuses. The full path explains the first such events; their
findings name the *points* where they leave the schemas:

* a **missing** point: a required property that may be absent
  (``missing_required``);
* an **extra** point: an object that may hold properties neither schema
  declares (``unknown_field``, whatever the property's name);
* a **loose** point: a value the schemas do not accept as it is, or a
  property only one schema declares (every other kind).

Both schemas' shapes are then relaxed at those points: a missing property
becomes optional, an object with an extra point open (msgspec skips what it
does not declare), a loose value ``Anything`` (any JSON value, decoded as a
plain Python value); the two relaxed shapes are intersected and compiled to
ONE msgspec decoder, as for healthy events. A later payload this decoder
accepts is valid everywhere else under both schemas (the decoder is as
conservative as any other), so its findings are exactly those at the
points, and a small *plan* per schema finds them:

* at a missing point, a finding when the property is absent and the schema
  requires it there;
* at an extra point, the object as the payload has it: an ``unknown_field``
  finding for each property the schema does not declare, in key order, and
  the schema's own check of those it declares that the decoder skipped;
* at a loose point the schema declares, the compiled schema of that very
  property (:mod:`cdccheck.engine.compiled`) runs on the value, unless the
  value fits the schema's fast-tier type there (then it has no finding);
* at a loose point the schema does not declare, an ``unknown_field``
  finding when the property is present.

The plan visits the points in the order the compiled schemas would report
them (per object: additionalProperties, allOf, properties in declaration
order, required in its order; array items in index order), so the findings
are the full path's, in its order; it is written out as one Python function
per Struct type (``_Writer``). A loose or unknown value the strict decoder
would warn about (a big integer, an integral float, U+FFFD or NUL, what only
MessagePack carries) is left to the full path. Array indices generalise: a
point under ``/comment/awards/3`` is a point under every item.

Which decoders to try: the decoder for both schemas names the first place
a payload failed; only remembered shapes with a point at or above that place
can accept it, narrowest first. Any remembered decoder that accepts a
payload explains it exactly, whichever it is. A failure shape is remembered
the third time it is seen, so a long tail of rare shapes costs no decoder
builds; the memory is bounded (``LIMIT`` shapes, ``TYPES`` for its builder).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin

import msgspec

from cdccheck.engine import patterns
from cdccheck.engine.shapes import (
    ITEMS,
    Anything,
    Array,
    DecoderBuilder,
    Object,
    PatternMismatch,
    Shape,
    Tagged,
    Unsupported,
    written,
)
from cdccheck.engine.warnings import SAFE_INTEGER
from cdccheck.model import (
    ABSENT,
    LEGACY,
    MISSING_REQUIRED,
    NEW,
    PATTERN_TIMEOUT,
    UNKNOWN_FIELD,
    Finding,
    json_pointer,
)

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

_REFUSED = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
# msgspec's error names the first field that failed: "... - at `$.comment.score`".
_REFUSED_AT = re.compile(r" - at `\$([^`]*)`$")
_FIELD_NAMED = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]*)`")
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_PLAIN_DEPTH = 64
_SCALARS = frozenset({str, int, float, bool, type(None)})
_KEPT = 512
"""Findings kept for missing properties per object plan; all forgotten when it is full."""
_FOUND: dict[tuple[Any, Any, type, Any], list[Finding]] = {}
"""Findings of a loose point's check by (check, path, type, value), for every plan:
one bounded table, so a memory full of shapes stays small."""
_FOUND_LIMIT = 4096


class _NotPlain(Exception):
    """A loose value the strict decoder would warn about: the full path decides."""


# ---------------------------------------------------------------- plans


class _Plan:
    """Finds one schema's findings at the points under one position of a decoded event."""

    def run(self, value: Any, path: LinkedPath, out: list[Finding], memo: RememberedShapes) -> None:
        raise NotImplementedError


@dataclass
class _ValuePlan(_Plan):
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
            raise _NotPlain
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
class _ArrayPlan(_Plan):
    item: _Plan

    def run(self, value: Any, path: LinkedPath, out: list[Finding], memo: RememberedShapes) -> None:
        item = self.item
        for index, each in enumerate(value):
            item.run(each, (path, index), out, memo)


Bound = tuple[tuple[tuple[str, str | None], ...], ...]
"""An object plan's four groups with each property's attribute in one Struct type
(None: the Struct has no such attribute, the property is never there)."""


@dataclass
class _ObjectPlan(_Plan):
    """The points of one object (one variant of a tagged one), in the reference's order."""

    unknown: tuple[str, ...] = ()
    """Loose properties the schema does not declare (additionalProperties: false)."""
    branch_missing: tuple[str, ...] = ()
    """Missing points an allOf branch requires (allOf comes before properties)."""
    children: tuple[tuple[str, _Plan], ...] = ()
    """Declared properties with points at or under them, in declaration order."""
    missing: tuple[str, ...] = ()
    """Missing points the ``required`` keyword requires, in its order."""
    extra: bool = False
    """An extra point: properties are read from the payload's object (see _Writer.object)."""
    declared: frozenset[str] = frozenset()
    """What the schema declares here; for an extra point, any other property is unknown."""
    order: tuple[str, ...] = ()
    """The declared properties in declaration order (for an extra point)."""
    by_payload: dict[str, _Plan] = field(default_factory=dict)
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
                    raise _NotPlain
                out.append(
                    Finding(
                        UNKNOWN_FIELD,
                        json_pointer(_flatten((path, name))),
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
                json_pointer(_flatten(key)),
                f"{name!r} is a required property",
                ABSENT,
            )
        return finding

    def _bind(self, kind: type, memo: RememberedShapes) -> Bound:
        attributes = memo.attributes.get(kind)
        if attributes is None:
            raise _NotPlain  # not a Struct of this tier's decoders: never happens
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
class _TaggedPlan(_Plan):
    variants: dict[str, _ObjectPlan]

    def run(self, value: Any, path: LinkedPath, out: list[Finding], memo: RememberedShapes) -> None:
        plan = self.variants.get(memo.tags.get(type(value), ""))
        if plan is None:
            raise _NotPlain  # a variant without a plan: never happens
        plan.run(value, path, out, memo)


def _flatten(path: LinkedPath) -> tuple[Any, ...]:
    parts = []
    while path is not None:
        path, key = path
        parts.append(key)
    parts.reverse()
    return tuple(parts)


# ---------------------------------------------------------------- the points as a tree


@dataclass
class _Trie:
    """The points under one position: children by property name (ITEMS for items)."""

    loose: bool = False
    missing: bool = False
    extra: bool = False
    children: dict[str, _Trie] = field(default_factory=dict)

    @classmethod
    def of(cls, points: Signature) -> _Trie:
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


def _relaxed(shape: Shape, trie: _Trie) -> Shape | None:
    """``shape`` with its missing points optional and its loose points Anything."""
    if trie.loose:
        return Anything()
    if not trie.children and not trie.extra:
        return shape
    if isinstance(shape, Tagged):
        variants = []
        for tag, variant in shape.variants:
            relaxed = _relaxed(variant, trie)
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
            relaxed = _relaxed(member, child)
            if relaxed is None:
                return None
            fields.append((name, relaxed, required and not child.missing))
        declared = {name for name, _, _ in shape.fields}
        for name, child in trie.children.items():
            if name not in declared and child.loose:
                fields.append((name, Anything(), False))
        return Object(tuple(fields), open=trie.extra)
    if isinstance(shape, Array) and set(trie.children) == {ITEMS}:
        item = _relaxed(shape.item, trie.children[ITEMS])
        return None if item is None else Array(item, shape.min_items, shape.max_items)
    return None


def _fields_of(shape: Shape) -> dict[str, tuple[Shape, Object]] | None:
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
raises _NotPlain for the full path."""


def _never(event: Any, root: Any) -> tuple[list[Finding], list[Finding]]:
    raise _NotPlain


Explained = tuple[Any, tuple[list[Finding], list[Finding]], int, Any]
"""What a remembered failure shape says about one payload: (the payload decoded by
the shape's decoder, exactly the full path's (legacy, new) findings, how many object
keys the payload holds (for the duplicate-key proof), what to encode again for the
MessagePack duplicate-key proof: the plain value when the Struct skipped properties,
else the event). A plain tuple: one is made for most drifting events."""


class _Writer:
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
        self.scope: dict[str, Any] = {"UNSET": msgspec.UNSET, "distinct": _distinct, "at": _at}
        self.names = 0

    def program(self, plans: dict[str, _Plan], kind: type) -> Program:
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
        self, plan: _Plan, kind: Any, var: str, path: Any, path_code: str, indent: int, out: str
    ) -> None:
        """Code for ``plan`` on the value in ``var`` of static type ``kind`` (None: unknown).

        ``path`` is the value's path when it is the same for every event
        (no array above it), else ``...``, and ``path_code`` the expression
        that gives it.
        """
        if isinstance(plan, _TaggedPlan) and kind in self.memo.tags:
            plan = plan.variants[self.memo.tags[kind]]
        if isinstance(plan, _ObjectPlan) and kind in self.memo.attributes:
            self.object(plan, kind, var, path, path_code, indent, out)
        elif isinstance(plan, _ObjectPlan | _TaggedPlan) and _has_extra(plan):
            raise _Unwritable(path_code)
        elif isinstance(plan, _ArrayPlan) and isinstance(kind, tuple):
            index, item = self.variable(), self.variable()
            self.line(indent, f"for {index}, {item} in enumerate({var}):")
            self.line(indent + 1, "pass")
            self.node(plan.item, kind[1], item, ..., f"({path_code}, {index})", indent + 1, out)
        elif isinstance(plan, _ValuePlan):
            self.line(indent, f"{self.constant(plan.bound(self.memo))}({var}, {path_code}, {out})")
        else:
            run = self.constant(plan.run)
            self.line(indent, f"{run}({var}, {path_code}, {out}, {self.constant(self.memo)})")

    def object(
        self, plan: _ObjectPlan, kind: type, var: str, path: Any, path_code: str, indent: int,
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
                if not isinstance(sub, _ValuePlan):
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
        self, plan: _ObjectPlan, attribute: str | None, name: str, var: str, plain: str | None,
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


def _has_extra(plan: _Plan) -> bool:
    if isinstance(plan, _TaggedPlan):
        return any(map(_has_extra, plan.variants.values()))
    if isinstance(plan, _ArrayPlan):
        return _has_extra(plan.item)
    if isinstance(plan, _ObjectPlan):
        return plan.extra or any(_has_extra(sub) for _, sub in plan.children)
    return False


class _Unwritable(Exception):
    """A plan the writer cannot write out: its shape is explained the full way."""


def _at(root: Any, path: LinkedPath) -> Any:
    """The value at ``path`` in the payload's plain value."""
    for part in _flatten(path):
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


def _plain(value: Any, depth: int) -> bool:
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
        return all(_plain(item, depth + 1) for item in value)
    if kind is dict:
        return all(
            type(key) is str and _plain(key, depth) and _plain(item, depth + 1)
            for key, item in value.items()
        )
    return False


def _keys(value: Any) -> int:
    """How many object keys a plain value holds."""
    kind = type(value)
    if kind is dict:
        return len(value) + sum(map(_keys, value.values()))
    if kind is list:
        return sum(map(_keys, value))
    return 0


def _report_unknown(value: Any, path: tuple[Any, Any], out: list[Finding]) -> None:
    """The finding for an unknown property ``path[1]`` (additionalProperties: false)."""
    if not _plain(value, 0):
        raise _NotPlain
    name = path[1]
    message = f"additional property {name!r} is not allowed"
    out.append(Finding(UNKNOWN_FIELD, json_pointer(_flatten(path)), message, value))


# ---------------------------------------------------------------- the memory


@dataclass
class _Remembered:
    decoder: msgspec.json.Decoder[Any] | None
    plans: dict[str, _Plan]
    msgpack: msgspec.msgpack.Decoder[Any] | None = None
    """The decoder's type read from MessagePack, made when first needed."""
    programs: dict[type, Program] = field(default_factory=dict)
    """The plans written out as one function per Struct type of the decoded event."""
    extra: bool = False
    """Some point is extra: the plans read the payload's plain value, which also
    gives the key count (the Struct skipped what it does not declare)."""

    def read_msgpack(self) -> msgspec.msgpack.Decoder[Any]:
        assert self.decoder is not None
        self.msgpack = msgspec.msgpack.Decoder(self.decoder.type)
        return self.msgpack


class RememberedShapes:
    """Remembered failure shapes, each with ONE decoder that explains both schemas."""

    LIMIT = 96
    """Failure shapes remembered; the least recently used is forgotten first."""
    TRIES = 6
    """Remembered decoders tried on one payload before the full path takes it."""
    SIGHTINGS = 4096
    """Failure shapes seen too few times yet that are kept to be recognised again."""
    REMEMBER_AFTER = 3
    """Sightings of a failure shape before a decoder is built for it: one build costs
    about as much as explaining ten events the full way, and a long tail of shapes
    seen once or twice (unknown fields with ever new names) would never repay it."""

    TYPES = 2_000
    """Shapes the decoders' builder may hold types for before the memory starts afresh
    (a few per remembered shape: a few hundred shapes, some megabytes)."""

    def __init__(self, shapes: dict[str, Shape], op_field: str, compiled: dict[str, Any]) -> None:
        self._shapes = shapes
        self._op_field = op_field
        self._compiled = compiled
        self._start()

    def _start(self) -> None:
        """An empty memory, with a builder of its own: what it builds, it can drop at once."""
        self.builder = builder = DecoderBuilder(self._op_field)
        self.attributes = builder.attributes
        self.tags = builder.tags
        self._known: dict[Signature, _Remembered] = {}
        self._seen: dict[Seen, int] = {}
        """Findings (kinds and paths, unknown properties without their names) -> how often."""
        self._settled: dict[Seen, Signature | None] = {}
        """Findings seen often enough -> their failure shape (None: none can be relaxed)."""
        self._by_point: dict[tuple[str, ...], list[Signature]] = {}
        """A point's path (the missing property's, for a missing point) -> shapes with it."""

    # ------------------------------------------------------------ asking

    def explain(
        self, payload: bytes, where: tuple[str, ...], *, msgpack: bool = False
    ) -> Explained | None:
        """What a remembered shape says about ``payload``, None when none explains it.

        ``where`` is the place the decoder for both schemas refused the
        payload (``refusal_path``). Only shapes with a point at or above that
        place can accept the payload, so only those are tried: the nearest
        points first, then the narrowest shapes, then the most recently used
        (see ``_place``); an extra point at the root is above every place. A
        shape whose point lies above that place (a loose ``awards``
        explaining an award without its ``count``) explains exactly but
        slowly, so the findings' own shape is learned from it, as from the
        full path.
        """
        if not where or not self._known:
            return None
        tries = self.TRIES
        screen_for = self.builder.screen_for
        for end in range(len(where), -1, -1):
            candidates = self._by_point.get(where[:end])
            if not candidates:
                continue
            for signature in reversed(candidates):
                remembered = self._known.get(signature)
                if remembered is None or remembered.decoder is None:
                    continue
                decoder: msgspec.json.Decoder[Any] | msgspec.msgpack.Decoder[Any]
                decoder = remembered.decoder
                if msgpack:
                    decoder = remembered.msgpack or remembered.read_msgpack()
                tries -= 1
                try:
                    event = decoder.decode(payload)
                    keys = screen_for(remembered.decoder.type)(event)
                except (*_REFUSED, PatternMismatch):
                    if tries <= 0:
                        return None
                    continue
                except patterns.PatternTimeout:
                    return None  # the full path reports it, under the schema concerned
                if candidates[-1] is not signature:
                    self._used(signature, candidates)
                plain = None
                if remembered.extra:
                    # The Struct skipped what no schema declares: the plain value has it all.
                    plain = (msgspec.msgpack.decode if msgpack else msgspec.json.decode)(payload)
                    keys = _keys(plain)
                findings = self._findings(remembered, event, plain)
                if findings is None:
                    return None
                if end < len(where) and (EXTRA, where[:end]) not in signature:
                    self.learn(findings[0], findings[1])
                return event, findings, keys, event if plain is None else plain
        return None

    def _findings(
        self, remembered: _Remembered, event: Any, plain: Any
    ) -> tuple[list[Finding], list[Finding]] | None:
        """(legacy, new) findings from the shape's program for the event's Struct type."""
        kind = type(event)
        program = remembered.programs.get(kind)
        if program is None:
            program = remembered.programs[kind] = _Writer(self).program(remembered.plans, kind)
        try:
            return program(event, plain)
        except (_NotPlain, patterns.PatternTimeout):
            # A pattern beyond its budget: the full path reports it, under its schema.
            return None

    def _used(self, signature: Signature, candidates: list[Signature]) -> None:
        self._known[signature] = self._known.pop(signature)  # recently used: forgotten last
        candidates.remove(signature)
        _place(candidates, signature)

    @staticmethod
    def plain(value: Any, depth: int) -> bool:
        """Whether the strict decoder would take ``value`` as it is, with no warning (_plain)."""
        return _plain(value, depth)

    # ------------------------------------------------------------ learning

    def learn(self, legacy: list[Finding], new: list[Finding]) -> None:
        """What the full path found: remember the failure shape once seen REMEMBER_AFTER times.

        Sightings are counted by the findings' kinds and paths (array
        indices as ``*``), which is cheap; the shape's points are worked out
        once, at the last sighting, and kept for these findings, so a shape
        that cannot be relaxed (a finding at the root or at the tag property)
        is not worked out again for every event that fails that way.
        """
        if not (legacy or new) or LEGACY not in self._shapes or NEW not in self._shapes:
            return
        seen = (tuple(map(_aggregated, legacy)), tuple(map(_aggregated, new)))
        signature = self._settled.get(seen, _UNSETTLED)
        if signature is _UNSETTLED:
            # Unknown properties are counted whatever their names: a long tail of
            # names is one failure shape (an extra point) once seen often enough.
            alike = (tuple(map(_nameless, seen[0])), tuple(map(_nameless, seen[1])))
            sightings = self._seen.get(alike, 0) + 1
            if len(self._seen) >= self.SIGHTINGS:
                self._seen.clear()
            self._seen[alike] = sightings
            if sightings < self.REMEMBER_AFTER:
                return
            if len(self._settled) >= self.SIGHTINGS:
                self._settled.clear()
            signature = self._settled[seen] = self._signature(legacy, new)
        if signature is None or signature in self._known:
            return
        if self.builder.size > self.TYPES:
            self._start()
        self._known[signature] = self._build(signature)
        for _, path in signature:
            _place(self._by_point.setdefault(path, []), signature)
        while len(self._known) > self.LIMIT:
            forgotten = next(iter(self._known))
            del self._known[forgotten]
            for _, path in forgotten:
                self._by_point[path].remove(forgotten)

    def _signature(self, legacy: list[Finding], new: list[Finding]) -> Signature | None:
        points: set[Point] = set()
        for finding in (*legacy, *new):
            parts = tuple(_unescape(part) for part in finding.path.split("/")[1:])
            kind = MISSING if finding.kind == MISSING_REQUIRED else LOOSE
            point = self._settle(kind, parts, unknown=finding.kind == UNKNOWN_FIELD)
            if point is None:
                return None
            points.add(point)
        return self._tidy(points)

    def _settle(self, kind: str, parts: tuple[str, ...], *, unknown: bool = False) -> Point | None:
        """The point a finding at ``parts`` makes, where both schemas' shapes can hold it.

        Array indices become ITEMS. Where a shape cannot be followed further
        (a union, a scalar, a property one schema does not know), the point
        becomes a loose point there. None when that is the root, or the
        property is a tagged union's tag. An ``unknown`` property (an
        unknown_field finding) that neither schema declares makes an extra
        point at its object: whatever its name, the same shape explains it.
        """
        nodes = [self._shapes[LEGACY], self._shapes[NEW]]
        out: list[str] = []
        for index, part in enumerate(parts):
            if all(isinstance(node, Array) for node in nodes):
                if not part.isdigit():
                    return (LOOSE, tuple(out)) if out else None
                out.append(ITEMS)
                nodes = [node.item for node in nodes if isinstance(node, Array)]
                continue
            declared = [_fields_of(node) for node in nodes]
            if any(fields is None for fields in declared):
                return (LOOSE, tuple(out)) if out else None
            if any(isinstance(node, Tagged) and node.tag_field == part for node in nodes):
                return None
            if (
                unknown
                and index == len(parts) - 1
                and all(fields is not None and part not in fields for fields in declared)
            ):
                return (EXTRA, tuple(out))
            out.append(part)
            if index == len(parts) - 1:
                break
            members = [fields.get(part) if fields is not None else None for fields in declared]
            if any(member is None for member in members):
                return (LOOSE, tuple(out))
            nodes = [member[0] for member in members if member is not None]
        if not out:
            return None
        if kind == MISSING and len(out) == len(parts):
            return (MISSING, tuple(out))
        return (LOOSE, tuple(out))

    def _tidy(self, points: set[Point]) -> Signature | None:
        """Drop points under a loose point; more than one unknown property per object is extra.

        The reference reports unknown properties in the payload's key order,
        which a decoded Struct does not keep: an object with more than one
        gets an extra point, whose plan reads them from the payload in order.
        """
        while True:
            loose = {path for kind, path in points if kind == LOOSE}
            points = {
                (kind, path)
                for kind, path in points
                if not any(path[:end] in loose for end in range(1, len(path) + (kind == EXTRA)))
            }
            crowded = self._crowded(points) - {path for kind, path in points if kind == EXTRA}
            if not crowded:
                return frozenset(points)
            points |= {(EXTRA, container) for container in crowded}

    def _crowded(self, points: set[Point]) -> set[tuple[str, ...]]:
        """Objects where some schema has more than one loose property it does not declare."""
        crowded = set()
        for shape in self._shapes.values():
            unknown: dict[tuple[str, ...], int] = {}
            for kind, path in points:
                if kind != LOOSE:
                    continue
                fields = _fields_of(_shape_at(shape, path[:-1]))
                if fields is not None and path[-1] not in fields:
                    unknown[path[:-1]] = unknown.get(path[:-1], 0) + 1
            crowded |= {container for container, count in unknown.items() if count > 1}
        return crowded

    def _build(self, signature: Signature) -> _Remembered:
        trie = _Trie.of(signature)
        relaxed = [_relaxed(self._shapes[role], trie) for role in (LEGACY, NEW)]
        decoder = None
        if relaxed[0] is not None and relaxed[1] is not None:
            decoder = self.builder.common_decoder(relaxed[0], relaxed[1])
        plans: dict[str, _Plan] = {}
        if decoder is not None:
            for role in (LEGACY, NEW):
                plan = self._plan(role, self._shapes[role], trie)
                if plan is None:
                    decoder = None
                    break
                plans[role] = plan
        return _Remembered(decoder, plans, extra=any(kind == EXTRA for kind, _ in signature))

    def _plan(self, role: str, shape: Shape, trie: _Trie) -> _Plan | None:
        if isinstance(shape, Tagged):
            variants = {}
            for tag, variant in shape.variants:
                plan = self._object_plan(role, variant, trie, tag_field=shape.tag_field)
                if plan is None:
                    return None
                variants[tag] = plan
            return _TaggedPlan(variants)
        if isinstance(shape, Object):
            return self._object_plan(role, shape, trie)
        if isinstance(shape, Array) and set(trie.children) == {ITEMS}:
            child = trie.children[ITEMS]
            if child.loose:
                if shape.origin is None:
                    return None
                check = self._compiled[role].subschema(*shape.origin)
                return _ArrayPlan(_ValuePlan(check, self._proven(shape.item)))
            item = self._plan(role, shape.item, child)
            return None if item is None else _ArrayPlan(item)
        return None

    def _proven(self, shape: Shape) -> Callable[[Any], bool] | None:
        """Whether a value fits ``shape`` in the fast tier (see _ValuePlan); None: it cannot say."""
        try:
            return self.builder.accepts(shape)
        except (Unsupported, TypeError, ValueError):
            return None

    def _object_plan(
        self, role: str, shape: Object, trie: _Trie, *, tag_field: str | None = None
    ) -> _ObjectPlan | None:
        declared = {name: (member, required) for name, member, required in shape.fields}
        unknown = tuple(
            name for name, child in trie.children.items() if child.loose and name not in declared
        )
        missing = {
            name
            for name, child in trie.children.items()
            if child.missing and name in declared and declared[name][1]
        }
        children: list[tuple[str, _Plan]] = []
        for name, member, _ in shape.fields:
            child = trie.children.get(name)
            if child is None or not (child.loose or child.children or child.extra):
                continue
            if child.loose:
                origin = shape.origins.get(name)
                if origin is None:
                    return None
                check = self._compiled[role].subschema(*origin)
                children.append((name, _ValuePlan(check, self._proven(member))))
                continue
            plan = self._plan(role, member, child)
            if plan is None:
                return None
            children.append((name, plan))
        branch = tuple(name for name in shape.branch_required if name in missing)
        rest = tuple(
            name for name in shape.required_order if name in missing and name not in branch
        )
        if set(branch) | set(rest) != missing:
            return None  # a requirement this object does not say where it comes from
        by_payload: dict[str, _Plan] = {}
        if trie.extra:
            for name, member, _ in shape.fields:
                origin = shape.origins.get(name)
                if origin is None:
                    return None
                check = self._compiled[role].subschema(*origin)
                by_payload[name] = _ValuePlan(check, self._proven(member))
        return _ObjectPlan(
            unknown,
            branch,
            tuple(children),
            rest,
            extra=trie.extra,
            declared=frozenset(declared) | ({tag_field} if tag_field else set()),
            order=tuple(declared),
            by_payload=by_payload,
        )


def _shape_at(shape: Shape, path: tuple[str, ...]) -> Shape:
    node: Shape = shape
    for part in path:
        if isinstance(node, Array) and part == ITEMS:
            node = node.item
            continue
        fields = _fields_of(node)
        if fields is None or part not in fields:
            return Anything()
        node = fields[part][0]
    return node


def _place(candidates: list[Signature], signature: Signature) -> None:
    """Put ``signature`` where ``explain`` tries it first among shapes of its size.

    ``explain`` tries a list from its end: shapes with fewer points first (a
    broader shape also accepts the events of a narrower one, but its plan
    checks more points), the most recently used first among equals.
    """
    index = len(candidates)
    while index and len(candidates[index - 1]) < len(signature):
        index -= 1
    candidates.insert(index, signature)


_REFUSALS: dict[str, tuple[str, ...]] = {}


def refusal_path(refusal: str) -> tuple[str, ...]:
    """Where msgspec says a payload failed, as a point path (the named field last).

    Errors repeat event after event, so each is parsed once (a bounded cache).
    """
    where = _REFUSALS.get(refusal)
    if where is None:
        if len(_REFUSALS) >= 4096:
            _REFUSALS.clear()
        where = _REFUSALS[refusal] = _refusal_path(refusal)
    return where


def _refusal_path(refusal: str) -> tuple[str, ...]:
    where = _REFUSED_AT.search(refusal)
    text = where.group(1) if where else ""
    parts: list[str] = []
    position = 0
    for match in _PATH_PART.finditer(text):
        if match.start() != position:
            return ()
        parts.append(match.group(1) if match.group(1) is not None else ITEMS)
        position = match.end()
    if position != len(text):
        return ()
    named = _FIELD_NAMED.match(refusal)
    if named:
        parts.append(named.group(1))
    return tuple(parts)


Seen = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]
"""The (kind, path) of each legacy and new finding, array indices as ``*``."""
_UNSETTLED: Any = object()
_INDEX = re.compile(r"/\d+(?=/|$)")
_AGGREGATED: dict[str, str] = {}


def _aggregated(finding: Finding) -> tuple[str, str]:
    path = _AGGREGATED.get(finding.path)
    if path is None:
        if len(_AGGREGATED) >= 4096:
            _AGGREGATED.clear()
        path = _AGGREGATED[finding.path] = _INDEX.sub("/*", finding.path)
    return finding.kind, path


def _nameless(seen: tuple[str, str]) -> tuple[str, str]:
    kind, path = seen
    return (kind, path[: path.rfind("/")] + "/?") if kind == UNKNOWN_FIELD else seen


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _distinct(findings: list[Finding]) -> list[Finding]:
    """One finding per (kind, path), as the full path keeps them."""
    if len(findings) < 2:
        return findings
    seen: set[tuple[str, str]] = set()
    unique = []
    for finding in findings:
        key = (finding.kind, finding.path)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique
