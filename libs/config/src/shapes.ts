import { z } from 'zod';
import { cidrList, hostPort, hostPortList, logLevel, port, postgresUrl, redisUrl } from './validators';

/**
 * Configuration is split per domain; a service composes the shapes it uses,
 * e.g. `loadConfigOrExit({ ...serviceShape, ...httpShape, ...databaseShape })`.
 */
export const serviceShape = {
  SERVICE_NAME: z.string().regex(/^[a-z][a-z0-9-]*$/).optional(),
  NODE_ENV: z.enum(['production', 'development', 'test']).default('production'),
  LOG_LEVEL: logLevel.default('info'),
};

const WORKERS_MESSAGE = "must be 'auto' or a whole number from 1 to 64";

export const httpShape = {
  PORT: port,
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Proxies whose X-Forwarded-For is believed (the local nginx, the ingress). */
  TRUSTED_PROXIES: cidrList.default(''),
  /** Largest JSON body accepted, in bytes. */
  HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  /** How long SIGTERM waits for in-flight requests before closing connections. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * Processes serving the port (Node's cluster module): `1` (one process), a number up to 64, or
   * `auto` (one per CPU the process may use). Each worker is a full replica of the service.
   */
  HTTP_WORKERS: z
    .string()
    .regex(/^(auto|\d{1,2})$/, WORKERS_MESSAGE)
    .transform((value) => (value === 'auto' ? ('auto' as const) : Number(value)))
    .refine((value) => value === 'auto' || (value >= 1 && value <= 64), WORKERS_MESSAGE)
    .default('1'),
};

export const databaseShape = {
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
};

export const redisShape = {
  REDIS_URL: redisUrl,
};

/**
 * Where and how rate limits live in Redis: read by the ratelimit service (which owns plans and
 * overrides) and by every process that checks limits itself against the same Redis (the
 * router). The key prefix and the lease must be the same in all of them.
 */
export const rateLimitShape = {
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

export const kafkaShape = {
  KAFKA_BROKERS: hostPortList,
};

/** A service that serves gRPC (auth's Verify, ratelimit's Check). */
export const grpcShape = {
  GRPC_HOST: z.string().min(1).default('0.0.0.0'),
  GRPC_PORT: port,
};

/** A service whose public routes use the shared API-key guard. */
export const apiKeyGuardShape = {
  /** The HMAC key under which API key secrets are hashed (the same secret as the auth service's). */
  KEY_HASH_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** The auth service's gRPC address, asked (Verify) when the local key cache misses. */
  AUTH_GRPC_URL: hostPort,
  /** Deadline of a Verify call; past it the request gets 503, not 401. */
  AUTH_VERIFY_DEADLINE_MS: z.coerce.number().int().min(10).max(30_000).default(500),
};

export const readinessShape = {
  /** Per-dependency timeout of /readyz checks. */
  READINESS_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(2_000),
};

export const workerShape = {
  /** File whose mtime the worker refreshes while healthy (exec liveness probe). */
  HEALTH_FILE: z.string().min(1),
  HEALTH_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
};

export type ServiceConfig = z.infer<z.ZodObject<typeof serviceShape>>;
export type HttpConfig = z.infer<z.ZodObject<typeof httpShape>>;
export type DatabaseConfig = z.infer<z.ZodObject<typeof databaseShape>>;
export type RedisConfig = z.infer<z.ZodObject<typeof redisShape>>;
export type KafkaConfig = z.infer<z.ZodObject<typeof kafkaShape>>;
export type RateLimitConfig = z.infer<z.ZodObject<typeof rateLimitShape>>;
export type ReadinessConfig = z.infer<z.ZodObject<typeof readinessShape>>;
export type GrpcConfig = z.infer<z.ZodObject<typeof grpcShape>>;
export type ApiKeyGuardConfig = z.infer<z.ZodObject<typeof apiKeyGuardShape>>;
export type WorkerConfig = z.infer<z.ZodObject<typeof workerShape>>;
