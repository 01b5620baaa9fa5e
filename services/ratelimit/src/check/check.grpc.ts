import { Injectable, type OnModuleInit } from '@nestjs/common';
import { RateLimitService, SettleOutcome, type CheckRequest } from '@vectorstack/contracts';
import { GrpcServer, GrpcStatus, GrpcStatusError } from '@vectorstack/grpc';
import { checkResponseFromResult, RateLimiter, rateLimitRequestFromProto } from '@vectorstack/ratelimit';

const MAX_ID_LENGTH = 200;

const OUTCOMES = { settled: SettleOutcome.SETTLED, already_settled: SettleOutcome.ALREADY_SETTLED, unknown_request: SettleOutcome.UNKNOWN_REQUEST } as const;

/** Caller mistakes are INVALID_ARGUMENT, never a silent admit or a limiter error. */
export function validateCheckRequest(request: Pick<CheckRequest, 'tenantId' | 'keyId' | 'requestId'>): void {
  for (const [field, value] of [
    ['tenant_id', request.tenantId],
    ['key_id', request.keyId],
    ['request_id', request.requestId],
  ] as const) {
    if (value.length === 0 || value.length > MAX_ID_LENGTH) {
      throw new GrpcStatusError(GrpcStatus.INVALID_ARGUMENT, `${field} must be 1 to ${MAX_ID_LENGTH} characters`);
    }
  }
}

/**
 * gRPC `vectorstack.ratelimit.v1.RateLimitService`: `Check`, the public services' hot-path call
 * (one Lua script evaluates and records every window of the key's plan in one Redis round trip),
 * and `Settle`, which ends a request at once instead of waiting for its usage event on Kafka.
 */
@Injectable()
export class CheckGrpcService implements OnModuleInit {
  constructor(
    private readonly server: GrpcServer,
    private readonly limiter: RateLimiter,
  ) {}

  onModuleInit(): void {
    this.server.addService(RateLimitService, {
      check: async (request) => {
        validateCheckRequest(request);
        return checkResponseFromResult(await this.limiter.check(rateLimitRequestFromProto(request)));
      },
      settle: async (request) => {
        validateCheckRequest(request);
        // Nothing used (a failed request): the whole reservation comes back; else the actual count replaces it.
        const result =
          request.actualTokens === 0n
            ? await this.limiter.release(request.keyId, request.requestId)
            : await this.limiter.reconcile(request.keyId, request.requestId, Number(request.actualTokens));
        return { outcome: OUTCOMES[result.outcome], reservedTokens: BigInt(result.reservedTokens), chargedTokens: BigInt(result.chargedTokens) };
      },
    });
  }
}
