import type { UsageRecorded } from '@vectorstack/contracts';

/** What a usage event means for the reservation of its request. */
export type UsageAction =
  | { readonly kind: 'reconcile'; readonly keyId: string; readonly requestId: string; readonly actualTokens: number }
  | { readonly kind: 'release'; readonly keyId: string; readonly requestId: string }
  | { readonly kind: 'ignore'; readonly reason: string };

/**
 * A request its publisher settled itself (admitted from the router's quota lease, which
 * settles in Redis as a whole) is ignored. A request that failed (HTTP status ≥ 400) without using tokens gives its whole reservation
 * back; any other request is charged its actual total tokens (a refund or a charge of the
 * difference from the estimate). Settling is idempotent in the limiter, so redelivered
 * events and the second source's record of the same call change nothing.
 */
export function usageAction(event: UsageRecorded): UsageAction {
  if (!event.keyId || !event.requestId) return { kind: 'ignore', reason: 'no key id or request id' };
  if (event.rateLimitSettled) return { kind: 'ignore', reason: 'settled by its publisher (a quota lease)' };
  const total = event.totalTokens > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(event.totalTokens);
  if (event.httpStatus >= 400 && total === 0) return { kind: 'release', keyId: event.keyId, requestId: event.requestId };
  return { kind: 'reconcile', keyId: event.keyId, requestId: event.requestId, actualTokens: total };
}
