import { denialMessage, goDuration, rateLimitExceeded, rateLimitHeaders, rateLimitWarning, retryAfterSeconds } from './headers';
import type { RateLimitResult, WindowState } from './rate-limiter';

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);

function result(windows: WindowState[], overrides: Partial<RateLimitResult> = {}): RateLimitResult {
  return {
    allowed: true,
    retryAfterMs: 0,
    windows,
    failedOpen: false,
    failedClosed: false,
    requestTooLarge: false,
    duplicate: false,
    nowMs: NOW,
    ...overrides,
  };
}

const minute = (remaining: number, limit = 60): WindowState => ({ window: 'requests_per_minute', limit, remaining, resetAtMs: NOW + 6_000 });
const hour = (remaining: number, limit = 1_000): WindowState => ({ window: 'requests_per_hour', limit, remaining, resetAtMs: NOW + 360_000 });
const day = (remaining: number, limit = 1_000): WindowState => ({ window: 'requests_per_day', limit, remaining, resetAtMs: Date.UTC(2026, 2, 11) });
const tokens = (remaining: number, limit = 10_000): WindowState => ({ window: 'tokens_per_minute', limit, remaining, resetAtMs: NOW + 59_500 });

describe('goDuration', () => {
  it.each([
    [0, '0s'],
    [-5, '0s'],
    [6, '6ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [59_500, '59.5s'],
    [60_000, '1m0s'],
    [61_250, '1m1.25s'],
    [360_000, '6m0s'],
    [3_600_000, '1h0m0s'],
    [86_399_000, '23h59m59s'],
    [1_005, '1.005s'],
    [1_050, '1.05s'],
    [59_990, '59.99s'],
    [1_001.6, '1.002s'],
  ])('%d ms → %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });

  it('writes the seconds as toFixed(3) without trailing zeros would, for every millisecond of a day', () => {
    const reference = (total: number) => ((total % 60_000) / 1_000).toFixed(3).replace(/\.?0+$/, '');
    for (let ms = 1_000; ms < 86_400_000; ms += 997) {
      const text = goDuration(ms);
      expect(text.slice(text.lastIndexOf('m') + 1 || 0, -1)).toBe(reference(ms));
    }
  });
});

describe('rateLimitHeaders', () => {
  it('reports the tightest short request window, the daily window and the OpenAI set', () => {
    const headers = rateLimitHeaders(result([minute(45), hour(400), day(900), tokens(9_000)]), NOW);
    expect(headers).toEqual({
      'X-RateLimit-Limit': '60',
      'X-RateLimit-Remaining': '45',
      'X-RateLimit-Reset': String(Math.ceil((NOW + 6_000) / 1000)),
      'X-RateLimit-Daily-Limit': '1000',
      'X-RateLimit-Daily-Remaining': '900',
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '45',
      'x-ratelimit-reset-requests': '6s',
      'x-ratelimit-limit-tokens': '10000',
      'x-ratelimit-remaining-tokens': '9000',
      'x-ratelimit-reset-tokens': '59.5s',
    });
  });

  it('picks the hour when it has less left than the minute', () => {
    const headers = rateLimitHeaders(result([minute(50), hour(3, 20)]), NOW);
    expect(headers['X-RateLimit-Limit']).toBe('20');
    expect(headers['X-RateLimit-Remaining']).toBe('3');
    expect(headers['x-ratelimit-reset-requests']).toBe('6m0s');
  });

  it('warns at 80% of any request or token window, naming the most used one', () => {
    expect(rateLimitHeaders(result([minute(13)]), NOW)['X-RateLimit-Warning']).toBeUndefined();
    expect(rateLimitHeaders(result([minute(12), day(100)]), NOW)['X-RateLimit-Warning']).toBe('90% of the daily request limit used (900 of 1000)');
    expect(rateLimitWarning([tokens(2_000)])).toBe('80% of the per-minute token limit used (8000 of 10000)');
    expect(rateLimitWarning([{ window: 'max_concurrent', limit: 2, remaining: 0, resetAtMs: NOW }])).toBeUndefined();
  });

  it('sends nothing when the check was decided without Redis', () => {
    expect(rateLimitHeaders(result([], { failedOpen: true }), NOW)).toEqual({});
  });

  it('gives the daily window its own headers', () => {
    expect(rateLimitHeaders(result([day(5)]), NOW)).toMatchObject({ 'X-RateLimit-Daily-Remaining': '5' });
  });
});

describe('rateLimitExceeded', () => {
  it('is a 429 rate_limit_error naming the daily window, with Retry-After in whole seconds', () => {
    const denied = result([minute(30), day(0)], { allowed: false, deniedBy: 'requests_per_day', retryAfterMs: 43_200_001 });
    const error = rateLimitExceeded(denied, NOW);
    expect(error.status).toBe(429);
    expect(error.toBody()).toEqual({
      error: { message: 'Daily request limit of 1000 reached; resets at 00:00 UTC', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
    expect(error.headers['Retry-After']).toBe('43201');
    expect(error.headers['X-RateLimit-Daily-Remaining']).toBe('0');
  });

  it('never asks to wait less than a second', () => {
    expect(retryAfterSeconds(result([], { allowed: false, retryAfterMs: 1 }))).toBe(1);
    expect(retryAfterSeconds(result([], { allowed: false, retryAfterMs: 0 }))).toBe(1);
    expect(retryAfterSeconds(result([], { allowed: false, retryAfterMs: 1_001 }))).toBe(2);
  });

  it.each([
    ['requests_per_minute', false, 'Per-minute request limit of 60 reached; retry after 12 seconds'],
    ['requests_per_hour', false, 'Hourly request limit of 1000 reached; retry after 12 seconds'],
    ['tokens_per_minute', false, 'Per-minute token limit of 10000 reached; retry after 12 seconds'],
    ['tokens_per_minute', true, 'Request too large: its token estimate exceeds the per-minute token limit of 10000; lower max_tokens or the prompt'],
    ['max_concurrent', false, 'Concurrent request limit of 3 reached; retry when a request in flight has finished'],
  ] as const)('names %s (too large: %s)', (deniedBy, requestTooLarge, message) => {
    const windows = [minute(0), hour(0), tokens(0), { window: 'max_concurrent', limit: 3, remaining: 0, resetAtMs: NOW } as WindowState];
    expect(denialMessage(result(windows, { allowed: false, deniedBy, retryAfterMs: 11_200, requestTooLarge }))).toBe(message);
  });

  it('is a 503 with Retry-After when Redis is unreachable and the plan fails closed', () => {
    const error = rateLimitExceeded(result([], { allowed: false, failedClosed: true, retryAfterMs: 1_000 }), NOW);
    expect(error.status).toBe(503);
    expect(error.toBody().error).toMatchObject({ type: 'server_error', code: 'rate_limiter_unavailable' });
    expect(error.headers).toEqual({ 'Retry-After': '1' });
  });
});
