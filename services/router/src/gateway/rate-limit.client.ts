import { Logger } from '@nestjs/common';
import { tierEnum, type AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { RateLimitService } from '@vectorstack/contracts';
import { createGrpcClient, type GrpcClient } from '@vectorstack/grpc';
import { ApiError } from '@vectorstack/http';
import { rateLimitExceeded, rateLimitResultFromProto, type RateLimitResult } from '@vectorstack/ratelimit';

/**
 * The router's side of `ratelimit.v1.Check` and `Settle`: one Check per request with the token reservation;
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

  /**
   * Ends an admitted request off the response path: frees its concurrency slot and settles its
   * tokens now. If this call is lost, the usage event settles it when it arrives over Kafka.
   */
  settle(principal: AuthenticatedPrincipal, requestId: string, actualTokens: number): void {
    this.client
      .settle({ tenantId: principal.tenantId, keyId: principal.keyId, requestId, actualTokens: BigInt(Math.max(0, Math.round(actualTokens))) })
      .catch((error: unknown) => this.logger.debug(`settle ${requestId} failed (the usage event will settle it): ${String(error)}`));
  }

  close(): void {
    this.client.close();
  }
}
