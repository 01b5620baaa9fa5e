export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest upstream Retry-After honoured in-request; longer ones move on to the next deployment. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 100, maxDelayMs: 2_000, maxRetryAfterMs: 5_000 };

/**
 * Delay before retry number `attempt` (1-based): the upstream's Retry-After when it gave one
 * (capped), else exponential backoff with full jitter.
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}
