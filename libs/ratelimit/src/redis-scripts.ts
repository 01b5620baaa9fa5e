import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';

export type ScriptArg = string | number;
export type ScriptCall = (...args: ScriptArg[]) => Promise<unknown>;

/**
 * Registers a Lua script on a connection (ioredis `defineCommand`: EVALSHA, and EVAL when
 * Redis answers NOSCRIPT) and returns it as a function taking KEYS then ARGV.
 */
export function defineScript(redis: Redis, name: string, lua: string, numberOfKeys: number): ScriptCall {
  redis.defineCommand(name, { lua, numberOfKeys });
  const command = (redis as unknown as Record<string, ScriptCall>)[name];
  return command.bind(redis);
}

/** Queues a script registered with defineScript on a pipeline. */
export function queueScript(pipeline: ChainableCommander, name: string, ...args: ScriptArg[]): void {
  (pipeline as unknown as Record<string, (...a: ScriptArg[]) => unknown>)[name](...args);
}

/** Errors Redis answers with while it cannot serve (loading, failover, cluster down): retryable, like a lost connection. */
const TRANSIENT_REPLY = /^(LOADING|READONLY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MISCONF)\b/;

/**
 * Whether an error means "Redis is unavailable" (connection refused or lost, timeout,
 * Redis busy or failing over) rather than a bug in what was sent (a script error).
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  if (error.name === 'ReplyError') return TRANSIENT_REPLY.test(error.message);
  return true;
}
