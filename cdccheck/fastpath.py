"""Kept for one release: the fast tier moved to :mod:`cdccheck.engine.fastpath`.

Its schema translation is in :mod:`cdccheck.engine.shapes` and the
remembered failure shapes (``Explanations`` here) in
:mod:`cdccheck.engine.remembered`.
"""

from cdccheck.engine.fastpath import FastAcceptor
from cdccheck.engine.plans import Paths
from cdccheck.engine.remembered import RememberedShapes as Explanations
from cdccheck.engine.shapes import (
    FORMAT_SUBSETS,
    AnyOf,
    Array,
    Boolean,
    Choice,
    Integer,
    KeySpec,
    Null,
    Number,
    Object,
    Shape,
    Tagged,
    Text,
    Unsupported,
    meet,
)

__all__ = [
    "FORMAT_SUBSETS",
    "AnyOf",
    "Array",
    "Boolean",
    "Choice",
    "Explanations",
    "FastAcceptor",
    "Integer",
    "KeySpec",
    "Null",
    "Number",
    "Object",
    "Paths",
    "Shape",
    "Tagged",
    "Text",
    "Unsupported",
    "meet",
]
