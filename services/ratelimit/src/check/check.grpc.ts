import { Injectable, type OnModuleInit } from '@nestjs/common';
import { RateLimitService, type CheckRequest } from '@vectorstack/contracts';
import { GrpcServer, GrpcStatus, GrpcStatusError } from '@vectorstack/grpc';
import { checkResponseFromResult, RateLimiter, rateLimitRequestFromProto } from '@vectorstack/ratelimit';

const MAX_ID_LENGTH = 200;

/** Caller mistakes are INVALID_ARGUMENT, never a silent admit or a limiter error. */
export function validateCheckRequest(request: CheckRequest): void {
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
 * gRPC `vectorstack.ratelimit.v1.RateLimitService/Check`: the public services' hot-path call.
 * One Lua script evaluates and records every window of the key's plan in one Redis round trip.
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
    });
  }
}
