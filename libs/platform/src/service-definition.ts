import {
  apiKeyGuardShape,
  databaseShape,
  grpcShape,
  httpShape,
  kafkaShape,
  loadConfigOrExit,
  readinessShape,
  redisShape,
  serviceShape,
  workerShape,
  type ApiKeyGuardConfig,
  type DatabaseConfig,
  type GrpcConfig,
  type HttpConfig,
  type KafkaConfig,
  type ReadinessConfig,
  type RedisConfig,
  type ServiceConfig,
  type WorkerConfig,
} from '@vectorstack/config';

// TypeORM takes migration and entity classes.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Constructor = Function;

/** What a service process is and which shared dependencies it uses. */
export interface ServiceDefinition {
  /** Short name: auth, ratelimit, router, data, training, training-worker, inference, metering. */
  readonly name: string;
  readonly postgres?: { readonly schema: string; readonly migrations: Constructor[]; readonly entities?: Constructor[] };
  readonly redis?: boolean;
  readonly kafka?: boolean;
  /**
   * Dependencies whose outage must not take the service out of rotation: the router serves
   * requests while Kafka is away (usage events wait in a spool), so Kafka does not gate its /readyz.
   */
  readonly readinessIgnores?: ReadonlyArray<'kafka' | 'redis'>;
  /** Serves gRPC on GRPC_PORT (handlers register with GrpcServer). */
  readonly grpc?: boolean;
  /**
   * Public routes authenticate with the shared API-key guard (key cache from Kafka,
   * Verify to the auth service on a miss). Needs kafka. The auth service wires its own.
   */
  readonly apiKeyGuard?: boolean;
}

export type PlatformConfig = ServiceConfig &
  ReadinessConfig &
  Partial<DatabaseConfig & RedisConfig & KafkaConfig & GrpcConfig & ApiKeyGuardConfig>;

export type HttpServiceConfig = PlatformConfig & HttpConfig;
export type WorkerServiceConfig = PlatformConfig & WorkerConfig;

/** The environment a service needs: the shared parts plus one block per dependency it uses. */
export function serviceConfigShape(definition: ServiceDefinition) {
  return {
    ...serviceShape,
    ...readinessShape,
    ...(definition.postgres ? databaseShape : {}),
    ...(definition.redis ? redisShape : {}),
    ...(definition.kafka ? kafkaShape : {}),
    ...(definition.grpc ? grpcShape : {}),
    ...(definition.apiKeyGuard ? apiKeyGuardShape : {}),
  };
}

export function loadHttpServiceConfig(definition: ServiceDefinition): HttpServiceConfig {
  return loadConfigOrExit({ ...serviceConfigShape(definition), ...httpShape }) as HttpServiceConfig;
}

export function loadWorkerConfig(definition: ServiceDefinition): WorkerServiceConfig {
  return loadConfigOrExit({ ...serviceConfigShape(definition), ...workerShape }) as WorkerServiceConfig;
}

/** Narrows an optional config value that the definition guarantees was validated. */
export function required<T>(value: T | undefined, variable: string): T {
  if (value === undefined) throw new Error(`${variable} missing although the service definition requires it`);
  return value;
}
