"""The Go writer view rule by rule, and bad references (no Go toolchain needed)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from cdccheck.errors import ConfigError
from cdccheck.refs import Derived, derive, is_reference
from cdccheck.refs.go import RFC3339NANO_PATTERN, struct_tag_get
from tests.refs.conftest import GO_CORPUS

CORPUS = GO_CORPUS / "corpus"


def _derive(name: str) -> Derived:
    return derive(f"go:{CORPUS}:{name}")


def _props(name: str) -> dict[str, Any]:
    document = _derive(name).document
    assert document is not None
    return dict(document["properties"])


def _bare(schema: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != "description"}


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def test_is_reference() -> None:
    assert is_reference("go:./svc:Event")
    assert is_reference("py:pkg.mod:Name")
    assert not is_reference("schemas/comment/new.json")


def test_scalar_kinds_bounds_omitempty_and_string_option() -> None:
    props = _props("Scalars")
    assert _bare(props["i8"]) == {"type": "integer", "minimum": -128, "maximum": 127}
    assert _bare(props["u64"]) == {"type": "integer", "minimum": 0, "maximum": 2**64 - 1}
    assert _bare(props["i"]) == {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}
    assert _bare(props["up"])["maximum"] == 2**64 - 1
    assert _bare(props["r"]) == {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
    assert _bare(props["f64"]) == {"type": "number"}
    assert _bare(props["f32"])["maximum"] == 3.4028235e38
    # omitempty: present means not empty.
    assert _bare(props["bo"]) == {"const": True}
    assert _bare(props["so"]) == {"type": "string", "minLength": 1}
    assert _bare(props["io"])["not"] == {"const": 0}
    assert _bare(props["f64o"])["not"] == {"const": 0}
    # ,string: inside a JSON string.
    assert _bare(props["bs"]) == {"enum": ["true", "false"]}
    assert _bare(props["bso"]) == {"const": "true"}
    assert _bare(props["is"])["pattern"] == r"^-?(0|[1-9][0-9]*)$"
    assert _bare(props["iso"])["pattern"] == r"^-?[1-9][0-9]*$"
    assert _bare(props["us"])["pattern"] == r"^(0|[1-9][0-9]*)$"
    assert _bare(props["fso"])["not"] == {"enum": ["0", "-0"]}
    assert _bare(props["pis"])["type"] == ["string", "null"]
    # ,string does not apply to slices.
    assert _bare(props["sls"])["items"]["type"] == "integer"
    # Names: untagged field, "-,", invalid tag names fall back, "-" and unexported skipped.
    assert {"Untagged", "-", "BadTag", "with space", "Renamed"} <= set(props)
    assert not {"Skipped", "unexported", "Ignored", "bad\\name"} & set(props)


def test_containers() -> None:
    props = _props("Containers")
    assert _bare(props["po"])["type"] == "integer"  # omitempty pointer: non-nil when present
    assert _bare(props["by"])["type"] == ["string", "null"]
    assert _bare(props["by"])["contentEncoding"] == "base64"
    assert _bare(props["byo"])["minLength"] == 4
    assert _bare(props["myby"])["contentEncoding"] == "base64"  # []MyByte is base64 too
    assert _bare(props["arrb"]) == {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 255},
        "minItems": 4,
        "maxItems": 4,
    }
    assert _bare(props["arrc"])["minItems"] == 5  # const Size
    assert _bare(props["arr0"])["maxItems"] == 0
    assert "arr0o" not in props  # an empty array with omitempty is never written
    assert _bare(props["slo"])["minItems"] == 1
    assert _bare(props["mo"])["minProperties"] == 1
    assert _bare(props["mi"])["propertyNames"] == {"pattern": r"^-?(0|[1-9][0-9]*)$"}
    assert _bare(props["mu8"])["propertyNames"] == {"pattern": r"^(0|[1-9][0-9]*)$"}
    assert "propertyNames" not in _bare(props["mk"])
    assert _bare(props["statuso"]) == {"type": "string", "minLength": 1}
    assert _bare(props["level"])["pattern"] == r"^-?(0|[1-9][0-9]*)$"  # named int16, ,string
    assert _bare(props["leafp"]) == {"anyOf": [{"$ref": "#/$defs/Leaf"}, {"type": "null"}]}
    assert _bare(props["leafpo"]) == {"$ref": "#/$defs/Leaf"}
    assert _bare(props["nameso"]) == {"$ref": "#/$defs/Names", "type": "array", "minItems": 1}


def test_time_is_rfc3339nano_and_defined_types_lose_methods() -> None:
    props = _props("Marshalers")
    assert _bare(props["when"]) == {
        "type": "string",
        "format": "date-time",
        "pattern": RFC3339NANO_PATTERN,
    }
    assert "when" in _derive("Marshalers").document["required"]  # type: ignore[index]
    assert _bare(props["whenp"])["type"] == ["string", "null"]
    assert _bare(props["wt"])["format"] == "date-time"  # promoted MarshalJSON of time.Time
    document = _derive("Marshalers").document
    assert document is not None
    plain = document["$defs"]["PlainTime"]
    assert _bare(plain) == {"type": "object", "properties": {}, "additionalProperties": False}
    assert _bare(props["dur"])["maximum"] == 2**63 - 1
    assert _bare(props["num"]) == {"type": "number"}
    assert _bare(props["nums"])["type"] == "string"
    assert _bare(props["sub"]) == {"$ref": "#/$defs/sub.Thing"}
    validator = Draft202012Validator({"pattern": RFC3339NANO_PATTERN})
    for good in ("2026-01-28T12:00:00Z", "0001-01-01T00:00:00Z", "2026-01-28T12:00:00.5-09:30"):
        assert validator.is_valid(good)
    for bad in ("2026-01-28T12:00:00.50Z", "2026-01-28 12:00:00Z", "2026-01-28T12:00:00"):
        assert not validator.is_valid(bad)


def test_custom_marshalers_are_open_with_a_warning_naming_the_spot() -> None:
    derived = _derive("Marshalers")
    props = _props("Marshalers")
    for name in ("money", "moneyp", "code", "raw"):
        assert set(props[name]) == {"description"}, name
    assert _bare(props["color"]) == {"type": "string"}  # value-receiver MarshalText
    text = "\n".join(derived.warnings)
    assert "marshalers.go:48: Marshalers.Money (Money): Money has its own MarshalJSON" in text
    assert "Code has its own MarshalText on a pointer receiver" in text
    assert "json.RawMessage" in text
    assert "coloro" not in _derive("Marshalers").document["required"]  # type: ignore[index]


def test_embedding_rules() -> None:
    props = _props("Embeds")
    assert "kind" not in props  # Base.kind and Meta.kind tie at one depth: both dropped
    assert "Meta.Note" in props["Note"]["description"]  # the tagged one wins
    assert "absent when the embedded Embeds.Meta is nil" in props["version"]["description"]
    assert "Embeds.By" in props["by"]["description"]  # depth 1 beats Audit.By at depth 3
    assert set(_props("Twice")) == {"a", "b"}
    outer = _derive("Outer").document
    assert outer is not None
    assert outer.get("required") == ["y"]


def test_recursion_uses_refs_and_root_is_hash() -> None:
    tree = _derive("Tree").document
    assert tree is not None
    children = _bare(tree["properties"]["children"])
    assert children["items"] == {"anyOf": [{"$ref": "#"}, {"type": "null"}]}
    forest = _derive("Forest").document
    assert forest is not None
    assert set(forest["$defs"]) == {"List", "Tree"}
    assert _bare(forest["$defs"]["List"])["items"] == {"$ref": "#/$defs/List"}


def test_generic_instantiations_get_their_own_defs() -> None:
    document = _derive("Generics").document
    assert document is not None
    assert set(document["$defs"]) == {"Leaf", "Page[Leaf]", "Page[int]"}
    assert document["properties"]["leaves"]["$ref"] == "#/$defs/Page%5BLeaf%5D"
    Draft202012Validator(document).validate(
        {"leaves": {"items": [{"v": 1}], "count": 1}, "ints": {"items": None, "count": 0}}
    )


def test_output_is_stable_and_a_valid_2020_12_schema() -> None:
    first = json.dumps(_derive("Containers").document)
    second = json.dumps(_derive("Containers").document)
    assert first == second
    document = json.loads(first)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert list(document["$defs"]) == sorted(document["$defs"])
    assert all("description" in sub for sub in document["properties"].values())


def test_type_found_in_any_file_and_test_files_ignored(tmp_path: Path) -> None:
    directory = _package(
        tmp_path,
        {
            "a.go": 'package p\n\ntype Event struct {\n\tPart Part `json:"part"`\n}\n',
            "b.go": 'package p\n\ntype Part struct {\n\tN int `json:"n"`\n}\n',
            "c_test.go": "package p\n\ntype OnlyInTests struct{}\n",
            "d.go": "//go:build ignore\n\npackage main\n\ntype Ignored struct{}\n",
        },
    )
    document = derive(f"go:{directory / 'a.go'}:Event").document
    assert document is not None
    assert "Part" in document["$defs"]
    with pytest.raises(
        ConfigError, match=r"no type OnlyInTests in package p \(types: Event, Part\)"
    ):
        derive(f"go:{directory}:OnlyInTests")


def test_unparsed_packages_and_well_known_types(tmp_path: Path) -> None:
    directory = _package(
        tmp_path,
        {
            "e.go": """\
            package p

            import (
                "github.com/google/uuid"
                "github.com/acme/money"
            )

            type Event struct {
                ID     uuid.UUID   `json:"id"`
                IDs    []uuid.UUID `json:"ids,omitempty"`
                Keyed  map[uuid.UUID]int `json:"keyed"`
                Price  money.Amount `json:"price"`
                Always uuid.UUID   `json:"always,omitempty"`
            }

            type Wrapper struct {
                money.Amount
                X int `json:"x"`
            }
            """
        },
    )
    derived = derive(f"go:{directory}:Event")
    document = derived.document
    assert document is not None
    props = document["properties"]
    assert _bare(props["id"])["pattern"].startswith("^[0-9a-f]{8}-")
    assert _bare(props["id"])["format"] == "uuid"
    assert "always" in document["required"]  # a [16]byte array is never empty
    assert _bare(props["keyed"])["propertyNames"]["pattern"].startswith("^[0-9a-f]{8}")
    assert set(props["price"]) == {"description"}
    assert any(
        "e.go:12: Event.Price (money.Amount): money.Amount comes from package "
        "github.com/acme/money, which cdccheck does not parse" in w
        for w in derived.warnings
    )
    wrapper = derive(f"go:{directory}:Wrapper")
    assert set(wrapper.document or {}) <= {"$schema", "title", "description"}
    assert any(
        "e.go:16: Wrapper: embedded money.Amount comes from package github.com/acme/money" in w
        for w in wrapper.warnings
    )


def test_unsupported_kinds_cannot_be_written(tmp_path: Path) -> None:
    directory = _package(
        tmp_path,
        {
            "u.go": """\
            package p

            type U struct {
                C chan int `json:"c"`
                F func()   `json:"-"`
            }
            """
        },
    )
    derived = derive(f"go:{directory}:U")
    assert derived.document is not None
    assert not Draft202012Validator(derived.document).is_valid({"c": None})
    assert any("cannot marshal chan int" in w for w in derived.warnings)


@pytest.mark.parametrize(
    ("files", "ref_tail", "message"),
    [
        ({}, "missing:Event", r"^cannot read go:.*missing:Event: .*no such file or directory$"),
        (
            {"x.go": 'package p\n\ntype Event struct {\n\tA int `json:"a"\n}\n'},
            ":Event",
            r"^cannot parse go:.*: Go syntax error at .*x\.go:3:\d+$",
        ),
        (
            {"x.go": "package p\n\ntype Event struct{}\n"},
            ":Nope",
            r"^cannot derive go:.*:Nope: no type Nope in package p \(types: Event\)$",
        ),
        (
            {"x.go": "package p\n\ntype Page[T any] struct{ Items []T }\n"},
            ":Page",
            r"^cannot derive go:.*:Page: Page is generic; name a non-generic type that uses it$",
        ),
        (
            {"x.go": "package p\n\ntype Event A\n\ntype A B\n\ntype B A\n"},
            ":Event",
            r"^cannot derive go:.*:Event: invalid recursive type A$",
        ),
        (
            {"x.go": "package p\n", "y.go": "package q\n"},
            ":Event",
            r"^cannot parse go:.* mixes packages p and q$",
        ),
    ],
)
def test_bad_references_are_one_line_config_errors(
    tmp_path: Path, files: dict[str, str], ref_tail: str, message: str
) -> None:
    directory = _package(tmp_path, files)
    ref = f"go:{directory}{'/' if ref_tail.startswith('missing') else ''}{ref_tail}"
    with pytest.raises(ConfigError) as caught:
        derive(ref)
    text = str(caught.value)
    assert "\n" not in text
    assert caught.value.exit_code == 2
    assert __import__("re").match(message, text), text


def test_struct_tag_get_follows_reflect() -> None:
    assert struct_tag_get('json:"a,omitempty" xml:"b"', "json") == "a,omitempty"
    assert struct_tag_get('xml:"b" json:"c"', "json") == "c"
    assert struct_tag_get('json:"with\\"quote"', "json") == 'with"quote'
    assert struct_tag_get("json:unquoted", "json") == ""
    assert struct_tag_get("", "json") == ""
