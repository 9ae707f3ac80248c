// Lua run atomically inside Redis (key schema: redis-store.ts). Amounts are integer nano-USD; Lua numbers are
// doubles, exact up to 2^53 nanos (~$9M per counter). Integers go back to Redis through string.format('%d')
// because Lua's default number formatting switches to exponent notation and would lose digits.
import { createHash } from 'node:crypto';

export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const HELPERS = `
local function int(x) return string.format('%d', x) end

-- Spend in a counter: the 'spent' field (calendar), or the buckets from 'oldest' on (rolling), dropping older ones.
local function spent_of(key, oldest)
  if oldest < 0 then return tonumber(redis.call('HGET', key, 'spent') or 0) end
  local flat = redis.call('HGETALL', key)
  local sum, stale = 0, {}
  for i = 1, #flat, 2 do
    local field = flat[i]
    if string.sub(field, 1, 2) == 'b:' then
      if tonumber(string.sub(field, 3)) < oldest then stale[#stale + 1] = field
      else sum = sum + tonumber(flat[i + 1]) end
    end
  end
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  return sum
end
`;

/**
 * KEYS: per budget: counter hash, reservations zset; then per rate limit: its minute hash.
 * ARGV: now, expiresAt, member ("<nanos>:<requestId>"), cost, tokens, #budgets, #limits, cleanup batch,
 *   per budget: hard (1|0), limit, key expiry (epoch ms), oldest bucket (-1 = calendar),
 *   per limit: requests per minute (-1 = none), tokens per minute (-1 = none), key expiry.
 * Returns {1} admitted, {-1} duplicate request id, or {0, kind, index, used, reserved} with kind 1 = budget,
 * 2 = requests per minute, 3 = tokens per minute.
 */
export const RESERVE = script(`${HELPERS}
local now, expires_at, member = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local cost, tokens = tonumber(ARGV[4]), tonumber(ARGV[5])
local nb, nl, batch = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local lbase = 9 + nb * 4

for i = 1, nb do
  local counter, zset, a = KEYS[2 * i - 1], KEYS[2 * i], 9 + (i - 1) * 4
  -- Reservations of replicas that died (or never settled) stop counting at their expiry.
  local expired = redis.call('ZRANGEBYSCORE', zset, '-inf', now, 'LIMIT', 0, batch)
  if #expired > 0 then
    local freed = 0
    for _, m in ipairs(expired) do freed = freed + tonumber(string.match(m, '^%d+')) end
    redis.call('ZREM', zset, unpack(expired))
    local left = redis.call('HINCRBY', counter, 'reserved', int(-freed))
    if left < 0 then redis.call('HSET', counter, 'reserved', 0) end
  end
  if redis.call('ZSCORE', zset, member) then return {-1} end
  if ARGV[a] == '1' then
    local spent = spent_of(counter, tonumber(ARGV[a + 3]))
    local reserved = tonumber(redis.call('HGET', counter, 'reserved') or 0)
    if spent + reserved + cost > tonumber(ARGV[a + 1]) then return {0, 1, i, spent, reserved} end
  end
end

for j = 1, nl do
  local minute, a = KEYS[2 * nb + j], lbase + (j - 1) * 3
  local used = redis.call('HMGET', minute, 'req', 'tok')
  local requests, used_tokens = tonumber(used[1] or 0), tonumber(used[2] or 0)
  local rpm, tpm = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  if rpm >= 0 and requests + 1 > rpm then return {0, 2, j, requests, 0} end
  if tpm >= 0 and used_tokens + tokens > tpm then return {0, 3, j, used_tokens, 0} end
end

for i = 1, nb do
  local counter, zset, a = KEYS[2 * i - 1], KEYS[2 * i], 9 + (i - 1) * 4
  redis.call('ZADD', zset, expires_at, member)
  redis.call('HINCRBY', counter, 'reserved', ARGV[4])
  redis.call('PEXPIREAT', counter, ARGV[a + 2])
  redis.call('PEXPIREAT', zset, ARGV[a + 2])
end
for j = 1, nl do
  local minute, a = KEYS[2 * nb + j], lbase + (j - 1) * 3
  redis.call('HINCRBY', minute, 'req', 1)
  redis.call('HINCRBY', minute, 'tok', ARGV[5])
  redis.call('PEXPIREAT', minute, ARGV[a + 2])
end
return {1}
`);

/**
 * KEYS: settle marker; per budget: counter hash, reservations zset; per rate limit: the minute hash the
 *   reservation was counted in, the current minute hash.
 * ARGV: member, cost reserved, actual cost (-1 = release without billing), actual tokens, marker TTL ms, #budgets,
 *   #limits, 1 when the reservation was never in Redis (a local one replayed: no rate-limit counts to undo),
 *   tokens reserved, then per budget: oldest bucket (-1 = calendar), current bucket, key expiry;
 *   per limit: current minute key expiry.
 * Returns {-1} when already settled or released, else {1, spent before for each budget...}.
 */
export const SETTLE = script(`${HELPERS}
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[5]) then return {-1} end
local member, reserved_cost = ARGV[1], tonumber(ARGV[2])
local actual, tokens = tonumber(ARGV[3]), tonumber(ARGV[4])
local nb, nl, foreign, reserved_tokens = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8] == '1', tonumber(ARGV[9])
local out = {1}

for i = 1, nb do
  local counter, zset, a = KEYS[2 * i], KEYS[2 * i + 1], 10 + (i - 1) * 3
  -- Absent when it already expired: its reservation was freed then, and must not be freed twice.
  if redis.call('ZREM', zset, member) == 1 and reserved_cost > 0 then
    local left = redis.call('HINCRBY', counter, 'reserved', int(-reserved_cost))
    if left < 0 then redis.call('HSET', counter, 'reserved', 0) end
  end
  local oldest = tonumber(ARGV[a])
  out[#out + 1] = spent_of(counter, oldest)
  if actual > 0 then
    if oldest < 0 then redis.call('HINCRBY', counter, 'spent', ARGV[3])
    else redis.call('HINCRBY', counter, 'b:' .. ARGV[a + 1], ARGV[3]) end
    redis.call('PEXPIREAT', counter, ARGV[a + 2])
  end
end

local lbase = 10 + nb * 3
for j = 1, nl do
  local counted, current = KEYS[1 + 2 * nb + 2 * j - 1], KEYS[1 + 2 * nb + 2 * j]
  if not foreign and redis.call('EXISTS', counted) == 1 then
    if reserved_tokens > 0 then redis.call('HINCRBY', counted, 'tok', int(-reserved_tokens)) end
    if actual < 0 then redis.call('HINCRBY', counted, 'req', -1) end
  end
  if tokens > 0 then
    redis.call('HINCRBY', current, 'tok', ARGV[4])
    redis.call('PEXPIREAT', current, ARGV[lbase + j - 1])
  end
end
return out
`);

/** KEYS: rolling counter. ARGV: spent, bucket, key expiry. Replaces every bucket by one holding `spent`. */
export const SET_ROLLING_SPENT = script(`
local flat = redis.call('HGETALL', KEYS[1])
local buckets = {}
for i = 1, #flat, 2 do
  if string.sub(flat[i], 1, 2) == 'b:' then buckets[#buckets + 1] = flat[i] end
end
if #buckets > 0 then redis.call('HDEL', KEYS[1], unpack(buckets)) end
redis.call('HSET', KEYS[1], 'b:' .. ARGV[2], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1
`);
