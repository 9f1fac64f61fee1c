"""How a Summary names, clips, orders and folds its groups (docs/security.md, "Bounded reports").

A Summary's size is bounded whatever the events hold: paths and op/writer
values are clipped to a length, and the distinct finding groups and op/writer
values it keeps are capped. What does not fit is folded into overflow groups
and labels by a rule that depends only on WHICH keys were seen, never on
their order, so counters stay exact and merging stays associative and
commutative:

* a group path is split into a parent and a last segment (a "name"). For each
  ``(schema, kind, parent)`` (a "family") the ``max_names`` smallest names
  keep their group; the others share the family's ``<parent>/~other`` group;
* the ``max_parents`` smallest families of a table (findings, or warnings)
  keep their groups; the groups of the others share ``/~other-paths`` of
  their (schema, kind);
* the ``max_labels`` smallest op (and writer) values keep their counters; the
  others share ``(other)``.

"Smallest" is a fixed total order (``name_order``, ``family_order``,
``label_order``); the fleet summary in Redis sorts its sorted sets by the
same scores and members. A key that is among the smallest of everything is
among the smallest of every part, so folding the parts and then merging gives
what folding everything at once gives.

This module holds the names, the orders and the bookkeeping (``Folding``);
``cdccheck.summary`` applies them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re

from cdccheck.model import UNKNOWN

DEFAULT_MAX_NAMES = 50
"""Distinct last path segments kept per (schema, kind, parent path); see the module docstring."""
DEFAULT_MAX_PARENTS = 200
"""Distinct (schema, kind, parent path) kept per table (findings, warnings)."""
DEFAULT_MAX_LABELS = 100
"""Distinct op values (and, separately, writer values) kept."""
MAX_SEGMENT = 64
"""Longest path segment kept as it is (longer ones: a prefix and a hash)."""
MAX_PATH = 512
"""Longest path kept as it is (longer ones: leading segments and a hash of the rest)."""
MAX_LABEL = 64
"""Longest op or writer value kept as it is (longer ones: a prefix and a hash)."""
OTHER_NAME = "~other"
"""The last segment of a family's overflow group: ``/comment/~other``."""
OTHER_PATHS = "/~other-paths"
"""The path of a (schema, kind)'s catch-all group, for families beyond ``max_parents``."""
OTHER_LABEL = "(other)"
"""The op or writer counting the values beyond ``max_labels``."""
# Why "~": RFC 6901 escapes a "~" in a key as "~0", so a "~" followed by
# anything else never comes from a real key, and these markers cannot collide
# with one. "?" (no op or writer) and "(other)" are never capped.
UNCAPPED_LABELS = frozenset({UNKNOWN, OTHER_LABEL})
"""Op and writer values that ``max_labels`` never folds."""
OTHER_SUFFIX = "/" + OTHER_NAME
"""How an overflow group's path ends."""
_DIGEST = 12
_INDEX = re.compile(r"/\d+(?=/|$)")
_CACHED_PATH = 256


@functools.lru_cache(maxsize=4096)
def id_order(stream_id: str) -> tuple[int, int, int, str]:
    """Sort key for ids: Redis stream ids numerically, anything else after, by text."""
    milliseconds, dash, sequence = stream_id.partition("-")
    if dash and milliseconds.isdigit() and sequence.isdigit():
        return (0, int(milliseconds), int(sequence), "")
    return (1, 0, 0, stream_id)


def aggregate_path(path: str) -> str:
    """``/comment/awards/3/count`` -> ``/comment/awards/*/count``."""
    return _INDEX.sub("/*", path)


def group_path(path: str) -> str:
    """The path a finding is grouped under: indices as ``*``, then clipped (``clip_path``)."""
    if len(path) <= _CACHED_PATH:
        return _cached_group_path(path)
    return clip_path(aggregate_path(path))


# Only short paths are cached: a cache of megabyte-long keys would be the
# very memory growth the clipping prevents.
@functools.lru_cache(maxsize=4096)
def _cached_group_path(path: str) -> str:
    return clip_path(aggregate_path(path))


def _digest(text: str) -> str:
    # "~h" never starts an RFC 6901 escape, so a digest never looks like a key.
    data = text.encode("utf-8", "surrogatepass")
    return "~h" + hashlib.sha256(data).hexdigest()[:_DIGEST]


def clip_text(text: str, limit: int) -> str:
    """``text`` if at most ``limit`` characters, else its start and a hash of all of it.

    The result has ``limit`` characters; two different long texts stay apart
    (up to a 48-bit hash collision).
    """
    if len(text) <= limit:
        return text
    return text[: limit - len(_digest(""))] + _digest(text)


def clip_path(path: str) -> str:
    """``path`` with segments over MAX_SEGMENT characters clipped, and at most MAX_PATH long.

    A path still too long after clipping its segments keeps its leading
    segments and ends with one segment hashing the rest.
    """
    if len(path) <= MAX_SEGMENT:
        return path
    clipped = "/".join(clip_text(segment, MAX_SEGMENT) for segment in path.split("/"))
    if len(clipped) <= MAX_PATH:
        return clipped
    cut = max(clipped.rfind("/", 0, MAX_PATH - len(_digest("")) - 1), 0)
    return clipped[:cut] + "/" + _digest(clipped[cut:])


def clip_label(value: str) -> str:
    """An op or writer value clipped to MAX_LABEL characters (``clip_text``)."""
    return clip_text(value, MAX_LABEL)


def counter_field(*parts: str) -> str:
    """A counter's name as a compact JSON array: ``["findings","new","format","/a"]``.

    The fleet summary names its Redis hash fields so; the caps' orders below
    compare these names, so Redis sorted sets can keep the same order.
    """
    return json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def split_path(path: str) -> tuple[str, str]:
    """A group path as (parent, name): ``/comment/x`` -> (``/comment``, ``/x``)."""
    parent, slash, name = path.rpartition("/")
    return parent, slash + name


def family_order(table: str, schema: str, kind: str, parent: str) -> tuple[int, bytes]:
    """The order of families (shallowest parent first): the fleet's sorted-set score and member."""
    return parent.count("/"), _utf8(counter_field(table, schema, kind, parent))


def name_order(table: str, schema: str, kind: str, path: str) -> tuple[int, bytes]:
    """The order of names within a family (shortest first): score and member in Redis."""
    return len(_utf8(split_path(path)[1])), _utf8(counter_field(table, schema, kind, path))


def label_order(table: str, value: str) -> tuple[int, bytes]:
    """The order of op (``by_op``) or writer (``by_writer``) values (shortest first)."""
    return len(_utf8(value)), _utf8(counter_field(table, value))


def family_parent(path: str) -> str:
    """The parent path of the family a group belongs to (an overflow group's too)."""
    if path.endswith(OTHER_SUFFIX):
        return path[: -len(OTHER_SUFFIX)]
    return split_path(path)[0]


def group_role(path: str) -> str:
    """``catch-all`` (``/~other-paths``), ``overflow`` (``.../~other``) or ``group``."""
    if path == OTHER_PATHS:
        return "catch-all"
    if path.endswith(OTHER_SUFFIX):
        return "overflow"
    return "group"


GroupKey = tuple[str, str, str]


class Family:
    """The kept names of one (schema, kind, parent): their groups live in the table."""

    __slots__ = ("names", "paths")

    def __init__(self) -> None:
        self.names: list[tuple[tuple[int, bytes], str]] = []
        """(name_order, path) of the kept groups, smallest first."""
        self.paths: set[str] = set()


class Folding:
    """What a Summary keeps under its caps, and in which order (see the module docstring)."""

    __slots__ = ("families", "labels", "order", "writer_groups")

    def __init__(self) -> None:
        self.families: dict[str, dict[tuple[str, str, str], Family]] = {
            "findings": {},
            "warnings": {},
        }
        self.order: dict[str, list[tuple[tuple[int, bytes], tuple[str, str, str]]]] = {
            "findings": [],
            "warnings": [],
        }
        """(family_order, family) of the kept families of each table, smallest first."""
        self.labels: dict[str, list[tuple[tuple[int, bytes], str]]] = {
            "by_op": [],
            "by_writer": [],
        }
        """(label_order, value) of the kept op and writer values, smallest first."""
        self.writer_groups: dict[str, set[tuple[str, GroupKey]]] = {}
        """Kept writer label -> the (table, group key) whose ``by_writer`` counts it.

        So a writer pushed out of ``max_labels`` moves into ``(other)`` in the
        groups that count it, not in every group.
        """
