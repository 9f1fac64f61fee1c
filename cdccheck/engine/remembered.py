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
per Struct type (``Writer``). The plans live in :mod:`cdccheck.engine.plans`,
the memory of shapes here. A loose or unknown value the strict decoder
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

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from cdccheck.engine import patterns
from cdccheck.engine.decoders import DecoderBuilder
from cdccheck.engine.plans import (
    EXTRA,
    LOOSE,
    MISSING,
    ArrayPlan,
    Explained,
    NotPlain,
    ObjectPlan,
    Plan,
    Point,
    Program,
    Signature,
    TaggedPlan,
    Trie,
    ValuePlan,
    Writer,
    count_keys,
    fields_of,
    is_plain,
    relax,
)
from cdccheck.engine.shapes import (
    ITEMS,
    Anything,
    Array,
    Object,
    PatternMismatch,
    Shape,
    Tagged,
    Unsupported,
)
from cdccheck.model import (
    LEGACY,
    MISSING_REQUIRED,
    NEW,
    UNKNOWN_FIELD,
    Finding,
)

_REFUSED = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
# msgspec's error names the first field that failed: "... - at `$.comment.score`".
_REFUSED_AT = re.compile(r" - at `\$([^`]*)`$")
_FIELD_NAMED = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]*)`")
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


# ---------------------------------------------------------------- the memory


@dataclass
class _Remembered:
    decoder: msgspec.json.Decoder[Any] | None
    plans: dict[str, Plan]
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
                    keys = count_keys(plain)
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
            program = remembered.programs[kind] = Writer(self).program(remembered.plans, kind)
        try:
            return program(event, plain)
        except (NotPlain, patterns.PatternTimeout):
            # A pattern beyond its budget: the full path reports it, under its schema.
            return None

    def _used(self, signature: Signature, candidates: list[Signature]) -> None:
        self._known[signature] = self._known.pop(signature)  # recently used: forgotten last
        candidates.remove(signature)
        _place(candidates, signature)

    @staticmethod
    def plain(value: Any, depth: int) -> bool:
        """Whether the strict decoder would take ``value`` as it is, with no warning (is_plain)."""
        return is_plain(value, depth)

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
            declared = [fields_of(node) for node in nodes]
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
                fields = fields_of(_shape_at(shape, path[:-1]))
                if fields is not None and path[-1] not in fields:
                    unknown[path[:-1]] = unknown.get(path[:-1], 0) + 1
            crowded |= {container for container, count in unknown.items() if count > 1}
        return crowded

    def _build(self, signature: Signature) -> _Remembered:
        trie = Trie.of(signature)
        relaxed = [relax(self._shapes[role], trie) for role in (LEGACY, NEW)]
        decoder = None
        if relaxed[0] is not None and relaxed[1] is not None:
            decoder = self.builder.common_decoder(relaxed[0], relaxed[1])
        plans: dict[str, Plan] = {}
        if decoder is not None:
            for role in (LEGACY, NEW):
                plan = self._plan(role, self._shapes[role], trie)
                if plan is None:
                    decoder = None
                    break
                plans[role] = plan
        return _Remembered(decoder, plans, extra=any(kind == EXTRA for kind, _ in signature))

    def _plan(self, role: str, shape: Shape, trie: Trie) -> Plan | None:
        if isinstance(shape, Tagged):
            variants = {}
            for tag, variant in shape.variants:
                plan = self._object_plan(role, variant, trie, tag_field=shape.tag_field)
                if plan is None:
                    return None
                variants[tag] = plan
            return TaggedPlan(variants)
        if isinstance(shape, Object):
            return self._object_plan(role, shape, trie)
        if isinstance(shape, Array) and set(trie.children) == {ITEMS}:
            child = trie.children[ITEMS]
            if child.loose:
                if shape.origin is None:
                    return None
                check = self._compiled[role].subschema(*shape.origin)
                return ArrayPlan(ValuePlan(check, self._proven(shape.item)))
            item = self._plan(role, shape.item, child)
            return None if item is None else ArrayPlan(item)
        return None

    def _proven(self, shape: Shape) -> Callable[[Any], bool] | None:
        """Whether a value fits ``shape`` in the fast tier (see ValuePlan); None: it cannot say."""
        try:
            return self.builder.accepts(shape)
        except (Unsupported, TypeError, ValueError):
            return None

    def _object_plan(
        self, role: str, shape: Object, trie: Trie, *, tag_field: str | None = None
    ) -> ObjectPlan | None:
        declared = {name: (member, required) for name, member, required in shape.fields}
        unknown = tuple(
            name for name, child in trie.children.items() if child.loose and name not in declared
        )
        missing = {
            name
            for name, child in trie.children.items()
            if child.missing and name in declared and declared[name][1]
        }
        children: list[tuple[str, Plan]] = []
        for name, member, _ in shape.fields:
            child = trie.children.get(name)
            if child is None or not (child.loose or child.children or child.extra):
                continue
            if child.loose:
                origin = shape.origins.get(name)
                if origin is None:
                    return None
                check = self._compiled[role].subschema(*origin)
                children.append((name, ValuePlan(check, self._proven(member))))
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
        by_payload: dict[str, Plan] = {}
        if trie.extra:
            for name, member, _ in shape.fields:
                origin = shape.origins.get(name)
                if origin is None:
                    return None
                check = self._compiled[role].subschema(*origin)
                by_payload[name] = ValuePlan(check, self._proven(member))
        return ObjectPlan(
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
        fields = fields_of(node)
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
