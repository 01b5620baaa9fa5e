import type Redis from 'ioredis';
import { RateLimitKeys, PLAN_SHARDS } from './keys';
import {
  DEFAULT_PLANS,
  LIMIT_NAMES,
  PLAN_TIERS,
  REDIS_UNAVAILABLE_POLICIES,
  defaultRedisUnavailablePolicy,
  normaliseOverride,
  type LimitOverride,
  type Plan,
  type PlanLimits,
  type PlanTier,
  type RedisUnavailablePolicy,
  type StoredPlan,
} from './plan';
import { MIRROR_PLAN_SCRIPT, PUT_PLAN_SCRIPT, SEED_PLAN_SCRIPT } from './scripts';
import { defineScript, queueScript, type ScriptCall } from './redis-scripts';

const MIRROR_COMMAND = 'vsRateLimitMirrorPlan';

/** A lifted limit in an override hash (an absent field inherits the tier's value). */
const NO_LIMIT = '-1';

function planFields(plan: Plan, updatedAt: number): string[] {
  const fields: string[] = ['redis_unavailable', plan.redis_unavailable, 'updated_at', String(updatedAt)];
  for (const name of LIMIT_NAMES) {
    const value = plan[name];
    if (value !== null) fields.push(name, String(value));
  }
  return fields;
}

function wholeNumber(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value)) return null;
  return Number(value);
}

function decodePlan(tier: PlanTier, hash: Record<string, string>): StoredPlan {
  const limits = Object.fromEntries(LIMIT_NAMES.map((name) => [name, wholeNumber(hash[name])])) as PlanLimits;
  const policy = (REDIS_UNAVAILABLE_POLICIES as readonly string[]).includes(hash.redis_unavailable)
    ? (hash.redis_unavailable as RedisUnavailablePolicy)
    : defaultRedisUnavailablePolicy(tier);
  return { tier, ...limits, redis_unavailable: policy, version: Number(hash.version ?? 0), updated_at: Number(hash.updated_at ?? 0) };
}

function decodeOverride(hash: Record<string, string>): LimitOverride {
  const override: Record<string, number | null> = {};
  for (const name of LIMIT_NAMES) {
    const raw = hash[name];
    if (raw === undefined) continue;
    override[name] = raw === NO_LIMIT ? null : wholeNumber(raw);
  }
  return override as LimitOverride;
}

/**
 * Plans and per-key overrides in Redis, the one place every replica reads them from.
 *
 * A plan is written to its main hash (what the admin API reads; its `version` grows by one
 * per change) and then copied into each of the PLAN_SHARDS shards (what checks read, next
 * to the keys' counters). Copies only move forward in version, so concurrent writers
 * converge on the newest plan, and `syncMirrors` repairs a write interrupted half-way.
 * A write returns only after every copy holds it: the next check on any replica applies it.
 */
export class PlanStore {
  private readonly putPlanScript: ScriptCall;
  private readonly seedPlanScript: ScriptCall;

  constructor(
    private readonly redis: Redis,
    readonly keys: RateLimitKeys = new RateLimitKeys(),
  ) {
    this.putPlanScript = defineScript(redis, 'vsRateLimitPutPlan', PUT_PLAN_SCRIPT, 1);
    this.seedPlanScript = defineScript(redis, 'vsRateLimitSeedPlan', SEED_PLAN_SCRIPT, 1);
    defineScript(redis, MIRROR_COMMAND, MIRROR_PLAN_SCRIPT, 1);
  }

  async getPlan(tier: PlanTier): Promise<StoredPlan | undefined> {
    const hash = await this.redis.hgetall(this.keys.plan(tier));
    return Object.keys(hash).length === 0 ? undefined : decodePlan(tier, hash);
  }

  /** Every tier's stored plan (tiers never stored are left out). */
  async listPlans(): Promise<StoredPlan[]> {
    const pipeline = this.redis.pipeline();
    for (const tier of PLAN_TIERS) pipeline.hgetall(this.keys.plan(tier));
    const results = (await pipeline.exec()) ?? [];
    return PLAN_TIERS.flatMap((tier, index) => {
      const [error, hash] = results[index] ?? [];
      if (error) throw error;
      const fields = hash as Record<string, string>;
      return Object.keys(fields).length === 0 ? [] : [decodePlan(tier, fields)];
    });
  }

  /** Replaces a tier's plan; returns it as stored (with its new version). */
  async putPlan(tier: PlanTier, plan: Plan, now: number = Date.now()): Promise<StoredPlan> {
    const fields = planFields(plan, now);
    const version = Number(await this.putPlanScript(this.keys.plan(tier), ...fields));
    await this.mirror(tier, version, fields);
    return { tier, ...plan, version, updated_at: now };
  }

  /** Stores the default plan of every tier that has none yet (idempotent), then brings every shard up to date. */
  async seedDefaults(defaults: Readonly<Record<PlanTier, Plan>> = DEFAULT_PLANS, now: number = Date.now()): Promise<PlanTier[]> {
    const seeded: PlanTier[] = [];
    for (const tier of PLAN_TIERS) {
      if (Number(await this.seedPlanScript(this.keys.plan(tier), ...planFields(defaults[tier], now))) === 1) seeded.push(tier);
    }
    await this.syncMirrors();
    return seeded;
  }

  /** Copies every stored plan into every shard that holds an older version (or none). */
  async syncMirrors(): Promise<void> {
    for (const tier of PLAN_TIERS) {
      const hash = await this.redis.hgetall(this.keys.plan(tier));
      if (Object.keys(hash).length === 0) continue;
      const { version, ...rest } = hash;
      await this.mirror(tier, Number(version), Object.entries(rest).flat());
    }
  }

  async getOverride(keyId: string): Promise<LimitOverride> {
    return decodeOverride(await this.redis.hgetall(this.keys.override(keyId)));
  }

  /** Replaces a key's overrides; an empty override removes them. */
  async putOverride(keyId: string, override: LimitOverride): Promise<LimitOverride> {
    const normalised = normaliseOverride(override);
    const fields = Object.entries(normalised).flatMap(([name, value]) => [name, value === null ? NO_LIMIT : String(value)]);
    const transaction = this.redis.multi().del(this.keys.override(keyId));
    if (fields.length > 0) transaction.hset(this.keys.override(keyId), ...fields);
    const results = (await transaction.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    return normalised;
  }

  /** Removes a key's overrides; true when it had any. */
  async deleteOverride(keyId: string): Promise<boolean> {
    return (await this.redis.del(this.keys.override(keyId))) > 0;
  }

  private async mirror(tier: PlanTier, version: number, fields: string[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (let shard = 0; shard < PLAN_SHARDS; shard++) {
      queueScript(pipeline, MIRROR_COMMAND, this.keys.planMirror(shard, tier), version, ...fields);
    }
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
  }
}
