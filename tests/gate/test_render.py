"""Gate output for a pull request (issue 11, build item 4).

Text: breaking changes first, one line each (place, kind, directions, the
witness where it shows the change), then the kind's plain-English
explanation; harmless changes counted unless verbose. Markdown: the witness
focused on the changed place. SARIF: rules with help text. `--against`: the
sides are base and head in every format.
"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from cdccheck.engine.schema import bundled_schema_path, load_schema_bytes
from cdccheck.gate import GateConfig, GateResult, SchemaResult, compare, resolve_request, run_gate
from cdccheck.gate.kinds import explain
from cdccheck.gate.render import FORMATS, LINE_WIDTH, property_description, render

HEADLINE = re.compile(
    r"^(?P<file>[^\s:]+):(?P<line>\d+) (?P<path>/\S*)  (?P<kind>[A-Z_]+)  "
    r"(?P<status>breaks (?:backward|forward|backward and forward)|harmless)"
)


def _bundled() -> GateResult:
    legacy, new = str(bundled_schema_path("legacy")), str(bundled_schema_path("new"))
    return run_gate(resolve_request(GateConfig(), legacy=legacy, new=new))


def test_text_puts_breaking_changes_first_one_line_each() -> None:
    result = _bundled()
    text = render(result, "text")
    lines = text.splitlines()
    headlines = [(i, m) for i, line in enumerate(lines) if (m := HEADLINE.match(line))]
    assert [m["kind"] for _, m in headlines] == [c.kind for c in result.breaking]
    for index, match in headlines:
        assert match["status"].startswith("breaks")
        # The next indented line, or the one after a witness of its own, explains the kind.
        following = [line.strip() for line in lines[index + 1 : index + 3]]
        explanation = explain(match["kind"])
        assert any(line.lower().startswith(explanation.lower()[:40]) for line in following)
    assert max(len(line) for line in lines) <= LINE_WIDTH + 10  # "about 120"
    assert "5 harmless change(s) not shown (DESCRIPTION_CHANGED x5); --verbose lists them" in text
    assert "DESCRIPTION_CHANGED  harmless" not in text


def test_text_points_at_the_schema_line() -> None:
    result = _bundled()
    text = render(result, "text")
    new_lines = bundled_schema_path("new").read_text(encoding="utf-8").splitlines()
    legacy_lines = bundled_schema_path("legacy").read_text(encoding="utf-8").splitlines()
    found = {m["kind"]: m for line in text.splitlines() if (m := HEADLINE.match(line))}
    added = found["OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"]
    assert added["file"] == "new.json"
    assert '"collapsed_reason_code"' in new_lines[int(added["line"]) - 1]
    removed = found["REQUIRED_ATTRIBUTE_REMOVED"]  # what was removed is in the legacy file
    assert removed["file"] == "legacy.json"
    assert '"required"' in legacy_lines[int(removed["line"]) - 1]
    assert "witness: /comment/score absent" in text


def test_verbose_lists_the_harmless_changes() -> None:
    result = _bundled()
    text = render(result, "text", verbose=True)
    harmless = [m for line in text.splitlines() if (m := HEADLINE.match(line))]
    assert sum(m["kind"] == "DESCRIPTION_CHANGED" for m in harmless) == 5
    assert "not shown" not in text
    # Still breaking first.
    statuses = [m["status"] for m in harmless]
    assert statuses == sorted(statuses, key=lambda s: s == "harmless")


def test_markdown_focuses_the_witness_on_the_changed_place() -> None:
    text = render(_bundled(), "markdown")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    [reason] = [row for row in rows if "`ENUM_ARRAY_EXTENDED`" in row]
    cells = [cell.strip() for cell in reason.strip("|").split(" | ")]
    assert cells[3] == '`/reason = "removed_by_admin"` (new accepts, legacy rejects)'
    # Not a truncated prefix of the whole event: that is folded away below the table.
    assert '{"' not in cells[3]
    assert "<details><summary>Witness events (whole instances)</summary>" in text
    [score] = [row for row in rows if "`REQUIRED_ATTRIBUTE_REMOVED`" in row]
    assert "`/comment/score absent` (new accepts, legacy rejects)" in score
    assert explain("REQUIRED_ATTRIBUTE_REMOVED")[1:] in score


def test_sarif_rules_carry_plain_english_help() -> None:
    document = json.loads(render(_bundled(), "sarif"))
    [run] = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert rules
    for rule in rules:
        text = explain(rule["id"])
        assert rule["shortDescription"]["text"].lower().startswith(text.lower()[:30])
        assert text[1:] in rule["help"]["text"]
        assert rule["help"]["markdown"].startswith(f"**{rule['id']}**")
    for result in run["results"]:
        assert explain(result["ruleId"])[1:] in result["message"]["text"]


# ---- --against: base and head ------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
         "-c", "commit.gpgsign=false", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture
def pull_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GateResult:
    schema = tmp_path / "schemas" / "event.json"
    schema.parent.mkdir()
    before = {
        "type": "object",
        "properties": {"op": {"enum": ["create", "delete"]}, "score": {"type": "number"}},
        "required": ["op", "score"],
        "additionalProperties": False,
    }
    schema.write_text(json.dumps(before, indent=2), encoding="utf-8")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    after = {
        "type": "object",
        "properties": {
            "op": {"enum": ["create", "delete", "undelete"]},
            "score": {"type": "integer"},
            "reason": {"type": "string"},
        },
        "required": ["op"],
        "additionalProperties": False,
    }
    schema.write_text(json.dumps(after, indent=2), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return run_gate(resolve_request(GateConfig(), against="HEAD"))


SIDE_WORDS = re.compile(
    r"\blegacy\b|\bnew (?:accepts|rejects|schema|readers|writers|object|reads)\b"
    r"|\bunder new\b|\bthe new\b"
)


class _VisibleText(HTMLParser):
    """The text a browser shows: the page's style sheet (``.c-legacy``) is not read by anyone."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _read(output: str, fmt: str) -> str:
    """What a person reads of ``output``: for html, the page's text without its markup."""
    if fmt == "json":
        # `labels` maps the JSON's side keys to their names: its keys are not wording.
        document = json.loads(output)
        assert document.pop("labels") == {"legacy": "base", "new": "head"}
        return json.dumps(document)
    if fmt != "html":
        return output
    parser = _VisibleText()
    parser.feed(output)
    parser.close()
    return " ".join(parser.parts)


@pytest.mark.parametrize("fmt", FORMATS)
def test_against_labels_the_sides_base_and_head(pull_request: GateResult, fmt: str) -> None:
    output = _read(render(pull_request, fmt), fmt)
    assert pull_request.breaking
    assert not SIDE_WORDS.search(output), SIDE_WORDS.search(output)
    if fmt in ("markdown", "junit", "sarif", "github"):  # text: "breaks forward" says it
        assert re.search(r"\b(base|head) accepts, (base|head) rejects\b", output), output
    if fmt == "html":
        assert "head readers read base data" in output
        assert "base readers read head data" in output


def test_against_text_header_and_explanations(pull_request: GateResult) -> None:
    text = render(pull_request, "text")
    assert text.startswith("base HEAD:schemas/event.json -> head schemas/event.json\n")
    assert "head writers may leave it out, base readers refuse that" in text


# ---- the description hook (schemas derived from code) ------------------------------------


GO_LEGACY = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "description": 'Comment.Score, json:"score"'},
    },
    "required": ["score"],
}
GO_NEW = {
    "type": "object",
    "properties": {
        "score": {
            "type": "integer",
            "maximum": 100,
            "description": 'Comment.Score, json:"score,omitempty"',
        },
    },
}


def _result(origin_prefix: str) -> GateResult:
    legacy = load_schema_bytes(
        json.dumps(GO_LEGACY).encode(), name="legacy", origin=f"{origin_prefix}legacy"
    )
    new = load_schema_bytes(json.dumps(GO_NEW).encode(), name="new", origin=f"{origin_prefix}new")
    comparison = compare(legacy, new)
    schema = SchemaResult(
        file=new.path,
        legacy=legacy.path,
        new=new.path,
        comparison=comparison,
        changes=list(comparison.changes),
        legacy_schema=legacy,
        new_schema=new,
    )
    return GateResult("full", "any", [schema])


def test_a_derived_schema_shows_the_field_description_next_to_the_change() -> None:
    result = _result("go:./comments:")
    text = render(result, "text")
    assert 'described as: Comment.Score, json:"score,omitempty"' in text
    markdown = render(result, "markdown")
    assert 'Described as: Comment.Score, json:"score,omitempty".' in markdown


def test_a_hand_written_schema_keeps_its_descriptions_out_of_the_way() -> None:
    text = render(_result("schemas/"), "text")
    assert "described as" not in text


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        ("/properties/score/maximum", 'Comment.Score, json:"score,omitempty"'),
        ("/properties/score", 'Comment.Score, json:"score,omitempty"'),
        ("/required", None),
        ("/properties/missing/type", None),
    ],
)
def test_property_description_finds_the_nearest_property(pointer: str, expected: Any) -> None:
    assert property_description(GO_NEW, pointer) == expected
