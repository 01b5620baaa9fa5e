// The Lua scripts the limiter runs. Each runs atomically inside Redis, so every replica of
// every service sees one consistent order of admissions, and a check is one round trip
// (ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT).
//
// Algorithm (per API key):
// - Minute and hour windows are exact sliding windows over a log of admitted requests
//   (sorted set: request id → admission time) with running sums, so a check costs O(1)
//   amortised: entries are subtracted from the minute sums once, when they fall out of the
//   minute (tracked by the cut-off `mcut`), and from the hour sum and the log when they fall
//   out of the hour. A request is admitted only if, in every window, what the last 60 s (or
//   3,600 s) admitted plus this request fits the limit — there is no window edge to burst
//   across.
// - Day windows are calendar days in UTC (reset at 00:00 UTC).
// - Tokens: the estimate is recorded with the request (its reservation) and counted in the
//   token windows; reconcile replaces it with the actual count, release with zero.
// - Concurrency: a sorted set of request id → lease expiry; expired leases (a caller that
//   crashed without releasing) stop counting by themselves.
// - A denied request changes no counter (only expired entries are trimmed).
// - Clock: `now` is the caller's (tests) or Redis TIME (one clock for all replicas). Per key
//   it never runs backwards: a `now` older than the last one seen is raised to it, so the
//   sliding windows stay consistent even with skewed callers.

/** Shared Lua helpers. */
const LUA_PRELUDE = `
local MINUTE, HOUR, DAY = 60000, 3600000, 86400000
local function fmt(n) return string.format('%.0f', n) end
local function parse(record)
  local ts, cost, tokens, state = string.match(record, '^(%d+):(%d+):(%d+):(%a)$')
  return tonumber(ts), tonumber(cost), tonumber(tokens), state
end
local function num(v, default) return tonumber(v) or default end
`;

/**
 * KEYS: 1 plan mirror, 2 override, 3 state, 4 log, 5 requests, 6 inflight.
 * ARGV: 1 now in ms ('' → Redis TIME), 2 request id, 3 request cost, 4 token estimate,
 *       5 lease ms, 6 mode ('check' records an admission, 'peek' only reports),
 *       7 concurrency slots to take (absent → 1; a quota lease takes several: members id, id#2 …).
 * Returns {status, deniedBy, retryAfterMs, tooLarge, failOpen, now, [window, limit, remaining, resetAt]...}
 * with status 1 admitted, 0 denied, 2 duplicate request id (already admitted), -1 no plan.
 */
export const CHECK_SCRIPT = `${LUA_PRELUDE}
local NAMES = {'requests_per_minute', 'requests_per_hour', 'requests_per_day', 'tokens_per_minute', 'tokens_per_day', 'max_concurrent'}
local plan = redis.call('HGETALL', KEYS[1])
if #plan == 0 then return {-1} end
local fields = {}
for i = 1, #plan, 2 do fields[plan[i]] = plan[i + 1] end
local override = redis.call('HGETALL', KEYS[2])
for i = 1, #override, 2 do fields[override[i]] = override[i + 1] end
local limit = {}
for w = 1, 6 do
  local v = tonumber(fields[NAMES[w]])
  if v ~= nil and v >= 0 then limit[w] = v end
end
local failOpen = 0
if fields['redis_unavailable'] == 'fail_open' then failOpen = 1 end

local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local id, cost, tokens, lease, mode = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local slots = tonumber(ARGV[7]) or 1

local st = redis.call('HMGET', KEYS[3], 'last', 'mcut', 'rpm', 'rph', 'tpm', 'day', 'rpd', 'tpd')
local last = num(st[1], 0)
if now < last then now = last end
local mcut = num(st[2], 0)
local rpm, rph, tpm = num(st[3], 0), num(st[4], 0), num(st[5], 0)
local today = math.floor(now / DAY)
local rpd, tpd = 0, 0
if num(st[6], -1) == today then rpd, tpd = num(st[7], 0), num(st[8], 0) end

-- Entries leaving the minute: subtract them from the minute sums (once: mcut only grows).
local newMcut = now - MINUTE
if newMcut > mcut then
  local offset = 0
  while true do
    local ids = redis.call('ZRANGEBYSCORE', KEYS[4], '(' .. fmt(mcut), fmt(newMcut), 'LIMIT', offset, 500)
    if #ids == 0 then break end
    local records = redis.call('HMGET', KEYS[5], unpack(ids))
    for i = 1, #ids do
      if records[i] then
        local _, c, t = parse(records[i])
        rpm, tpm = rpm - c, tpm - t
      end
    end
    if #ids < 500 then break end
    offset = offset + #ids
  end
  mcut = newMcut
end
-- Entries leaving the hour: subtract them from the hour sum and forget them.
while true do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', fmt(now - HOUR), 'LIMIT', 0, 500)
  if #ids == 0 then break end
  local records = redis.call('HMGET', KEYS[5], unpack(ids))
  for i = 1, #ids do
    if records[i] then
      local _, c = parse(records[i])
      rph = rph - c
    end
  end
  redis.call('ZREM', KEYS[4], unpack(ids))
  redis.call('HDEL', KEYS[5], unpack(ids))
  if #ids < 500 then break end
end
if rpm < 0 then rpm = 0 end
if rph < 0 then rph = 0 end
if tpm < 0 then tpm = 0 end

local inflight, earliestLease = 0, nil
if limit[6] then
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', fmt(now))
  inflight = redis.call('ZCARD', KEYS[6])
  local first = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
  if first[2] then earliestLease = tonumber(first[2]) end
end

-- How long until \`need\` weight has left a sliding window whose entries start after \`from\`.
-- Pages start small: a request usually waits for one or a few entries to leave.
local function slidingRetry(from, size, need, useTokens)
  local acc, offset, pageSize = 0, 0, 8
  while true do
    local page = redis.call('ZRANGEBYSCORE', KEYS[4], '(' .. fmt(from), '+inf', 'WITHSCORES', 'LIMIT', offset, pageSize)
    if #page == 0 then return size end
    local ids = {}
    for i = 1, #page, 2 do ids[#ids + 1] = page[i] end
    local records = redis.call('HMGET', KEYS[5], unpack(ids))
    for i = 1, #ids do
      if records[i] then
        local _, c, t = parse(records[i])
        if useTokens then acc = acc + t else acc = acc + c end
        if acc >= need then
          local wait = tonumber(page[2 * i]) + size - now
          if wait < 1 then wait = 1 end
          return wait
        end
      end
    end
    offset = offset + #ids
    if pageSize < 512 then pageSize = pageSize * 4 end
  end
end

local used = {rpm, rph, rpd, tpm, tpd, inflight}
local wanted = {cost, cost, cost, tokens, tokens, slots}
local status, deniedBy, retryAfter, tooLarge = 1, 0, 0, 0
local duplicate = mode == 'check' and redis.call('HEXISTS', KEYS[5], id) == 1
if duplicate then
  status = 2
else
  for w = 1, 6 do
    if limit[w] and used[w] + wanted[w] > limit[w] then
      local never = wanted[w] > limit[w]
      local wait
      if w == 1 then wait = slidingRetry(mcut, MINUTE, used[w] + wanted[w] - limit[w], false)
      elseif w == 2 then wait = slidingRetry(now - HOUR, HOUR, used[w] + wanted[w] - limit[w], false)
      elseif w == 4 then
        if never then wait = MINUTE else wait = slidingRetry(mcut, MINUTE, used[w] + wanted[w] - limit[w], true) end
      elseif w == 6 then
        wait = 1000
        if earliestLease and earliestLease - now < wait then wait = math.max(1, earliestLease - now) end
      else wait = (today + 1) * DAY - now end
      -- A request no window can ever fit is reported first; otherwise the longest wait.
      local better = (never and tooLarge == 0) or ((never and 1 or 0) == tooLarge and wait > retryAfter)
      if deniedBy == 0 or better then
        deniedBy, retryAfter = w, wait
        if never then tooLarge = 1 end
      end
    end
  end
  if deniedBy > 0 then status = 0 end
end

if status == 1 and mode == 'check' then
  redis.call('ZADD', KEYS[4], fmt(now), id)
  redis.call('HSET', KEYS[5], id, fmt(now) .. ':' .. fmt(cost) .. ':' .. fmt(tokens) .. ':o')
  rpm, rph, rpd = rpm + cost, rph + cost, rpd + cost
  tpm, tpd = tpm + tokens, tpd + tokens
  if limit[6] and slots > 0 then
    local members = {}
    for k = 1, slots do
      members[#members + 1] = fmt(now + lease)
      members[#members + 1] = k == 1 and id or (id .. '#' .. k)
    end
    redis.call('ZADD', KEYS[6], unpack(members))
    redis.call('PEXPIRE', KEYS[6], fmt(lease + MINUTE))
    inflight = inflight + slots
    if not earliestLease then earliestLease = now + lease end
  end
end

-- State, log and reservations always share one expiry, so none outlives the others.
redis.call('HSET', KEYS[3], 'last', fmt(now), 'mcut', fmt(mcut), 'rpm', fmt(rpm), 'rph', fmt(rph), 'tpm', fmt(tpm),
  'day', fmt(today), 'rpd', fmt(rpd), 'tpd', fmt(tpd))
local ttl = math.max(HOUR, (today + 1) * DAY - now) + MINUTE
redis.call('PEXPIRE', KEYS[3], fmt(ttl))
redis.call('PEXPIRE', KEYS[4], fmt(ttl))
redis.call('PEXPIRE', KEYS[5], fmt(ttl))

local out = {status, deniedBy, retryAfter, tooLarge, failOpen, now}
local minuteReset, hourReset = now, now
local firstMinute = redis.call('ZRANGEBYSCORE', KEYS[4], '(' .. fmt(mcut), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
if firstMinute[2] then minuteReset = tonumber(firstMinute[2]) + MINUTE end
if limit[2] then
  local firstHour = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
  if firstHour[2] then hourReset = tonumber(firstHour[2]) + HOUR end
end
local counts = {rpm, rph, rpd, tpm, tpd, inflight}
local resets = {minuteReset, hourReset, (today + 1) * DAY, minuteReset, (today + 1) * DAY, earliestLease or now}
for w = 1, 6 do
  if limit[w] then
    local remaining = limit[w] - counts[w]
    if remaining < 0 then remaining = 0 end
    out[#out + 1] = w
    out[#out + 1] = limit[w]
    out[#out + 1] = remaining
    out[#out + 1] = resets[w]
  end
end
return out
`;

/**
 * Reconcile (actual tokens, state 's') or release (0 tokens, state 'r') one reservation.
 * KEYS: 1 state, 2 requests, 3 inflight. ARGV: 1 request id, 2 tokens, 3 new state letter,
 * 4 actual request cost ('' → unchanged; a quota lease gives back the requests it did not use),
 * 5 concurrency slots the reservation holds (absent → 1).
 * Returns {status, reservedTokens, chargedTokens}: 1 settled now, 2 already settled (no
 * change), 0 unknown request (never admitted, or older than the hour the log keeps).
 */
export const SETTLE_SCRIPT = `${LUA_PRELUDE}
local record = redis.call('HGET', KEYS[2], ARGV[1])
if not record then return {0, 0, 0} end
local ts, cost, reserved, state = parse(record)
if state ~= 'o' then return {2, reserved, reserved} end
local actual = tonumber(ARGV[2])
local delta = actual - reserved
local newCost = tonumber(ARGV[4]) or cost
local costDelta = newCost - cost
if redis.call('EXISTS', KEYS[1]) == 1 then
  local st = redis.call('HMGET', KEYS[1], 'mcut', 'tpm', 'day', 'tpd', 'rpm', 'rph', 'rpd')
  -- Sums the record still counts in: the minute (not yet cut), the hour (it is still logged), its day.
  if ts > num(st[1], 0) then
    redis.call('HSET', KEYS[1], 'tpm', fmt(math.max(0, num(st[2], 0) + delta)))
    if costDelta ~= 0 then redis.call('HSET', KEYS[1], 'rpm', fmt(math.max(0, num(st[5], 0) + costDelta))) end
  end
  if costDelta ~= 0 then redis.call('HSET', KEYS[1], 'rph', fmt(math.max(0, num(st[6], 0) + costDelta))) end
  if num(st[3], -1) == math.floor(ts / DAY) then
    redis.call('HSET', KEYS[1], 'tpd', fmt(math.max(0, num(st[4], 0) + delta)))
    if costDelta ~= 0 then redis.call('HSET', KEYS[1], 'rpd', fmt(math.max(0, num(st[7], 0) + costDelta))) end
  end
end
redis.call('HSET', KEYS[2], ARGV[1], fmt(ts) .. ':' .. fmt(newCost) .. ':' .. fmt(actual) .. ':' .. ARGV[3])
local members = {ARGV[1]}
for k = 2, (tonumber(ARGV[5]) or 1) do members[#members + 1] = ARGV[1] .. '#' .. k end
redis.call('ZREM', KEYS[3], unpack(members))
return {1, reserved, actual}
`;

/**
 * Replaces a plan hash with new content and the next version. KEYS: 1 plan.
 * ARGV: field/value pairs. Returns the new version.
 */
export const PUT_PLAN_SCRIPT = `
local version = (tonumber(redis.call('HGET', KEYS[1], 'version')) or 0) + 1
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', version, unpack(ARGV))
return version
`;

/** Writes a plan hash (version 1) only when it does not exist. KEYS: 1 plan. ARGV: field/value pairs. Returns 1 when written. */
export const SEED_PLAN_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'version', 1, unpack(ARGV))
return 1
`;

/**
 * Copies a plan into a shard unless the shard already holds that version or a newer one,
 * so concurrent writers converge on the newest plan. KEYS: 1 mirror. ARGV: 1 version, then
 * field/value pairs. Returns 1 when written.
 */
export const MIRROR_PLAN_SCRIPT = `
local held = tonumber(redis.call('HGET', KEYS[1], 'version')) or 0
if held >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', ARGV[1], unpack(ARGV, 2))
return 1
`;
