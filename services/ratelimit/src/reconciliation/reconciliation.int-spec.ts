/**
 * Token reservations settled from usage events on the real Kafka: reserve 1,000, the usage
 * event says 120 → the budget reflects 120; a failed request's event returns its whole
 * reservation; a redelivered event changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { UsageHeaders } from '@vectorstack/contracts';
import type { RateLimitRequest } from '@vectorstack/ratelimit';
import { RatelimitTestApp } from '../testing/ratelimit-app';

async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('reconciliation from usage events', () => {
  let service: RatelimitTestApp;
  const tenantId = randomUUID();

  beforeAll(async () => {
    service = await RatelimitTestApp.start('reconcile');
  });

  afterAll(async () => {
    await service?.close();
  });

  async function keyWithTokenLimits(): Promise<Omit<RateLimitRequest, 'requestId'>> {
    const keyId = randomUUID();
    await service.limiter.plans.putOverride(keyId, { tokens_per_minute: 10_000, tokens_per_day: 100_000, max_concurrent: 5 });
    return { tenantId, keyId, tier: 'pro' };
  }

  const remaining = async (request: Omit<RateLimitRequest, 'requestId'>, window: string) =>
    (await service.limiter.peek(request)).windows.find((w) => w.window === window)?.remaining;

  it('replaces a 1,000-token reservation by the 120 tokens the usage event reports, once', async () => {
    const key = await keyWithTokenLimits();
    const requestId = randomUUID();
    expect((await service.limiter.check({ ...key, requestId, tokenEstimate: 1_000 })).allowed).toBe(true);
    expect(await remaining(key, 'tokens_per_minute')).toBe(9_000);

    const usage = { tenantId, keyId: key.keyId, requestId, totalTokens: 120n, promptTokens: 20n, completionTokens: 100n, httpStatus: 200, reservedTokens: 1_000n };
    await service.publishUsage(usage);
    await eventually('the reconciliation', () => remaining(key, 'tokens_per_minute'), (value) => value === 10_000 - 120);
    expect(await remaining(key, 'tokens_per_day')).toBe(100_000 - 120);
    expect(await remaining(key, 'max_concurrent')).toBe(5);

    // The same event again (a redelivery), then another record of the same call: nothing moves.
    await service.publishUsage(usage);
    await service.publishUsage({ ...usage, totalTokens: 900n });
    const marker = randomUUID();
    await service.limiter.check({ ...key, requestId: marker, tokenEstimate: 1 });
    await service.publishUsage({ ...usage, requestId: marker, totalTokens: 1n });
    // The marker's event comes after the redeliveries in the same partition: once it is applied, they were too.
    await eventually('the marker', () => service.limiter.reconcile(key.keyId, marker, 1).then((r) => r.outcome), (outcome) => outcome === 'already_settled');
    expect(await remaining(key, 'tokens_per_minute')).toBe(10_000 - 120 - 1);
  });

  it('skips a record its publisher marked as settled (rate-limit-settled), without decoding it', async () => {
    const key = await keyWithTokenLimits();
    const requestId = randomUUID();
    expect((await service.limiter.check({ ...key, requestId, tokenEstimate: 1_000 })).allowed).toBe(true);
    // Marked as settled by its publisher: its event, which would otherwise reconcile to 120, is not applied.
    await service.publishUsage({ tenantId, keyId: key.keyId, requestId, totalTokens: 120n, httpStatus: 200 }, { [UsageHeaders.rateLimitSettled]: '1' });
    const marker = randomUUID();
    await service.limiter.check({ ...key, requestId: marker, tokenEstimate: 1 });
    await service.publishUsage({ tenantId, keyId: key.keyId, requestId: marker, totalTokens: 1n, httpStatus: 200 });
    await eventually('the marker', () => service.limiter.reconcile(key.keyId, marker, 1).then((r) => r.outcome), (outcome) => outcome === 'already_settled');
    expect(await remaining(key, 'tokens_per_minute')).toBe(10_000 - 1_000 - 1);
    expect((await service.limiter.reconcile(key.keyId, requestId, 120)).outcome).toBe('settled');
  });

  it('returns the whole reservation and the concurrency slot of a failed request; a burst of failures leaves the budget whole', async () => {
    const key = await keyWithTokenLimits();
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const requestId of ids) expect((await service.limiter.check({ ...key, requestId, tokenEstimate: 1_500 })).allowed).toBe(true);
    expect(await remaining(key, 'tokens_per_minute')).toBe(10_000 - 5 * 1_500);
    expect(await remaining(key, 'max_concurrent')).toBe(0);

    for (const requestId of ids) await service.publishUsage({ tenantId, keyId: key.keyId, requestId, totalTokens: 0n, httpStatus: 502 });
    await eventually('the releases', () => remaining(key, 'tokens_per_minute'), (value) => value === 10_000);
    expect(await remaining(key, 'tokens_per_day')).toBe(100_000);
    expect(await remaining(key, 'max_concurrent')).toBe(5);
  });
});
