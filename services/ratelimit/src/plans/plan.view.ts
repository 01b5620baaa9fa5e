import { LIMIT_NAMES, type LimitName, type PlanLimits, type RedisUnavailablePolicy, type StoredPlan } from '@vectorstack/ratelimit';

export type LimitsView = { [L in LimitName]: number | null };

export interface PlanView extends LimitsView {
  object: 'plan';
  tier: string;
  redis_unavailable: RedisUnavailablePolicy;
  version: number;
  /** Unix seconds of the last change. */
  updated_at: number;
}

export function limitsView(limits: PlanLimits): LimitsView {
  return Object.fromEntries(LIMIT_NAMES.map((name) => [name, limits[name]])) as LimitsView;
}

/** The public JSON of a plan: every limit present (null: no such limit). */
export function planView(plan: StoredPlan): PlanView {
  return {
    object: 'plan',
    tier: plan.tier,
    ...limitsView(plan),
    redis_unavailable: plan.redis_unavailable,
    version: plan.version,
    updated_at: Math.floor(plan.updated_at / 1000),
  };
}
