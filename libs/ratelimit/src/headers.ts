import { ApiError } from '@vectorstack/http';
import type { LimitName } from './plan';
import type { RateLimitResult, WindowState } from './rate-limiter';

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
  const seconds = decimalSeconds(total % 60_000);
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** Milliseconds (0–59,999) as seconds with up to three decimals, trailing zeros dropped: 1500 → "1.5", 2000 → "2". */
function decimalSeconds(ms: number): string {
  const whole = Math.floor(ms / 1_000);
  let fraction = ms % 1_000;
  if (fraction === 0) return String(whole);
  let digits = 3;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits--;
  }
  return `${whole}.${String(fraction).padStart(digits, '0')}`;
}

function usedShare(window: WindowState): number {
  if (window.limit === 0) return 1;
  return (window.limit - window.remaining) / window.limit;
}

/** The most used request or token window at or above WARNING_THRESHOLD, described for a client. */
export function rateLimitWarning(windows: readonly WindowState[]): string | undefined {
  const candidates = windows.filter((w) => w.window !== 'max_concurrent' && usedShare(w) >= WARNING_THRESHOLD);
  const worst = candidates.reduce<WindowState | undefined>((best, w) => (best === undefined || usedShare(w) > usedShare(best) ? w : best), undefined);
  return worst ? warningText(worst) : undefined;
}

function warningText(window: WindowState): string {
  const used = window.limit - window.remaining;
  return `${Math.floor(usedShare(window) * 100)}% of the ${DESCRIPTIONS[window.window]} used (${used} of ${window.limit})`;
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
 * They are written into `into` (a response's header object) when given, else into a new object.
 *
 * One pass over the windows, no intermediate arrays: the router sets them on every response.
 * "Tightest" is the window with the least left, the first of them (the shorter) on a tie.
 */
export function rateLimitHeaders(result: RateLimitResult, now: number = Date.now(), into: { [name: string]: unknown } = {}): Record<string, string> {
  let short: WindowState | undefined;
  let daily: WindowState | undefined;
  let requests: WindowState | undefined;
  let tokens: WindowState | undefined;
  let warn: WindowState | undefined;
  let warnShare = 0;
  for (const w of result.windows) {
    switch (w.window) {
      case 'requests_per_minute':
      case 'requests_per_hour':
        if (short === undefined || w.remaining < short.remaining) short = w;
        if (requests === undefined || w.remaining < requests.remaining) requests = w;
        break;
      case 'requests_per_day':
        daily ??= w;
        if (requests === undefined || w.remaining < requests.remaining) requests = w;
        break;
      case 'tokens_per_minute':
      case 'tokens_per_day':
        if (tokens === undefined || w.remaining < tokens.remaining) tokens = w;
        break;
      case 'max_concurrent':
        continue;
    }
    const share = usedShare(w);
    if (share >= WARNING_THRESHOLD && (warn === undefined || share > warnShare)) {
      warn = w;
      warnShare = share;
    }
  }
  const headers = into as Record<string, string>;
  if (short) {
    headers['X-RateLimit-Limit'] = String(short.limit);
    headers['X-RateLimit-Remaining'] = String(short.remaining);
    headers['X-RateLimit-Reset'] = String(Math.ceil(short.resetAtMs / 1_000));
  }
  if (daily) {
    headers['X-RateLimit-Daily-Limit'] = String(daily.limit);
    headers['X-RateLimit-Daily-Remaining'] = String(daily.remaining);
  }
  if (warn) headers['X-RateLimit-Warning'] = warningText(warn);
  if (requests) {
    headers['x-ratelimit-limit-requests'] = String(requests.limit);
    headers['x-ratelimit-remaining-requests'] = String(requests.remaining);
    headers['x-ratelimit-reset-requests'] = goDuration(requests.resetAtMs - now);
  }
  if (tokens) {
    headers['x-ratelimit-limit-tokens'] = String(tokens.limit);
    headers['x-ratelimit-remaining-tokens'] = String(tokens.remaining);
    headers['x-ratelimit-reset-tokens'] = goDuration(tokens.resetAtMs - now);
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
