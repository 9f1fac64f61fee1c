"""The change-kind table: every kind the gate can report is explained, here and in the docs."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

from cdccheck.gate.compat import arrays, objects, scalars, words
from cdccheck.gate.kinds import KINDS, REFUSED_BY, explain, findings_caused
from cdccheck.gate.schemaview import ANNOTATIONS, make_doc
from cdccheck.model import FINDING_KINDS, UNDECODABLE

REPO = Path(__file__).resolve().parents[2]
GATE = REPO / "cdccheck" / "gate"
KIND_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
# Problem families that a naming function always replaces before a change is made.
FAMILIES_NEVER_SHOWN = {
    "PROPERTY_ADDED_PARTIAL",
    "PROPERTY_REMOVED_PARTIAL",
    "ITEM_ADDED_PARTIAL",
    "ITEM_REMOVED_PARTIAL",
    "DEPENDENCY_ARRAY",  # a stem: objects._set_kind adds _ADDED, _REMOVED, ...
}


def _literal_kinds() -> dict[str, str]:
    """Every string constant that looks like a kind name where changes are made -> its file.

    The comparison (compat/) and the run (run.py, file added/removed) make
    changes; `__all__` lists are names, not kinds.
    """
    found: dict[str, str] = {}
    for path in [*sorted((GATE / "compat").glob("*.py")), GATE / "run.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exported = {
            id(constant)
            for statement in ast.walk(tree)
            if isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets)
            for constant in ast.walk(statement.value)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and KIND_NAME.match(node.value)
                and id(node) not in exported
            ):
                found.setdefault(node.value, str(path.relative_to(REPO)))
    return found


def _composed_kinds() -> set[str]:
    """Every name the naming functions compose, over their whole (finite) domains."""
    kinds: set[str] = set()
    for keyword in scalars._KEYWORD_NAMES:
        for legacy, new in ((None, 1), (1, None), (1, 2), (2, 1), (1, 1)):
            kinds.add(scalars._bound_kind(keyword, legacy, new))
    for legacy, new in ((None, 2), (2, None), (2, 4), (4, 2), (2, 3)):
        kinds.add(scalars._multiple_kind(legacy, new))
    for keyword in ("pattern", "format"):
        for legacy, new in (("a", None), (None, "a"), ("a", "b")):
            kinds.add(scalars.text_kind(keyword, legacy, new))
    for legacy, new in ((None, [1]), ([1], None), ([1], [1, 2]), ([1, 2], [1]), ([1], [2])):
        kinds.add(scalars._enum_kind(legacy, new) or "")
        kinds.add(objects._set_kind("DEPENDENCY_ARRAY", legacy, new))
    kinds |= set(REFUSED_BY.values()) | {"SCHEMA_NARROWED", "SCHEMA_EXTENDED"}
    kinds |= set(ANNOTATIONS.values())
    doc = make_doc(
        {"properties": {"t": True, "f": False, "s": {"type": "string"}}}, role="legacy", origin="x"
    )
    nodes = [None, *(doc.root.child("properties", name) for name in ("t", "f", "s"))]
    for what in ("PROPERTIES", "ITEMS"):
        for legacy_node, new_node in itertools.product(nodes, nodes):
            kinds.add(words.additional_kind(legacy_node, new_node, what))
    namers = (
        objects._added_property_kind,
        objects._removed_property_kind,
        arrays._added_item_kind,
        arrays._removed_item_kind,
    )
    for namer in namers:
        for values, declared in itertools.product(
            ([], [nodes[1]], [nodes[2]], [nodes[3]]), [None, *nodes[1:]]
        ):
            if namer in (arrays._added_item_kind, arrays._removed_item_kind):
                family, name = namer(values[0] if values else None, declared)  # type: ignore[operator]
            else:
                family, name = namer(values, declared)  # type: ignore[operator]
            if name is None:
                kinds.add(family)
            else:
                kinds |= {name(b, f) for b, f in ((True, False), (False, True), (False, False))}
    kinds.discard("")
    return kinds


def test_every_kind_in_the_code_is_in_the_table() -> None:
    literal = _literal_kinds()
    unexplained = {k: f for k, f in literal.items() if k not in KINDS}
    assert set(unexplained) <= FAMILIES_NEVER_SHOWN, unexplained
    assert len(literal) > 50, "the scan found too little: the test would prove nothing"


def test_every_composed_kind_is_in_the_table() -> None:
    composed = _composed_kinds()
    assert len(composed) > 100
    assert composed - KINDS.keys() == set()


def test_every_kind_has_a_one_line_explanation_and_finding_kinds() -> None:
    for kind in KINDS:
        text = explain(kind)
        assert text, kind
        assert "\n" not in text, kind
        assert len(text) <= 140, kind
        assert "{" not in text, kind
        assert findings_caused(kind) <= set(FINDING_KINDS) - {UNDECODABLE}, kind
    # Annotations break nothing, so they cause no finding.
    assert all(not findings_caused(kind) for kind in ANNOTATIONS.values())
    assert findings_caused("REQUIRED_ATTRIBUTE_REMOVED") == {"missing_required"}
    assert findings_caused("MAXIMUM_ADDED") == {"constraint"}


def test_explanations_name_the_sides_by_their_labels() -> None:
    text = explain("REQUIRED_ATTRIBUTE_REMOVED", {"legacy": "base", "new": "head"})
    assert "head writers" in text
    assert "base readers" in text
    assert "legacy" not in text


def _documented_rows() -> dict[str, str]:
    text = (REPO / "docs" / "gate.md").read_text(encoding="utf-8")
    section = text.split("## Change kinds", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| (.*) \|$", section, flags=re.MULTILINE)
    return dict(rows)


def test_docs_list_every_kind_with_its_explanation() -> None:
    """docs/gate.md mirrors the table: one row per kind, the same words."""
    rows = _documented_rows()
    missing = sorted(KINDS.keys() - rows.keys())
    assert not missing, f"docs/gate.md has no row for {missing}"
    stale = sorted(rows.keys() - KINDS.keys())
    assert not stale, f"docs/gate.md documents unknown kinds {stale}"
    different = {k: (rows[k], explain(k)) for k in KINDS if rows[k] != explain(k)}
    assert not different, f"run python scripts/gate_kinds_doc.py: {different}"


def test_a_listed_value_refused_by_a_false_subschema_has_a_known_kind() -> None:
    """Regression: the kind was made from python-jsonschema's keyword, None here: _NONE_CHANGED."""
    from cdccheck.gate.compat import compare_documents

    comparison = compare_documents({"enum": [{"a": 1}]}, {"properties": {"a": False}})
    backward = [c for c in comparison.changes if c.backward]
    assert [c.kind for c in backward] == ["SCHEMA_NARROWED"]
    assert backward[0].proven
