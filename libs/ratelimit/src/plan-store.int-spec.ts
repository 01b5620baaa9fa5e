/** Plans and overrides in Redis: seeding is idempotent, every shard's copy converges on the newest plan. */
import type Redis from 'ioredis';
import { PLAN_SHARDS, RateLimitKeys } from './keys';
import { DEFAULT_PLANS, PLAN_TIERS } from './plan';
import { PlanStore } from './plan-store';
import { adminRedis, deleteKeysUnder, testKeyPrefix } from './testing/redis';

describe('PlanStore on real Redis', () => {
  const prefix = testKeyPrefix('plans');
  const keys = new RateLimitKeys(prefix);
  let redis: Redis;
  let store: PlanStore;

  beforeAll(() => {
    redis = adminRedis();
    store = new PlanStore(redis, keys);
  });

  afterAll(async () => {
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
  });

  const mirrorVersions = async (tier: 'free' | 'pro') => {
    const pipeline = redis.pipeline();
    for (let shard = 0; shard < PLAN_SHARDS; shard++) pipeline.hget(keys.planMirror(shard, tier), 'version');
    return new Set(((await pipeline.exec()) ?? []).map(([, version]) => version));
  };

  it('seeds the defaults once and never overwrites a stored plan', async () => {
    expect(await store.seedDefaults()).toEqual([...PLAN_TIERS]);
    expect(await store.listPlans()).toEqual(PLAN_TIERS.map((tier) => expect.objectContaining({ tier, version: 1, ...DEFAULT_PLANS[tier] })));
    await store.putPlan('free', { ...DEFAULT_PLANS.free, requests_per_minute: 3 });
    expect(await store.seedDefaults()).toEqual([]);
    expect((await store.getPlan('free'))?.requests_per_minute).toBe(3);
    expect(await mirrorVersions('free')).toEqual(new Set(['2']));
  });

  it('converges every shard on the newest plan under concurrent writes', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.putPlan('pro', { ...DEFAULT_PLANS.pro, requests_per_minute: 100 + i })));
    const stored = await store.getPlan('pro');
    expect(stored?.version).toBe(9);
    expect(await mirrorVersions('pro')).toEqual(new Set(['9']));
    const mirror = await redis.hget(keys.planMirror(5, 'pro'), 'requests_per_minute');
    expect(Number(mirror)).toBe(stored?.requests_per_minute);
  });

  it('repairs a shard whose copy was lost', async () => {
    await redis.del(keys.planMirror(17, 'pro'));
    await store.syncMirrors();
    expect(await mirrorVersions('pro')).toEqual(new Set(['9']));
  });

  it('stores overrides with null as a lifted limit, and removes them', async () => {
    expect(await store.getOverride('key-1')).toEqual({});
    await store.putOverride('key-1', { requests_per_minute: 5, tokens_per_day: null, max_concurrent: undefined });
    expect(await store.getOverride('key-1')).toEqual({ requests_per_minute: 5, tokens_per_day: null });
    await store.putOverride('key-1', { requests_per_hour: 50 });
    expect(await store.getOverride('key-1')).toEqual({ requests_per_hour: 50 });
    expect(await store.deleteOverride('key-1')).toBe(true);
    expect(await store.deleteOverride('key-1')).toBe(false);
    expect(await redis.pttl(keys.override('key-1'))).toBe(-2);
  });
});
