// Lua scripts for the ledger stream's upkeep. Each runs atomically in Redis, so no writer can read, claim or
// acknowledge between the check and the change.

/**
 * Trims every entry older than the oldest one the group still needs: the oldest pending entry, or when none is
 * pending, the last one delivered (everything before it is acknowledged). Entries are also deleted one by one as
 * they are acknowledged; this catches what that missed, so the stream stays bounded.
 */
export const TRIM_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local minid = redis.call('XPENDING', KEYS[1], ARGV[1])[2]
if not minid then
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local name, last
    for i = 1, #group, 2 do
      if group[i] == 'name' then name = group[i + 1] elseif group[i] == 'last-delivered-id' then last = group[i + 1] end
    end
    if name == ARGV[1] then minid = last end
  end
end
if not minid then return 0 end
return redis.call('XTRIM', KEYS[1], 'MINID', minid)`;

/**
 * Removes consumers (other than ARGV[3]) with nothing pending and idle longer than ARGV[2] ms: every writer
 * process joins under a new name, so names of stopped or crashed ones would otherwise pile up in the group.
 */
export const RETIRE_IF_IDLE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local removed = 0
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, pending, idle
  for i = 1, #consumer, 2 do
    local field = consumer[i]
    if field == 'name' then name = consumer[i + 1]
    elseif field == 'pending' then pending = consumer[i + 1]
    elseif field == 'idle' then idle = consumer[i + 1] end
  end
  if name ~= ARGV[3] and pending == 0 and idle > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    removed = removed + 1
  end
end
return removed`;

/** Removes consumer ARGV[2] on shutdown, unless it still has pending entries (DELCONSUMER would drop them). */
export const RETIRE_SELF_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return -1 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])`;
