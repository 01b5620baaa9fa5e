import { type DynamicModule, Inject, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { KafkaProducer } from '@vectorstack/kafka';
import { createLogger } from '@vectorstack/observability';
import { closeUpstreamConnections } from '@vectorstack/providers';
import { createRateLimitRedis, RateLimiter, RateLimitKeys, waitForRedis } from '@vectorstack/ratelimit';
import { PostgresUsageSpool, UsagePublisher } from '@vectorstack/usage';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { CircuitBreakers } from '../routing/circuit-breaker';
import { RouteExecutor } from '../routing/route-executor';
import { GATEWAY_CONFIG, loadGatewayConfig } from './gateway.config';
import { GatewayRoutes } from './gateway.routes';
import { GatewayService } from './gateway.service';
import { DEFAULT_SETTLE_DEFER_MS, RequestLimiter } from './request-limiter';

/** The rate limits' Redis connection (fail-fast: no offline queue, a command timeout). */
const RATE_LIMIT_REDIS = Symbol('RATE_LIMIT_REDIS');
/** How long start-up waits for that connection before serving anyway (checks then follow each plan's Redis-unavailable policy). */
const REDIS_STARTUP_WAIT_MS = 5_000;

class GatewayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Gateway');

  constructor(
    @Inject(UsagePublisher) private readonly usage: UsagePublisher,
    @Inject(RATE_LIMIT_REDIS) private readonly redis: Redis,
    @Inject(RequestLimiter) private readonly rateLimits: RequestLimiter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.usage.start();
    await waitForRedis(this.redis, REDIS_STARTUP_WAIT_MS).catch((error: unknown) => this.logger.warn(`rate-limit Redis not reachable yet: ${String(error)}`));
  }

  /** After HTTP drained: send (or spool) the last usage events and rate-limit settles, then close the connections. */
  async onApplicationShutdown(): Promise<void> {
    await this.usage.stop();
    await this.rateLimits.flush();
    await this.redis.quit().catch(() => this.redis.disconnect());
    await closeUpstreamConnections();
  }
}

/** The OpenAI-compatible request path: chat, completions, embeddings. Needs CatalogModule (global). */
@Module({})
export class GatewayModule {
  static forRoot(env: Record<string, string | undefined> = process.env): DynamicModule {
    const config = loadGatewayConfig(env);
    return {
      module: GatewayModule,
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: RATE_LIMIT_REDIS, useFactory: () => createRateLimitRedis(config.REDIS_URL, { commandTimeoutMs: config.RATELIMIT_REDIS_COMMAND_TIMEOUT_MS, autoPipelining: true }) },
        {
          provide: RequestLimiter,
          inject: [RATE_LIMIT_REDIS],
          useFactory: (redis: Redis) =>
            new RequestLimiter(
              new RateLimiter({
                redis,
                keys: new RateLimitKeys(config.RATELIMIT_KEY_PREFIX),
                leaseMs: config.RATELIMIT_LEASE_MS,
                logger: createLogger('router').child({ context: 'RateLimiter' }),
              }),
              DEFAULT_SETTLE_DEFER_MS,
              { leaseMs: config.ROUTER_QUOTA_LEASE_MS, headroom: config.ROUTER_QUOTA_LEASE_HEADROOM },
            ),
        },
        {
          provide: RouteExecutor,
          useValue: new RouteExecutor(new CircuitBreakers({ failureThreshold: config.ROUTER_BREAKER_FAILURES, cooldownMs: config.ROUTER_BREAKER_COOLDOWN_MS, maxCooldownMs: 120_000 })),
        },
        {
          provide: UsagePublisher,
          inject: [KafkaProducer, DataSource],
          useFactory: (producer: KafkaProducer, dataSource: DataSource) =>
            new UsagePublisher(producer, new PostgresUsageSpool(dataSource, 'router'), createLogger('router').child({ context: 'UsagePublisher' })),
        },
        GatewayService,
        GatewayRoutes,
        GatewayLifecycle,
      ],
    };
  }
}
