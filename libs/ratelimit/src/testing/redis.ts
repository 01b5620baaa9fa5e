import Redis from 'ioredis';
import { testInfra, uniqueSuffix } from '@vectorstack/testing';

/** A key prefix of its own for one test run, so runs never see each other's plans or counters. */
export function testKeyPrefix(label = 'test'): string {
  return `vs:rl:${label}-${uniqueSuffix()}:`;
}

/** A plain connection to the test Redis (for setup, inspection and cleanup). */
export function adminRedis(): Redis {
  return new Redis(testInfra.redisUrl(), { maxRetriesPerRequest: 1 });
}

/** Deletes every key under `prefix`. */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
