import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { loadConfigOrExit, z } from '@vectorstack/config';
import { Topics, type TopicSpec, type UsageRecorded } from '@vectorstack/contracts';
import type { HttpServiceConfig } from '@vectorstack/platform';

/** Variables only the ratelimit service reads; REDIS_URL, KAFKA_BROKERS, PORT… come with the platform shape. */
export const ratelimitConfigShape = {
  /** Prefix of every Redis key the limiter owns (plans, overrides, counters). */
  RATELIMIT_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{1,64}$/, 'must be 1-64 letters, digits or : . _ -')
    .default('vs:rl:'),
  /** Longest a limiter command waits for Redis before the plan's Redis-unavailable policy decides. */
  RATELIMIT_REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(500),
  /** How long an admitted request holds its concurrency slot unless released or reconciled first. */
  RATELIMIT_LEASE_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(600_000),
};

export interface RatelimitOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
  readonly leaseMs: number;
  /** The usage topic reservations are reconciled from (tests pass a per-run copy). */
  readonly usageTopic: TopicSpec<GenMessage<UsageRecorded>>;
  /** One group for all replicas: each usage event is reconciled once. */
  readonly reconciliationGroupId: string;
}

export const RATELIMIT_OPTIONS = Symbol('RATELIMIT_OPTIONS');

/** Validated before anything connects: a bad variable stops the process with one line naming it. */
export function ratelimitOptionsFromEnv(platform: HttpServiceConfig, env: Record<string, string | undefined> = process.env): RatelimitOptions {
  const config = loadConfigOrExit(ratelimitConfigShape, env);
  if (!platform.REDIS_URL) throw new Error('REDIS_URL missing although the ratelimit service definition requires it');
  return {
    redisUrl: platform.REDIS_URL,
    keyPrefix: config.RATELIMIT_KEY_PREFIX,
    commandTimeoutMs: config.RATELIMIT_REDIS_COMMAND_TIMEOUT_MS,
    leaseMs: config.RATELIMIT_LEASE_MS,
    usageTopic: Topics.usageRecorded,
    reconciliationGroupId: 'vectorstack-ratelimit-reconciliation',
  };
}

@Global()
@Module({})
export class RatelimitConfigModule {
  static forRoot(options: RatelimitOptions): DynamicModule {
    return { module: RatelimitConfigModule, providers: [{ provide: RATELIMIT_OPTIONS, useValue: options }], exports: [RATELIMIT_OPTIONS] };
  }
}
