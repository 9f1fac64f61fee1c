"""encoding/json's field rules: struct tags, embedding and promotion, the dominant field.

These follow ``reflect.StructTag.Get``, ``isValidTag`` and ``typeFields`` of
Go's encoding/json as its ``encode.go`` implements them (see
docs/schemas-from-code.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdccheck.refs.go.facts import SCALAR_KINDS
from cdccheck.refs.go.resolve import External, FieldDecl, Named, Pointer, Resolver, Struct


def struct_tag_get(tag: str, key: str) -> str:
    """reflect.StructTag.Get: the value of ``key`` in a conventional struct tag."""
    rest = tag
    while rest:
        rest = rest.lstrip(" ")
        if not rest:
            break
        index = 0
        while index < len(rest) and rest[index] > " " and rest[index] not in ':"\x7f':
            index += 1
        if index == 0 or index + 1 >= len(rest) or rest[index] != ":" or rest[index + 1] != '"':
            break
        name = rest[:index]
        rest = rest[index + 1 :]
        index = 1
        while index < len(rest) and rest[index] != '"':
            if rest[index] == "\\":
                index += 1
            index += 1
        if index >= len(rest):
            break
        quoted = rest[: index + 1]
        rest = rest[index + 1 :]
        if name == key:
            try:
                return str(
                    quoted[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
                )
            except UnicodeDecodeError:
                return ""
    return ""


def _valid_tag_name(name: str) -> bool:
    """encoding/json's isValidTag: letters, digits and most punctuation."""
    if not name:
        return False
    allowed = set("!#$%&()*+-./:;<=>?@[]^_{|}~ ")
    return all(c in allowed or c.isalpha() or c.isdigit() for c in name)


# ---------------------------------------------------------------- typeFields


@dataclass
class JsonField:
    """One field as encoding/json's typeFields sees it."""

    name: str
    tagged: bool
    index: tuple[int, ...]
    decl: FieldDecl
    owner: str
    omit_empty: bool
    quoted: bool
    through_pointer: str | None
    """The embedded pointer field it is reached through, if any (absent when nil)."""
    path: tuple[str, ...]


def type_fields(
    resolver: Resolver, struct: Struct, owner: str
) -> tuple[list[JsonField], list[FieldDecl]]:
    """encoding/json's typeFields: the fields Marshal writes for ``struct``, in order.

    Returns (fields, unknown): unknown lists the embedded fields whose type
    comes from an unparsed package, so they could add fields or methods
    cdccheck cannot see (the caller warns and opens the schema).
    """
    found: list[JsonField] = []
    # Breadth-first over embedded structs, as typeFields does: (type,
    # struct, index, through_pointer, path).
    next_level: list[tuple[Any, Struct, tuple[int, ...], str | None, tuple[str, ...]]] = [
        (struct, struct, (), None, ())
    ]
    visited: set[Any] = set()
    next_counts: dict[Any, int] = {}
    unknown: list[FieldDecl] = []
    while next_level:
        current, next_level = next_level, []
        counts, next_counts = next_counts, {}
        for key, level_struct, index, through, path in current:
            if key in visited:
                continue
            visited.add(key)
            for position, decl in enumerate(resolver.fields_of(level_struct)):
                target = decl.type.elem if decl.pointer else decl.type
                if decl.embedded:
                    if not decl.exported and resolver.kind(target) != "struct":
                        continue
                elif not decl.exported:
                    continue
                tag = struct_tag_get(decl.tag, "json")
                if tag == "-":
                    continue
                name, _, options = tag.partition(",")
                option_set = set(options.split(",")) if options else set()
                if not _valid_tag_name(name):
                    name = ""
                field_index = (*index, position)
                # typeFields follows an unnamed pointer for these checks.
                followed = decl.type.elem if isinstance(decl.type, Pointer) else decl.type
                followed_kind = resolver.kind(followed)
                quoted = "string" in option_set and followed_kind in SCALAR_KINDS
                if name or not decl.embedded or followed_kind != "struct":
                    if decl.embedded and followed_kind == "?":
                        unknown.append(decl)
                    json_field = JsonField(
                        name or decl.name,
                        bool(name),
                        field_index,
                        decl,
                        owner,
                        "omitempty" in option_set,
                        quoted,
                        through,
                        (*path, decl.name),
                    )
                    found.append(json_field)
                    if counts.get(key, 0) > 1:
                        found.append(json_field)  # a second copy: the name is ambiguous
                    continue
                if isinstance(followed, External):
                    # A well-known struct (time.Time): no exported fields.
                    continue
                next_counts[followed] = next_counts.get(followed, 0) + 1
                if next_counts[followed] == 1:
                    inner = (
                        resolver.underlying(followed) if isinstance(followed, Named) else followed
                    )
                    pointer_name = through
                    if decl.pointer and pointer_name is None:
                        pointer_name = ".".join((owner, *path, decl.name))
                    next_level.append(
                        (followed, inner, field_index, pointer_name, (*path, decl.name))
                    )
    found.sort(key=lambda f: (f.name, len(f.index), not f.tagged, f.index))
    out: list[JsonField] = []
    position = 0
    while position < len(found):
        name = found[position].name
        end = position
        while end < len(found) and found[end].name == name:
            end += 1
        group = found[position:end]
        position = end
        if len(group) == 1:
            out.append(group[0])
            continue
        # dominantField: the first is shallowest (and tagged first); two
        # at that depth with the same taggedness cancel out.
        first, second = group[0], group[1]
        if len(first.index) == len(second.index) and first.tagged == second.tagged:
            continue
        out.append(first)
    out.sort(key=lambda f: f.index)
    return out, unknown
