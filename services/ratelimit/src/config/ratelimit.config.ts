import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { loadConfigOrExit, rateLimitShape } from '@vectorstack/config';
import { Topics, type TopicSpec, type UsageRecordedBatch } from '@vectorstack/contracts';
import type { HttpServiceConfig } from '@vectorstack/platform';

export interface RatelimitOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
  readonly leaseMs: number;
  /** The usage topic reservations are reconciled from (tests pass a per-run copy). */
  readonly usageTopic: TopicSpec<GenMessage<UsageRecordedBatch>>;
  /** One group for all replicas: each usage event is reconciled once. */
  readonly reconciliationGroupId: string;
}

export const RATELIMIT_OPTIONS = Symbol('RATELIMIT_OPTIONS');

/** Validated before anything connects: a bad variable stops the process with one line naming it. */
export function ratelimitOptionsFromEnv(platform: HttpServiceConfig, env: Record<string, string | undefined> = process.env): RatelimitOptions {
  // RATELIMIT_* (shared with the router, which checks limits on the same Redis); REDIS_URL, KAFKA_BROKERS, PORT… come with the platform shape.
  const config = loadConfigOrExit(rateLimitShape, env);
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
