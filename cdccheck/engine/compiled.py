"""A schema compiled into Python closures that explain an event exactly as the reference.

python-jsonschema rebuilds validators, resolves keywords and formats its
messages for every event; this module does that work once per schema and
leaves a tree of small closures that append findings. It reproduces the
reference keyword by keyword for the vocabulary that carries real CDC
schemas: ``KEYWORDS`` maps each keyword compiled here to its handler, in
the manner of python-jsonschema's own keyword table. Any schema object that
uses a keyword outside that table (anyOf, oneOf, unevaluated*, multipleOf,
uniqueItems, contains, propertyNames, $dynamicRef ...) is handed whole to
python-jsonschema and its errors mapped by :mod:`cdccheck.engine.reference`,
so the findings are the reference's by construction there
(docs/semantics.md, rules 2 and 3). The differential tests hold the
compiled part to the same findings on generated instances.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Sized
from typing import Any

from cdccheck.engine import patterns as regexes
from cdccheck.engine.patterns import PatternTimeout
from cdccheck.engine.reference import findings_from_errors
from cdccheck.engine.schema import DRAFT_7, Schema, resolve_ref, subresource
from cdccheck.model import (
    ABSENT,
    CONSTRAINT,
    ENUM_VALUE,
    FORMAT,
    MISSING_REQUIRED,
    NULL_NOT_ALLOWED,
    PATTERN_TIMEOUT,
    TYPE_MISMATCH,
    UNKNOWN_FIELD,
    Finding,
    json_pointer,
    short_repr,
)

# A check appends findings for ``instance`` to ``out``. ``path`` is a linked
# list (parent, key) so descending costs one small tuple; it is flattened only
# when a finding is made.
Path = tuple[Any, Any] | None
Check = Callable[[Any, Path, list[Finding]], None]
Handler = Callable[["CompiledSchema", Any, dict[str, Any], Any], "Check | None"]
"""Compiles one keyword: (compiler, keyword value, schema object, resolver) -> a check.

None means nothing to check (``additionalProperties: true``, an unknown format).
"""


def flatten(path: Path) -> tuple[Any, ...]:
    """The keys and indices of a linked path, root first."""
    parts = []
    while path is not None:
        path, key = path
        parts.append(key)
    parts.reverse()
    return tuple(parts)


class _Failed(Exception):
    """Raised by a probe at the first finding: a yes/no question needs no more."""


class _Probe(list[Finding]):
    """The ``out`` of a validity question (``if``, ``not``): no finding is built."""

    def extend(self, findings: Any) -> None:
        for _ in findings:
            raise _Failed


_PROBE = _Probe()


def _emit(
    out: list[Finding], kind: str, path: Path, value: Any, suffix: str = "", message: str = ""
) -> None:
    """Append a finding; its message is ``message``, else "<value> <suffix>".

    Messages are built here, after the probe check, because short_repr and
    the JSON Pointer cost more than the check that failed.
    """
    if out.__class__ is _Probe:
        raise _Failed
    text = message or f"{short_repr(value)} {suffix}"
    out.append(Finding(kind, json_pointer(flatten(path)), text, value))


def _timed_out(out: list[Finding], path: Path, value: Any, error: PatternTimeout) -> None:
    """A pattern ran out of its budget: a finding of its own, or no answer for a probe.

    A probe (``if``, ``not``) needs a yes or no; without one the question goes
    up to the engine, which reports the timeout for the whole schema.
    """
    if out.__class__ is _Probe:
        raise error
    out.append(Finding(PATTERN_TIMEOUT, json_pointer(flatten(path)), str(error), value))


def json_equal(one: Any, two: Any) -> bool:
    """Equality as JSON Schema means it: 1 == 1.0, but True != 1, recursively."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(map(json_equal, one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and json_equal(value, two[key]) for key, value in one.items()
        )
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "null": lambda value: value is None,
    "boolean": lambda value: isinstance(value, bool),
    "string": lambda value: isinstance(value, str),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "number": _is_number,
    "integer": lambda value: (
        (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, float) and value.is_integer())
    ),
}


class CompiledSchema:
    """A schema compiled once; ``findings(value)`` explains one decoded event."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.draft7 = schema.draft == DRAFT_7
        self.format_checker = schema.validator.format_checker
        self._validator = schema.validator
        self._memo: dict[tuple[int, str], Check] = {}
        if _uses_dynamic_scope(schema.document):
            # $dynamicRef depends on the path taken to reach it: only a whole
            # evaluation by the reference keeps that path.
            self._root = self._fallback(schema.document, schema.resolver)
        else:
            self._root = self.subschema(schema.document, schema.resolver)

    def findings(self, value: Any) -> list[Finding]:
        """Every finding for ``value``; empty means valid under the schema."""
        out: list[Finding] = []
        self._root(value, None, out)
        return out

    # -------------------------------------------------------------- compiling

    def subschema(self, node: Any, resolver: Any, *, scoped: bool = False) -> Check:
        """Compile ``node`` reached from a parent whose resolver is ``resolver``.

        ``scoped`` says ``resolver`` already is the node's own (a `$ref`
        lookup enters the target's `$id`); otherwise the node's `$id`, if any,
        is entered here, as python-jsonschema's descend does.
        """
        if not scoped and isinstance(node, dict) and not self._draft7_ref(node):
            resolver = subresource(resolver, node, self.schema.draft)
        key = (id(node), str(getattr(resolver, "_base_uri", "")))
        if key in self._memo:
            return self._memo[key]
        # A recursive schema reaches itself through $ref: hand out a
        # trampoline first and fill it in when compiling is done.
        cell: list[Check] = []

        def trampoline(instance: Any, path: Path, out: list[Finding]) -> None:
            cell[0](instance, path, out)

        self._memo[key] = trampoline
        compiled = self._compile_node(node, resolver)
        cell.append(compiled)
        self._memo[key] = compiled
        return compiled

    def _compile_node(self, node: Any, resolver: Any) -> Check:
        if node is True:
            return _accept
        if node is False:
            return _reject
        if not isinstance(node, dict):
            return self._fallback(node, resolver)
        if self._draft7_ref(node):
            # draft-07 ignores every sibling of $ref, $id included.
            node = {"$ref": node["$ref"]}
        # Keywords the draft does not define are ignored by the reference too.
        keywords = set(node) & set(self._validator.VALIDATORS)
        if not keywords <= KEYWORDS.keys():
            return self._fallback(node, resolver)
        checks = [
            check
            for check in (
                KEYWORDS[name](self, node[name], node, resolver) for name in sorted(keywords)
            )
            if check is not None
        ]
        if not checks:
            return _accept
        if len(checks) == 1:
            return checks[0]
        run = tuple(checks)

        def all_checks(instance: Any, path: Path, out: list[Finding]) -> None:
            for check in run:
                check(instance, path, out)

        return all_checks

    def _fallback(self, node: Any, resolver: Any) -> Check:
        """Leave this schema object to python-jsonschema and map its errors."""
        validator = self._validator

        def reference(instance: Any, path: Path, out: list[Finding]) -> None:
            errors = validator.descend(instance, node, resolver=resolver)
            if out.__class__ is _Probe:
                if next(iter(errors), None) is not None:
                    raise _Failed
                return
            # The reference searches patterns through cdccheck.engine.patterns too.
            try:
                found = list(findings_from_errors(errors, flatten(path)))
            except PatternTimeout as error:
                _timed_out(out, path, instance, error)
                return
            out.extend(found)

        return reference

    def probe(self, check: Check) -> Callable[[Any], bool]:
        """A yes/no question: does ``check`` find nothing? It stops at the first finding."""

        def valid(instance: Any) -> bool:
            try:
                check(instance, None, _PROBE)
            except _Failed:
                return False
            return True

        return valid

    def _draft7_ref(self, node: dict[str, Any]) -> bool:
        return self.draft7 and "$ref" in node


# ---------------------------------------------------------------- the keywords


def _type(compiler: CompiledSchema, types: Any, node: Any, resolver: Any) -> Check:
    names = [types] if isinstance(types, str) else list(types)
    tests = tuple(_TYPE_TESTS[name] for name in names if name in _TYPE_TESTS)
    suffix = "is not of type " + ", ".join(repr(name) for name in names)

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        for test in tests:
            if test(instance):
                return
        kind = NULL_NOT_ALLOWED if instance is None else TYPE_MISMATCH
        _emit(out, kind, path, instance, suffix)

    return check


def _enum(compiler: CompiledSchema, options: list[Any], node: Any, resolver: Any) -> Check:
    message = f"is not one of {short_repr(options)}"
    if all(isinstance(option, str) for option in options):
        allowed = frozenset(options)

        def strings(instance: Any, path: Path, out: list[Finding]) -> None:
            if not (isinstance(instance, str) and instance in allowed):
                _emit(out, ENUM_VALUE, path, instance, message)

        return strings

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if not any(json_equal(option, instance) for option in options):
            _emit(out, ENUM_VALUE, path, instance, message)

    return check


def _const(compiler: CompiledSchema, expected: Any, node: Any, resolver: Any) -> Check:
    message = f"{short_repr(expected)} was expected"

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if not json_equal(instance, expected):
            _emit(out, ENUM_VALUE, path, instance, message=message)

    return check


def _properties(
    compiler: CompiledSchema, properties: dict[str, Any], node: Any, resolver: Any
) -> Check:
    compiled = tuple((name, compiler.subschema(sub, resolver)) for name, sub in properties.items())

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if isinstance(instance, dict):
            for name, sub in compiled:
                if name in instance:
                    sub(instance[name], (path, name), out)

    return check


def _required(compiler: CompiledSchema, names: list[str], node: Any, resolver: Any) -> Check:
    required = tuple(names)

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if isinstance(instance, dict):
            for name in required:
                if name not in instance:
                    _emit(
                        out,
                        MISSING_REQUIRED,
                        (path, name),
                        ABSENT,
                        message=f"{name!r} is a required property",
                    )

    return check


def _dependent_required(
    compiler: CompiledSchema, dependencies: dict[str, list[str]], node: Any, resolver: Any
) -> Check:
    pairs = tuple((trigger, tuple(needed)) for trigger, needed in dependencies.items())

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if isinstance(instance, dict):
            for trigger, needed in pairs:
                if trigger in instance:
                    for name in needed:
                        if name not in instance:
                            _emit(
                                out,
                                MISSING_REQUIRED,
                                (path, name),
                                ABSENT,
                                message=f"{name!r} is a dependency of {trigger!r}",
                            )

    return check


def _dependencies(
    compiler: CompiledSchema, dependencies: dict[str, Any], node: Any, resolver: Any
) -> Check:
    required = {k: v for k, v in dependencies.items() if isinstance(v, list)}
    schemas = tuple(
        (trigger, compiler.subschema(sub, resolver))
        for trigger, sub in dependencies.items()
        if not isinstance(sub, list)
    )
    required_check = _dependent_required(compiler, required, node, resolver)

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if isinstance(instance, dict):
            required_check(instance, path, out)
            for trigger, sub in schemas:
                if trigger in instance:
                    sub(instance, path, out)

    return check


def _additional_properties(
    compiler: CompiledSchema, extra: Any, node: dict[str, Any], resolver: Any
) -> Check | None:
    if extra is True:
        return None
    declared = frozenset(node.get("properties", {}))
    # Joined into one alternation, as python-jsonschema joins them.
    patterns = "|".join(node.get("patternProperties", {}))
    matches = regexes.matcher(patterns).test if patterns else None

    def extras(instance: dict[str, Any], path: Path, out: list[Finding]) -> list[str]:
        found = []
        for name, value in instance.items():
            if name in declared:
                continue
            if matches is not None:
                try:
                    if matches(name):
                        continue
                except PatternTimeout as error:
                    _timed_out(out, (path, name), value, error)
                    continue
            found.append(name)
        return found

    if extra is False:

        def closed(instance: Any, path: Path, out: list[Finding]) -> None:
            if isinstance(instance, dict) and not declared.issuperset(instance):
                for name in extras(instance, path, out):
                    _emit(
                        out,
                        UNKNOWN_FIELD,
                        (path, name),
                        instance[name],
                        message=f"additional property {name!r} is not allowed",
                    )

        return closed
    sub = compiler.subschema(extra, resolver)

    def open_with_schema(instance: Any, path: Path, out: list[Finding]) -> None:
        if isinstance(instance, dict):
            for name in extras(instance, path, out):
                sub(instance[name], (path, name), out)

    return open_with_schema


def _pattern_properties(
    compiler: CompiledSchema, patterns: dict[str, Any], node: Any, resolver: Any
) -> Check:
    compiled = tuple(
        (regexes.matcher(pattern).test, compiler.subschema(sub, resolver))
        for pattern, sub in patterns.items()
    )

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if isinstance(instance, dict):
            for search, sub in compiled:
                for name, value in instance.items():
                    try:
                        matched = search(name)
                    except PatternTimeout as error:
                        _timed_out(out, (path, name), value, error)
                        continue
                    if matched:
                        sub(value, (path, name), out)

    return check


def _min_properties(compiler: CompiledSchema, limit: int, node: Any, resolver: Any) -> Check:
    return _size_check(dict, lambda size: size < limit, f"should have at least {limit} properties")


def _max_properties(compiler: CompiledSchema, limit: int, node: Any, resolver: Any) -> Check:
    return _size_check(dict, lambda size: size > limit, f"should have at most {limit} properties")


def _min_items(compiler: CompiledSchema, limit: int, node: Any, resolver: Any) -> Check:
    return _size_check(list, lambda size: size < limit, f"should have at least {limit} items")


def _max_items(compiler: CompiledSchema, limit: int, node: Any, resolver: Any) -> Check:
    return _size_check(list, lambda size: size > limit, f"should have at most {limit} items")


def _min_length(compiler: CompiledSchema, limit: int, node: Any, resolver: Any) -> Check:
    return _size_check(str, lambda size: size < limit, f"is shorter than {limit} characters")


def _max_length(compiler: CompiledSchema, limit: int, node: Any, resolver: Any) -> Check:
    return _size_check(str, lambda size: size > limit, f"is longer than {limit} characters")


def _items(
    compiler: CompiledSchema, items: Any, node: dict[str, Any], resolver: Any
) -> Check | None:
    if isinstance(items, list):  # draft-07 tuple form
        return _prefix_items(compiler, items, node, resolver)
    start = 0 if compiler.draft7 else len(node.get("prefixItems", []))
    if items is False:

        def none_allowed(instance: Any, path: Path, out: list[Finding]) -> None:
            if isinstance(instance, list) and len(instance) > start:
                extra = len(instance) - start
                _emit(
                    out,
                    CONSTRAINT,
                    path,
                    instance,
                    message=f"expected at most {start} items but found {extra} extra",
                )

        return none_allowed
    sub = compiler.subschema(items, resolver)

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if isinstance(instance, list):
            for index in range(start, len(instance)):
                sub(instance[index], (path, index), out)

    return check


def _prefix_items(compiler: CompiledSchema, prefix: list[Any], node: Any, resolver: Any) -> Check:
    compiled = tuple(compiler.subschema(sub, resolver) for sub in prefix)

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if isinstance(instance, list):
            for index, (item, sub) in enumerate(zip(instance, compiled, strict=False)):
                sub(item, (path, index), out)

    return check


def _pattern(compiler: CompiledSchema, pattern: str, node: Any, resolver: Any) -> Check:
    search = regexes.matcher(pattern).test
    suffix = f"does not match {pattern!r}"

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if isinstance(instance, str):
            try:
                matched = search(instance)
            except PatternTimeout as error:
                _timed_out(out, path, instance, error)
                return
            if not matched:
                _emit(out, CONSTRAINT, path, instance, suffix)

    return check


def _format(compiler: CompiledSchema, name: str, node: Any, resolver: Any) -> Check | None:
    checker = compiler.format_checker
    if checker is None or name not in checker.checkers:
        return None  # the reference ignores formats it does not know
    function, raises = checker.checkers[name]
    suffix = f"is not a {name!r}"

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        try:
            conforms = function(instance)
        except raises:
            conforms = False
        if not conforms:
            _emit(out, FORMAT, path, instance, suffix)

    return check


def _minimum(compiler: CompiledSchema, limit: Any, node: Any, resolver: Any) -> Check:
    return _bound_check(lambda value: value < limit, f"is less than the minimum of {limit}")


def _maximum(compiler: CompiledSchema, limit: Any, node: Any, resolver: Any) -> Check:
    return _bound_check(lambda value: value > limit, f"is greater than the maximum of {limit}")


def _exclusive_minimum(compiler: CompiledSchema, limit: Any, node: Any, resolver: Any) -> Check:
    return _bound_check(lambda value: value <= limit, f"is not greater than {limit}")


def _exclusive_maximum(compiler: CompiledSchema, limit: Any, node: Any, resolver: Any) -> Check:
    return _bound_check(lambda value: value >= limit, f"is not less than {limit}")


def _all_of(compiler: CompiledSchema, subschemas: list[Any], node: Any, resolver: Any) -> Check:
    compiled = tuple(compiler.subschema(sub, resolver) for sub in subschemas)

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        for sub in compiled:
            sub(instance, path, out)

    return check


def _if(
    compiler: CompiledSchema, condition: Any, node: dict[str, Any], resolver: Any
) -> Check | None:
    if "then" not in node and "else" not in node:
        return None
    # The reference evaluates `if` with the enclosing resolver: so do we.
    holds = _discriminator(condition) or compiler.probe(compiler.subschema(condition, resolver))
    then = compiler.subschema(node["then"], resolver) if "then" in node else None
    otherwise = compiler.subschema(node["else"], resolver) if "else" in node else None

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        branch = then if holds(instance) else otherwise
        if branch is not None:
            branch(instance, path, out)

    return check


def _not(compiler: CompiledSchema, forbidden: Any, node: Any, resolver: Any) -> Check:
    holds = compiler.probe(compiler.subschema(forbidden, resolver))
    suffix = f"should not be valid under {short_repr(forbidden)}"

    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if holds(instance):
            _emit(out, CONSTRAINT, path, instance, suffix)

    return check


def _ref(compiler: CompiledSchema, ref: str, node: Any, resolver: Any) -> Check:
    target, target_resolver = resolve_ref(resolver, ref)
    # Compile lazily through the memo: recursive schemas come back here.
    return compiler.subschema(target, target_resolver, scoped=True)


def _with_if(compiler: CompiledSchema, branch: Any, node: Any, resolver: Any) -> None:
    """`then` and `else` are compiled by `if`, which picks between them."""


KEYWORDS: dict[str, Handler] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional_properties,
    "patternProperties": _pattern_properties,
    "minProperties": _min_properties,
    "maxProperties": _max_properties,
    "dependentRequired": _dependent_required,
    "dependencies": _dependencies,
    "items": _items,
    "prefixItems": _prefix_items,
    "minItems": _min_items,
    "maxItems": _max_items,
    "minLength": _min_length,
    "maxLength": _max_length,
    "pattern": _pattern,
    "format": _format,
    "minimum": _minimum,
    "maximum": _maximum,
    "exclusiveMinimum": _exclusive_minimum,
    "exclusiveMaximum": _exclusive_maximum,
    "allOf": _all_of,
    "if": _if,
    "then": _with_if,
    "else": _with_if,
    "not": _not,
    "$ref": _ref,
}
"""Every keyword compiled here -> its handler. A schema object using any other
keyword its draft defines is left whole to the reference (``_fallback``)."""


def _discriminator(condition: Any) -> Callable[[Any], bool] | None:
    """A direct test for the usual ``if``: one property equal to a constant.

    ``{"properties": {"op": {"const": "create"}}, "required": ["op"]}`` holds
    for anything that is not an object (both keywords only constrain
    objects), and for an object whose ``op`` is present (when required) and
    equal to the constant. Exactly the reference's answer, without running
    and discarding the checks of every other branch.
    """
    if not isinstance(condition, dict) or set(condition) - {"properties", "required"}:
        return None
    properties = condition.get("properties")
    if not isinstance(properties, dict) or len(properties) != 1:
        return None
    [(name, test)] = properties.items()
    if not isinstance(test, dict) or set(test) != {"const"}:
        return None
    required = condition.get("required", [])
    if required not in ([], [name]):
        return None
    expected = test["const"]
    must_exist = bool(required)

    def holds(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return True
        if name not in instance:
            return not must_exist
        return json_equal(instance[name], expected)

    return holds


def _uses_dynamic_scope(node: Any) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if "$dynamicRef" in current or "$recursiveRef" in current:
                return True
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return False


def _accept(instance: Any, path: Path, out: list[Finding]) -> None:
    return None


def _reject(instance: Any, path: Path, out: list[Finding]) -> None:
    _emit(out, CONSTRAINT, path, instance, "is not allowed by a false schema")


def _size_check(kind: type[Sized], fails: Callable[[int], bool], message: str) -> Check:
    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if isinstance(instance, kind) and fails(len(instance)):
            _emit(out, CONSTRAINT, path, instance, message)

    return check


def _bound_check(fails: Callable[[Any], bool], message: str) -> Check:
    def check(instance: Any, path: Path, out: list[Finding]) -> None:
        if _is_number(instance) and fails(instance):
            _emit(out, CONSTRAINT, path, instance, message)

    return check
