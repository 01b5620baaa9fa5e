/**
 * The limiter against the real Redis, with the clock injected (`now`) so windows, edges and
 * day boundaries are exact and fast to reach. Every test uses keys of its own under a
 * per-run prefix.
 */
import type Redis from 'ioredis';
import { testInfra } from '@vectorstack/testing';
import { randomUUID } from 'node:crypto';
import { rateLimitExceeded } from './headers';
import { RateLimitKeys } from './keys';
import { DEFAULT_PLANS, type Plan, type PlanLimits, type PlanTier } from './plan';
import { RateLimiter, type RateLimitRequest, type RateLimitResult } from './rate-limiter';
import { createRateLimitRedis, waitForRedis } from './redis-client';
import { adminRedis, deleteKeysUnder, testKeyPrefix } from './testing/redis';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);
const NO_LIMITS: Plan = {
  requests_per_minute: null,
  requests_per_hour: null,
  requests_per_day: null,
  tokens_per_minute: null,
  tokens_per_day: null,
  max_concurrent: null,
  redis_unavailable: 'fail_closed',
};

describe('RateLimiter on real Redis', () => {
  const prefix = testKeyPrefix('limiter');
  let redis: Redis;
  let admin: Redis;
  let limiter: RateLimiter;

  beforeAll(async () => {
    redis = createRateLimitRedis(testInfra.redisUrl());
    admin = adminRedis();
    await waitForRedis(redis);
    limiter = new RateLimiter({ redis, keys: new RateLimitKeys(prefix), leaseMs: 30_000 });
    await limiter.plans.seedDefaults();
  });

  afterAll(async () => {
    await deleteKeysUnder(admin, prefix);
    redis.disconnect();
    admin.disconnect();
  });

  /** A fresh key on `tier` whose limits are exactly `limits` (through a per-key override). */
  async function keyWith(limits: Partial<PlanLimits>, tier: PlanTier = 'pro'): Promise<(extra?: Partial<RateLimitRequest>, now?: number) => Promise<RateLimitResult>> {
    const keyId = randomUUID();
    const { redis_unavailable: _policy, ...nulls } = NO_LIMITS;
    await limiter.plans.putOverride(keyId, { ...nulls, ...limits });
    return (extra = {}, now = T0) => limiter.check({ tenantId: 'tenant-1', keyId, tier, requestId: randomUUID(), ...extra }, now);
  }

  const windowOf = (result: RateLimitResult, name: string) => result.windows.find((w) => w.window === name);

  it('admits up to the limit, then denies without consuming anything', async () => {
    const check = await keyWith({ requests_per_minute: 3, requests_per_day: 100, tokens_per_minute: 1_000 });
    const admitted = [await check({ tokenEstimate: 100 }), await check({ tokenEstimate: 100 }), await check({ tokenEstimate: 100 })];
    expect(admitted.map((r) => r.allowed)).toEqual([true, true, true]);
    expect(windowOf(admitted[2], 'requests_per_minute')?.remaining).toBe(0);

    for (let i = 0; i < 10; i++) {
      const denied = await check({ tokenEstimate: 100 }, T0 + 1_000);
      expect(denied).toMatchObject({ allowed: false, deniedBy: 'requests_per_minute' });
    }
    // The denials left the day and token windows exactly where the admissions put them.
    const after = await check({ tokenEstimate: 100 }, T0 + MINUTE);
    expect(after.allowed).toBe(true);
    expect(windowOf(after, 'requests_per_day')?.remaining).toBe(100 - 4);
    expect(windowOf(after, 'tokens_per_minute')?.remaining).toBe(1_000 - 100);
  });

  it('denied by the token window, a request consumes no request either', async () => {
    const check = await keyWith({ requests_per_minute: 10, tokens_per_minute: 1_000 });
    expect((await check({ tokenEstimate: 900 })).allowed).toBe(true);
    const denied = await check({ tokenEstimate: 200 });
    expect(denied).toMatchObject({ allowed: false, deniedBy: 'tokens_per_minute', requestTooLarge: false });
    const small = await check({ tokenEstimate: 100 });
    expect(small.allowed).toBe(true);
    expect(windowOf(small, 'requests_per_minute')?.remaining).toBe(8);
    expect(windowOf(small, 'tokens_per_minute')?.remaining).toBe(0);
  });

  it('never lets 2× the limit through across a window boundary', async () => {
    const check = await keyWith({ requests_per_minute: 10 });
    const edge = T0 + 59_900; // the last 100 ms of a fixed minute
    for (let i = 0; i < 10; i++) expect((await check({}, edge)).allowed).toBe(true);
    // A fixed window would reset at T0 + 60 s and admit 10 more; the sliding window admits none.
    let admittedAfterEdge = 0;
    for (let t = T0 + 60_000; t < edge + MINUTE; t += 1_000) if ((await check({}, t)).allowed) admittedAfterEdge++;
    expect(admittedAfterEdge).toBe(0);
    expect((await check({}, edge + MINUTE)).allowed).toBe(true);
  });

  it('holds every 60-second window to the limit under random traffic, and denies only when it is full', async () => {
    const limit = 7;
    const check = await keyWith({ requests_per_minute: limit });
    const admittedAt: number[] = [];
    const deniedAt: number[] = [];
    let t = T0;
    for (let i = 0; i < 400; i++) {
      t += Math.floor(Math.random() * 2_500);
      ((await check({}, t)).allowed ? admittedAt : deniedAt).push(t);
    }
    const inWindowEndingAt = (end: number) => admittedAt.filter((at) => at > end - MINUTE && at <= end).length;
    for (const at of admittedAt) expect(inWindowEndingAt(at)).toBeLessThanOrEqual(limit);
    for (const at of deniedAt) expect(inWindowEndingAt(at)).toBe(limit);
    expect(deniedAt.length).toBeGreaterThan(0);
  });

  it('says exactly how long to wait: a client that waits Retry-After succeeds, one millisecond earlier does not', async () => {
    const check = await keyWith({ requests_per_minute: 2, requests_per_hour: 5 });
    await check({}, T0);
    await check({}, T0 + 10_000);
    const denied = await check({}, T0 + 20_000);
    expect(denied).toMatchObject({ allowed: false, deniedBy: 'requests_per_minute', retryAfterMs: 40_000 });
    const error = rateLimitExceeded(denied, T0 + 20_000);
    expect(error.headers['Retry-After']).toBe('40');
    expect((await check({}, T0 + 20_000 + 40_000 - 1)).allowed).toBe(false);
    expect((await check({}, T0 + 20_000 + 40_000)).allowed).toBe(true);

    // Hour window: 3 admitted so far; two more, then the next must wait for the first to leave the hour.
    await check({}, T0 + 2 * MINUTE);
    await check({}, T0 + 3 * MINUTE);
    const hourly = await check({}, T0 + 4 * MINUTE);
    expect(hourly).toMatchObject({ allowed: false, deniedBy: 'requests_per_hour', retryAfterMs: 56 * MINUTE });
    expect((await check({}, T0 + 60 * MINUTE)).allowed).toBe(true);
  });

  it('resets day windows at 00:00 UTC', async () => {
    const check = await keyWith({ requests_per_day: 3, tokens_per_day: 10_000 });
    const lateEvening = Date.UTC(2026, 2, 10, 23, 59, 0);
    for (let i = 0; i < 3; i++) expect((await check({ tokenEstimate: 10 }, lateEvening)).allowed).toBe(true);
    const denied = await check({}, Date.UTC(2026, 2, 10, 23, 59, 59, 500));
    expect(denied).toMatchObject({ allowed: false, deniedBy: 'requests_per_day', retryAfterMs: 500 });
    expect(windowOf(denied, 'requests_per_day')?.resetAtMs).toBe(Date.UTC(2026, 2, 11));
    expect(rateLimitExceeded(denied).message).toBe('Daily request limit of 3 reached; resets at 00:00 UTC');
    const midnight = await check({ tokenEstimate: 10 }, Date.UTC(2026, 2, 11));
    expect(midnight.allowed).toBe(true);
    expect(windowOf(midnight, 'requests_per_day')?.remaining).toBe(2);
    expect(windowOf(midnight, 'tokens_per_day')?.remaining).toBe(10_000 - 10);
  });

  describe('token reservations', () => {
    it('reserve 1,000, reconcile to 120: remaining reflects 120; a second reconcile changes nothing', async () => {
      const keyId = randomUUID();
      const { redis_unavailable: _policy, ...nulls } = NO_LIMITS;
      await limiter.plans.putOverride(keyId, { ...nulls, tokens_per_minute: 10_000, tokens_per_day: 100_000 });
      const request = { tenantId: 't', keyId, tier: 'pro' as const };
      const reserved = await limiter.check({ ...request, requestId: 'req-1', tokenEstimate: 1_000 }, T0);
      expect(windowOf(reserved, 'tokens_per_minute')?.remaining).toBe(9_000);

      expect(await limiter.reconcile(keyId, 'req-1', 120)).toEqual({ outcome: 'settled', reservedTokens: 1_000, chargedTokens: 120 });
      const after = await limiter.peek(request, T0 + 1_000);
      expect(windowOf(after, 'tokens_per_minute')?.remaining).toBe(10_000 - 120);
      expect(windowOf(after, 'tokens_per_day')?.remaining).toBe(100_000 - 120);

      expect((await limiter.reconcile(keyId, 'req-1', 5_000)).outcome).toBe('already_settled');
      expect((await limiter.release(keyId, 'req-1')).outcome).toBe('already_settled');
      expect(windowOf(await limiter.peek(request, T0 + 1_000), 'tokens_per_minute')?.remaining).toBe(10_000 - 120);
      expect((await limiter.reconcile(keyId, 'never-admitted', 10)).outcome).toBe('unknown_request');
    });

    it('charges the difference when the actual count exceeds the estimate', async () => {
      const keyId = randomUUID();
      await limiter.plans.putOverride(keyId, { tokens_per_minute: 10_000, requests_per_minute: null, max_concurrent: null, requests_per_day: null });
      const request = { tenantId: 't', keyId, tier: 'pro' as const };
      await limiter.check({ ...request, requestId: 'big', tokenEstimate: 100 }, T0);
      await limiter.reconcile(keyId, 'big', 9_500);
      const next = await limiter.check({ ...request, requestId: 'next', tokenEstimate: 600 }, T0 + 1_000);
      expect(next).toMatchObject({ allowed: false, deniedBy: 'tokens_per_minute' });
      expect(windowOf(next, 'tokens_per_minute')?.remaining).toBe(500);
    });

    it('a failed request returns its whole reservation and its concurrency slot; a burst of failures leaves the budget whole', async () => {
      const keyId = randomUUID();
      await limiter.plans.putOverride(keyId, { tokens_per_minute: 5_000, tokens_per_day: 20_000, max_concurrent: 3, requests_per_minute: null, requests_per_day: null });
      const request = { tenantId: 't', keyId, tier: 'pro' as const };
      for (let i = 0; i < 50; i++) {
        const reserved = await limiter.check({ ...request, requestId: `fail-${i}`, tokenEstimate: 1_000 }, T0 + i);
        expect(reserved.allowed).toBe(true);
        expect((await limiter.release(keyId, `fail-${i}`)).outcome).toBe('settled');
      }
      const whole = await limiter.peek(request, T0 + 100);
      expect(whole.windows).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ window: 'tokens_per_minute', limit: 5_000, remaining: 5_000 }),
          expect.objectContaining({ window: 'tokens_per_day', limit: 20_000, remaining: 20_000 }),
          expect.objectContaining({ window: 'max_concurrent', limit: 3, remaining: 3 }),
        ]),
      );
    });

    it('a quota lease reserves many requests, tokens and slots at once; settling it keeps what was used and gives back the rest', async () => {
      const keyId = randomUUID();
      await limiter.plans.putOverride(keyId, { requests_per_minute: 100, requests_per_hour: 1_000, requests_per_day: 5_000, tokens_per_minute: 10_000, tokens_per_day: 50_000, max_concurrent: 10 });
      const request = { tenantId: 't', keyId, tier: 'pro' as const };
      const leased = await limiter.check({ ...request, requestId: 'lease_1', requestCost: 40, tokenEstimate: 4_000, concurrencySlots: 6 }, T0);
      expect(leased.allowed).toBe(true);
      expect(windowOf(leased, 'requests_per_minute')?.remaining).toBe(60);
      expect(windowOf(leased, 'requests_per_hour')?.remaining).toBe(960);
      expect(windowOf(leased, 'tokens_per_minute')?.remaining).toBe(6_000);
      expect(windowOf(leased, 'max_concurrent')?.remaining).toBe(4);
      // The slots are held: five more requests at once do not fit.
      const crowded = await Promise.all([1, 2, 3, 4, 5].map((i) => limiter.check({ ...request, requestId: `r-${i}` }, T0 + 1)));
      expect(crowded.filter((r) => r.allowed)).toHaveLength(4);
      expect(crowded.find((r) => !r.allowed)).toMatchObject({ deniedBy: 'max_concurrent' });
      for (let i = 1; i <= 5; i++) await limiter.release(keyId, `r-${i}`);

      // It admitted 12 requests that used 700 tokens.
      expect(await limiter.settleLease(keyId, 'lease_1', { requests: 12, tokens: 700, slots: 6 })).toEqual({ outcome: 'settled', reservedTokens: 4_000, chargedTokens: 700 });
      const after = await limiter.peek(request, T0 + 2);
      expect(windowOf(after, 'requests_per_minute')?.remaining).toBe(100 - 12 - 4);
      expect(windowOf(after, 'requests_per_hour')?.remaining).toBe(1_000 - 12 - 4);
      expect(windowOf(after, 'requests_per_day')?.remaining).toBe(5_000 - 12 - 4);
      expect(windowOf(after, 'tokens_per_minute')?.remaining).toBe(10_000 - 700);
      expect(windowOf(after, 'tokens_per_day')?.remaining).toBe(50_000 - 700);
      expect(windowOf(after, 'max_concurrent')?.remaining).toBe(10);
      expect((await limiter.settleLease(keyId, 'lease_1', { requests: 40, tokens: 4_000, slots: 6 })).outcome).toBe('already_settled');

      // When it leaves the minute, the minute gives back what the lease kept (12), not what it reserved.
      const nextMinute = await limiter.peek(request, T0 + MINUTE + 3);
      expect(windowOf(nextMinute, 'requests_per_minute')?.remaining).toBe(100);
      expect(windowOf(nextMinute, 'requests_per_hour')?.remaining).toBe(1_000 - 12 - 4);
    });

    it('refuses a request larger than the whole token limit as too large', async () => {
      const check = await keyWith({ tokens_per_minute: 1_000 });
      const denied = await check({ tokenEstimate: 1_001 });
      expect(denied).toMatchObject({ allowed: false, deniedBy: 'tokens_per_minute', requestTooLarge: true });
      expect(rateLimitExceeded(denied).message).toContain('Request too large');
    });
  });

  it('frees the concurrency slot of a caller that never released it once its lease ends', async () => {
    const check = await keyWith({ max_concurrent: 2 });
    expect((await check({}, T0)).allowed).toBe(true);
    expect((await check({}, T0 + 1)).allowed).toBe(true);
    const full = await check({}, T0 + 2);
    expect(full).toMatchObject({ allowed: false, deniedBy: 'max_concurrent' });
    expect(full.retryAfterMs).toBeGreaterThan(0);
    expect((await check({}, T0 + 30_000)).allowed).toBe(true); // leaseMs is 30 s in this suite
  });

  it('counts a repeated request id once', async () => {
    const keyId = randomUUID();
    await limiter.plans.putOverride(keyId, { requests_per_minute: 5, max_concurrent: null, requests_per_day: null, tokens_per_minute: null });
    const request = { tenantId: 't', keyId, tier: 'pro' as const, requestId: 'same' };
    expect((await limiter.check(request, T0)).duplicate).toBe(false);
    const again = await limiter.check(request, T0 + 1);
    expect(again).toMatchObject({ allowed: true, duplicate: true });
    expect(windowOf(again, 'requests_per_minute')?.remaining).toBe(4);
  });

  it('applies plan and override changes on the next check, on every replica', async () => {
    const otherConnection = createRateLimitRedis(testInfra.redisUrl());
    await waitForRedis(otherConnection);
    const replica = new RateLimiter({ redis: otherConnection, keys: new RateLimitKeys(prefix) });
    try {
      const keyId = randomUUID();
      const request = (requestId: string) => ({ tenantId: 't', keyId, tier: 'starter' as const, requestId });
      await limiter.plans.putPlan('starter', { ...NO_LIMITS, requests_per_minute: 2 });
      expect((await replica.check(request('a'), T0)).allowed).toBe(true);
      expect((await replica.check(request('b'), T0)).allowed).toBe(true);
      expect((await replica.check(request('c'), T0)).allowed).toBe(false);

      const raised = await limiter.plans.putPlan('starter', { ...NO_LIMITS, requests_per_minute: 3 });
      expect(raised.version).toBeGreaterThan(1);
      expect((await replica.check(request('c'), T0)).allowed).toBe(true);

      await limiter.plans.putOverride(keyId, { requests_per_minute: 10 });
      expect((await replica.check(request('d'), T0)).allowed).toBe(true);
      await limiter.plans.deleteOverride(keyId);
      expect((await replica.check(request('e'), T0)).allowed).toBe(false);
    } finally {
      await limiter.plans.putPlan('starter', DEFAULT_PLANS.starter);
      otherConnection.disconnect();
    }
  });

  it('uses Redis TIME when no clock is passed, and lets idle state expire', async () => {
    const keyId = randomUUID();
    const result = await limiter.check({ tenantId: 't', keyId, tier: 'free', requestId: 'r', tokenEstimate: 5 });
    expect(result.allowed).toBe(true);
    expect(Math.abs(result.nowMs - Date.now())).toBeLessThan(5_000);
    const space = limiter.keys.forKey(keyId);
    for (const key of [space.state, space.log, space.requests, space.inflight]) {
      const ttl = await admin.pttl(key);
      expect({ key, expires: ttl > 0 }).toEqual({ key, expires: true });
    }
  });

  it('puts the default plans back when they vanished from Redis', async () => {
    const victimPrefix = testKeyPrefix('flushed');
    const flushed = new RateLimiter({ redis, keys: new RateLimitKeys(victimPrefix) });
    try {
      const result = await flushed.check({ tenantId: 't', keyId: 'k', tier: 'free', requestId: 'r' }, T0);
      expect(result.allowed).toBe(true);
      expect(result.windows.find((w) => w.window === 'requests_per_minute')?.limit).toBe(DEFAULT_PLANS.free.requests_per_minute);
    } finally {
      await deleteKeysUnder(admin, victimPrefix);
    }
  });
});
