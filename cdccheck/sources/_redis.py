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
import hashlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from cdccheck.errors import ConfigError, SourceError, SourceUnavailable
from cdccheck.model import Entry

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


def entries_from_xrange(response: list[Any] | None, **_options: Any) -> list[Entry]:
    """XRANGE reply -> entries, replacing redis-py's generic stream parser.

    This runs once per entry of every replay, so it avoids redis-py's
    intermediate tuples and dicts: the usual layouts (one, two or three
    fields) build their dict in one literal, and Entry is created without
    NamedTuple's Python-level ``__new__``.
    """
    entries: list[Entry] = []
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


# -- server-side scripts ---------------------------------------------------------------


class LuaScript:
    """A server-side script run with EVALSHA, falling back to EVAL on a cold cache.

    Works the same on a single server and on a cluster: redis-py routes
    EVAL/EVALSHA by the slot of the first key.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def __call__(self, client: Any, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        import redis

        try:
            return client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)
        except redis.exceptions.NoScriptError:
            # A restarted (or failed-over) server has an empty script cache.
            return client.execute_command("EVAL", self.source, len(keys), *keys, *args)


# The sidecar's commit (docs/sidecar.md): check ownership, XACK, count, keep
# samples, quarantine, count the timeline, in one atomic step. Ids are
# compared digit by digit: Lua's "<" on strings follows the server's locale,
# and numbers lose precision past 2^53.
#
# The fleet summary is capped like a Summary (cdccheck.summary, "bounded"):
# sorted sets hold the kept op/writer values, families and names, ordered by
# (score, member bytes) exactly as Summary orders them; a group pushed out
# moves its counts, ids, samples, writers and timeline series into the
# overflow or catch-all group, and a writer pushed out moves its counts into
# "(other)" in every group and timeline field that names it (the fields are
# listed in the writer's refs set). Those keys are named from the prefix
# inside the script; they carry the stream's hash tag, so they live in the
# stream's cluster slot. Writers travel as JSON strings, as they stand inside
# a counter field.
#
# KEYS[1] the stream, KEYS[2] the fleet's counters hash, KEYS[3] its spans
#         hash, KEYS[4] its consumers hash, KEYS[5] its folds hash (family ->
#         overflow field "\n" catch-all field), KEYS[6] its timeline hash,
#         KEYS[7] the timeline's index zset, KEYS[8] the quarantine stream
#         (when quarantining)
# ARGV    read in order, each count followed by that many items:
#         group, consumer, token, n, lowest id, highest id, id * n,
#         increments m, (field, amount) * m  (totals and the sidecar's counters),
#         spans p, (first field, last field, first id, last id) * p,
#         key prefix, max names, max parents, max labels, samples limit,
#         counter columns c, column * c,
#         the "(other)" writer, uncapped writers w, writer * w,
#         labels l, (table, member, score, other member, capped 0|1, amount * c) * l,
#         groups g, (role, table, field, family, family score, overflow field,
#                    catch-all field, name score, events, first id, last id,
#                    writers k, (writer, events) * k, members s, member * s) * g,
#         quarantined q, [maxlen, (length l, field/value * l) * q],
#         bucket width ms, horizon ms (0 0: no timeline),
#         bucketed b, (bucket start ms, writer, counter, amount) * b,
#         series e, (bucket start ms, finding group field, events) * e,
#         unbucketed u, ("u" untimed | "b" before the horizon, writer, counter, amount) * u
# Returns {1, n} when committed, {0, {lost id, ...}} when some id is no
# longer pending for this consumer (then nothing was written).
COMMIT = LuaScript(
    """
local stream, counters, spans, consumers, folds = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local timeline, index = KEYS[6], KEYS[7]
local at = 1
local function take()
  local value = ARGV[at]
  at = at + 1
  return value
end
local function digits_less(a, b)
  if #a ~= #b then return #a < #b end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return false
end
local function id_less(a, b)
  local a_ms, a_seq = string.match(a, '^(%d+)-(%d+)$')
  local b_ms, b_seq = string.match(b, '^(%d+)-(%d+)$')
  if a_ms ~= b_ms then return digits_less(a_ms, b_ms) end
  return digits_less(a_seq, b_seq)
end
local function keep_span(first_field, last_field, first, last)
  local current = redis.call('HGET', spans, first_field)
  if not current or id_less(first, current) then redis.call('HSET', spans, first_field, first) end
  current = redis.call('HGET', spans, last_field)
  if not current or id_less(current, last) then redis.call('HSET', spans, last_field, last) end
end

local group, consumer, token = take(), take(), take()
local n = tonumber(take())
local lowest, highest = take(), take()
local ids = {}
for i = 1, n do ids[i] = take() end
-- One range query finds the batch in this consumer's pending list; an id it
-- misses (the range also held other entries of ours) is looked up alone.
local mine = {}
if n > 0 then
  for _, pending in ipairs(redis.call('XPENDING', stream, group, lowest, highest, n, consumer)) do
    mine[pending[1]] = true
  end
end
local lost = {}
for i = 1, n do
  if not mine[ids[i]]
      and #redis.call('XPENDING', stream, group, ids[i], ids[i], 1, consumer) == 0 then
    lost[#lost + 1] = ids[i]
  end
end
if #lost > 0 then return {0, lost} end
for i = 1, n, 1000 do
  redis.call('XACK', stream, group, unpack(ids, i, math.min(i + 999, n)))
end

for _ = 1, tonumber(take()) do
  local name = take()
  redis.call('HINCRBY', counters, name, take())
end

for _ = 1, tonumber(take()) do
  keep_span(take(), take(), take(), take())
end

local prefix = take()
local max_names, max_parents, max_labels = tonumber(take()), tonumber(take()), tonumber(take())
local limit = tonumber(take())
local columns = {}
for i = 1, tonumber(take()) do columns[i] = take() end
local other_writer = take()
local uncapped, uncapped_list = {}, {}
for i = 1, tonumber(take()) do
  uncapped_list[i] = take()
  uncapped[uncapped_list[i]] = true
end

-- ["a","b"] + c -> ["a","b","c"]: a counter or span field of a group or label.
local function with(field, suffix) return string.sub(field, 1, -2) .. ',"' .. suffix .. '"]' end
local function samples_key(field) return prefix .. ':samples:' .. field end
local function series_key(field) return prefix .. ':series:' .. field end
local writer_labels = prefix .. ':labels:by_writer'
local function refs_key(writer) return prefix .. ':refs:["by_writer",' .. writer .. ']' end
-- ["findings",s,k,p] + writer -> ["findings_by_writer",s,k,p,writer]
local function writer_field(group_field, writer)
  local table_name, rest = string.match(group_field, '^%["(%a+)",(.*)%]$')
  return '["' .. table_name .. '_by_writer",' .. rest .. ',' .. writer .. ']'
end
local function bucket_field(start, writer, column)
  return '["t","' .. start .. '",' .. writer .. ',"' .. column .. '"]'
end
-- ["findings",s,k,p] + start -> ["tg","<start>",s,k,p]: a series point in the index.
local function point_member(group_field, start)
  return '["tg","' .. start .. '",' .. string.sub(group_field, #'["findings",' + 1)
end

-- HINCRBY a field that names a writer. For a capped writer the field goes in
-- the writer's refs set, with the field its count moves to if the writer is
-- pushed into "(other)" ('c': the counters hash, 't': the timeline hash).
local function count_named(hash, code, field, other_field, writer, amount)
  redis.call('HINCRBY', hash, field, amount)
  if not uncapped[writer] then
    redis.call('SADD', refs_key(writer), code .. field .. '\\n' .. other_field)
  end
end
local function forget_named(code, field, other_field, writer)
  if not uncapped[writer] then
    redis.call('SREM', refs_key(writer), code .. field .. '\\n' .. other_field)
  end
end
-- A writer pushed out of the kept labels: every field naming it moves to "(other)".
local function evict_writer(member)
  local key = prefix .. ':refs:' .. member
  for _, ref in ipairs(redis.call('SMEMBERS', key)) do
    local hash = counters
    if string.sub(ref, 1, 1) == 't' then hash = timeline end
    local cut = string.find(ref, '\\n', 2, true)
    local field, other_field = string.sub(ref, 2, cut - 1), string.sub(ref, cut + 1)
    local amount = redis.call('HGET', hash, field)
    if amount then
      redis.call('HINCRBY', hash, other_field, amount)
      redis.call('HDEL', hash, field)
      local start = string.match(field, '^%["t","(%d+)",')
      if start then
        redis.call('ZADD', index, start, other_field)
        redis.call('ZREM', index, field)
      end
    end
  end
  redis.call('DEL', key)
end

-- Adds member to a capped sorted set. Returns whether it is kept, and the
-- member it pushed out (the largest), if any.
local function admit(zset, member, score, cap)
  if redis.call('ZSCORE', zset, member) then return true, nil end
  redis.call('ZADD', zset, score, member)
  if redis.call('ZCARD', zset) <= cap then return true, nil end
  local largest = redis.call('ZRANGE', zset, -1, -1)[1]
  redis.call('ZREM', zset, largest)
  if largest == member then return false, nil end
  return true, largest
end

-- Every writer a group may name: the kept labels and the uncapped ones
-- (filled once the labels are counted, before any group moves).
local writers = {}

-- Moves a group's events, first/last ids, samples, writers and timeline
-- series into another group.
local function move_group(source, target)
  local events = redis.call('HGET', counters, source)
  if events then
    redis.call('HINCRBY', counters, target, events)
    redis.call('HDEL', counters, source)
  end
  local first_field, last_field = with(source, 'first'), with(source, 'last')
  local first, last = redis.call('HGET', spans, first_field), redis.call('HGET', spans, last_field)
  if first and last then
    keep_span(with(target, 'first'), with(target, 'last'), first, last)
  end
  redis.call('HDEL', spans, first_field, last_field)
  local from = samples_key(source)
  if redis.call('EXISTS', from) == 1 then
    local into = samples_key(target)
    redis.call('ZUNIONSTORE', into, 2, into, from)
    redis.call('ZREMRANGEBYRANK', into, limit, -1)
    redis.call('DEL', from)
  end
  for _, writer in ipairs(writers) do
    local named = writer_field(source, writer)
    local amount = redis.call('HGET', counters, named)
    if amount then
      redis.call('HDEL', counters, named)
      forget_named('c', named, writer_field(source, other_writer), writer)
      count_named(
        counters, 'c', writer_field(target, writer), writer_field(target, other_writer),
        writer, amount
      )
    end
  end
  local points = series_key(source)
  if redis.call('EXISTS', points) == 1 then
    local into = series_key(target)
    local values = redis.call('HGETALL', points)
    for i = 1, #values, 2 do
      redis.call('HINCRBY', into, values[i], values[i + 1])
      redis.call('ZADD', index, values[i], point_member(target, values[i]))
      redis.call('ZREM', index, point_member(source, values[i]))
    end
    redis.call('DEL', points)
  end
end

local function place_family(table_name, family, score, overflow, catch_all)
  local kept, evicted = admit(prefix .. ':parents:' .. table_name, family, score, max_parents)
  if evicted then
    local recorded = redis.call('HGET', folds, evicted)
    local cut = string.find(recorded, '\\n', 1, true)
    local evicted_overflow = string.sub(recorded, 1, cut - 1)
    local evicted_catch_all = string.sub(recorded, cut + 1)
    local names = prefix .. ':names:' .. evicted
    for _, field in ipairs(redis.call('ZRANGE', names, 0, -1)) do
      move_group(field, evicted_catch_all)
    end
    move_group(evicted_overflow, evicted_catch_all)
    redis.call('DEL', names)
    redis.call('HDEL', folds, evicted)
  end
  if kept then redis.call('HSET', folds, family, overflow .. '\\n' .. catch_all) end
  return kept
end

for _ = 1, tonumber(take()) do
  local table_name, member, score, other, capped = take(), take(), take(), take(), take()
  local amounts = {}
  for i = 1, #columns do amounts[i] = take() end
  local target = member
  if capped == '1' then
    local kept, evicted = admit(prefix .. ':labels:' .. table_name, member, score, max_labels)
    if evicted then
      for i = 1, #columns do
        local value = redis.call('HGET', counters, with(evicted, columns[i]))
        if value then
          redis.call('HINCRBY', counters, with(other, columns[i]), value)
          redis.call('HDEL', counters, with(evicted, columns[i]))
        end
      end
      if table_name == 'by_writer' then evict_writer(evicted) end
    end
    if not kept then target = other end
  end
  for i = 1, #columns do
    if amounts[i] ~= '0' then
      redis.call('HINCRBY', counters, with(target, columns[i]), amounts[i])
    end
  end
end

-- ["by_writer",writer] -> writer
for _, member in ipairs(redis.call('ZRANGE', writer_labels, 0, -1)) do
  writers[#writers + 1] = string.sub(member, #'["by_writer",' + 1, -2)
end
for _, writer in ipairs(uncapped_list) do writers[#writers + 1] = writer end
local homes = {}
-- The label a batch's writer is counted under here: its own or "(other)".
local function writer_home(writer)
  local home = homes[writer]
  if not home then
    home = other_writer
    local member = '["by_writer",' .. writer .. ']'
    if uncapped[writer] or redis.call('ZSCORE', writer_labels, member) then home = writer end
    homes[writer] = home
  end
  return home
end

local placed = {}
for _ = 1, tonumber(take()) do
  local role, table_name, field, family, family_score = take(), take(), take(), take(), take()
  local overflow, catch_all, name_score = take(), take(), take()
  local events, first, last = take(), take(), take()
  local counted = {}
  for i = 1, tonumber(take()) do counted[i] = {take(), take()} end
  local members = {}
  for _ = 1, tonumber(take()) do
    members[#members + 1] = 0
    members[#members + 1] = take()
  end
  local target = field
  if role ~= 'catch-all' then
    if not place_family(table_name, family, family_score, overflow, catch_all) then
      target = catch_all
    elseif role == 'group' then
      local kept, evicted = admit(prefix .. ':names:' .. family, field, name_score, max_names)
      if evicted then move_group(evicted, overflow) end
      if not kept then target = overflow end
    end
  end
  redis.call('HINCRBY', counters, target, events)
  keep_span(with(target, 'first'), with(target, 'last'), first, last)
  for _, pair in ipairs(counted) do
    local writer = writer_home(pair[1])
    count_named(
      counters, 'c', writer_field(target, writer), writer_field(target, other_writer),
      writer, pair[2]
    )
  end
  if #members > 0 then
    local key = samples_key(target)
    redis.call('ZADD', key, unpack(members))
    redis.call('ZREMRANGEBYRANK', key, limit, -1)
  end
  placed[field] = {role, table_name, family, overflow, catch_all}
end
-- Where a batch's group is counted now: a later group of the batch may have
-- pushed it into its overflow group, or its family into the catch-all.
local function group_home(field)
  local info = placed[field]
  if not info then return nil end
  local role, table_name, family, overflow, catch_all = unpack(info)
  if role == 'catch-all' then return field end
  if not redis.call('ZSCORE', prefix .. ':parents:' .. table_name, family) then return catch_all end
  if role == 'overflow' then return field end
  if redis.call('ZSCORE', prefix .. ':names:' .. family, field) then return field end
  return overflow
end

local quarantined = tonumber(take())
if quarantined > 0 then
  local key, maxlen = KEYS[8], take()
  for _ = 1, quarantined do
    local entry = {}
    for i = 1, tonumber(take()) do entry[i] = take() end
    redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', unpack(entry))
  end
end

-- The timeline (docs/sidecar.md, "timeline"): HINCRBY per bucket field and
-- per series point, each indexed by its bucket start so the rolling horizon
-- can drop old buckets. The horizon follows the newest bucket counted
-- (stream-id time, not a clock): whatever the commit order, a bucket ends up
-- either counted or folded into the per-writer before-horizon counters,
-- never both. Writers and series go where the caps put them, as above.
local _, horizon = tonumber(take()), tonumber(take())
local bucketed, points = {}, {}
local newest = nil
for i = 1, tonumber(take()) do
  bucketed[i] = {take(), take(), take(), take()}
  local start = tonumber(bucketed[i][1])
  if not newest or start > newest then newest = start end
end
for i = 1, tonumber(take()) do points[i] = {take(), take(), take()} end
local function before(writer, column) return '["b",' .. writer .. ',"' .. column .. '"]' end
local function fold(writer, column, amount)
  count_named(timeline, 't', before(writer, column), before(other_writer, column), writer, amount)
end
if newest then
  local top = redis.call('ZREVRANGE', index, 0, 0, 'WITHSCORES')
  if #top > 0 and tonumber(top[2]) > newest then newest = tonumber(top[2]) end
  -- A bucket starting at or before `oldest` ends at or before the horizon.
  local oldest = newest - horizon
  local members = {}
  for _, item in ipairs(bucketed) do
    local start, writer, column, amount = item[1], writer_home(item[2]), item[3], item[4]
    if tonumber(start) <= oldest then
      fold(writer, column, amount)
    else
      local name = bucket_field(start, writer, column)
      count_named(timeline, 't', name, bucket_field(start, other_writer, column), writer, amount)
      members[#members + 1] = start
      members[#members + 1] = name
    end
  end
  for _, item in ipairs(points) do
    local start, home = item[1], group_home(item[2])
    -- Older series points go: before the horizon only writers are counted.
    if home and tonumber(start) > oldest then
      redis.call('HINCRBY', series_key(home), start, item[3])
      members[#members + 1] = start
      members[#members + 1] = point_member(home, start)
    end
  end
  for i = 1, #members, 1000 do
    redis.call('ZADD', index, unpack(members, i, math.min(i + 999, #members)))
  end
  local dropped = redis.call('ZRANGEBYSCORE', index, '-inf', string.format('%.0f', oldest))
  for _, name in ipairs(dropped) do
    local start, rest = string.match(name, '^%["tg","(%d+)",(.*)$')
    if start then
      redis.call('HDEL', series_key('["findings",' .. rest), start)
    else
      local bucket, writer, column = string.match(name, '^%["t","(%d+)",(.*),"([%w_]+)"%]$')
      local amount = redis.call('HGET', timeline, name)
      if amount then
        redis.call('HDEL', timeline, name)
        fold(writer, column, amount)
      end
      forget_named('t', name, bucket_field(bucket, other_writer, column), writer)
    end
  end
  if #dropped > 0 then
    redis.call('ZREMRANGEBYSCORE', index, '-inf', string.format('%.0f', oldest))
  end
end
for _ = 1, tonumber(take()) do
  local kind, writer, column, amount = take(), writer_home(take()), take(), take()
  local name = '["' .. kind .. '",' .. writer .. ',"' .. column .. '"]'
  local other_name = '["' .. kind .. '",' .. other_writer .. ',"' .. column .. '"]'
  count_named(timeline, 't', name, other_name, writer, amount)
end

redis.call('HSET', consumers, consumer, token)
return {1, n}
"""
)

# The first sidecar writes the fleet's settings; every later one reads them
# back to compare, in the same atomic step, so two first sidecars cannot both win.
#
# KEYS[1] the fleet's meta hash
# ARGV    field, value, field, value, ... (this sidecar's settings)
# Returns the hash as recorded (HGETALL).
REGISTER = LuaScript(
    """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return redis.call('HGETALL', KEYS[1])
"""
)

# Removes consumers that hold nothing and have been idle long enough, in one
# atomic step: between a separate look and a DELCONSUMER the consumer could
# read entries, and DELCONSUMER would drop them from the pending list.
#
# KEYS[1] the stream
# ARGV[1] the group, ARGV[2] the calling consumer (never removed),
# ARGV[3] the idle time in milliseconds a consumer must exceed,
# ARGV[4...] (optional) name prefixes: only consumers whose name starts with one go
# Returns the names removed.
FORGET_STALE = LuaScript(
    """
local function named(name)
  if #ARGV < 4 then return true end
  for i = 4, #ARGV do
    if string.sub(name, 1, #ARGV[i]) == ARGV[i] then return true end
  end
  return false
end
local removed = {}
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
  if info['name'] ~= ARGV[2] and tonumber(info['pending']) == 0
      and tonumber(info['idle']) > tonumber(ARGV[3]) and named(info['name']) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    removed[#removed + 1] = info['name']
  end
end
return removed
"""
)

# Claims the idle pending entries of other consumers. Redis 7 also removes
# pending entries whose stream entry is gone and names them (third element);
# counting them here, in the same atomic script, is what makes the trimmed
# count exactly-once. Redis 6.2 returns two elements and claims those too.
#
# KEYS[1] the stream, KEYS[2] (optional) the hash counting deleted entries
# ARGV[1] the group, ARGV[2] the claiming consumer, ARGV[3] min idle ms,
# ARGV[4] the XAUTOCLAIM cursor, ARGV[5] COUNT, ARGV[6] the counter's field
# Returns {next cursor, claimed ids, deleted count}.
AUTOCLAIM = LuaScript(
    """
local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4],
                         'COUNT', ARGV[5], 'JUSTID')
local deleted = 0
if reply[3] then deleted = #reply[3] end
if deleted > 0 and KEYS[2] then redis.call('HINCRBY', KEYS[2], ARGV[6], deleted) end
return {reply[1], reply[2], deleted}
"""
)
