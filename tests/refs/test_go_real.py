"""Soundness and tightness of the Go writer view against the real encoding/json.

A Go program (gocorpus/gen) fills values of every corpus type at random and
marshals them with encoding/json, by pointer and by value. Every line it
writes must validate against the schema derived for its type (soundness).
Tightness, on the same output: a property the schema does not require is
absent from some value, one whose schema admits null is null in some value,
and the required and nullable sets are exactly the ones encoding/json's
rules give, typed out below.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from cdccheck.refs import derive
from tests.refs.conftest import GO_CORPUS

SEEDS = (1, 2, 3)
PER_TYPE = 150

# (required, nullable) for the top-level properties, from encoding/json's rules.
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "Scalars": (
        {
            "b", "bs", "i", "i8", "i16", "i32", "i64", "u", "u8", "u16", "u32", "u64", "up",
            "r", "by", "f32", "f64", "s", "is", "us", "fs", "f32s", "ss", "pis", "sls",
            "Untagged", "-", "BadTag", "with space",
        },
        {"pis", "sls"},
    ),
    "Containers": (
        {
            "p", "pp", "sl", "slp", "by", "myby", "arr", "arro", "arr0", "arrb", "arrc", "m",
            "mi", "mu8", "mk", "mp", "ms", "any", "inline", "names", "status", "level",
            "leafp", "leaves", "leafo", "levels",
        },
        {
            "p", "pp", "ppo", "sl", "slp", "by", "myby", "m", "mi", "mu8", "mk", "mp", "ms",
            "any", "anyo", "names", "leafp", "leaves", "levels",
        },
    ),
    "Embeds": ({"id", "at", "tagged", "Status", "hidden", "by"}, set()),
    "Twice": ({"a", "b"}, set()),
    "Outer": ({"y"}, set()),
    "Tree": ({"value", "left"}, {"left"}),
    "Forest": ({"trees", "lists", "index"}, {"trees", "lists", "index"}),
    "Generics": ({"leaves", "ints"}, set()),
    "WithAlias": ({"a"}, set()),
    "Marshalers": (
        {
            "money", "moneyp", "code", "color", "raw", "num", "nums", "when", "wheno",
            "whenp", "dur", "wt", "mc", "plain", "sub", "subp",
        },
        {"moneyp", "code", "raw", "whenp", "mc", "subp", "money"},
    ),
    "Leaf": ({"v"}, set()),
}  # fmt: skip
ALL_PROPERTIES = {
    "Scalars": EXPECTED["Scalars"][0]
    | {
        "bo",
        "bso",
        "io",
        "i8o",
        "u64o",
        "f32o",
        "f64o",
        "so",
        "iso",
        "uso",
        "fso",
        "sso",
        "Renamed",
    },
    "Containers": EXPECTED["Containers"][0]
    | {"po", "ppo", "slo", "byo", "mo", "anyo", "nameso", "statuso", "leafpo"},
    "Embeds": {"id", "version", "Note", "at", "tagged", "Status", "leaf", "hidden", "by"},
    "Twice": {"a", "b"},
    "Outer": {"y", "z"},
    "Tree": {"value", "children", "left"},
    "Marshalers": EXPECTED["Marshalers"][0] | {"coloro", "whenpo"},
}


@pytest.fixture(scope="module")
def marshaled(go_build: Callable[[Path, str], Path]) -> dict[str, list[Any]]:
    """Every value the Go program wrote, decoded, by type name."""
    binary = go_build(GO_CORPUS, "./gen")
    out: dict[str, list[Any]] = defaultdict(list)
    for seed in SEEDS:
        result = subprocess.run(
            [str(binary), str(seed), str(PER_TYPE)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        for line in result.stdout.splitlines():
            name, _, text = line.partition("\t")
            assert not text.startswith("ERROR"), f"{name}: Marshal failed: {text}"
            out[name].append(json.loads(text))
    return out


def _validator(name: str) -> tuple[dict[str, Any], Any]:
    document = derive(f"go:{GO_CORPUS / 'corpus'}:{name}").document
    assert document is not None
    Draft202012Validator.check_schema(document)
    return document, Draft202012Validator(
        document, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


GENERATED = sorted((*EXPECTED, "Names", "List"))


@pytest.mark.parametrize("name", GENERATED)
def test_every_marshaled_value_validates(name: str, marshaled: dict[str, list[Any]]) -> None:
    _, validator = _validator(name)
    values = marshaled[name]
    assert len(values) == len(SEEDS) * PER_TYPE
    for value in values:
        errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(value)]
        assert not errors, f"{name}: Go wrote {json.dumps(value)[:300]} but {errors[:3]}"


def _admits_null(validator: Any, schema: Any) -> bool:
    return bool(validator.evolve(schema=schema).is_valid(None))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_required_and_nullable_are_exactly_encoding_json_rules(
    name: str, marshaled: dict[str, list[Any]]
) -> None:
    document, validator = _validator(name)
    properties = document["properties"]
    required = set(document.get("required", []))
    nullable = {key for key, sub in properties.items() if _admits_null(validator, sub)}
    expected_required, expected_nullable = EXPECTED[name]
    assert required == expected_required
    assert nullable == expected_nullable
    if name in ALL_PROPERTIES:
        assert set(properties) == ALL_PROPERTIES[name]
    # What Go really wrote agrees: every optional property was absent somewhere,
    # every nullable one (whose schema says what Go writes) was null somewhere.
    values = marshaled[name]
    for key, sub in properties.items():
        if key not in required:
            assert any(key not in value for value in values), f"{key} was never absent"
        else:
            assert all(key in value for value in values)
        # An open schema (a custom marshaler, any, RawMessage) admits null
        # whatever Go writes: only the others must show it.
        is_open = sub is True or set(sub) <= {"description"}
        if key in nullable and not is_open:
            assert any(value.get(key, 0) is None for value in values), f"{key} never null"
        if key not in nullable:
            assert all(value.get(key) is not None for value in values if key in value)
