"""The shared Redis plumbing (cdccheck.sources._redis): messages, error mapping, scripts."""

from __future__ import annotations

import socket

import pytest
import redis

from cdccheck.errors import SourceError, SourceUnavailable
from cdccheck.sources._redis import (
    PASSWORD_ENV,
    GroupMissing,
    LuaScript,
    as_dict,
    as_text,
    connect,
    credentials_error,
    one_line,
    redis_errors,
    secret_of,
    unreachable_text,
)

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
