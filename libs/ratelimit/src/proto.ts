import { create } from '@bufbuild/protobuf';
import { CheckResponseSchema, Tier, Window, WindowStateSchema, type CheckRequest, type CheckResponse } from '@vectorstack/contracts';
import { LIMIT_NAMES, type LimitName, type PlanTier } from './plan';
import type { RateLimitRequest, RateLimitResult } from './rate-limiter';

const TIER_BY_ENUM: Record<number, PlanTier> = {
  [Tier.FREE]: 'free',
  [Tier.STARTER]: 'starter',
  [Tier.PRO]: 'pro',
  [Tier.ENTERPRISE]: 'enterprise',
};

/** LIMIT_NAMES are in the order of the proto Window enum: index + 1 is the enum value. */
export function windowEnum(name: LimitName): Window {
  return (LIMIT_NAMES.indexOf(name) + 1) as Window;
}

export function windowName(window: Window): LimitName | undefined {
  return window === Window.UNSPECIFIED ? undefined : LIMIT_NAMES[window - 1];
}

function safeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/**
 * A gRPC `ratelimit.v1.Check` request as the limiter takes it. An unspecified tier is
 * treated as the most restrictive (free); a request cost of 0 (proto3's unset) counts 1.
 */
export function rateLimitRequestFromProto(request: CheckRequest): RateLimitRequest {
  return {
    tenantId: request.tenantId,
    keyId: request.keyId,
    tier: TIER_BY_ENUM[request.tier] ?? 'free',
    requestId: request.requestId,
    requestCost: request.requestCost === 0 ? 1 : request.requestCost,
    tokenEstimate: safeNumber(request.tokenEstimate),
  };
}

/** The limiter's answer as a `ratelimit.v1.CheckResponse`. */
export function checkResponseFromResult(result: RateLimitResult): CheckResponse {
  return create(CheckResponseSchema, {
    allowed: result.allowed,
    deniedBy: result.deniedBy ? windowEnum(result.deniedBy) : Window.UNSPECIFIED,
    retryAfterMs: Math.min(result.retryAfterMs, 0xffffffff),
    windows: result.windows.map((w) =>
      create(WindowStateSchema, { window: windowEnum(w.window), limit: BigInt(w.limit), remaining: BigInt(w.remaining), resetAtUnixMs: BigInt(w.resetAtMs) }),
    ),
    failedOpen: result.failedOpen,
  });
}

/**
 * A `CheckResponse` back as a RateLimitResult, for a public service to build its headers
 * (rateLimitHeaders) or its refusal (rateLimitExceeded). A refusal without a window is the
 * fail-closed answer of a limiter that could not reach Redis.
 */
export function rateLimitResultFromProto(response: CheckResponse, now: number = Date.now()): RateLimitResult {
  const deniedBy = windowName(response.deniedBy);
  return {
    allowed: response.allowed,
    deniedBy: response.allowed ? undefined : deniedBy,
    retryAfterMs: response.retryAfterMs,
    windows: response.windows.flatMap((w) => {
      const window = windowName(w.window);
      return window ? [{ window, limit: safeNumber(w.limit), remaining: safeNumber(w.remaining), resetAtMs: safeNumber(w.resetAtUnixMs) }] : [];
    }),
    failedOpen: response.failedOpen,
    failedClosed: !response.allowed && deniedBy === undefined,
    requestTooLarge: false,
    duplicate: false,
    nowMs: now,
  };
}
