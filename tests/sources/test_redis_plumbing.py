"""The shared Redis plumbing (cdccheck.sources._redis): messages, error mapping, scripts."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from cdccheck.errors import CdccheckError, SourceError, SourceUnavailable
from cdccheck.sidecar.fleet import fleet_report
from cdccheck.sources._redis import (
    PASSWORD_ENV,
    GroupMissing,
    LuaScript,
    as_dict,
    as_text,
    connect,
    credentials_error,
    one_line,
    redact_url,
    redis_errors,
    scrub,
    secret_of,
    unreachable_text,
)
from cdccheck.sources.redis_group import RedisGroup
from cdccheck.sources.redis_range import RedisRange
from tests.helpers import BUNDLED_LEGACY, BUNDLED_NEW

LOCKED = "redis://:hunter2@127.0.0.1:6379/0"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_one_line_joins_lines_and_blanks_the_secret() -> None:
    error = RuntimeError("first line\n  second\tline with hunter2 inside")
    assert one_line(error, "hunter2") == "first line second line with *** inside"
    assert one_line(RuntimeError(""), None) == "RuntimeError"


def test_replies_as_text_and_dicts_from_resp2_and_resp3() -> None:
    assert as_text(b"caf\xc3\xa9\xff") == "café\ufffd"
    assert as_text(7) == "7"
    assert as_dict([b"name", b"g", b"pending", 3]) == {"name": b"g", "pending": 3}
    assert as_dict({b"name": b"g"}) == {"name": b"g"}
    assert as_dict(None) == {}


def test_the_secret_comes_from_the_url_then_the_caller_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "from-env")
    assert secret_of(LOCKED, "given") == "hunter2"
    assert secret_of("redis://127.0.0.1:6379/0", "given") == "given"
    assert secret_of("redis://127.0.0.1:6379/0", None) == "from-env"
    monkeypatch.delenv(PASSWORD_ENV)
    assert secret_of("redis://127.0.0.1:6379/0", None) is None


def test_credential_messages_say_what_to_do_and_never_show_the_password() -> None:
    missing = str(credentials_error("redis://127.0.0.1:6379/0", None, RuntimeError("NOAUTH")))
    assert "requires a password" in missing
    assert PASSWORD_ENV in missing
    refused = str(credentials_error(LOCKED, "hunter2", RuntimeError("WRONGPASS hunter2")))
    assert "refused the credentials" in refused
    assert "hunter2" not in refused
    assert "redis://:***@127.0.0.1:6379/0" in refused


def test_unreachable_text_names_the_step_or_gives_a_hint() -> None:
    url = "rediss://:hunter2@db:6380/0"
    assert unreachable_text(url, "refused", what="reading") == (
        "cannot reach Redis at rediss://:***@db:6380/0 while reading: refused"
    )
    assert "ssl_ca_certs" in unreachable_text(url, "[SSL: CERTIFICATE_VERIFY_FAILED] no")
    assert "is it running?" in unreachable_text(url, "Connection refused")


def test_redis_errors_maps_a_closed_port_to_unavailable() -> None:
    url = f"redis://:hunter2@127.0.0.1:{closed_port()}/0"
    client = connect(url, connect_timeout=1.0)
    with pytest.raises(SourceUnavailable) as caught, redis_errors(url, "hunter2", "pinging"):
        client.ping()
    assert "while pinging" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_redis_errors_maps_refusals_and_a_missing_group(
    redis_client: redis.Redis, redis_url: str
) -> None:
    redis_client.set("plain", "value")
    refused = pytest.raises(SourceError, match="refused reading 'plain'")
    with refused as caught, redis_errors(redis_url, None, "reading 'plain'"):
        redis_client.xlen("plain")
    assert not isinstance(caught.value, SourceUnavailable)
    redis_client.xadd("s", {"payload": "{}"})
    missing = pytest.raises(GroupMissing, match="missing while reading")
    with missing, redis_errors(redis_url, None, "reading"):
        redis_client.xreadgroup("nobody", "c", {"s": ">"})


def test_a_script_runs_again_after_the_server_forgot_it(
    redis_client: redis.Redis, redis_url: str
) -> None:
    # KEYS[1] a counter; ARGV[1] the increment. Returns the new value.
    script = LuaScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    client = connect(redis_url)
    try:
        assert script(client, ["n"], [2]) == 2
        redis_client.script_flush()
        assert script(client, ["n"], [3]) == 5
        assert redis_client.script_exists(script.sha) == [True]
    finally:
        client.close()


# -- passwords never leak, whatever they hold (issue 10, defect 6) ------------------

# Passwords with the characters that end a URL's userinfo, unencoded: a URL
# parser cuts the password there and quotes the rest as a port, path or query.
HOSTILE_PASSWORDS = ["WrongPw-999#x", "Wrong?Pw-999", "Wrong/Pw-999", "Wr@ngPw-999:x", "hunter2"]


def pieces(password: str) -> list[str]:
    """The password and every piece of it a parser could print (3 characters or more)."""
    parts = [password, *re.split(r"[/?#@:]", password)]
    return [part for part in parts if len(part) >= 3]


def hostile_urls(port: int) -> list[tuple[str, str]]:
    urls = []
    for password in HOSTILE_PASSWORDS:
        urls.append((f"redis://:{password}@127.0.0.1:{port}/0", password))
        urls.append((f"redis://alice:{password}@127.0.0.1:{port}/0", password))
    urls.append((f"redis://:hunter2@127.0.0.1:{port}/x?y", "hunter2"))
    urls.append(("redis://:hunter2@127.0.0.1:notaport/0", "hunter2"))
    return urls


def assert_no_secret(message: str, password: str) -> None:
    for piece in pieces(password):
        assert piece not in message, (piece, message)


def refusal(action: Callable[[], Any]) -> str:
    with pytest.raises(CdccheckError) as caught:
        action()
    return str(caught.value)


@pytest.mark.parametrize(("url", "password"), hostile_urls(1))
def test_no_message_shows_the_password_whatever_it_holds(url: str, password: str) -> None:
    closed = closed_port()
    url = url.replace("127.0.0.1:1/", f"127.0.0.1:{closed}/")
    assert_no_secret(redact_url(url), password)

    def read_range() -> None:
        with RedisRange(url, "s", connect_timeout=1.0) as source:
            list(source.batches())

    def read_group() -> None:
        group = RedisGroup(url, ["s"], connect_timeout=1.0)
        try:
            group.open()
        finally:
            group.close()

    for action in (read_range, read_group, lambda: fleet_report(url, ["s"], "g")):
        assert_no_secret(refusal(action), password)


def test_a_password_cut_by_the_url_parser_is_refused_before_redis_py_sees_it() -> None:
    message = refusal(lambda: connect("redis://:WrongPw-999#x@host:6379/0"))
    assert message.startswith("bad --redis-url redis://:***@host:6379/0: ")
    assert "percent-encode" in message
    assert_no_secret(message, "WrongPw-999#x")


def test_scrub_blanks_out_every_form_and_piece_of_the_secret() -> None:
    secret = secret_of("redis://:p%40ss/word-1@h/0", None)
    assert secret == "p@ss/word-1"
    text = scrub("a p%40ss/word-1 b p@ss/word-1 c word-1 d ss/w", secret)
    assert text == "a *** b *** c *** d ss/w"


def test_the_cli_never_prints_the_password(tmp_path: Path) -> None:
    url = "redis://:WrongPw-999#x@127.0.0.1:6379/0"
    schemas = ["--legacy", str(BUNDLED_LEGACY), "--new", str(BUNDLED_NEW)]
    for arguments in (
        ["replay", "--redis-url", url, "--stream", "s", *schemas],
        ["report", "--redis-url", url, "--stream", "s", "--group", "g"],
        ["consume", "--redis-url", url, "--stream", "s", "--until-idle", "1", *schemas],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "cdccheck", *arguments],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("cdccheck: error: bad --redis-url"), done.stderr
        assert_no_secret(done.stdout + done.stderr, "WrongPw-999#x")
