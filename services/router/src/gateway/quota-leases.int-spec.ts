/**
 * The router's quota leases against the real Redis and the real limiter scripts: a busy key is
 * admitted from leases and every window ends up counting exactly what was used; near a limit
 * every request is checked one by one; a key whose traffic stops gives its quota back. The
 * leases run on a test clock (Redis keeps its own TIME for the windows).
 */
import { randomUUID } from 'node:crypto';
import type { AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { ApiError } from '@vectorstack/http';
import { createRateLimitRedis, LIMIT_NAMES, RateLimiter, RateLimitKeys, waitForRedis, type PlanLimits, type RateLimitResult } from '@vectorstack/ratelimit';
import { testInfra, uniqueSuffix } from '@vectorstack/testing';
import type Redis from 'ioredis';
import { RequestLimiter } from './request-limiter';

/** Every window unlimited: each test names the ones it limits. */
const NO_LIMITS = Object.fromEntries(LIMIT_NAMES.map((name) => [name, null])) as PlanLimits;

describe('RequestLimiter quota leases on real Redis', () => {
  const prefix = `vs:rl:leases-${uniqueSuffix()}:`;
  const keys = new RateLimitKeys(prefix);
  let redis: Redis;
  let limiter: RateLimiter;
  let now = 0;
  const clock = () => now;
  const open: RequestLimiter[] = [];

  beforeAll(async () => {
    redis = createRateLimitRedis(testInfra.redisUrl());
    await waitForRedis(redis);
    limiter = new RateLimiter({ redis, keys });
    await limiter.plans.seedDefaults();
  });

  afterAll(async () => {
    await Promise.all(open.map((l) => l.flush()));
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await redis.unlink(...found);
    } while (cursor !== '0');
    redis.disconnect();
  });

  function requestLimiter(leaseMs = 1_000): RequestLimiter {
    const created = new RequestLimiter(limiter, 5, { leaseMs, headroom: 10, clock });
    open.push(created);
    return created;
  }

  async function keyWith(limits: Partial<PlanLimits>): Promise<AuthenticatedPrincipal> {
    const keyId = randomUUID();
    await limiter.plans.putOverride(keyId, { ...NO_LIMITS, ...limits });
    return { tenantId: 't-leases', keyId, tier: 'enterprise', scopes: ['chat'], models: [], ipAllowlist: [], expiresAt: null };
  }

  const remaining = (result: RateLimitResult | undefined, window: string) => result?.windows.find((w) => w.window === window)?.remaining;
  const logged = (keyId: string) => redis.zcard(keys.forKey(keyId).log);
  const peek = (principal: AuthenticatedPrincipal) => limiter.peek({ tenantId: principal.tenantId, keyId: principal.keyId, tier: 'enterprise' });

  it('admits a busy key from leases; once they settle, every window counts exactly the requests and the actual tokens', async () => {
    const principal = await keyWith({ requests_per_minute: 100_000, requests_per_hour: 1_000_000, tokens_per_minute: 10_000_000, tokens_per_day: 50_000_000, max_concurrent: 1_000 });
    const gate = requestLimiter();
    let actualTokens = 0;
    let previousRemaining = Infinity;
    for (let i = 0; i < 400; i++) {
      now += 5; // 200 requests a second
      const admitted = gate.admit(principal, `req-${i}`, 120);
      // By the end the key runs on leases: admitted in memory, answered without a promise.
      if (i === 399) expect(admitted).not.toBeInstanceOf(Promise);
      const result = await admitted;
      // The headers a client sees count down one request at a time, leased or not.
      const left = remaining(result, 'requests_per_minute') ?? Infinity;
      expect(left).toBeLessThan(previousRemaining);
      previousRemaining = left;
      const used = 40 + (i % 7);
      actualTokens += used;
      gate.settle(principal, `req-${i}`, used);
    }
    // The first second (200 requests) is checked one by one: the key's traffic is not known yet.
    // Then a few leases instead of one record per request.
    expect(await logged(principal.keyId)).toBeLessThan(200 + 10);
    await gate.flush();

    const after = await peek(principal);
    expect(remaining(after, 'requests_per_minute')).toBe(100_000 - 400);
    expect(remaining(after, 'requests_per_hour')).toBe(1_000_000 - 400);
    expect(remaining(after, 'tokens_per_minute')).toBe(10_000_000 - actualTokens);
    expect(remaining(after, 'tokens_per_day')).toBe(50_000_000 - actualTokens);
    expect(remaining(after, 'max_concurrent')).toBe(1_000);
  });

  it('near a limit checks every request in Redis: exactly the limit is admitted, then 429 with Retry-After', async () => {
    const principal = await keyWith({ requests_per_minute: 60 });
    const gate = requestLimiter();
    let admitted = 0;
    let refusal: unknown;
    for (let i = 0; i < 80 && !refusal; i++) {
      now += 5;
      try {
        await gate.admit(principal, `near-${i}`, 10);
        admitted++;
        gate.settle(principal, `near-${i}`, 10);
      } catch (error) {
        refusal = error;
      }
    }
    expect(admitted).toBe(60);
    expect(refusal).toBeInstanceOf(ApiError);
    expect((refusal as ApiError).status).toBe(429);
    await gate.flush();
    expect(remaining(await peek(principal), 'requests_per_minute')).toBe(0);
  });

  it('holds the slots of its leased requests in flight, and frees them when they settle', async () => {
    const principal = await keyWith({ requests_per_minute: 100_000, max_concurrent: 500 });
    const gate = requestLimiter();
    for (let i = 0; i < 300; i++) {
      now += 4;
      await gate.admit(principal, `warm-${i}`, 10);
      gate.settle(principal, `warm-${i}`, 10);
    }
    // Twenty requests in flight: the other replicas see the slots the leases hold taken.
    const inFlight: string[] = [];
    for (let i = 0; i < 20; i++) {
      now += 1;
      await gate.admit(principal, `held-${i}`, 10);
      inFlight.push(`held-${i}`);
    }
    const busy = remaining(await peek(principal), 'max_concurrent') ?? 0;
    expect(busy).toBeLessThanOrEqual(500 - 20);
    for (const id of inFlight) gate.settle(principal, id, 10);
    await gate.flush();
    expect(remaining(await peek(principal), 'max_concurrent')).toBe(500);
    expect(remaining(await peek(principal), 'requests_per_minute')).toBe(100_000 - 320);
  });

  it('gives an idle key\'s unused quota back within a lease period', async () => {
    const principal = await keyWith({ requests_per_minute: 100_000 });
    const gate = requestLimiter(200);
    for (let i = 0; i < 300; i++) {
      now += 4;
      await gate.admit(principal, `idle-${i}`, 10);
      gate.settle(principal, `idle-${i}`, 10);
    }
    // The traffic stops; time goes on, and a sweep (every leaseMs / 2) settles the expired leases.
    const deadline = Date.now() + 5_000;
    while (remaining(await peek(principal), 'requests_per_minute') !== 100_000 - 300 && Date.now() < deadline) {
      now += 100;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(remaining(await peek(principal), 'requests_per_minute')).toBe(100_000 - 300);
  });
});
