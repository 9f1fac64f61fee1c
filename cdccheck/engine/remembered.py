"""Remembered failure shapes: systematic drift explained without the full path.

The fast tier (:mod:`cdccheck.engine.fastpath`) owns one ``RememberedShapes``;
it feeds it what the full path found and asks it about payloads its own
decoders refuse.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from cdccheck.engine import patterns
from cdccheck.engine.shapes import AnyOf, DecoderBuilder, Object, Shape, Tagged, Text
from cdccheck.model import CONSTRAINT, FORMAT, LEGACY, NEW, Finding, short_repr

# msgspec's error names the first field that failed: "... - at `$.comment.score`".
_REFUSED_AT = re.compile(r" - at `(\$[^`]*)`$")


Paths = frozenset[tuple[str, ...]]
"""Relaxed string fields, each as the property names leading to it."""


class RememberedShapes:
    """Remembered failure shapes, each with ONE decoder that explains both schemas.

    A systematic drift fails the same way event after event: every Go event
    carries timestamps the legacy ``pattern`` refuses. When the full path
    finds, under each schema, only ``pattern``/``format`` failures on plain
    string fields, both shapes are rebuilt without those tests at those
    fields, intersected and compiled to a decoder. A later event this relaxed
    decoder accepts is valid everywhere else under both schemas (the decoder
    is as conservative as any other), so its findings are exactly the relaxed
    tests that fail on it, which are then run with the reference's own regex
    and format checker.
    """

    LIMIT = 64
    """Failure shapes remembered; the least recently used is forgotten first."""

    def __init__(
        self, shapes: dict[str, Shape], builder: DecoderBuilder, format_checkers: dict[str, Any]
    ) -> None:
        self._shapes = shapes
        self._builder = builder
        self._formats = format_checkers
        self._known: dict[tuple[Paths, Paths], msgspec.json.Decoder[Any] | None] = {}
        self._patterns: dict[str, Any] = {}
        self._checks: dict[tuple[str, type, tuple[str, ...]], tuple[tuple[str, str], ...]] = {}
        self._pointers: dict[tuple[str, ...], str] = {}
        self._by_field: dict[str, list[tuple[Paths, Paths]]] = {}
        """msgspec's spelling of a relaxed field ("$.comment.created_at") -> shapes relaxing it."""

    def explain(self, payload: bytes, refusal: str) -> tuple[Any, dict[str, list[Finding]]] | None:
        """(decoded event, findings per schema) when a remembered shape explains ``payload``.

        ``refusal`` is the error of the decoder for both schemas. It names the
        first field that failed; only shapes that relax that field can
        explain the payload, so only those are tried, most recent first.
        """
        where = _REFUSED_AT.search(refusal)
        candidates = self._by_field.get(where.group(1), ()) if where else ()
        for key in reversed(candidates):
            decoder = self._known.get(key)
            if decoder is None:
                continue
            try:
                event = decoder.decode(payload)
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                continue
            self._known[key] = self._known.pop(key)  # recently used: forgotten last
            legacy_paths, new_paths = key
            try:
                return event, {
                    LEGACY: self._findings(LEGACY, event, legacy_paths),
                    NEW: self._findings(NEW, event, new_paths),
                }
            except patterns.PatternTimeout:
                return None  # the full path reports it, under the schema concerned
        return None

    def learn(self, legacy: list[Finding], new: list[Finding]) -> None:
        """Remember this failure shape when relaxed decoders can explain it.

        A shape that cannot be relaxed is remembered too (as None), so it is
        not rebuilt for every event that fails that way.
        """
        if not (legacy or new) or LEGACY not in self._shapes or NEW not in self._shapes:
            return
        if any(f.kind not in (CONSTRAINT, FORMAT) for f in (*legacy, *new)):
            return
        key = (_paths(legacy), _paths(new))
        if key in self._known or not all(key[0]) or not all(key[1]):
            return
        relaxed = [
            _relaxed(self._shapes[role], paths)
            for role, paths in zip((LEGACY, NEW), key, strict=True)
        ]
        self._known[key] = self._builder.common_decoder(relaxed[0], relaxed[1])
        for path in key[0] | key[1]:
            self._by_field.setdefault("$." + ".".join(path), []).append(key)
        while len(self._known) > self.LIMIT:
            forgotten = next(iter(self._known))
            del self._known[forgotten]
            for path in forgotten[0] | forgotten[1]:
                self._by_field["$." + ".".join(path)].remove(forgotten)

    def _findings(self, role: str, event: Any, paths: Paths) -> list[Finding]:
        findings = []
        for path in sorted(paths):
            value = event
            for part in path:
                attribute = self._builder.attributes.get(type(value), {}).get(part)
                value = getattr(value, attribute) if attribute else msgspec.UNSET
            if not isinstance(value, str):
                continue  # absent here (an optional field), or null where allowed
            key = (role, type(event), path)
            checks = self._checks.get(key)
            if checks is None:
                checks = _checks_at(self._shapes[role], path, event, self._builder)
                self._checks[key] = checks
            pointer = self._pointers.get(path)
            if pointer is None:
                pointer = self._pointers[path] = _pointer(path)
            for kind, spec in checks:
                if kind == "pattern":
                    search = self._patterns.get(spec)
                    if search is None:
                        search = self._patterns[spec] = patterns.matcher(spec).test
                    if not search(value):
                        message = f"{short_repr(value)} does not match {spec!r}"
                        findings.append(Finding(CONSTRAINT, pointer, message, value))
                elif not self._formats[role].conforms(value, spec):
                    message = f"{short_repr(value)} is not a {spec!r}"
                    findings.append(Finding(FORMAT, pointer, message, value))
        return findings


def _paths(findings: list[Finding]) -> Paths:
    return frozenset(tuple(_unescape(part) for part in f.path.split("/")[1:]) for f in findings)


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _pointer(path: tuple[str, ...]) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


def _relaxed(shape: Shape, paths: Paths) -> Shape | None:
    """``shape`` without the string tests at ``paths``; None if a path is no plain string."""
    found: set[tuple[str, ...]] = set()

    def walk(node: Shape, path: tuple[str, ...]) -> Shape:
        if isinstance(node, Tagged):
            return Tagged(node.tag_field,
                          tuple((tag, walk(variant, path)) for tag, variant in node.variants))  # type: ignore[misc]  # fmt: skip
        if isinstance(node, Object):
            return Object(tuple((name, walk(member, (*path, name)), required)
                                for name, member, required in node.fields))  # fmt: skip
        if isinstance(node, AnyOf):
            return AnyOf(tuple(walk(member, path) for member in node.members))
        if isinstance(node, Text) and path in paths and node.checks:
            found.add(path)
            return Text(node.min_length, node.max_length)
        return node

    relaxed = walk(shape, ())
    return relaxed if found == paths else None


def _checks_at(shape: Shape, path: tuple[str, ...], event: Any,
               builder: DecoderBuilder) -> tuple[tuple[str, str], ...]:  # fmt: skip
    """The schema's string tests at ``path``, in the variant ``event`` decoded as."""
    node: Shape = shape
    tag = builder.ops.get(type(event))
    for part in path:
        if isinstance(node, Tagged):
            node = dict(node.variants).get(tag or "", Object(()))
        node = next((member for name, member, _ in getattr(node, "fields", ()) if name == part),
                    Object(()))  # fmt: skip
        if isinstance(node, AnyOf):
            node = next((member for member in node.members if isinstance(member, Text)), node)
    return node.checks if isinstance(node, Text) else ()
