import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

/** Repository root (src/ and dist/ of a lib sit at the same depth). */
export const REPO_ROOT = resolve(__dirname, '../../..');

/**
 * Integration tests take their infrastructure from the environment that
 * `npm test` (tools/test.mjs) sets after starting the real services.
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run integration tests through \`npm test\`, which starts Postgres, Redis and Kafka and exports it`);
  }
  return value;
}

export const testInfra = {
  databaseUrl: () => requireEnv('DATABASE_URL'),
  redisUrl: () => requireEnv('REDIS_URL'),
  kafkaBrokers: () => requireEnv('KAFKA_BROKERS').split(','),
  /** Base URL of the running platform (nginx), for end-to-end suites. */
  baseUrl: () => requireEnv('VECTORSTACK_BASE_URL'),
};

/** Short lower-case id, unique per call, valid in schema, topic and group names. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}
