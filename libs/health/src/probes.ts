import Redis from 'ioredis';
import type { ReadinessProbe } from './readiness-probe';

/**
 * Redis probe on its own small connection, so readiness reflects whether Redis
 * answers now rather than whether a busy shared client is queueing commands.
 */
export function redisProbe(url: string): ReadinessProbe {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 });
  client.on('error', () => undefined); // state is reported through check()
  return {
    name: 'redis',
    async check() {
      if (client.status === 'wait' || client.status === 'end') await client.connect();
      const answer = await client.ping();
      if (answer !== 'PONG') throw new Error(`unexpected PING answer: ${answer}`);
    },
    async close() {
      client.disconnect();
    },
  };
}
