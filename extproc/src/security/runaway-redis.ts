// The runaway tracker shared by a gateway fleet through Redis. One round trip per request and per spend record:
// each is a Lua script, atomic against concurrent gateways. Per subject there are two hashes, both with a TTL:
// - `<prefix>{subject}:r`: `c:<simhash>` → last seen (ms) for at most `clustersPerSubject` clusters, and
//   `b:<simhash>:<bucket>` → hits; a cluster's expired buckets are deleted whenever it is hit, so the hash holds at
//   most clustersPerSubject × (BUCKETS + 2) fields;
// - `<prefix>{subject}:s`: the two decayed spend sums and when they were last brought up to date.
// The `{subject}` hash tag keeps both keys in one slot on Redis Cluster. Only the client's type is imported: the
// caller owns the connection (and ioredis is loaded only where Redis is configured at all).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  BUCKETS,
  bucketMs,
  type RequestShape,
  type RunawayLimits,
  type RunawayOptions,
  type RunawayTracker,
  repeatFinding,
  resolveRunawayOptions,
  velocityFinding,
  withLimits,
} from './runaway.js';
import type { Finding } from './types.js';

const OBSERVE = `
local key = KEYS[1]
local hi = tonumber(ARGV[1], 16)
local lo = tonumber(ARGV[2], 16)
local now = tonumber(ARGV[3])
local bucket = math.floor(now / tonumber(ARGV[4]))
local buckets = tonumber(ARGV[5])
local maxDistance = tonumber(ARGV[6])
local maxClusters = tonumber(ARGV[7])
local function popcount(x)
  local n = 0
  while x ~= 0 do
    x = bit.band(x, x - 1)
    n = n + 1
  end
  return n
end
local all = redis.call('HGETALL', key)
local best = nil
local bestDistance = maxDistance + 1
local clusters = {}
for i = 1, #all, 2 do
  local field = all[i]
  if string.sub(field, 1, 2) == 'c:' then
    local id = string.sub(field, 3)
    clusters[#clusters + 1] = { id, tonumber(all[i + 1]) }
    local d = popcount(bit.bxor(tonumber(string.sub(id, 1, 8), 16), hi))
      + popcount(bit.bxor(tonumber(string.sub(id, 9, 16), 16), lo))
    if d < bestDistance then
      best = id
      bestDistance = d
    end
  end
end
if best == nil then
  best = ARGV[1] .. ARGV[2]
  if #clusters >= maxClusters then
    local oldest = clusters[1]
    for _, c in ipairs(clusters) do
      if c[2] < oldest[2] then oldest = c end
    end
    local evicted = 'b:' .. oldest[1] .. ':'
    redis.call('HDEL', key, 'c:' .. oldest[1])
    for i = 1, #all, 2 do
      if string.sub(all[i], 1, #evicted) == evicted then redis.call('HDEL', key, all[i]) end
    end
  end
end
local prefix = 'b:' .. best .. ':'
redis.call('HSET', key, 'c:' .. best, now)
local count = redis.call('HINCRBY', key, prefix .. bucket, 1)
for i = 1, #all, 2 do
  local field = all[i]
  if string.sub(field, 1, #prefix) == prefix then
    local b = tonumber(string.sub(field, #prefix + 1))
    if b <= bucket - buckets then
      redis.call('HDEL', key, field)
    elseif b ~= bucket then
      count = count + tonumber(all[i + 1])
    end
  end
end
redis.call('PEXPIRE', key, ARGV[8])
local spend = redis.call('HMGET', KEYS[2], 'fast', 'base', 'at')
return { count, spend[1] or false, spend[2] or false, spend[3] or false }
`;

const RECORD_SPEND = `
local s = redis.call('HMGET', KEYS[1], 'fast', 'base', 'at')
local now = tonumber(ARGV[1])
local at = tonumber(s[3]) or now
local dt = math.max(0, now - at) / 1000
local fast = (tonumber(s[1]) or 0) * math.pow(2, -dt / tonumber(ARGV[3])) + tonumber(ARGV[2])
local base = (tonumber(s[2]) or 0) * math.pow(2, -dt / tonumber(ARGV[4])) + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'fast', tostring(fast), 'base', tostring(base), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
`;

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const OBSERVE_SCRIPT = script(OBSERVE);
const RECORD_SPEND_SCRIPT = script(RECORD_SPEND);

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}

export class RedisRunawayTracker implements RunawayTracker {
  readonly options: RunawayOptions;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix = 'acc:runaway:',
    options: Partial<RunawayOptions> = {},
  ) {
    this.options = resolveRunawayOptions(options);
  }

  private key(subject: string, kind: 'r' | 's'): string {
    return `${this.keyPrefix}{${subject}}:${kind}`;
  }

  /** EVALSHA, loading the script on the first NOSCRIPT (a restarted or new Redis). */
  private async run(s: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await this.redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return this.redis.eval(s.source, keys.length, ...keys, ...args);
    }
  }

  async observe(
    subject: string,
    shape: RequestShape,
    nowMs: number,
    limits?: RunawayLimits,
  ): Promise<Finding[]> {
    const o = withLimits(this.options, limits);
    const reply = (await this.run(
      OBSERVE_SCRIPT,
      [this.key(subject, 'r'), this.key(subject, 's')],
      [
        hex32(shape.hi),
        hex32(shape.lo),
        Math.floor(nowMs),
        bucketMs(o),
        BUCKETS,
        o.maxDistance,
        o.clustersPerSubject,
        Math.ceil(o.windowSeconds * 2000),
      ],
    )) as [number, string | null, string | null, string | null];
    const [count, fast, base, at] = reply;
    const findings: Finding[] = [];
    const repeat = repeatFinding(o, subject, shape, Number(count));
    if (repeat !== null) findings.push(repeat);
    if (fast !== null && base !== null && at !== null) {
      const spend = { fast: Number(fast), base: Number(base), atMs: Number(at) };
      const velocity = velocityFinding(o, subject, shape, spend, nowMs);
      if (velocity !== null) findings.push(velocity);
    }
    return findings;
  }

  async recordSpend(subject: string, usd: number, nowMs: number): Promise<void> {
    if (!(usd > 0)) return;
    const o = this.options;
    // After eight baseline half-lives the sums are under 0.4% of what they were: nothing left worth keeping.
    const ttlMs = Math.ceil(o.baselineHalfLifeSeconds * 8000);
    await this.run(
      RECORD_SPEND_SCRIPT,
      [this.key(subject, 's')],
      [Math.floor(nowMs), usd, o.windowSeconds, o.baselineHalfLifeSeconds, ttlMs],
    );
  }
}
