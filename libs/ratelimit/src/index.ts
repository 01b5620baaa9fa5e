// @vectorstack/ratelimit — exact multi-window request and token limits over Redis, shared by
// the ratelimit service (plans, overrides, reconciliation, gRPC Check) and the public
// services (response headers and the 429).
export {
  DEFAULT_PLANS,
  LIMIT_NAMES,
  MAX_LIMIT,
  PLAN_TIERS,
  REDIS_UNAVAILABLE_POLICIES,
  defaultRedisUnavailablePolicy,
  effectiveLimits,
  isPlanTier,
  limitOverrideSchema,
  normaliseOverride,
  onlyLowers,
  planBodySchema,
  planFromBody,
  planTierSchema,
  raisedLimits,
  type LimitName,
  type LimitOverride,
  type Plan,
  type PlanBody,
  type PlanLimits,
  type PlanTier,
  type RedisUnavailablePolicy,
  type StoredPlan,
} from './plan';
export { DEFAULT_KEY_PREFIX, PLAN_SHARDS, RateLimitKeys, shardOf, type KeySpace } from './keys';
export { PlanStore } from './plan-store';
export {
  RateLimiter,
  decodeCheckReply,
  type RateLimitLogger,
  type RateLimiterOptions,
  type LeaseUsage,
  type RateLimitRequest,
  type RateLimitResult,
  type SettleOutcome,
  type SettleResult,
  type WindowState,
} from './rate-limiter';
export { createRateLimitRedis, rateLimitRedisOptions, waitForRedis, type RateLimitRedisOptions } from './redis-client';
export { isRedisUnavailable } from './redis-scripts';
export { rateLimitMetrics, type RateLimitMetrics } from './metrics';
export {
  WARNING_THRESHOLD,
  denialMessage,
  goDuration,
  rateLimitExceeded,
  rateLimitHeaders,
  rateLimitWarning,
  retryAfterSeconds,
} from './headers';
export { checkResponseFromResult, rateLimitRequestFromProto, rateLimitResultFromProto, windowEnum, windowName } from './proto';
