"""Option values: pointers, keys, durations, splits, configuration; bad ones are one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdccheck.compare import (
    Ignore,
    load_compare_config,
    parse_duration,
    parse_entity,
    parse_fail_on,
    parse_ignores,
    parse_keys,
    parse_noise_ratio,
    parse_pointer,
    parse_split,
    run_compare,
)
from cdccheck.errors import ConfigError


def one_line_error(call, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    assert caught.value.exit_code == 2
    return message


def test_pointers_follow_rfc_6901() -> None:
    assert parse_pointer("/comment/id", option="--key") == ("comment", "id")
    assert parse_pointer("/a~1b/c~0d", option="--key") == ("a/b", "c~d")
    assert parse_pointer("/a//b", option="--key") == ("a", "", "b")
    assert parse_pointer("/awards/*/count", option="--ignore", wildcard=True) == (
        "awards",
        "*",
        "count",
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("comment/id", "starts with '/'"),
        ("", "no empty entries"),
        ("/a~2b", "~0"),
        ("/a~", "~0"),
        ("/awards/*/count", "'*' is allowed in --ignore only"),
    ],
)
def test_bad_key_pointers(text: str, says: str) -> None:
    message = one_line_error(parse_keys, [text])
    assert says in message
    assert "--key" in message


def test_keys_and_alternatives() -> None:
    assert parse_keys(["/op", "/comment/id,/comment_id"]) == (
        (("op",),),
        (("comment", "id"), ("comment_id",)),
    )
    assert parse_keys("/id") == ((("id",),),)
    assert "no empty entries" in one_line_error(parse_keys, ["/a,,/b"])
    assert "listed twice" in one_line_error(parse_keys, ["/a,/a"])
    assert "given twice" in one_line_error(parse_keys, ["/a", "/a"])
    assert "needs --key" in one_line_error(parse_keys, [])
    assert parse_entity(None) is None
    assert parse_entity("/comment/id,/comment_id") == (("comment", "id"), ("comment_id",))
    assert "--entity" in one_line_error(parse_entity, "comment_id")


def test_ignores() -> None:
    assert parse_ignores(["/event_id", Ignore("/event_id", "dup"), "/a/*"]) == (
        Ignore("/event_id"),
        Ignore("/a/*"),
    )
    assert "--ignore" in one_line_error(parse_ignores, ["event_id"])


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("60s", 60_000),
        ("5m", 300_000),
        ("500ms", 500),
        ("1h", 3_600_000),
        ("0", 0),
        ("1.5s", 1_500),
        (" 2S ", 2_000),
        (30, 30_000),
        (0.25, 250),
    ],
)
def test_durations(text: str, ms: int) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("60", "add a unit"),
        ("5 minutes", "ms, s, m or h"),
        ("-5s", "ms, s, m or h"),
        ("s", "ms, s, m or h"),
    ],
)
def test_bad_durations(text: str, says: str) -> None:
    message = one_line_error(parse_duration, text, option="--window")
    assert says in message
    assert message.startswith("bad --window")
    assert "negative" in one_line_error(parse_duration, -1)


def test_split() -> None:
    assert parse_split("writer=py-monolith,go-comments") == ("writer", "py-monolith", "go-comments")
    assert parse_split("py,go") == ("writer", "py", "go")
    assert parse_split("source = a , b") == ("source", "a", "b")
    assert "each entry must belong to one side" in one_line_error(parse_split, "writer=go,go")
    for bad in ("writer=go", "writer=a,b,c", "=a,b", "writer=,b"):
        assert "FIELD=PRIMARY,CANDIDATE" in one_line_error(parse_split, bad)


def test_noise_ratio_and_fail_on() -> None:
    assert parse_noise_ratio("0.5") == 0.5
    for bad in ("0", "-1", "nan", "inf", "half"):
        assert "--noise-ratio" in one_line_error(parse_noise_ratio, bad)
    assert parse_fail_on("diverged") == "diverged"
    assert "expected one of differing, missing, diverged, any, none" in one_line_error(
        parse_fail_on, "legacy"
    )


def test_run_compare_checks_its_options() -> None:
    assert "--key" in one_line_error(run_compare, [], [], key=["comment_id"])
    assert "--window" in one_line_error(run_compare, [], [], key=["/id"], window_ms=-1)
    assert "--ignore" in one_line_error(run_compare, [], [], key=["/id"], ignore=["x"])


def test_configuration_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        """
[tool.cdccheck.compare]
key = ["/op", "/comment/id,/comment_id"]
entity = "/comment/id,/comment_id"
window = "5m"
time-tolerance = "10ms"
noise-ratio = 0.25

[[tool.cdccheck.compare.ignore]]
path = "/event_id"
reason = "each writer draws its own event id"
""",
        encoding="utf-8",
    )
    config = load_compare_config(tmp_path)
    assert config.key == ("/op", "/comment/id,/comment_id")
    assert config.entity == "/comment/id,/comment_id"
    assert config.window_ms == 300_000
    assert config.time_tolerance_ms == 10
    assert config.noise_ratio == 0.25
    assert config.ignores == (Ignore("/event_id", "each writer draws its own event id"),)


def test_configuration_without_a_compare_table_is_empty(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.cdccheck]\nlegacy = 'a.json'\n")
    assert load_compare_config(tmp_path).key == ()
    assert load_compare_config(tmp_path / "nowhere").key == ()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('[[compare.ignore]]\npath = "/event_id"\n', "has no reason"),
        ('[[compare.ignore]]\npath = "/x"\nreason = "  "\n', "has no reason"),
        ('[[compare.ignore]]\npath = "x"\nreason = "r"\n', "--ignore"),
        ('[compare]\nwindow = "forever"\n', "bad window"),
        ('[compare]\nkey = ["op"]\n', "--key"),
        ('[compare]\nkeys = ["/op"]\n', "unknown key(s) keys"),
        ("[compare\n", "cannot read"),
    ],
)
def test_bad_configuration(tmp_path: Path, body: str, says: str) -> None:
    (tmp_path / "cdccheck.toml").write_text(body, encoding="utf-8")
    message = one_line_error(load_compare_config, tmp_path)
    assert says in message
    assert "cdccheck.toml" in message


def test_settings_flags_over_configuration(tmp_path: Path) -> None:
    from cdccheck.compare import resolve_settings

    (tmp_path / "cdccheck.toml").write_text(
        '[compare]\nkey = ["/op", "/id"]\nwindow = "5m"\nnoise-ratio = 0.25\n'
        '[[compare.ignore]]\npath = "/event_id"\nreason = "per writer"\n',
        encoding="utf-8",
    )
    config = load_compare_config(tmp_path)
    settings = resolve_settings(config=config)
    assert settings.keys == ((("op",),), (("id",),))
    assert (settings.window_ms, settings.time_tolerance_ms, settings.noise_ratio) == (
        300_000,
        0,
        0.25,
    )
    assert settings.entity is None
    assert settings.ignores == (Ignore("/event_id", "per writer"),)
    flagged = resolve_settings(
        key=["/comment_id"],
        entity="/comment_id",
        ignore=["/emitted_at", "/event_id"],
        window="10s",
        time_tolerance="5ms",
        noise_ratio="0.5",
        config=config,
    )
    assert flagged.keys == ((("comment_id",),),)
    assert flagged.entity == (("comment_id",),)
    assert flagged.ignores == (Ignore("/event_id", "per writer"), Ignore("/emitted_at"))
    assert (flagged.window_ms, flagged.time_tolerance_ms, flagged.noise_ratio) == (10_000, 5, 0.5)
    defaults = resolve_settings(key=["/id"])
    assert (defaults.window_ms, defaults.time_tolerance_ms, defaults.noise_ratio) == (
        60_000,
        0,
        0.5,
    )
    assert "needs --key" in one_line_error(resolve_settings)
    assert "bad --time-tolerance" in one_line_error(
        resolve_settings, key=["/id"], time_tolerance="x"
    )


def test_run_compare_takes_resolved_settings() -> None:
    from cdccheck.compare import resolve_settings
    from tests.compare.support import entries

    settings = resolve_settings(key=["/op", "/id"], entity="/id", ignore=["/event_id"])
    summary = run_compare(
        entries([("1-0", {"op": "c", "id": 1, "event_id": "a"})]),
        entries([("1-0", {"op": "c", "id": 1, "event_id": "b"})]),
        key=settings.keys,
        entity=settings.entity,
        ignore=settings.ignores,
        window_ms=settings.window_ms,
        time_tolerance_ms=settings.time_tolerance_ms,
        noise_ratio=settings.noise_ratio,
    )
    assert summary.totals.equal == 1
    assert summary.entities is not None
    assert summary.entities.converged == 1
