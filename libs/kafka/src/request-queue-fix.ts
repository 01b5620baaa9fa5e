/**
 * Stops kafkajs 2.2.4 from spinning a 1 ms timer on every broker connection.
 *
 * kafkajs's `RequestQueue.scheduleCheckPendingRequests` arms `setTimeout(check, throttledUntil -
 * now)` even when nothing is pending and nothing is throttled; the delay is then negative (Node
 * runs it after 1 ms) and each check arms the next one. Every connection that has completed a
 * request loops like this for as long as the process lives: on this platform about 15 ms of
 * CPU per second per idle service, and a timer firing every millisecond in the middle of every
 * request. Upstream: tulios/kafkajs#1556 and #1704 (unfixed; kafkajs has had no release since
 * 2.2.4).
 *
 * The replacement keeps kafkajs's behaviour where a check is due (requests waiting: at the end of
 * a client-side throttle, or after kafkajs's 10 ms interval) and arms nothing otherwise. Nothing is
 * lost by that: a request that cannot be sent at once is queued by `push`, which schedules a
 * check, and a finished request checks the queue itself (`fulfillRequest`).
 */
import { createRequire } from 'node:module';

/** The part of kafkajs's internal RequestQueue this fix touches. */
export interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL: how soon queued requests are looked at again. */
const CHECK_PENDING_INTERVAL_MS = 10;

const FIXED = Symbol.for('vectorstack.kafkajs.request-queue-fix');

export function scheduleCheckPendingRequests(this: Omit<RequestQueueInternals, 'scheduleCheckPendingRequests'>): void {
  if (this.throttleCheckTimeoutId) return; // a check is already armed
  const untilUnthrottled = this.throttledUntil - Date.now();
  let delay: number;
  if (this.pending.length > 0) delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_INTERVAL_MS;
  else if (untilUnthrottled > 0) delay = untilUnthrottled;
  else return; // nothing waiting and no throttle to wait out
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

/** kafkajs's RequestQueue class (it is not part of the package's public API). */
export function kafkajsRequestQueue(): { prototype: RequestQueueInternals } {
  return createRequire(require.resolve('kafkajs'))('./src/network/requestQueue') as { prototype: RequestQueueInternals };
}

/** Installs the fix once per process; idempotent. */
export function applyRequestQueueFix(): void {
  const prototype = kafkajsRequestQueue().prototype as RequestQueueInternals & { [FIXED]?: true };
  if (prototype[FIXED]) return;
  if (typeof prototype.scheduleCheckPendingRequests !== 'function') {
    throw new Error('kafkajs RequestQueue has no scheduleCheckPendingRequests: check libs/kafka/src/request-queue-fix.ts against this kafkajs version');
  }
  prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  prototype[FIXED] = true;
}
