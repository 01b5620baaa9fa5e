import { create } from '@bufbuild/protobuf';
import { CheckRequestSchema, Tier, Window } from '@vectorstack/contracts';
import { checkResponseFromResult, rateLimitRequestFromProto, rateLimitResultFromProto, windowEnum } from './proto';
import type { RateLimitResult } from './rate-limiter';

const denied: RateLimitResult = {
  allowed: false,
  deniedBy: 'tokens_per_minute',
  retryAfterMs: 12_345,
  windows: [
    { window: 'requests_per_minute', limit: 60, remaining: 10, resetAtMs: 1_700_000_060_000 },
    { window: 'tokens_per_minute', limit: 50_000, remaining: 0, resetAtMs: 1_700_000_012_345 },
  ],
  failedOpen: false,
  failedClosed: false,
  requestTooLarge: false,
  duplicate: false,
  nowMs: 1_700_000_000_000,
};

describe('proto mapping of Check', () => {
  it('matches the proto Window enum', () => {
    expect(windowEnum('requests_per_minute')).toBe(Window.REQUESTS_PER_MINUTE);
    expect(windowEnum('tokens_per_day')).toBe(Window.TOKENS_PER_DAY);
    expect(windowEnum('max_concurrent')).toBe(Window.CONCURRENT_REQUESTS);
  });

  it('reads a CheckRequest, counting an unset cost as 1 and an unset tier as free', () => {
    const request = create(CheckRequestSchema, { tenantId: 't', keyId: 'k', tier: Tier.PRO, requestId: 'r', requestCost: 0, tokenEstimate: 1_200n });
    expect(rateLimitRequestFromProto(request)).toEqual({ tenantId: 't', keyId: 'k', tier: 'pro', requestId: 'r', requestCost: 1, tokenEstimate: 1_200 });
    expect(rateLimitRequestFromProto(create(CheckRequestSchema, { tier: Tier.UNSPECIFIED })).tier).toBe('free');
  });

  it('round-trips a result through CheckResponse', () => {
    const response = checkResponseFromResult(denied);
    expect(response).toMatchObject({ allowed: false, deniedBy: Window.TOKENS_PER_MINUTE, retryAfterMs: 12_345, failedOpen: false });
    expect(rateLimitResultFromProto(response, denied.nowMs)).toEqual(denied);
  });

  it('reads a refusal without a window as fail-closed', () => {
    const response = checkResponseFromResult({ ...denied, deniedBy: undefined, windows: [], failedClosed: true, retryAfterMs: 1_000 });
    expect(rateLimitResultFromProto(response)).toMatchObject({ allowed: false, failedClosed: true, deniedBy: undefined });
  });
});
