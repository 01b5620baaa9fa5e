import { Logger } from '@nestjs/common';
import type { AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { ApiError } from '@vectorstack/http';
import { isPlanTier, rateLimitExceeded, type PlanTier, type RateLimiter, type RateLimitResult } from '@vectorstack/ratelimit';
import { QuotaLeases, type QuotaLeaseOptions } from './quota-leases';

/** Default longest wait of a settle for its key's next check (see `RequestLimiter.settle`). */
export const DEFAULT_SETTLE_DEFER_MS = 20;

interface PendingSettle {
  readonly requestId: string;
  /** Actual tokens; 0 releases the whole reservation. */
  readonly tokens: number;
}

/**
 * The router's rate limiting, checked in process on the ratelimit service's Redis (the same
 * `RateLimiter` the service's gRPC Check runs, so the same plans, overrides, windows and
 * reservations), instead of a gRPC round trip to that service. A key with steady traffic is
 * admitted from quota leases held in memory (see QuotaLeases); any other request is one Lua
 * script per request. The ratelimit service keeps owning plans and overrides and reconciles
 * reservations from the usage events.
 *
 * Redis unreachable: the limiter applies the plan's policy (enterprise fails open, the other
 * tiers closed: 503 `rate_limiter_unavailable`). Any other failure of the check is treated the
 * same way the router treated an unreachable ratelimit service: enterprise keys pass, others 503.
 */
export class RequestLimiter {
  private readonly logger = new Logger('RateLimit');
  /** Settles waiting to be sent, per key id, in the order the requests ended. */
  private readonly pending = new Map<string, PendingSettle[]>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private flushTimer?: NodeJS.Timeout;
  private readonly leases?: QuotaLeases;

  /**
   * `deferMs`: longest a settle waits for its key's next check before it is sent alone.
   * `leases`: quota lease settings; omitted or `leaseMs` 0, every request is checked in Redis.
   */
  constructor(
    private readonly limiter: RateLimiter,
    private readonly deferMs = DEFAULT_SETTLE_DEFER_MS,
    leases?: QuotaLeaseOptions,
  ) {
    if (leases && leases.leaseMs > 0) this.leases = new QuotaLeases(limiter, leases);
  }

  /**
   * Reserves one request and `tokenEstimate` tokens; throws the 429 (or 503). Undefined when the
   * check failed and the tier fails open. A request admitted from a quota lease held in memory is
   * answered at once, without a promise; the rest (a Redis check, or waiting for a lease) return
   * one, which rejects with the 429 or 503.
   */
  admit(principal: AuthenticatedPrincipal, requestId: string, tokenEstimate: number): RateLimitResult | undefined | Promise<RateLimitResult | undefined> {
    const estimate = Math.max(0, Math.round(tokenEstimate));
    // As the gRPC Check maps an unknown tier: the most restrictive plan.
    const tier = isPlanTier(principal.tier) ? principal.tier : 'free';
    if (!this.leases) return this.check(principal, requestId, tier, estimate);
    const leased = this.leases.admit(principal.keyId, principal.tenantId, tier, requestId, estimate);
    if (leased === undefined) return this.check(principal, requestId, tier, estimate);
    if (!(leased instanceof Promise)) return leased;
    return leased.then((granted) => granted ?? this.check(principal, requestId, tier, estimate));
  }

  /** One request checked in Redis. */
  private async check(principal: AuthenticatedPrincipal, requestId: string, tier: PlanTier, estimate: number): Promise<RateLimitResult | undefined> {
    // Ended requests of this key first: queued on the connection ahead of the check, same write.
    this.sendPending(principal.keyId);
    let result: RateLimitResult;
    try {
      result = await this.limiter.check({ tenantId: principal.tenantId, keyId: principal.keyId, tier, requestId, requestCost: 1, tokenEstimate: estimate });
    } catch (error) {
      this.logger.warn(`rate limit check failed: ${error instanceof Error ? error.message : String(error)}`);
      if (principal.tier === 'enterprise') return undefined;
      throw new ApiError(503, {
        type: 'server_error',
        code: 'rate_limiter_unavailable',
        message: 'The rate limiter is unavailable; please retry shortly.',
        headers: { 'Retry-After': '1' },
      });
    }
    if (!result.allowed) throw rateLimitExceeded(result);
    this.leases?.observeExact(principal.keyId, result);
    return result;
  }

  /**
   * Ends an admitted request off the response path: frees its concurrency slot and replaces its
   * token reservation by the actual count (nothing used: the whole reservation comes back).
   *
   * Not sent at once: it waits for the key's next check on this replica, which sends it first
   * on the same connection (one Redis round trip for both instead of one each, and Redis runs
   * it before that check, so this replica's next request already sees the slot free), or for
   * `deferMs`, whichever comes first. Other replicas see it at most `deferMs` later. If it is
   * lost (a crash), the usage event settles it when the ratelimit service consumes it. A
   * request admitted from a quota lease is settled in memory; its lease settles in Redis.
   * Returns which of the two it was.
   */
  settle(principal: AuthenticatedPrincipal, requestId: string, actualTokens: number): 'lease' | 'redis' {
    const settle: PendingSettle = { requestId, tokens: Math.max(0, Math.round(actualTokens)) };
    if (this.leases?.settle(requestId, settle.tokens)) return 'lease';
    const queued = this.pending.get(principal.keyId);
    if (queued) queued.push(settle);
    else this.pending.set(principal.keyId, [settle]);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.sendAllPending();
    }, this.deferMs);
    return 'redis';
  }

  /** Sends every settle still waiting and waits for the answers (at shutdown, before Redis closes). */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.sendAllPending();
    await Promise.all([...this.inFlight, this.leases?.flush()]);
  }

  private sendAllPending(): void {
    for (const keyId of [...this.pending.keys()]) this.sendPending(keyId);
  }

  private sendPending(keyId: string): void {
    const queued = this.pending.get(keyId);
    if (!queued) return;
    this.pending.delete(keyId);
    for (const { requestId, tokens } of queued) {
      const settled = (tokens === 0 ? this.limiter.release(keyId, requestId) : this.limiter.reconcile(keyId, requestId, tokens))
        .catch((error: unknown) => this.logger.debug(`settle ${requestId} failed (the usage event will settle it): ${String(error)}`))
        .finally(() => this.inFlight.delete(settled));
      this.inFlight.add(settled);
    }
  }
}
