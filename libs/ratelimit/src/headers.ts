import { ApiError } from '@vectorstack/http';
import type { LimitName } from './plan';
import type { RateLimitResult, WindowState } from './rate-limiter';

const REQUEST_WINDOWS: readonly LimitName[] = ['requests_per_minute', 'requests_per_hour', 'requests_per_day'];
const SHORT_REQUEST_WINDOWS: readonly LimitName[] = ['requests_per_minute', 'requests_per_hour'];
const TOKEN_WINDOWS: readonly LimitName[] = ['tokens_per_minute', 'tokens_per_day'];
/** Share of a window used from which X-RateLimit-Warning is sent. */
export const WARNING_THRESHOLD = 0.8;

const DESCRIPTIONS: Record<LimitName, string> = {
  requests_per_minute: 'per-minute request limit',
  requests_per_hour: 'hourly request limit',
  requests_per_day: 'daily request limit',
  tokens_per_minute: 'per-minute token limit',
  tokens_per_day: 'daily token limit',
  max_concurrent: 'concurrent request limit',
};

/**
 * A duration the way Go's time.Duration prints it, which is what OpenAI's
 * x-ratelimit-reset-* headers carry: `0s`, `250ms`, `1s`, `59.5s`, `6m0s`, `1h0m0s`.
 */
export function goDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  if (total === 0) return '0s';
  if (total < 1_000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = ((total % 60_000) / 1_000).toFixed(3).replace(/\.?0+$/, '');
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** The window of `names` with the least left (the shorter window on a tie). */
function tightest(windows: readonly WindowState[], names: readonly LimitName[]): WindowState | undefined {
  return windows
    .filter((w) => names.includes(w.window))
    .reduce<WindowState | undefined>((best, w) => (best === undefined || w.remaining < best.remaining ? w : best), undefined);
}

function usedShare(window: WindowState): number {
  if (window.limit === 0) return 1;
  return (window.limit - window.remaining) / window.limit;
}

/** The most used request or token window at or above WARNING_THRESHOLD, described for a client. */
export function rateLimitWarning(windows: readonly WindowState[]): string | undefined {
  const candidates = windows.filter((w) => w.window !== 'max_concurrent' && usedShare(w) >= WARNING_THRESHOLD);
  const worst = candidates.reduce<WindowState | undefined>((best, w) => (best === undefined || usedShare(w) > usedShare(best) ? w : best), undefined);
  if (!worst) return undefined;
  const used = worst.limit - worst.remaining;
  return `${Math.floor(usedShare(worst) * 100)}% of the ${DESCRIPTIONS[worst.window]} used (${used} of ${worst.limit})`;
}

/**
 * Headers for an authenticated response:
 * - `X-RateLimit-Limit`, `-Remaining`, `-Reset` (unix seconds): the tightest short request
 *   window (per minute or per hour, whichever has less left);
 * - `X-RateLimit-Daily-Limit`, `-Daily-Remaining`: the daily request window;
 * - `X-RateLimit-Warning`: when 80% or more of a request or token window is used;
 * - OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`: the tightest request
 *   and token windows, the reset as a Go duration.
 * A window the plan does not limit gets no header; a check decided without Redis gets none.
 */
export function rateLimitHeaders(result: RateLimitResult, now: number = Date.now()): Record<string, string> {
  const headers: Record<string, string> = {};
  const short = tightest(result.windows, SHORT_REQUEST_WINDOWS);
  if (short) {
    headers['X-RateLimit-Limit'] = String(short.limit);
    headers['X-RateLimit-Remaining'] = String(short.remaining);
    headers['X-RateLimit-Reset'] = String(Math.ceil(short.resetAtMs / 1_000));
  }
  const daily = result.windows.find((w) => w.window === 'requests_per_day');
  if (daily) {
    headers['X-RateLimit-Daily-Limit'] = String(daily.limit);
    headers['X-RateLimit-Daily-Remaining'] = String(daily.remaining);
  }
  const warning = rateLimitWarning(result.windows);
  if (warning) headers['X-RateLimit-Warning'] = warning;
  for (const [suffix, names] of [
    ['requests', REQUEST_WINDOWS],
    ['tokens', TOKEN_WINDOWS],
  ] as const) {
    const window = tightest(result.windows, names);
    if (!window) continue;
    headers[`x-ratelimit-limit-${suffix}`] = String(window.limit);
    headers[`x-ratelimit-remaining-${suffix}`] = String(window.remaining);
    headers[`x-ratelimit-reset-${suffix}`] = goDuration(window.resetAtMs - now);
  }
  return headers;
}

/** `Retry-After` in whole seconds, at least 1, never earlier than the limiter's answer. */
export function retryAfterSeconds(result: RateLimitResult): number {
  return Math.max(1, Math.ceil(result.retryAfterMs / 1_000));
}

function limitOf(result: RateLimitResult, window: LimitName): number | undefined {
  return result.windows.find((w) => w.window === window)?.limit;
}

/** The message of a 429, naming the window that was exceeded. */
export function denialMessage(result: RateLimitResult): string {
  const window = result.deniedBy;
  if (!window) return 'Rate limit exceeded.';
  const limit = limitOf(result, window);
  const wait = retryAfterSeconds(result);
  const retry = `retry after ${wait} second${wait === 1 ? '' : 's'}`;
  switch (window) {
    case 'requests_per_minute':
      return `Per-minute request limit of ${limit} reached; ${retry}`;
    case 'requests_per_hour':
      return `Hourly request limit of ${limit} reached; ${retry}`;
    case 'requests_per_day':
      return `Daily request limit of ${limit} reached; resets at 00:00 UTC`;
    case 'tokens_per_minute':
      return result.requestTooLarge
        ? `Request too large: its token estimate exceeds the per-minute token limit of ${limit}; lower max_tokens or the prompt`
        : `Per-minute token limit of ${limit} reached; ${retry}`;
    case 'tokens_per_day':
      return result.requestTooLarge
        ? `Request too large: its token estimate exceeds the daily token limit of ${limit}; lower max_tokens or the prompt`
        : `Daily token limit of ${limit} reached; resets at 00:00 UTC`;
    case 'max_concurrent':
      return `Concurrent request limit of ${limit} reached; retry when a request in flight has finished`;
  }
}

/**
 * The error for a refused check: 429 `rate_limit_error` / `rate_limit_exceeded` naming the
 * window, or — when Redis was unreachable and the plan fails closed — 503
 * `rate_limiter_unavailable`. Both carry `Retry-After` (whole seconds, at least 1) and the
 * rate-limit headers; the platform's exception filter writes them onto the response.
 */
export function rateLimitExceeded(result: RateLimitResult, now: number = Date.now()): ApiError {
  const headers = { ...rateLimitHeaders(result, now), 'Retry-After': String(retryAfterSeconds(result)) };
  if (result.failedClosed) {
    return new ApiError(503, {
      type: 'server_error',
      code: 'rate_limiter_unavailable',
      message: 'Rate limits cannot be checked right now, so the request was not served; retry shortly.',
      headers,
    });
  }
  return new ApiError(429, { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: denialMessage(result), headers });
}
