import { type DynamicModule, Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { KafkaProducer } from '@vectorstack/kafka';
import { createLogger } from '@vectorstack/observability';
import { closeUpstreamConnections } from '@vectorstack/providers';
import { PostgresUsageSpool, UsagePublisher } from '@vectorstack/usage';
import { DataSource } from 'typeorm';
import { CircuitBreakers } from '../routing/circuit-breaker';
import { RouteExecutor } from '../routing/route-executor';
import { GatewayController } from './gateway.controller';
import { loadGatewayConfig } from './gateway.config';
import { GatewayService } from './gateway.service';
import { RateLimitClient } from './rate-limit.client';

class GatewayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(UsagePublisher) private readonly usage: UsagePublisher,
    @Inject(RateLimitClient) private readonly rateLimits: RateLimitClient,
  ) {}

  onApplicationBootstrap(): void {
    this.usage.start();
  }

  /** After HTTP drained: send (or spool) the last usage events, then close the clients. */
  async onApplicationShutdown(): Promise<void> {
    await this.usage.stop();
    this.rateLimits.close();
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
      controllers: [GatewayController],
      providers: [
        { provide: RateLimitClient, useValue: new RateLimitClient(config.RATELIMIT_GRPC_URL, config.RATELIMIT_DEADLINE_MS) },
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
        GatewayLifecycle,
      ],
    };
  }
}
