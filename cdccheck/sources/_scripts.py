"""The server-side Lua scripts of the sources and the sidecar, each with its KEYS/ARGV.

Kept apart from the connection plumbing in ``cdccheck.sources._redis`` (which
re-exports them) because most of this module is Lua text: the sidecar's
atomic commit (docs/sidecar.md), consumer registration, forgetting stale
consumers of the same lineage, and the claim of idle entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

__all__ = ["AUTOCLAIM", "COMMIT", "FORGET_STALE", "REGISTER", "LuaScript"]


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
