/**
 * Exactness across processes: four separately started Node processes, each with its own
 * connection and 16 concurrent checks in flight, hammer one key limited to 100 requests per
 * minute. Exactly 100 are admitted.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type Redis from 'ioredis';
import { FixtureProcess, testInfra } from '@vectorstack/testing';
import { RateLimitKeys } from './keys';
import { PlanStore } from './plan-store';
import { adminRedis, deleteKeysUnder, testKeyPrefix } from './testing/redis';

const PROCESSES = 4;
const CONCURRENCY = 16;
const ATTEMPTS_PER_LANE = 5; // 4 × 16 × 5 = 320 attempts against a limit of 100

describe('one key hammered by several processes', () => {
  const prefix = testKeyPrefix('xproc');
  let admin: Redis;
  const children: FixtureProcess[] = [];

  beforeAll(() => {
    admin = adminRedis();
  });

  afterAll(async () => {
    await Promise.all(children.map((child) => child.kill()));
    await deleteKeysUnder(admin, prefix);
    admin.disconnect();
  });

  it('admits exactly 100 of 320 concurrent requests against a limit of 100 per minute', async () => {
    const plans = new PlanStore(admin, new RateLimitKeys(prefix));
    await plans.seedDefaults();
    const keyId = randomUUID();
    await plans.putOverride(keyId, { requests_per_minute: 100, requests_per_day: null, tokens_per_minute: null, max_concurrent: null });

    for (let i = 0; i < PROCESSES; i++) {
      children.push(
        new FixtureProcess(resolve(__dirname, 'testing/fixtures/hammer.fixture.ts'), {
          REDIS_URL: testInfra.redisUrl(),
          KEY_PREFIX: prefix,
          KEY_ID: keyId,
          CONCURRENCY: String(CONCURRENCY),
          ATTEMPTS: String(ATTEMPTS_PER_LANE),
          CALLER: `caller-${i}`,
        }),
      );
    }
    const ready = await Promise.all(children.map((child) => child.waitFor('ready', 60_000)));
    expect(new Set(ready.map((event) => event.pid)).size).toBe(PROCESSES);
    await admin.set(`${prefix}go`, '1', 'PX', 60_000);

    const done = await Promise.all(children.map((child) => child.waitFor('done', 60_000)));
    const total = (field: string) => done.reduce((sum, event) => sum + Number(event[field]), 0);
    expect({ admitted: total('admitted'), denied: total('denied'), failed: total('failed') }).toEqual({
      admitted: 100,
      denied: PROCESSES * CONCURRENCY * ATTEMPTS_PER_LANE - 100,
      failed: 0,
    });
    // Every attempt of every process was answered (none timed out or failed).
    for (const event of done) expect(Number(event.admitted) + Number(event.denied)).toBe(CONCURRENCY * ATTEMPTS_PER_LANE);
    expect(await admin.zcard(new RateLimitKeys(prefix).forKey(keyId).log)).toBe(100);
  });
});
