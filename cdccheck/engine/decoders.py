"""Shapes as msgspec types: the decoders and the screens of the fast tier.

``DecoderBuilder`` turns a ``Shape`` (:mod:`cdccheck.engine.shapes`) into a
msgspec type and a decoder, and writes, per Struct type, the screen that
searches the patterns on the decoded value (``screen_for``); ``written``
compiles such generated source once per text. The translation rules that
keep the decoders conservative are in the shapes module's docstring.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import CodeType
from typing import Annotated, Any, Literal, Union, get_args

import msgspec

from cdccheck.engine import patterns as regexes
from cdccheck.engine.shapes import (
    ITEMS,
    AnyOf,
    Anything,
    Array,
    Boolean,
    Choice,
    Integer,
    KeySpec,
    Meets,
    Null,
    Number,
    Object,
    PatternMismatch,
    Shape,
    Tagged,
    Text,
    Unsupported,
    meet,
)

# ---------------------------------------------------------------- shape -> msgspec


class DecoderBuilder:
    """Makes msgspec types (and decoders) from shapes; see the module docstring.

    With ``integral_floats``, its integers also take floats with an integral
    value (``5.0``), which JSON Schema calls integers: such a decoder proves
    an event valid that the usual one refuses, for events whose only oddity
    is the ``integral_float`` warning the full path then reports.
    """

    def __init__(self, op_field: str, *, integral_floats: bool = False) -> None:
        self.op_field = op_field
        self.integral_floats = integral_floats
        self.tags: dict[type, str] = {}
        """Per tagged Struct type, at any depth: its tag value."""
        self.ops: dict[type, str] = {}
        self.op_attributes: dict[type, str] = {}
        self.key_specs: dict[type, KeySpec] = {}
        self.attributes: dict[type, dict[str, str]] = {}
        """Per Struct type: property name -> attribute, to walk a decoded event by path."""
        self._names = 0
        self._types: dict[tuple[Shape, bool], Any] = {}
        """msgspec type per (shape, root): decoders with common parts share their Structs."""
        self._meets: Meets = {}
        self._fields: dict[type, tuple[int, tuple[tuple[str, str, Shape, bool], ...]]] = {}
        """Per Struct type: (keys always there, (name, attribute, shape, required) per field)."""
        self._screens: dict[type, Callable[[Any], int]] = {}
        self._searches: dict[tuple[str, ...], Callable[[str], Any]] = {}
        self._roots: dict[Any, Shape] = {}
        """A decoder's type -> the shape it was made for (see screen_for)."""
        self._root_screens: dict[Any, Callable[[Any], int]] = {}
        self.member_types: dict[type, dict[str, Any]] = {}
        """Per Struct type: property name -> the msgspec type of its value."""

    def screen(self, value: Any) -> int:
        """Check the patterns of a value decoded by this builder's types; return its key count.

        The types leave patterns out: msgspec calls Python's ``re`` through
        an expensive path, and a decoded Struct is checked here, by a
        function written for its type, in about half the time. A decoder of
        this builder accepts a payload only when this accepts what it
        decoded: it raises PatternMismatch naming the first string that
        fails. The key count (tags included) is what the fast tier compares
        with the payload's key tokens to prove that no key repeats
        (:func:`cdccheck.engine.warnings.is_warning_free`).
        """
        kind = type(value)
        screen = self._screens.get(kind)
        if screen is not None:
            return screen(value)
        if kind in self._fields:
            return self._screener(kind)(value)
        if kind is list:
            return sum(map(self.screen, value))
        if kind is dict:  # a plain value (Anything)
            return len(value) + sum(map(self.screen, value.values()))
        return 0

    key_count = screen
    """The key count of a screened value (an alias kept for readers of counts)."""

    def accepts(self, shape: Shape) -> Callable[[Any], bool]:
        """Whether a plain Python value fits ``shape`` as the fast tier sees it.

        ``msgspec.convert`` checks everything but the patterns, ``screen``
        those: together, exactly what a decoder for ``shape`` accepts.
        ValueError or TypeError when msgspec cannot say ``shape``: it checks
        some constraints (integer bounds beyond int64) only when a type is
        first used, so the type is used here, once, rather than in ``fits``.
        """
        kind = self.type_of(shape)
        msgspec.json.Decoder(kind)

        def fits(value: Any) -> bool:
            try:
                converted = msgspec.convert(value, kind)
                if isinstance(shape, Integer) and type(converted) is float:
                    return converted.is_integer()
                if isinstance(shape, Text):
                    if shape.patterns and not self.search_for(shape.patterns)(converted):
                        return False
                elif isinstance(shape, AnyOf):
                    self._screen_member(shape, converted)
                else:
                    self.screen(converted)
            except (msgspec.ValidationError, PatternMismatch):
                return False
            return True

        return fits

    def _screen_member(self, shape: AnyOf, value: Any) -> None:
        for member in shape.members:
            if isinstance(member, Text) and type(value) is str:
                if member.patterns and not self.search_for(member.patterns)(value):
                    raise PatternMismatch(())
                return
        self.screen(value)

    def search_for(self, patterns: tuple[str, ...]) -> Callable[[str], Any]:
        """A test that is truthy exactly when every pattern is found (built once).

        The patterns are evaluated as :func:`cdccheck.engine.patterns.every`
        evaluates them, never by ``re`` directly (docs/security.md,
        "Patterns"): ``re`` for patterns proven linear (several joined into
        one search), else RE2 or the regex module. The test raises
        PatternTimeout when a pattern runs out of its budget; the fast tier
        then leaves the payload to the full path, which reports it.
        """
        search = self._searches.get(patterns)
        if search is None:
            try:
                search = self._searches[patterns] = regexes.every(patterns)
            except re.error as error:
                raise Unsupported(f"pattern does not compile: {error}") from None
        return search

    def _screener(self, kind: type) -> Callable[[Any], int]:
        """The ``screen`` of one Struct type, written out for its fields.

        Built from source, as namedtuple builds its classes: every attribute
        and local name is one this builder made (``f0``, ``x3``...); every
        regex, path and nested screen is passed in the globals, never
        spelled in the source.
        """
        always, fields = self._fields[kind]
        writer = _ScreenWriter(self)
        writer.line(1, f"n = {always}")
        for name, attribute, member, required in fields:
            work = writer.work(member)
            if required and not work:
                continue
            var = writer.variable()
            writer.line(1, f"{var} = value.{attribute}")
            indent = 1
            if not required:
                writer.line(1, f"if {var} is not UNSET:")
                writer.line(2, "n += 1")
                indent = 2
            if work:
                writer.check(member, var, (name,), indent)
        writer.line(1, "return n")
        screen = writer.function()
        self._screens[kind] = screen
        return screen

    def op_of(self, value: Any) -> str | None:
        """The op of an event decoded by this builder's types, None when it has none."""
        kind = type(value)
        op = self.ops.get(kind)
        if op is not None:
            return op
        attribute = self.op_attributes.get(kind)
        found = getattr(value, attribute, None) if attribute else None
        return found if isinstance(found, str) else None

    @property
    def size(self) -> int:
        """How many shapes this builder holds types for (it never forgets one)."""
        return len(self._types) + len(self._meets)

    def decoder(self, shape: Shape | None) -> msgspec.json.Decoder[Any] | None:
        """A decoder that accepts only what fits ``shape`` with ``screen_for`` its type.

        None when msgspec cannot say it.
        """
        if shape is None:
            return None
        try:
            kind = self.type_of(shape, root=True)
            decoder = msgspec.json.Decoder(kind)
        except (Unsupported, TypeError, ValueError):
            return None
        self._roots[kind] = shape
        return decoder

    def screen_for(self, kind: Any) -> Callable[[Any], int]:
        """``screen`` for values a decoder of type ``kind`` (``decoder.type``) decoded.

        A Struct checks its own fields; a decoder whose type is not one (a
        schema for a string, an array, an integer) gets a screen written for
        that type, which checks the root value itself.
        """
        screen = self._root_screens.get(kind)
        if screen is None:
            shape = self._roots[kind]
            if isinstance(shape, Object | Tagged):
                screen = self.screen
            else:
                writer = _ScreenWriter(self)
                writer.line(1, "n = 0")
                if writer.work(shape):
                    writer.check(shape, "value", (), 1)
                writer.line(1, "return n")
                screen = writer.function()
            self._root_screens[kind] = screen
        return screen

    def common_decoder(
        self, one: Shape | None, other: Shape | None
    ) -> msgspec.json.Decoder[Any] | None:
        """A decoder that accepts only what fits both shapes; None when there is none."""
        if one is None or other is None:
            return None
        try:
            return self.decoder(meet(one, other, self._meets))
        except Unsupported:
            return None

    def type_of(self, shape: Shape, root: bool = False) -> Any:
        """The msgspec type that accepts only what fits ``shape`` (built once per shape)."""
        key = (shape, root)
        known = self._types.get(key)
        if known is None:
            known = self._types[key] = self._type_of(shape, root)
        return known

    def _type_of(self, shape: Shape, root: bool) -> Any:
        if isinstance(shape, Anything):
            return Any
        if isinstance(shape, Text):
            meta: dict[str, Any] = {}
            if shape.min_length:
                meta["min_length"] = shape.min_length
            if shape.max_length is not None:
                meta["max_length"] = shape.max_length
            if shape.patterns:
                self.search_for(shape.patterns)  # checked by screen(); refused here if it cannot be
            return Annotated[str, msgspec.Meta(**meta)] if meta else str
        if isinstance(shape, Choice):
            return Literal[shape.values]
        if isinstance(shape, Integer):
            integer: Any = Annotated[int, msgspec.Meta(ge=shape.lowest, le=shape.highest)]
            if not self.integral_floats:
                return integer
            # The bounds are within +-2**53, exact as floats; screen() refuses 5.5.
            integral: Any = Annotated[
                float, msgspec.Meta(ge=float(shape.lowest), le=float(shape.highest))
            ]
            return Union[integer, integral]  # noqa: UP007
        if isinstance(shape, Number):
            bounds = _tightest(shape.bounds)
            floats = Annotated[float, msgspec.Meta(**bounds)] if bounds else float
            # Always an int member, even for an empty integer range (as 1..0, which
            # msgspec can say): without one, msgspec reads an integer literal as a
            # float, rounding one beyond 2**53 and hiding its big_integer warning.
            # Plain integers here: the floats member already takes integral floats.
            lowest, highest = shape.integer.lowest, shape.integer.highest
            if lowest > highest:
                lowest, highest = 1, 0
            return Union[Annotated[int, msgspec.Meta(ge=lowest, le=highest)], floats]  # noqa: UP007
        if isinstance(shape, Boolean):
            return bool
        if isinstance(shape, Null):
            return None
        if isinstance(shape, Array):
            item = self.type_of(shape.item)
            meta = {}
            if shape.min_items:
                meta["min_length"] = shape.min_items
            if shape.max_items is not None:
                meta["max_length"] = shape.max_items
            return Annotated[list[item], msgspec.Meta(**meta)] if meta else list[item]  # type: ignore[valid-type]
        if isinstance(shape, Object):
            return self._struct(shape, tag=None, root=root)
        if isinstance(shape, Tagged):
            members = [self._struct(variant, tag=(shape.tag_field, tag), root=root)
                       for tag, variant in shape.variants]  # fmt: skip
            return Union[tuple(members)]  # noqa: UP007
        return Union[tuple(self.type_of(member) for member in shape.members)]  # noqa: UP007

    def _struct(self, shape: Object, *, tag: tuple[str, str] | None, root: bool) -> Any:
        fields: list[Any] = []
        rename: dict[str, str] = {}
        op_attribute = None
        always = 1 if tag is not None else 0
        optional: list[str] = []
        children: list[str] = []
        screened: list[tuple[str, str, Shape, bool]] = []
        member_types: dict[str, Any] = {}
        for index, (name, member, required) in enumerate(shape.fields):
            attribute = f"f{index}"
            rename[attribute] = name
            member_type = member_types[name] = self.type_of(member)
            if name == self.op_field:
                op_attribute = attribute
            if _holds_objects(member):
                children.append(attribute)
            screened.append((name, attribute, member, required))
            if required:
                always += 1
                fields.append((attribute, member_type))
            else:
                optional.append(attribute)
                fields.append((attribute, Union[member_type, msgspec.UnsetType], msgspec.UNSET))  # noqa: UP007
        # Required fields first: msgspec wants defaults after non-defaults.
        fields.sort(key=len)
        self._names += 1
        options: dict[str, Any] = {"forbid_unknown_fields": not shape.open, "rename": rename}
        if tag is not None:
            options.update(tag_field=tag[0], tag=tag[1])
        struct = msgspec.defstruct(f"Fast{self._names}", fields, **options)
        self.key_specs[struct] = (always, tuple(optional), tuple(children))
        self._fields[struct] = (always, tuple(screened))
        self.attributes[struct] = {name: attribute for attribute, name in rename.items()}
        self.member_types[struct] = member_types
        if tag is not None:
            self.tags[struct] = tag[1]
        if root and tag is not None and tag[0] == self.op_field:
            self.ops[struct] = tag[1]
        elif root and op_attribute is not None:
            self.op_attributes[struct] = op_attribute
        return struct


def _tightest(bounds: tuple[tuple[str, float], ...]) -> dict[str, Any]:
    """One msgspec float constraint per option: an intersection may state one twice.

    Both schemas' bounds apply, so the highest lower bound and the lowest
    upper bound are the ones to keep, whichever schema stated them.
    """
    tightest: dict[str, Any] = {}
    for option, value in bounds:
        if option not in tightest:
            tightest[option] = value
        elif option in ("ge", "gt"):
            tightest[option] = max(tightest[option], value)
        else:
            tightest[option] = min(tightest[option], value)
    return tightest


_CODE: dict[str, CodeType] = {}


def written(source: str, scope: dict[str, Any], name: str) -> Any:
    """The function ``name`` that ``source`` defines, its globals ``scope``.

    The written-out functions of the fast tier (screens here, remembered
    shapes' programs) name their constants ``k1``, ``k2``... in their
    globals, so functions for alike types have the same source: it is
    compiled once and only executed again (compiling costs ten times more).
    """
    code = _CODE.get(source)
    if code is None:
        if len(_CODE) >= 256:
            _CODE.clear()
        code = _CODE[source] = compile(source, "<cdccheck fast tier>", "exec")
    exec(code, scope)
    return scope[name]


class _ScreenWriter:
    """Writes the source of one Struct type's screen (see DecoderBuilder._screener)."""

    def __init__(self, builder: DecoderBuilder) -> None:
        self.builder = builder
        self.lines = ["def screen(value):"]
        self.scope: dict[str, Any] = {
            "UNSET": msgspec.UNSET,
            "Mismatch": PatternMismatch,
            "screen_any": builder.screen,
        }
        self.names = 0

    def variable(self) -> str:
        self.names += 1
        return f"x{self.names}"

    def constant(self, value: Any) -> str:
        self.names += 1
        name = f"k{self.names}"
        self.scope[name] = value
        return name

    def line(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def function(self) -> Callable[[Any], int]:
        screen: Callable[[Any], int] = written("\n".join(self.lines), self.scope, "screen")
        return screen

    def work(self, shape: Shape) -> bool:
        """Whether a value of ``shape`` needs checking or holds keys."""
        if isinstance(shape, Text):
            return bool(shape.patterns)
        if isinstance(shape, Array):
            return self.work(shape.item)
        if isinstance(shape, AnyOf):
            return any(self.work(member) for member in shape.members)
        if isinstance(shape, Integer):
            return self.builder.integral_floats
        return isinstance(shape, Object | Tagged | Anything)

    def check(self, shape: Shape, var: str, where: tuple[str, ...], indent: int) -> None:
        """Code that checks ``var`` (a value of ``shape`` at ``where``) and counts its keys."""
        if isinstance(shape, Text):
            search = self.constant(self.builder.search_for(shape.patterns))
            self.line(indent, f"if not {search}({var}): raise Mismatch({self.constant(where)})")
        elif isinstance(shape, Integer):
            self.line(
                indent,
                f"if type({var}) is float and not {var}.is_integer(): "
                f"raise Mismatch({self.constant(where)})",
            )
        elif isinstance(shape, Object):
            screen = self.constant(self.builder._screener(self.builder.type_of(shape)))
            self.nested(f"n += {screen}({var})", where, indent)
        elif isinstance(shape, Tagged | Anything):
            self.nested(f"n += screen_any({var})", where, indent)
        elif isinstance(shape, Array) and self.constant_keys(shape.item) is not None:
            # Items with nothing to check and always the same keys: count them at once.
            self.line(indent, f"n += {self.constant_keys(shape.item)} * len({var})")
        elif isinstance(shape, Array):
            item = self.variable()
            self.line(indent, f"for {item} in {var}:")
            self.line(indent + 1, "pass")
            if self.work(shape.item):
                self.check(shape.item, item, (*where, ITEMS), indent + 1)
        elif isinstance(shape, AnyOf):
            kind = self.variable()
            self.line(indent, f"{kind} = type({var})")
            for member in shape.members:
                if not self.work(member):
                    continue
                if isinstance(member, Text):
                    self.line(indent, f"if {kind} is str:")
                elif isinstance(member, Integer):
                    self.line(indent, f"if {kind} is float:")
                elif isinstance(member, Array):
                    self.line(indent, f"if {kind} is list:")
                else:  # an object (or a tagged union of them): its Struct types
                    made = self.builder.type_of(member)
                    structs = frozenset(get_args(made) or (made,))
                    self.line(indent, f"if {kind} in {self.constant(structs)}:")
                self.line(indent + 1, "pass")
                self.check(member, var, where, indent + 1)

    def constant_keys(self, shape: Shape) -> int | None:
        """The key count of every value of ``shape`` when it is always the same, else None."""
        if not isinstance(shape, Object):
            return None if self.work(shape) else 0
        if shape.open or any(
            not required or self.work(member) for _, member, required in shape.fields
        ):
            return None
        return len(shape.fields)

    def nested(self, statement: str, where: tuple[str, ...], indent: int) -> None:
        """``statement`` calls another screen: its mismatch is reported from here down."""
        self.line(indent, "try:")
        self.line(indent + 1, statement)
        self.line(indent, "except Mismatch as error:")
        self.line(indent + 1, f"raise Mismatch({self.constant(where)} + error.path) from None")


def _holds_objects(shape: Shape) -> bool:
    if isinstance(shape, Object | Tagged | Anything):
        return True
    if isinstance(shape, Array):
        return _holds_objects(shape.item)
    if isinstance(shape, AnyOf):
        return any(_holds_objects(member) for member in shape.members)
    return False
