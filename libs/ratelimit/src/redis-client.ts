import Redis, { type RedisOptions } from 'ioredis';

export interface RateLimitRedisOptions {
  /**
   * Longest a command may wait for its answer. A check must never hang a request: past
   * this the plan's Redis-unavailable policy decides. Default 500 ms.
   */
  commandTimeoutMs?: number;
  /** Longest a (re)connection attempt may take. Default 1,000 ms. */
  connectTimeoutMs?: number;
  /**
   * Send the commands issued in one event-loop tick as one pipeline (ioredis auto-pipelining):
   * one socket write for the checks and settles of many concurrent requests instead of one
   * each, fewer wake-ups of Redis. Order and per-command replies and timeouts are unchanged.
   * For a process checking limits on every request under concurrency (the router).
   */
  autoPipelining?: boolean;
}

/**
 * ioredis options for the limiter's connection: fail fast instead of queueing while Redis
 * is away (no offline queue, no per-command retries, a command timeout), and keep
 * reconnecting in the background (at most every 2 s) so checks recover by themselves.
 */
export function rateLimitRedisOptions(options: RateLimitRedisOptions = {}): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? 500,
    connectTimeout: options.connectTimeoutMs ?? 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    lazyConnect: false,
    enableAutoPipelining: options.autoPipelining ?? false,
  };
}

/** A connection for RateLimiter and PlanStore. Its errors surface through the commands, not as unhandled events. */
export function createRateLimitRedis(url: string, options: RateLimitRedisOptions = {}): Redis {
  const redis = new Redis(url, rateLimitRedisOptions(options));
  redis.on('error', () => undefined);
  return redis;
}

/** Resolves once the connection is ready (or rejects after `timeoutMs`): without an offline queue, commands sent earlier fail. */
export async function waitForRedis(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  if (redis.status === 'wait') void redis.connect().catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis not ready within ${timeoutMs} ms (status ${redis.status})`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}
