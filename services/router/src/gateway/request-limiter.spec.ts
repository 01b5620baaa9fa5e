import type { AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { ApiError } from '@vectorstack/http';
import type { RateLimiter, RateLimitResult } from '@vectorstack/ratelimit';
import { RequestLimiter } from './request-limiter';

const principal = (tier: AuthenticatedPrincipal['tier']): AuthenticatedPrincipal => ({
  tenantId: 't1',
  keyId: 'k1',
  tier,
  scopes: ['chat'],
  models: [],
  ipAllowlist: [],
  expiresAt: null,
});

const result = (fields: Partial<RateLimitResult>): RateLimitResult => ({
  allowed: true,
  retryAfterMs: 0,
  windows: [],
  failedOpen: false,
  failedClosed: false,
  requestTooLarge: false,
  duplicate: false,
  nowMs: 0,
  ...fields,
});

function limiterAnswering(check: () => Promise<RateLimitResult>, deferMs?: number) {
  const calls = { check: [] as unknown[], release: [] as unknown[], reconcile: [] as unknown[], order: [] as string[] };
  const limiter = {
    check: jest.fn((request: { keyId: string; requestId: string }) => {
      calls.check.push(request);
      calls.order.push(`check ${request.keyId} ${request.requestId}`);
      return check();
    }),
    release: jest.fn((...args: string[]) => {
      calls.release.push(args);
      calls.order.push(`release ${args.join(' ')}`);
      return Promise.resolve({ outcome: 'settled', reservedTokens: 0, chargedTokens: 0 });
    }),
    reconcile: jest.fn((...args: unknown[]) => {
      calls.reconcile.push(args);
      calls.order.push(`reconcile ${args.join(' ')}`);
      return Promise.resolve({ outcome: 'settled', reservedTokens: 0, chargedTokens: 0 });
    }),
  };
  return { limiter: new RequestLimiter(limiter as unknown as RateLimiter, deferMs), calls };
}

describe('RequestLimiter (the router checking limits on the shared Redis)', () => {
  it('reserves one request and the rounded token estimate under the key, its tier and the request id', async () => {
    const { limiter, calls } = limiterAnswering(async () => result({}));
    await expect(limiter.admit(principal('pro'), 'req-1', 41.6)).resolves.toMatchObject({ allowed: true });
    expect(calls.check).toEqual([{ tenantId: 't1', keyId: 'k1', tier: 'pro', requestId: 'req-1', requestCost: 1, tokenEstimate: 42 }]);
  });

  it('turns a denial into the 429 naming the window, and a fail-closed answer into 503 rate_limiter_unavailable', async () => {
    const window = { window: 'requests_per_minute' as const, limit: 2, remaining: 0, resetAtMs: 60_000 };
    const denied = limiterAnswering(async () => result({ allowed: false, deniedBy: 'requests_per_minute', retryAfterMs: 1_500, windows: [window] }));
    const refusal = await Promise.resolve(denied.limiter.admit(principal('pro'), 'r', 1)).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect((refusal as ApiError).headers['Retry-After']).toBe('2');

    const closed = limiterAnswering(async () => result({ allowed: false, failedClosed: true, retryAfterMs: 1_000 }));
    await expect(closed.limiter.admit(principal('starter'), 'r', 1)).rejects.toMatchObject({ status: 503, code: 'rate_limiter_unavailable' });
  });

  it('lets enterprise keys through and refuses the others with 503 when the check itself fails', async () => {
    const broken = limiterAnswering(() => Promise.reject(new Error('script error')));
    await expect(broken.limiter.admit(principal('enterprise'), 'r', 1)).resolves.toBeUndefined();
    await expect(broken.limiter.admit(principal('free'), 'r', 1)).rejects.toMatchObject({ status: 503, code: 'rate_limiter_unavailable' });
  });

  it('settles with the actual tokens, or releases the whole reservation when nothing was used', async () => {
    const { limiter, calls } = limiterAnswering(async () => result({}));
    limiter.settle(principal('pro'), 'used', 120.2);
    limiter.settle(principal('pro'), 'failed', 0);
    await limiter.flush();
    expect(calls.reconcile).toEqual([['k1', 'used', 120]]);
    expect(calls.release).toEqual([['k1', 'failed']]);
  });

  it("sends a key's settles just ahead of that key's next check, and other keys' settles after the deferral", async () => {
    const { limiter, calls } = limiterAnswering(async () => result({}), 50);
    const other = { ...principal('pro'), keyId: 'k2' };
    limiter.settle(principal('pro'), 'a', 10);
    limiter.settle(other, 'b', 0);
    limiter.settle(principal('pro'), 'c', 0);
    expect(calls.order).toEqual([]); // nothing sent yet

    await limiter.admit(principal('pro'), 'd', 1);
    expect(calls.order).toEqual(['reconcile k1 a 10', 'release k1 c', 'check k1 d']);

    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(calls.order.slice(3)).toEqual(['release k2 b']);
    await limiter.admit(principal('pro'), 'e', 1);
    expect(calls.order.slice(4)).toEqual(['check k1 e']); // each settle is sent once
  });

  it('flush sends every waiting settle and waits for the answers (shutdown)', async () => {
    let answer!: () => void;
    const { limiter, calls } = limiterAnswering(async () => result({}), 60_000);
    (limiter as unknown as { limiter: { release: jest.Mock } }).limiter.release.mockImplementation((...args: string[]) => {
      calls.order.push(`release ${args.join(' ')}`);
      return new Promise((resolve) => (answer = () => resolve({ outcome: 'settled', reservedTokens: 0, chargedTokens: 0 })));
    });
    limiter.settle(principal('pro'), 'a', 0);
    let flushed = false;
    const flushing = limiter.flush().then(() => (flushed = true));
    expect(calls.order).toEqual(['release k1 a']);
    await Promise.resolve();
    expect(flushed).toBe(false);
    answer();
    await flushing;
    expect(flushed).toBe(true);
  });
});
