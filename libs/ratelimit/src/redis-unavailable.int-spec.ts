/**
 * What a check does when Redis cannot be reached: the plan's policy decides (fail open for
 * enterprise, fail closed otherwise by default), the metrics and the log say so, and checks
 * recover by themselves when Redis is back.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type Redis from 'ioredis';
import { Registry } from 'prom-client';
import { testInfra } from '@vectorstack/testing';
import { rateLimitExceeded } from './headers';
import { RateLimitKeys } from './keys';
import { rateLimitMetrics } from './metrics';
import { DEFAULT_PLANS } from './plan';
import { PlanStore } from './plan-store';
import { RateLimiter, type RateLimitLogger } from './rate-limiter';
import { createRateLimitRedis, waitForRedis } from './redis-client';
import { adminRedis, deleteKeysUnder, testKeyPrefix } from './testing/redis';
import { TcpProxy } from './testing/tcp-proxy';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 1;
}

function recordingLogger(): RateLimitLogger & { lines: Array<{ level: string; msg?: string; obj: object }> } {
  const lines: Array<{ level: string; msg?: string; obj: object }> = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
  };
}

async function counterValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values ?? []).find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

const request = (tier: 'free' | 'starter' | 'pro' | 'enterprise') => ({ tenantId: 't', keyId: randomUUID(), tier, requestId: randomUUID() });

describe('Redis unavailable', () => {
  const prefix = testKeyPrefix('outage');
  let admin: Redis;

  beforeAll(async () => {
    admin = adminRedis();
    await new PlanStore(admin, new RateLimitKeys(prefix)).seedDefaults();
  });

  afterAll(async () => {
    await deleteKeysUnder(admin, prefix);
    admin.disconnect();
  });

  it('fails closed for free/starter/pro and open for enterprise, quickly, counted and logged once', async () => {
    const registry = new Registry();
    const logger = recordingLogger();
    const redis = createRateLimitRedis(`redis://127.0.0.1:${await closedPort()}`);
    const limiter = new RateLimiter({ redis, keys: new RateLimitKeys(prefix), logger, metrics: rateLimitMetrics(registry) });
    try {
      const started = Date.now();
      const free = await limiter.check(request('free'));
      const pro = await limiter.check(request('pro'));
      const enterprise = await limiter.check(request('enterprise'));
      expect(Date.now() - started).toBeLessThan(1_000);

      expect(free).toMatchObject({ allowed: false, failedClosed: true, failedOpen: false, retryAfterMs: 1_000, windows: [] });
      expect(pro).toMatchObject({ allowed: false, failedClosed: true });
      expect(enterprise).toMatchObject({ allowed: true, failedOpen: true, failedClosed: false, windows: [] });

      const refusal = rateLimitExceeded(free);
      expect(refusal.status).toBe(503);
      expect(refusal.headers['Retry-After']).toBe('1');

      expect(await counterValue(registry, 'vectorstack_ratelimit_redis_unavailable_total', { tier: 'free', policy: 'fail_closed' })).toBe(1);
      expect(await counterValue(registry, 'vectorstack_ratelimit_redis_unavailable_total', { tier: 'enterprise', policy: 'fail_open' })).toBe(1);
      expect(await counterValue(registry, 'vectorstack_ratelimit_checks_total', { tier: 'enterprise', outcome: 'failed_open' })).toBe(1);
      expect(await counterValue(registry, 'vectorstack_ratelimit_redis_available', {})).toBe(0);
      // One line for the outage, not one per check.
      expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
      expect(logger.lines[0].msg).toContain('Redis unavailable');
    } finally {
      redis.disconnect();
    }
  });

  it('applies the policy the stored plan last had, and recovers by itself when Redis returns', async () => {
    const redisUrl = new URL(testInfra.redisUrl());
    const proxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    await proxy.start();
    const registry = new Registry();
    const logger = recordingLogger();
    const redis = createRateLimitRedis(`redis://127.0.0.1:${proxy.port}`);
    const limiter = new RateLimiter({ redis, keys: new RateLimitKeys(prefix), logger, metrics: rateLimitMetrics(registry) });
    try {
      await waitForRedis(redis);
      await limiter.plans.putPlan('starter', { ...DEFAULT_PLANS.starter, redis_unavailable: 'fail_open' });
      expect(await limiter.check(request('starter'))).toMatchObject({ allowed: true, failedOpen: false });

      await proxy.stop();
      const during = await limiter.check(request('starter'));
      expect(during).toMatchObject({ allowed: true, failedOpen: true });
      expect(await limiter.check(request('free'))).toMatchObject({ allowed: false, failedClosed: true });

      await proxy.start(); // same port
      const deadline = Date.now() + 10_000;
      let after = await limiter.check(request('free'));
      while ((after.failedClosed || after.failedOpen) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        after = await limiter.check(request('free'));
      }
      expect(after).toMatchObject({ allowed: true, failedOpen: false, failedClosed: false });
      expect(after.windows.length).toBeGreaterThan(0);
      expect(await counterValue(registry, 'vectorstack_ratelimit_redis_available', {})).toBe(1);
      expect(logger.lines.map((line) => line.level)).toEqual(['warn', 'info']);
      expect(logger.lines[1].msg).toContain('reachable again');
    } finally {
      await limiter.plans.putPlan('starter', DEFAULT_PLANS.starter).catch(() => undefined);
      redis.disconnect();
      await proxy.stop();
    }
  });

  it('does not wait for a Redis that stopped answering longer than the command timeout', async () => {
    const redisUrl = new URL(testInfra.redisUrl());
    const proxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    await proxy.start();
    const redis = createRateLimitRedis(`redis://127.0.0.1:${proxy.port}`, { commandTimeoutMs: 300 });
    const limiter = new RateLimiter({ redis, keys: new RateLimitKeys(prefix), metrics: rateLimitMetrics(new Registry()) });
    try {
      await waitForRedis(redis);
      expect((await limiter.check(request('pro'))).failedClosed).toBe(false);
      proxy.freeze();
      const started = Date.now();
      const hung = await limiter.check(request('pro'));
      const waited = Date.now() - started;
      expect(hung).toMatchObject({ allowed: false, failedClosed: true });
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(1_500);
    } finally {
      redis.disconnect();
      await proxy.stop();
    }
  });
});
