import { Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createLogger } from '@vectorstack/observability';
import { createRateLimitRedis, PlanStore, RateLimiter, RateLimitKeys } from '@vectorstack/ratelimit';
import type Redis from 'ioredis';
import { RATELIMIT_OPTIONS, type RatelimitOptions } from '../config/ratelimit.config';

/** The limiter's own Redis connection: fails fast (no offline queue, command timeout) instead of queueing. */
export const RATELIMIT_REDIS = Symbol('RATELIMIT_REDIS');

@Injectable()
class RedisConnectionLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('RateLimitRedis');

  constructor(@Inject(RATELIMIT_REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch((error: unknown) => {
      this.logger.warn(`closing the Redis connection failed: ${String(error)}`);
      this.redis.disconnect();
    });
  }
}

/**
 * The RateLimiter every capability (and, next, the gRPC Check handler) uses, over one
 * fail-fast Redis connection, and the PlanStore that shares it.
 */
@Module({
  providers: [
    {
      provide: RATELIMIT_REDIS,
      inject: [RATELIMIT_OPTIONS],
      // Auto-pipelining: concurrent Checks and a reconciliation slice's settles leave in one write.
      useFactory: (options: RatelimitOptions) => createRateLimitRedis(options.redisUrl, { commandTimeoutMs: options.commandTimeoutMs, autoPipelining: true }),
    },
    {
      provide: RateLimiter,
      inject: [RATELIMIT_REDIS, RATELIMIT_OPTIONS],
      useFactory: (redis: Redis, options: RatelimitOptions) =>
        new RateLimiter({
          redis,
          keys: new RateLimitKeys(options.keyPrefix),
          leaseMs: options.leaseMs,
          logger: createLogger('ratelimit').child({ context: 'RateLimiter' }),
        }),
    },
    { provide: PlanStore, inject: [RateLimiter], useFactory: (limiter: RateLimiter) => limiter.plans },
    RedisConnectionLifecycle,
  ],
  exports: [RateLimiter, PlanStore],
})
export class LimiterModule {}
