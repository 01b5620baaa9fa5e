import { Logger } from '@nestjs/common';
import type { AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { ApiError } from '@vectorstack/http';
import { isPlanTier, rateLimitExceeded, type RateLimiter, type RateLimitResult } from '@vectorstack/ratelimit';

/**
 * The router's rate limiting, checked in process: one Lua script on the ratelimit service's
 * Redis per request (the same `RateLimiter` the service's gRPC Check runs, so the same plans,
 * overrides, windows and reservations), instead of a gRPC round trip to that service. The
 * ratelimit service keeps owning plans and overrides and reconciles reservations from the
 * usage events.
 *
 * Redis unreachable: the limiter applies the plan's policy (enterprise fails open, the other
 * tiers closed: 503 `rate_limiter_unavailable`). Any other failure of the check is treated the
 * same way the router treated an unreachable ratelimit service: enterprise keys pass, others 503.
 */
export class RequestLimiter {
  private readonly logger = new Logger('RateLimit');

  constructor(private readonly limiter: RateLimiter) {}

  /** Reserves one request and `tokenEstimate` tokens; throws the 429 (or 503). Undefined when the check failed and the tier fails open. */
  async admit(principal: AuthenticatedPrincipal, requestId: string, tokenEstimate: number): Promise<RateLimitResult | undefined> {
    let result: RateLimitResult;
    try {
      result = await this.limiter.check({
        tenantId: principal.tenantId,
        keyId: principal.keyId,
        // As the gRPC Check maps an unknown tier: the most restrictive plan.
        tier: isPlanTier(principal.tier) ? principal.tier : 'free',
        requestId,
        requestCost: 1,
        tokenEstimate: Math.max(0, Math.round(tokenEstimate)),
      });
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
    return result;
  }

  /**
   * Ends an admitted request off the response path: frees its concurrency slot and replaces its
   * token reservation by the actual count now (nothing used: the whole reservation comes back).
   * If this is lost, the usage event settles it when the ratelimit service consumes it.
   */
  settle(principal: AuthenticatedPrincipal, requestId: string, actualTokens: number): void {
    const tokens = Math.max(0, Math.round(actualTokens));
    const settled = tokens === 0 ? this.limiter.release(principal.keyId, requestId) : this.limiter.reconcile(principal.keyId, requestId, tokens);
    settled.catch((error: unknown) => this.logger.debug(`settle ${requestId} failed (the usage event will settle it): ${String(error)}`));
  }
}
