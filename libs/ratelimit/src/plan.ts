import { z } from 'zod';

/** The commercial tiers (the proto `vectorstack.common.v1.Tier` without UNSPECIFIED). */
export const PLAN_TIERS = ['free', 'starter', 'pro', 'enterprise'] as const;
export type PlanTier = (typeof PLAN_TIERS)[number];

/**
 * Every limit a plan can set, in the order of the proto `ratelimit.v1.Window` enum
 * (index + 1 is the enum value, which is also the window's code inside the Lua script).
 */
export const LIMIT_NAMES = [
  'requests_per_minute',
  'requests_per_hour',
  'requests_per_day',
  'tokens_per_minute',
  'tokens_per_day',
  'max_concurrent',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export const REDIS_UNAVAILABLE_POLICIES = ['fail_open', 'fail_closed'] as const;
export type RedisUnavailablePolicy = (typeof REDIS_UNAVAILABLE_POLICIES)[number];

/** `null`: the plan sets no such limit. */
export type PlanLimits = { readonly [L in LimitName]: number | null };

export interface Plan extends PlanLimits {
  /** What a check does when Redis cannot be reached. */
  readonly redis_unavailable: RedisUnavailablePolicy;
}

/** A plan as stored: `version` grows by one with every change. */
export interface StoredPlan extends Plan {
  readonly tier: PlanTier;
  readonly version: number;
  /** Unix milliseconds of the last change. */
  readonly updated_at: number;
}

/**
 * A key's overrides: a field that is absent inherits the tier's value, `null` lifts the
 * limit, a number replaces it.
 */
export type LimitOverride = { readonly [L in LimitName]?: number | null };

/** Lua numbers are doubles; every counter stays exact far below 2^53. */
export const MAX_LIMIT = 1_000_000_000_000;

const noLimit = { requests_per_hour: null, requests_per_day: null, tokens_per_day: null } as const;

/**
 * The seeded defaults. Where each figure comes from (seeds in /work/shared/seeds):
 * - free: 10 requests/min and 1,000 requests/day — seed 002 (Free 10/min, 1,000/day) and seed
 *   003 (1,000 requests/day resetting at 00:00 UTC). Seed 004's free tier (20/hour, 100/day)
 *   describes another product's structure and contradicts 002/003 (20/hour would make
 *   1,000/day unreachable), so it is not used. 5,000 tokens/min and 2 concurrent: ours (no
 *   seed gives free token or concurrency figures; half of Starter's tokens).
 * - starter: 20 requests/min and 10,000 tokens/min — seed 000. 10,000 requests/day and 5
 *   concurrent: ours (no seed gives them; the daily figure sits between Free's 1,000 and
 *   Pro's 50,000 so no tier allows more than the one above it).
 * - pro: 60 requests/min and 50,000 tokens/min — seed 000; 50,000 requests/day — seed 002.
 *   Seed 002's 100/min is not used: seed 000 gives requests and tokens per minute as one
 *   consistent pair, and 60/min × 1,440 min still lets the daily 50,000 be reached.
 *   20 concurrent: ours.
 * - enterprise: seeds say "Custom" (000) and "Unlimited" per day (002). Generous defaults
 *   of ours: 1,000 requests/min, 2,000,000 tokens/min, 100 concurrent, no daily limits.
 * - redis_unavailable: fail_open for enterprise, fail_closed otherwise (issue 4).
 */
export const DEFAULT_PLANS: Readonly<Record<PlanTier, Plan>> = {
  free: {
    ...noLimit,
    requests_per_minute: 10,
    requests_per_day: 1_000,
    tokens_per_minute: 5_000,
    max_concurrent: 2,
    redis_unavailable: 'fail_closed',
  },
  starter: {
    ...noLimit,
    requests_per_minute: 20,
    requests_per_day: 10_000,
    tokens_per_minute: 10_000,
    max_concurrent: 5,
    redis_unavailable: 'fail_closed',
  },
  pro: {
    ...noLimit,
    requests_per_minute: 60,
    requests_per_day: 50_000,
    tokens_per_minute: 50_000,
    max_concurrent: 20,
    redis_unavailable: 'fail_closed',
  },
  enterprise: {
    ...noLimit,
    requests_per_minute: 1_000,
    tokens_per_minute: 2_000_000,
    max_concurrent: 100,
    redis_unavailable: 'fail_open',
  },
};

/** The policy a tier falls back to before its stored plan was ever read. */
export function defaultRedisUnavailablePolicy(tier: PlanTier): RedisUnavailablePolicy {
  return DEFAULT_PLANS[tier].redis_unavailable;
}

export function isPlanTier(value: string): value is PlanTier {
  return (PLAN_TIERS as readonly string[]).includes(value);
}

const limitValue = z
  .number({ invalid_type_error: 'must be a whole number or null' })
  .int('must be a whole number')
  .min(0, 'must not be negative')
  .max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`)
  .nullable()
  .optional();

const limitShape = Object.fromEntries(LIMIT_NAMES.map((name) => [name, limitValue])) as { [L in LimitName]: typeof limitValue };

/** Body of `PUT /v1/plans/{tier}`: the whole plan; an absent or null limit means no such limit. */
export const planBodySchema = z
  .object({ ...limitShape, redis_unavailable: z.enum(REDIS_UNAVAILABLE_POLICIES).optional() })
  .strict();
export type PlanBody = z.infer<typeof planBodySchema>;

/** Body of `PUT /v1/limits/{keyId}`: the key's overrides (absent: inherit, null: no limit). */
export const limitOverrideSchema = z.object(limitShape).strict();

export const planTierSchema = z.enum(PLAN_TIERS);

/** The plan a PUT body describes for `tier` (absent limits are lifted; the policy defaults per tier). */
export function planFromBody(tier: PlanTier, body: PlanBody): Plan {
  const limits = Object.fromEntries(LIMIT_NAMES.map((name) => [name, body[name] ?? null])) as PlanLimits;
  return { ...limits, redis_unavailable: body.redis_unavailable ?? defaultRedisUnavailablePolicy(tier) };
}

/** A parsed override without its undefined fields. */
export function normaliseOverride(override: LimitOverride): LimitOverride {
  return Object.fromEntries(LIMIT_NAMES.filter((name) => override[name] !== undefined).map((name) => [name, override[name]])) as LimitOverride;
}

/** The limits a key lives by: its tier's plan with its overrides applied. */
export function effectiveLimits(plan: PlanLimits, override: LimitOverride): PlanLimits {
  return Object.fromEntries(LIMIT_NAMES.map((name) => [name, override[name] === undefined ? plan[name] : override[name]])) as PlanLimits;
}

/** Whether `now` is a higher limit than `was` (null is no limit, i.e. infinitely high). */
function raises(was: number | null, now: number | null): boolean {
  if (was === null) return false;
  return now === null || now > was;
}

/** The limits that `after` raises over `before`. */
export function raisedLimits(before: PlanLimits, after: PlanLimits): LimitName[] {
  return LIMIT_NAMES.filter((name) => raises(before[name], after[name]));
}

/** Limits that are nowhere higher than `before`. */
export function onlyLowers(before: PlanLimits, after: PlanLimits): boolean {
  return raisedLimits(before, after).length === 0;
}
