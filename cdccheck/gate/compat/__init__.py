"""Static compatibility of two JSON Schemas, in both directions, with witnesses.

Words as in Confluent Schema Registry (and docs/gate.md):
**backward** compatible = the new schema accepts every instance the legacy
schema accepts; **forward** = the legacy schema accepts every instance the new
one accepts.

How it works: one walk checks "every instance of A is an instance of B" (A
legacy and B new for backward, the other way round for forward). It goes
through both schemas in parallel, keyword group by keyword group; where it
cannot prove inclusion it records a problem, named in legacy -> new terms so
that the two walks' findings about one difference merge into one `Change`
with two `breaking` flags. A problem is recorded whenever inclusion is not
PROVEN: a false alarm is acceptable, a missed break is not. So every reading
errs the same way: the side whose instances are enumerated (A) is read
loosely (never smaller than it is), the side that must accept (B) strictly
(never larger than it is).

Recursive schemas terminate: a pair of positions being checked is assumed to
hold when met again (the coinductive reading, sound because instances are
finite), and finished pairs are memoized.

Each breaking change then gets a witness search (`cdccheck.gate.witness`); only
instances python-jsonschema accepts under one schema and rejects under the
other are shown.

Where the code is: walker.py holds the walk (one direction, bookkeeping,
recursion, memo); keywords.py is the table of which check compares which
keyword; the checks live by keyword family in scalars.py, objects.py,
arrays.py and combinators.py; changes.py has the types a comparison
returns, and this module the entry points and the merge of both walks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cdccheck.gate.compat.changes import (
    BACKWARD,
    FORWARD,
    FULL,
    MODES,
    Change,
    Comparison,
    Location,
)
from cdccheck.gate.compat.walker import MAX_STEPS, Problem, Walk
from cdccheck.gate.schemaview import Doc, make_doc
from cdccheck.gate.witness import Attempt, Builder, Searcher, Site

if TYPE_CHECKING:
    from cdccheck.engine.schema import Schema

__all__ = [
    "BACKWARD",
    "FORWARD",
    "FULL",
    "MAX_STEPS",
    "MODES",
    "Change",
    "Comparison",
    "Location",
    "compare",
    "compare_documents",
]


def compare(
    legacy: Schema,
    new: Schema,
    *,
    witnesses: bool = True,
    labels: Mapping[str, str] | None = None,
) -> Comparison:
    """Compare two loaded schemas in both directions; look for witnesses of breaks.

    ``labels`` name the sides in messages: ``{"legacy": "base", "new": "head"}``
    for ``--against`` (default: ``legacy`` and ``new``).
    """
    legacy_doc = make_doc(
        legacy.document,
        role="legacy",
        origin=legacy.path,
        validator=legacy.validator,
        registry=legacy.registry,
    )
    new_doc = make_doc(
        new.document, role="new", origin=new.path, validator=new.validator, registry=new.registry
    )
    return _compare(legacy_doc, new_doc, witnesses=witnesses, labels=labels)


def compare_documents(
    legacy: Any,
    new: Any,
    *,
    draft: str | None = None,
    witnesses: bool = True,
    legacy_origin: str = "legacy",
    new_origin: str = "new",
    labels: Mapping[str, str] | None = None,
) -> Comparison:
    """Compare two schema documents that use only internal `$ref`s.

    ``draft`` is used for a document without `$schema` (default draft 2020-12).
    """
    legacy_doc = make_doc(legacy, role="legacy", origin=legacy_origin, draft=draft)
    new_doc = make_doc(new, role="new", origin=new_origin, draft=draft)
    return _compare(legacy_doc, new_doc, witnesses=witnesses, labels=labels)


def _compare(
    legacy: Doc, new: Doc, *, witnesses: bool, labels: Mapping[str, str] | None
) -> Comparison:
    builder = Builder()
    backward = Walk(backward=True, builder=builder, labels=labels)
    backward.include([legacy.root], new.root, Site(None, None, (legacy.root,)))
    forward = Walk(backward=False, builder=builder, labels=labels)
    forward.include([new.root], legacy.root, Site(None, None, (new.root,)))
    changes, attempts = _merge(backward.problems, forward.problems)
    if witnesses:
        searcher = Searcher({"legacy": legacy, "new": new}, builder=builder)
        for change, change_attempts in zip(changes, attempts, strict=True):
            if change.backward or change.forward:
                wanted = [
                    a
                    for a in change_attempts
                    if (a.source_role == "legacy" and change.backward)
                    or (a.source_role == "new" and change.forward)
                ]
                change.witness = searcher.find(wanted)
    return Comparison(legacy.origin, new.origin, changes)


# ---- problems and their merge ----------------------------------------------------------


def _merge(
    backward: list[Problem], forward: list[Problem]
) -> tuple[list[Change], list[list[Attempt]]]:
    merged: dict[tuple[str, Location | None, Location | None], list[Any]] = {}
    for is_backward, problems in ((True, backward), (False, forward)):
        for p in problems:
            key = (p.family, p.legacy, p.new)
            entry = merged.setdefault(key, [p, False, False, [], None])
            if p.breaking:
                entry[1 if is_backward else 2] = True
                entry[3].extend(p.attempts)
                if entry[4] is None:
                    entry[4] = p.message
    changes: list[Change] = []
    attempts: list[list[Attempt]] = []
    for first, breaks_backward, breaks_forward, found, message in merged.values():
        kind = first.name(breaks_backward, breaks_forward) if first.name else first.family
        changes.append(
            Change(
                kind=kind,
                legacy=first.legacy,
                new=first.new,
                backward=breaks_backward,
                forward=breaks_forward,
                message=message or first.message,
                primary=first.primary,
            )
        )
        attempts.append(found)
    # A definition reached through several `$ref`s is one change to the reader.
    unique: dict[tuple[str, Location, bool, bool], int] = {}
    kept_changes: list[Change] = []
    kept_attempts: list[list[Attempt]] = []
    for change, found in zip(changes, attempts, strict=True):
        place = (change.kind, change.location, change.backward, change.forward)
        if place in unique:
            kept_attempts[unique[place]].extend(found)
            continue
        unique[place] = len(kept_changes)
        kept_changes.append(change)
        kept_attempts.append(found)
    order = sorted(range(len(kept_changes)), key=lambda i: _sort_key(kept_changes[i]))
    return [kept_changes[i] for i in order], [kept_attempts[i] for i in order]


def _sort_key(change: Change) -> tuple[list[str], str]:
    return (change.location.pointer.split("/"), change.kind)
