"""``cdccheck show ID``: one entry from a real Redis, decoded, judged and explained."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cdccheck.cli import app
from cdccheck.demo import seed_stream
from cdccheck.model import Entry
from cdccheck.samples import (
    GO_HEALTHY,
    GO_HTML_ESCAPE,
    GO_OMITEMPTY_SCORE,
    PY_NAN_TOXICITY,
    PY_SPACE_DATETIME,
    generate,
)
from tests.helpers import BUNDLED_LEGACY, BUNDLED_NEW, SCHEMA_ARGS, SCHEMA_ENV

STREAM = "comments:cdc"
# One entry per class, at these ids.
IDS = {
    GO_OMITEMPTY_SCORE: "1769601600001-0",
    GO_HTML_ESCAPE: "1769601600002-0",
    PY_NAN_TOXICITY: "1769601600003-0",
    PY_SPACE_DATETIME: "1769601600004-0",
    GO_HEALTHY: "1769601600005-0",
}
SCRIPT = Path(sys.executable).with_name("cdccheck")


@pytest.fixture
def stream(redis_client: Any, redis_url: str) -> str:
    entries = [Entry(i, generate(name, 1)[0].entry.fields) for name, i in IDS.items()]
    seed_stream(redis_client, STREAM, entries)
    return redis_url


def show(url: str, *args: str) -> Any:
    """``cdccheck show``, the schemas given by the environment (CDCCHECK_LEGACY/NEW)."""
    return CliRunner().invoke(
        app,
        ["show", *args, "--redis-url", url, "--stream", STREAM],
        env=SCHEMA_ENV,
        catch_exceptions=False,
    )


def test_an_entry_with_a_finding_shows_fields_shapes_verdict_and_cause(stream: str) -> None:
    result = show(stream, IDS[GO_OMITEMPTY_SCORE])
    assert result.exit_code == 1
    out = result.output
    assert re.match(
        rf"entry {IDS[GO_OMITEMPTY_SCORE]}   writer go-comments   op (create|update)\n", out
    )
    assert re.search(r"^  payload  <\d+ bytes>$", out, re.MULTILINE)
    assert "  writer   go-comments\n" in out
    # The payload is decoded, its values are shapes (op is an enum: shown as it is).
    assert re.search(r'"op": "(create|update)"', out)
    assert '"emitted_at": "dddd-dd-ddTdd:dd:dd.dddddd+dd:dd"' in out
    assert '"body": "<text, ' in out
    assert not re.search(r"20\d\d-\d\d-\d\dT", out)
    assert "verdict: invalid under legacy, valid under new" in out
    assert "missing_required  /comment/score  'score' is a required property" in out
    assert "[go_omitempty]" in out
    assert "evidence missing from go-comments (1 event); the legacy schema declares integer" in (
        " ".join(out.split())
    )
    assert "new: valid" in out


def test_show_values_prints_what_xrange_prints(stream: str, redis_client: Any) -> None:
    result = show(stream, IDS[GO_OMITEMPTY_SCORE], "--show-values")
    [(_, fields)] = redis_client.xrange(STREAM, IDS[GO_OMITEMPTY_SCORE], IDS[GO_OMITEMPTY_SCORE])
    payload = json.loads(fields[b"payload"])
    assert f"  payload  {fields[b'payload'].decode()}\n" in result.output
    assert json.dumps(payload["comment"]["body"], ensure_ascii=False) in result.output


def test_json_output_and_the_causes_of_every_layer(stream: str) -> None:
    nan = json.loads(show(stream, IDS[PY_NAN_TOXICITY], "-f", "json").output)
    assert nan["decodable"] is False
    assert nan["legacy"] is None
    assert nan["wire"]["message"].startswith("NaN is not JSON")
    assert nan["wire"]["hint"]["name"] == "python_nan"
    spaced = json.loads(show(stream, IDS[PY_SPACE_DATETIME], "-f", "json").output)
    assert spaced["legacy"]["valid"] is True
    assert {f["hint"]["name"] for f in spaced["new"]["findings"]} == {"python_str_datetime"}
    escaped = show(stream, IDS[GO_HTML_ESCAPE], "-f", "json")
    assert escaped.exit_code == 0  # harmless: valid under both, and said so
    explained = json.loads(escaped.output)
    assert [hint["name"] for hint in explained["hints"]] == ["html_escape"]
    healthy = json.loads(show(stream, IDS[GO_HEALTHY], "-f", "json").output)
    assert healthy["hints"] == []
    assert healthy["legacy"] == {"valid": True, "findings": []}


def test_missing_entries_streams_and_bad_ids(stream: str) -> None:
    missing = show(stream, "1-0")
    assert missing.exit_code == 3
    assert missing.output == (
        f"cdccheck: error: no entry 1-0 in stream {STREAM!r} at {stream} (it holds 5 entries, "
        f"{IDS[GO_OMITEMPTY_SCORE]} .. {IDS[GO_HEALTHY]})\n"
    )
    bad = show(stream, "yesterday")
    assert bad.exit_code == 2
    assert "bad entry id 'yesterday'" in bad.output
    nowhere = CliRunner().invoke(
        app,
        ["show", "1-0", "--redis-url", stream, "--stream", "nope", *SCHEMA_ARGS],
        catch_exceptions=False,
    )
    assert nowhere.exit_code == 3
    assert "the key does not exist" in nowhere.output


def test_the_console_script(stream: str) -> None:
    if not SCRIPT.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    done = subprocess.run(
        [
            *(str(SCRIPT), "show", IDS[GO_HEALTHY], "--redis-url", stream, "--stream", STREAM),
            *SCHEMA_ARGS,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "verdict: ok, valid under both schemas" in done.stdout


def test_the_schemas_come_from_the_configuration_too(
    stream: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like replay: no flag and no environment, cdccheck.toml in the current directory."""
    (tmp_path / "cdccheck.toml").write_text(
        f"legacy = {json.dumps(str(BUNDLED_LEGACY))}\nnew = {json.dumps(str(BUNDLED_NEW))}\n"
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        ["show", IDS[GO_OMITEMPTY_SCORE], "--redis-url", stream, "--stream", STREAM],
        env={"CDCCHECK_LEGACY": None, "CDCCHECK_NEW": None},
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output
    assert "verdict: invalid under legacy, valid under new" in result.output
