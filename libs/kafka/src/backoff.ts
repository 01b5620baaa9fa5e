export interface BackoffPolicy {
  /** Delay before the first retry. */
  readonly baseMs: number;
  /** No single delay is longer than this. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 10_000 };

/**
 * Delay before retry number `retry` (1 = first retry): exponential, capped, with "full jitter"
 * in the upper half (so consumers that failed together do not retry in lockstep, yet the delay
 * never collapses to ~0).
 */
export function backoffDelayMs(retry: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.max(0, retry - 1);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
