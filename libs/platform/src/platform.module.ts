import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { AuthGuardModule, GrpcKeyVerifier } from '@vectorstack/auth-guard';
import { DatabaseModule, postgresProbe } from '@vectorstack/database';
import { GrpcServerModule } from '@vectorstack/grpc';
import { HealthModule, READINESS_PROBES, redisProbe, type ReadinessProbe } from '@vectorstack/health';
import { HttpPlatformModule } from '@vectorstack/http';
import { KafkaConnection, KafkaModule } from '@vectorstack/kafka';
import { createLogger } from '@vectorstack/observability';
import type { DataSource } from 'typeorm';
import { required, type HttpServiceConfig, type PlatformConfig, type ServiceDefinition } from './service-definition';

/** In-flight gRPC calls are short (key and limit checks); this bounds how long shutdown waits for them. */
const GRPC_SHUTDOWN_GRACE_MS = 5_000;

function kafkaProbe(connection: KafkaConnection, timeoutMs: number): ReadinessProbe {
  return {
    name: 'kafka',
    async check() {
      const result = await connection.ping(timeoutMs);
      if (result.status === 'down') throw new Error(result.error);
    },
  };
}

/**
 * The dependencies a service declares in its definition (Postgres schema with
 * migrations, Kafka, Redis), each wired once, plus a /readyz probe per dependency.
 */
@Module({})
export class PlatformModule {
  static forService(definition: ServiceDefinition, config: PlatformConfig): DynamicModule {
    const imports: DynamicModule[] = [];
    const inject: Array<string | symbol | object> = [];
    const builders: Array<(dependency: unknown) => ReadinessProbe> = [];

    if (definition.postgres) {
      imports.push(
        DatabaseModule.forService({
          schema: definition.postgres.schema,
          url: required(config.DATABASE_URL, 'DATABASE_URL'),
          poolSize: config.DATABASE_POOL_SIZE,
          applicationName: `vectorstack-${definition.name}`,
          migrations: definition.postgres.migrations,
          entities: definition.postgres.entities,
        }),
      );
      inject.push(getDataSourceToken());
      builders.push((dataSource) => postgresProbe(dataSource as DataSource));
    }
    if (definition.kafka) {
      imports.push(
        KafkaModule.forRoot({
          clientId: `vectorstack-${definition.name}`,
          brokers: required(config.KAFKA_BROKERS, 'KAFKA_BROKERS'),
          logger: createLogger(definition.name, config.LOG_LEVEL).child({ context: 'Kafka' }),
        }),
      );
      if (!definition.readinessIgnores?.includes('kafka')) {
        inject.push(KafkaConnection);
        builders.push((connection) => kafkaProbe(connection as KafkaConnection, config.READINESS_TIMEOUT_MS));
      }
    }
    if (definition.grpc) {
      imports.push(
        GrpcServerModule.forRoot({
          serviceName: definition.name,
          host: config.GRPC_HOST ?? '0.0.0.0',
          port: required(config.GRPC_PORT, 'GRPC_PORT'),
          shutdownGraceMs: GRPC_SHUTDOWN_GRACE_MS,
        }),
      );
    }
    if (definition.apiKeyGuard) {
      if (!definition.kafka) throw new Error(`${definition.name}: apiKeyGuard needs kafka (the key-state topic)`);
      imports.push(
        AuthGuardModule.forRoot({
          serviceName: definition.name,
          hmacSecret: required(config.KEY_HASH_SECRET, 'KEY_HASH_SECRET'),
          verifier: new GrpcKeyVerifier(required(config.AUTH_GRPC_URL, 'AUTH_GRPC_URL'), config.AUTH_VERIFY_DEADLINE_MS ?? 500),
        }),
      );
    }
    const redisUrl = definition.redis && !definition.readinessIgnores?.includes('redis') ? required(config.REDIS_URL, 'REDIS_URL') : undefined;

    const probes: Provider<ReadinessProbe[]> = {
      provide: READINESS_PROBES,
      inject: inject as never[],
      useFactory: (...dependencies: unknown[]) => [
        ...builders.map((build, index) => build(dependencies[index])),
        ...(redisUrl ? [redisProbe(redisUrl)] : []),
      ],
    };

    return {
      module: PlatformModule,
      global: true,
      imports: [...imports, HealthModule.forRoot({ probes, timeoutMs: config.READINESS_TIMEOUT_MS })],
      exports: imports,
    };
  }
}

/**
 * The root module of an HTTP service: the shared HTTP platform (logging, metrics,
 * errors), the dependencies of its definition, and the service's own capability modules.
 */
export function httpServiceModule(
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  rootModule: Function,
  definition: ServiceDefinition,
  config: HttpServiceConfig,
  capabilities: DynamicModule['imports'] = [],
): DynamicModule {
  return {
    module: rootModule as DynamicModule['module'],
    imports: [
      HttpPlatformModule.forRoot({ serviceName: definition.name, logLevel: config.LOG_LEVEL }),
      PlatformModule.forService(definition, config),
      ...capabilities,
    ],
  };
}
