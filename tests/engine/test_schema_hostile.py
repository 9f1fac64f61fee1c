"""Hostile schemas: cycles, references to non-schemas, references outside the tree (issue 10).

Defect 5: `$ref` cycles and a `$ref` to a non-schema value passed loading
and crashed at the first event. Defect 7: `$ref` read any local file. Both
are now one-line configuration errors at load time (exit 2 on the command
line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.engine.engine import Engine
from cdccheck.engine.schema import load_schema
from cdccheck.errors import ConfigError
from cdccheck.model import Entry
from tests.helpers import schema_from

CYCLES = [
    ({"$ref": "#"}, "$ref '#' leads back"),
    (
        {
            "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
            "$ref": "#/$defs/a",
        },
        "$ref '#/$defs/b' -> $ref '#/$defs/a' leads back",
    ),
    (
        {
            "$defs": {
                "a": {"allOf": [{"$ref": "#/$defs/b"}]},
                "b": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/a"}]},
            },
            "properties": {"x": {"$ref": "#/$defs/a"}},
        },
        "leads back",
    ),
    ({"not": {"$ref": "#"}}, "not -> $ref '#' leads back"),
    (
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "definitions": {"a": {"$ref": "#/definitions/a"}},
            "properties": {"p": {"$ref": "#/definitions/a"}},
        },
        "$ref '#/definitions/a' leads back",
    ),
]


@pytest.mark.parametrize(("document", "words"), CYCLES)
def test_a_cycle_that_never_descends_is_refused_at_load(document: Any, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        schema_from(document)
    assert words in caught.value.message
    assert "validation would never end" in caught.value.message


def test_recursion_through_the_instance_is_fine() -> None:
    tree = {
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#"}}},
    }
    schema = schema_from(tree)
    engine = Engine(schema, schema)
    payload = json.dumps({"children": [{"children": []}, {"children": [{}]}]}).encode()
    verdict = engine.check(Entry("1-1", {"payload": payload}))
    assert (verdict.error, verdict.legacy) == (None, [])


@pytest.mark.parametrize(
    ("document", "what"),
    [
        ({"required": ["a"], "$ref": "#/required"}, "an array"),
        ({"properties": {"a": {"type": "string"}}, "$ref": "#/properties/a/type"}, "a string"),
        ({"$defs": {"n": {"const": 5}}, "$ref": "#/$defs/n/const"}, "a number"),
    ],
)
def test_a_reference_to_a_non_schema_is_refused_at_load(document: Any, what: str) -> None:
    with pytest.raises(ConfigError) as caught:
        schema_from(document)
    assert f"points at {what}, not a schema" in caught.value.message


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """schemas/ with a schema per kind of reference, and a secret beside it."""
    (tmp_path / "secret.json").write_text('{"enum": ["the secret"]}')
    schemas = tmp_path / "schemas"
    (schemas / "common").mkdir(parents=True)
    (schemas / "common" / "defs.json").write_text('{"$defs": {"id": {"type": "integer"}}}')
    documents = {
        "inside.json": {"$ref": "common/defs.json#/$defs/id"},
        "dotdot.json": {"$ref": "../secret.json"},
        "absolute.json": {"$ref": (tmp_path / "secret.json").as_uri()},
        "etc.json": {"$ref": "file:///etc/passwd"},
    }
    for name, document in documents.items():
        (schemas / name).write_text(json.dumps(document))
    (schemas / "link.json").symlink_to(tmp_path / "secret.json")
    (schemas / "via-link.json").write_text('{"$ref": "link.json"}')
    return schemas


def test_references_inside_the_schema_tree_load(tree: Path) -> None:
    assert load_schema(tree / "inside.json", name="new").document == {
        "$ref": "common/defs.json#/$defs/id"
    }


@pytest.mark.parametrize("name", ["dotdot.json", "absolute.json", "etc.json", "via-link.json"])
def test_references_outside_the_schema_tree_are_refused(tree: Path, name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_schema(tree / name, name="new")
    message = caught.value.message
    assert f"outside the schema's directory {tree}" in message
    assert "(pass --allow-ref-path DIR)" in message
    assert "the secret" not in message


def test_allow_ref_path_widens_the_tree(tree: Path) -> None:
    schema = load_schema(tree / "dotdot.json", name="new", allow_ref_paths=[tree.parent])
    assert not schema.validator.is_valid("not the secret")


def test_the_command_line_exits_2_with_one_line(tree: Path) -> None:
    corpus = tree.parent / "corpus.jsonl"
    corpus.write_text(json.dumps({"id": "1-1", "fields": {"payload": "1"}}) + "\n")
    for name, words in (
        ("dotdot.json", "outside the schema's directory"),
        ("cycle.json", "leads back to where it started"),
    ):
        (tree / "cycle.json").write_text('{"$ref": "#"}')
        result = CliRunner().invoke(
            app, ["check", str(corpus), "--legacy", str(tree / name), "--new", str(tree / name)]
        )
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("cdccheck: error: ")
        assert words in result.stderr
        assert result.stderr.count("\n") == 1
    widened = CliRunner().invoke(
        app,
        [
            "check",
            str(corpus),
            "--legacy",
            str(tree / "dotdot.json"),
            "--new",
            str(tree / "dotdot.json"),
            "--allow-ref-path",
            str(tree.parent),
            "-f",
            "json",
        ],
    )
    assert widened.exit_code == 1, widened.output  # 1 is not "the secret": a finding
    assert json.loads(widened.stdout)["totals"]["legacy_invalid"] == 1


def test_the_gate_refuses_a_reference_outside_the_tree(tree: Path) -> None:
    result = CliRunner().invoke(
        app, ["gate", "--legacy", str(tree / "inside.json"), "--new", str(tree / "dotdot.json")]
    )
    assert result.exit_code == 2, result.output
    assert "outside the schema's directory" in result.stderr
    allowed = CliRunner().invoke(
        app,
        [
            "gate",
            "--legacy",
            str(tree / "inside.json"),
            "--new",
            str(tree / "dotdot.json"),
            "--allow-ref-path",
            str(tree.parent),
        ],
    )
    assert allowed.exit_code in (0, 1), allowed.output


def test_every_command_that_loads_schemas_takes_allow_ref_path(
    tree: Path, redis_url: str, tmp_path: Path
) -> None:
    """--allow-ref-path reaches load_schema (through SchemaOptions) in every such command.

    Without it each command refuses the schema (exit 2); with it, the schema
    loads and the command goes on to what it does next (its exit code says so).
    """
    outside = str(tree / "dotdot.json")
    schemas = ["--legacy", outside, "--new", outside]
    commands: dict[str, tuple[list[str], int]] = {
        "replay": (["replay", "--redis-url", redis_url, "--stream", "absent", *schemas], 3),
        "show": (["show", "1-1", "--redis-url", redis_url, "--stream", "absent", *schemas], 3),
        "consume": (
            [
                "consume",
                "--redis-url",
                redis_url,
                "--stream",
                "absent",
                "--until-idle",
                "1",
                "--report",
                str(tmp_path / "consume.json"),
                *schemas,
            ],
            0,
        ),
        "schema derive": (["schema", "derive", outside], 0),
        "demo": (["demo", "--events", "20", "--html", str(tmp_path / "d.html"), *schemas], 0),
    }
    allow = ["--allow-ref-path", str(tree.parent)]
    for name, (arguments, code) in commands.items():
        refused = CliRunner().invoke(app, arguments)
        assert refused.exit_code == 2, (name, refused.output)
        assert "outside the schema's directory" in refused.stderr, name
        allowed = CliRunner().invoke(app, [*arguments, *allow])
        assert "outside the schema's directory" not in allowed.output, name
        assert allowed.exit_code == code, (name, allowed.output)
