import { Logger } from '@nestjs/common';
import { tierEnum, type AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { RateLimitService } from '@vectorstack/contracts';
import { createGrpcClient, type GrpcClient } from '@vectorstack/grpc';
import { ApiError } from '@vectorstack/http';
import { rateLimitExceeded, rateLimitResultFromProto, type RateLimitResult } from '@vectorstack/ratelimit';

/**
 * The router's side of `ratelimit.v1.Check`: one call per request with the token reservation;
 * a denial becomes the 429 (or the limiter's fail-closed 503). If the ratelimit service itself
 * cannot be reached, enterprise keys pass (their plans fail open) and others get 503: the same
 * policy the limiter applies when its Redis is down.
 */
export class RateLimitClient {
  private readonly client: GrpcClient<(typeof RateLimitService)['method']>;
  private readonly logger = new Logger('RateLimitClient');

  constructor(address: string, deadlineMs: number) {
    this.client = createGrpcClient(RateLimitService, address, { deadlineMs });
  }

  async admit(principal: AuthenticatedPrincipal, requestId: string, tokenEstimate: number): Promise<RateLimitResult | undefined> {
    let result: RateLimitResult;
    try {
      const response = await this.client.check({
        tenantId: principal.tenantId,
        keyId: principal.keyId,
        tier: tierEnum(principal.tier),
        requestId,
        requestCost: 1,
        tokenEstimate: BigInt(Math.max(0, Math.round(tokenEstimate))),
      });
      result = rateLimitResultFromProto(response);
    } catch (error) {
      this.logger.warn(`rate limiter unreachable: ${error instanceof Error ? error.message : String(error)}`);
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

  close(): void {
    this.client.close();
  }
}
