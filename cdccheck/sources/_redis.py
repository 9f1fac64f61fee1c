"""Redis plumbing shared by the sources and the sidecar, written once.

Private to cdccheck: ``redis_range``, ``redis_group`` and
``cdccheck.sidecar.fleet`` use it; the names other code relies on are
re-exported from those modules. What lives here:

* URLs and credentials: ``validate_url`` (checked before redis-py parses a
  URL), ``redact_url``, ``password_in``, ``secret_of`` (the password in use:
  from the URL, else the caller, else ``CDCCHECK_REDIS_PASSWORD``) and
  ``scrub`` (a text with the password and every piece of it blanked out;
  ``docs/security.md`` says where it is applied);
* connecting: ``connect`` (one server, raw bytes, no silent retries) and
  ``connect_any`` (a single server or a Redis Cluster, found out at once);
* errors: ``one_line`` (an exception as one line, the password blanked out),
  ``credentials_error`` and ``unreachable_text`` (the messages every source
  gives), and ``redis_errors``, the mapping of redis-py exceptions onto
  ``cdccheck.errors`` for long-running readers;
* replies: ``as_text``, ``as_dict`` and ``entries_from_xrange``;
* server-side scripts: ``LuaScript`` and every script cdccheck runs, each
  with a comment naming its KEYS and ARGV.

The reading order, atomic commit and key layout these scripts implement are
described in ``docs/sidecar.md``; the stream layout in ``docs/semantics.md``.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from cdccheck.errors import ConfigError, SourceError, SourceUnavailable
from cdccheck.model import AscendingBatch, Entry

# The Lua scripts live in their own module (mostly Lua text); importable here too.
from cdccheck.sources._scripts import AUTOCLAIM, COMMIT, FORGET_STALE, REGISTER, LuaScript

if TYPE_CHECKING:
    import redis

__all__ = [
    "AUTOCLAIM",
    "COMMIT",
    "FORGET_STALE",
    "PASSWORD_ENV",
    "REDACTED",
    "REGISTER",
    "GroupMissing",
    "LuaScript",
    "Secret",
    "as_dict",
    "as_text",
    "connect",
    "connect_any",
    "credentials_error",
    "entries_from_xrange",
    "key_slot",
    "one_line",
    "password_in",
    "redact_url",
    "redis_errors",
    "scrub",
    "secret_of",
    "secret_pieces",
    "unreachable_text",
    "validate_url",
]

PASSWORD_ENV = "CDCCHECK_REDIS_PASSWORD"
"""Environment variable read for the password when the URL carries none."""

REDACTED = "***"
"""What a password is replaced with in every URL and message."""

_SCHEMES = ("redis", "rediss", "unix")


# -- URLs and credentials ------------------------------------------------------

# Characters that end the userinfo of a URL: unencoded in a password, they
# make a URL parser cut the password and show the rest as a port, path or
# query in its error message.
_ENDS_USERINFO = "/?#"
_PASSWORD_PARAMETER = re.compile(r"(?i)([?&]password=)([^&#]*)")
# Where an error message may cut a secret in pieces; pieces this short are
# not blanked out (they would garble every message), the whole secret is.
_SPLITS_SECRET = re.compile(r"[/?#@:&=;%\s'\"]")
_SHORTEST_PIECE = 3


class Secret(str):
    """A password to keep out of messages, with the other forms it was written in.

    Equal to the password itself (percent-decoded); ``forms`` also holds its
    text as written in the URL, so a message quoting the raw URL is scrubbed too.
    """

    forms: tuple[str, ...] = ()


def _userinfo(url: str) -> tuple[str, str, str]:
    """(before the userinfo, the userinfo, the rest) of ``url``; userinfo "" when none.

    The userinfo ends at the LAST ``@``: a password may hold ``@``, ``/``, ``?``
    or ``#`` unencoded, and cutting at the first of those (as URL parsers do)
    would leave a piece of it in the host, path or query.
    """
    scheme, separator, rest = url.partition("://")
    head = scheme + separator if separator else ""
    if not separator:
        rest = url
    userinfo, at, tail = rest.rpartition("@")
    if not at:
        return head, "", rest
    return head, userinfo, tail


def redact_url(url: str) -> str:
    """``url`` with its password (userinfo or ``?password=``) replaced by ``***``.

    Safe on malformed URLs: it never raises and never returns the password,
    whatever characters the password holds unencoded.
    """
    head, userinfo, tail = _userinfo(url)
    if userinfo:
        if not head:
            userinfo = REDACTED
        elif ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":" + REDACTED
        elif any(character in userinfo for character in _ENDS_USERINFO):
            userinfo = REDACTED
        result = f"{head}{userinfo}@{tail}"
    else:
        result = head + tail
    return _PASSWORD_PARAMETER.sub(rf"\g<1>{REDACTED}", result)


def password_in(url: str) -> Secret | None:
    """The password written in ``url`` (userinfo or ``?password=``), if any."""
    _, userinfo, tail = _userinfo(url)
    raw = userinfo.partition(":")[2] if ":" in userinfo else ""
    if not raw:
        found = _PASSWORD_PARAMETER.search(tail)
        raw = found.group(2) if found else ""
    if not raw:
        return None
    secret = Secret(unquote(raw))
    secret.forms = (raw, userinfo)
    return secret


def secret_of(url: str, password: str | None) -> str | None:
    """The password in use (URL, else argument, else environment), to keep it out of messages."""
    return password_in(url) or password or os.environ.get(PASSWORD_ENV) or None


def secret_pieces(secret: str | None) -> list[str]:
    """Every text to blank out for ``secret``: its forms and their pieces, longest first.

    A parser that cuts a password at a delimiter shows only a piece of it,
    so the pieces between delimiters (``/ ? # @ : & = ; %``, quotes,
    spaces) are blanked out too.
    """
    if not secret:
        return []
    forms = {secret, quote(secret, safe=""), *getattr(secret, "forms", ())}
    pieces = {form for form in forms if form}
    for form in forms:
        pieces.update(
            piece for piece in _SPLITS_SECRET.split(form) if len(piece) >= _SHORTEST_PIECE
        )
    return sorted(pieces, key=lambda piece: (-len(piece), piece))


def scrub(text: str, secret: str | None) -> str:
    """``text`` with ``secret`` and every piece of it (``secret_pieces``) replaced by ``***``."""
    for piece in secret_pieces(secret):
        text = text.replace(piece, REDACTED)
    return text


def validate_url(url: str) -> None:
    """Raise ConfigError (password redacted) unless ``url`` is a usable Redis URL.

    Checked here before redis-py parses the URL: its parse errors quote the
    URL's parts, and a password with an unencoded ``/``, ``?`` or ``#`` would
    land in one of them.
    """
    shown = redact_url(url)
    scheme, separator, _ = url.partition("://")
    if not separator or scheme.lower() not in _SCHEMES:
        raise ConfigError(
            f"bad --redis-url {shown}: scheme must be redis://, rediss:// (TLS) or unix://"
        )
    _, userinfo, _ = _userinfo(url)
    if any(character in userinfo for character in _ENDS_USERINFO):
        raise ConfigError(
            f"bad --redis-url {shown}: the user or password holds an unencoded '/', '?' or "
            "'#': percent-encode them (%2F, %3F, %23; and '@' as %40)"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError as error:
        reason = one_line(error, secret_of(url, None))
        raise ConfigError(
            f"bad --redis-url {shown}: {reason} (expected redis://[user:password@]host:port/db)"
        ) from None
    if parts.scheme != "unix":
        database = unquote(parts.path).strip("/")
        if database and not database.isdigit():
            raise ConfigError(
                f"bad --redis-url {shown}: database {database!r} is not a number (e.g. /0)"
            )


# -- error text ------------------------------------------------------------------


def one_line(error: BaseException, secret: str | None) -> str:
    """``error`` as one line of text, with ``secret`` (and its pieces) blanked out."""
    text = " ".join(str(error).split()) or type(error).__name__
    return scrub(text, secret)


def credentials_error(url: str, secret: str | None, error: BaseException) -> SourceError:
    """The error for a refused AUTH: a password is missing, or the one given is wrong."""
    shown = redact_url(url)
    if secret is None:
        return SourceError(
            f"Redis at {shown} requires a password: put it in --redis-url "
            f"(redis://:PASSWORD@host:port/db) or {PASSWORD_ENV}"
        )
    return SourceError(
        f"Redis at {shown} refused the credentials ({one_line(error, secret)}): "
        f"check the user and password in --redis-url or {PASSWORD_ENV}"
    )


def unreachable_text(url: str, reason: str, *, what: str | None = None) -> str:
    """``cannot reach Redis at URL[ while WHAT]: REASON``.

    Without ``what`` (a one-shot command that failed to start) a hint on
    what to check follows: the TLS option for a certificate refused, else
    the URL.
    """
    shown = redact_url(url)
    if what is not None:
        return f"cannot reach Redis at {shown} while {what}: {reason}"
    hint = (
        "for a private CA add ?ssl_ca_certs=PATH to --redis-url"
        if "CERTIFICATE_VERIFY_FAILED" in reason
        else "is it running? check --redis-url"
    )
    return f"cannot reach Redis at {shown}: {reason} ({hint})"


class GroupMissing(SourceError):
    """The consumer group is gone (destroyed, or its stream deleted); join it again."""


@contextlib.contextmanager
def redis_errors(url: str, secret: str | None, what: str) -> Iterator[None]:
    """Turn redis-py exceptions into one-line cdccheck errors.

    ``SourceUnavailable`` for what passes by itself (connection refused or
    lost, a server loading its data, a cluster reconfiguring), ``GroupMissing``
    for a consumer group that vanished, ``SourceError`` for what does not pass.
    ``what`` says what was being done, for the message.
    """
    import redis
    from redis.exceptions import ClusterDownError, RedisClusterException, TryAgainError

    shown = redact_url(url)
    try:
        yield
    except redis.AuthenticationError as error:
        raise credentials_error(url, secret, error) from None
    except (
        redis.ConnectionError,
        redis.TimeoutError,
        ClusterDownError,
        TryAgainError,
        redis.ReadOnlyError,
        RedisClusterException,
    ) as error:
        raise SourceUnavailable(unreachable_text(url, one_line(error, secret), what=what)) from None
    except redis.ResponseError as error:
        text = one_line(error, secret)
        if "NOGROUP" in text:  # inside a script, Redis 6.2 prefixes the error code
            raise GroupMissing(f"the consumer group is missing while {what}: {text}") from None
        if text.startswith(("MASTERDOWN", "LOADING", "CLUSTERDOWN")):
            raise SourceUnavailable(f"Redis at {shown} is not ready while {what}: {text}") from None
        raise SourceError(f"Redis at {shown} refused {what}: {text}") from None
    except redis.RedisError as error:
        raise SourceError(f"Redis at {shown} failed {what}: {one_line(error, secret)}") from None


# -- connecting --------------------------------------------------------------------


def connect(
    url: str,
    *,
    password: str | None = None,
    socket_timeout: float = 30.0,
    connect_timeout: float = 5.0,
    on_connect: Callable[[], None] | None = None,
) -> redis.Redis:
    """A redis-py client for ``url`` that returns raw bytes and does not retry by itself.

    The password comes from the URL, else ``password``, else the
    ``CDCCHECK_REDIS_PASSWORD`` environment variable. ``on_connect`` is called
    after each new connection is ready (redis-py reconnects silently when
    the server closed an idle pooled connection). TLS is the URL's: a
    ``rediss://`` URL and its ``ssl_*`` query options. Raises ConfigError
    for a malformed URL. No connection is made until the first command.
    """
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    validate_url(url)
    options: dict[str, Any] = {}
    if on_connect is not None:

        def set_up_then_notify(connection: Any) -> None:
            connection.on_connect()  # what redis-py does without a hook
            on_connect()

        options["redis_connect_func"] = set_up_then_notify
    if password_in(url) is None:
        password = password if password is not None else os.environ.get(PASSWORD_ENV) or None
        if password is not None:
            options["password"] = password
    try:
        client = redis.Redis.from_url(
            url,
            decode_responses=False,
            socket_timeout=socket_timeout,
            socket_connect_timeout=connect_timeout,
            # Callers retry with their own budget and know how far they got;
            # a second retry layer underneath would multiply the waits.
            retry=Retry(NoBackoff(), 0),
            **options,
        )
    except ValueError as error:
        raise ConfigError(
            f"bad --redis-url {redact_url(url)}: {one_line(error, secret_of(url, password))}"
        ) from None
    client.set_response_callback("XRANGE", entries_from_xrange)
    return client


def connect_any(
    url: str,
    *,
    password: str | None = None,
    socket_timeout: float = 30.0,
    connect_timeout: float = 5.0,
) -> tuple[Any, bool]:
    """A bytes-returning client for ``url`` and whether it is a Redis Cluster.

    Connects at once (``INFO cluster``) to tell a cluster node from a single
    server; raises SourceUnavailable / SourceError like ``redis_errors``.
    """
    secret = secret_of(url, password)
    client = connect(
        url, password=password, socket_timeout=socket_timeout, connect_timeout=connect_timeout
    )
    with redis_errors(url, secret, "connecting"):
        info = client.execute_command("INFO", "cluster")
    if not _cluster_enabled(info):
        return client, False
    client.close()
    from redis.cluster import RedisCluster

    validate_url(url)
    options: dict[str, Any] = {
        "decode_responses": False,
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": connect_timeout,
    }
    if password_in(url) is None and secret is not None:
        options["password"] = secret
    with redis_errors(url, secret, "discovering the cluster"):
        try:
            cluster = RedisCluster.from_url(url, **options)
        except ValueError as error:
            raise ConfigError(
                f"bad --redis-url {redact_url(url)}: {one_line(error, secret_of(url, password))}"
            ) from None
    return cluster, True


def _cluster_enabled(info: Any) -> bool:
    if isinstance(info, dict):
        return str(info.get("cluster_enabled", info.get(b"cluster_enabled", 0))) == "1"
    text = info.decode() if isinstance(info, bytes) else str(info)
    return "cluster_enabled:1" in text


def key_slot(key: str) -> int:
    """The cluster hash slot of ``key`` (hash tags respected)."""
    from redis.crc import key_slot as crc_slot

    return int(crc_slot(key.encode()))


# -- replies -------------------------------------------------------------------------


def as_text(value: Any) -> str:
    """A reply value as str (bytes decoded as UTF-8, bad bytes replaced)."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def as_dict(reply: Any) -> dict[str, Any]:
    """A hash or record reply as a dict with str keys, from RESP3 (map) or RESP2 (flat list)."""
    if isinstance(reply, dict):
        return {as_text(key): value for key, value in reply.items()}
    items = iter(reply or ())
    return {as_text(key): value for key, value in zip(items, items, strict=False)}


class _FieldNames(dict[bytes, str]):
    """Decoded field names, so each distinct name is decoded once per process."""

    # A stream with endless distinct field names must not grow this forever.
    limit = 4096

    def __missing__(self, name: bytes) -> str:
        text = name.decode("utf-8", "replace")
        if len(self) < self.limit:
            self[name] = text
        return text


_field_name = _FieldNames().__getitem__
_new_tuple = tuple.__new__


def entries_from_xrange(response: list[Any] | None, **_options: Any) -> AscendingBatch:
    """XRANGE reply -> entries, replacing redis-py's generic stream parser.

    This runs once per entry of every replay, so it avoids redis-py's
    intermediate tuples and dicts: the usual layouts (one, two or three
    fields) build their dict in one literal, and Entry is created without
    NamedTuple's Python-level ``__new__``.
    """
    entries = AscendingBatch()  # Redis returns a range in id order
    append = entries.append
    name = _field_name
    for raw_id, flat in response or ():
        size = len(flat) if flat else 0
        if size == 4:
            fields = {name(flat[0]): flat[1], name(flat[2]): flat[3]}
        elif size == 2:
            fields = {name(flat[0]): flat[1]}
        elif size == 6:
            fields = {name(flat[0]): flat[1], name(flat[2]): flat[3], name(flat[4]): flat[5]}
        elif size:
            pairs = iter(flat)
            fields = {name(key): value for key, value in zip(pairs, pairs, strict=False)}
        else:
            fields = {}
        append(_new_tuple(Entry, (raw_id.decode(), fields)))
    return entries
