import { DataSource, type EntitySchema, type MixedList } from 'typeorm';

// TypeORM accepts classes or schemas for both lists.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Constructor = Function;

export interface ServiceDatabaseOptions {
  /** The service's own Postgres schema; no service reads another's. */
  schema: string;
  url: string;
  poolSize?: number;
  /** Shown in pg_stat_activity, e.g. "vectorstack-auth". */
  applicationName: string;
  entities?: MixedList<Constructor | string | EntitySchema>;
  migrations?: Constructor[];
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`Invalid schema name "${schema}": lower-case letters, digits and _ only`);
}

/** A TypeORM data source bound to one service schema. Migrations only, never `synchronize`. */
export function createServiceDataSource(options: ServiceDatabaseOptions): DataSource {
  assertSchemaName(options.schema);
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations ?? [],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: ['error', 'warn', 'migration'],
    applicationName: options.applicationName,
    extra: { max: options.poolSize ?? 10, connectionTimeoutMillis: 5_000 },
  });
}

/**
 * Brings the service schema up to date. A session-level advisory lock per schema
 * serialises replicas starting at once (TypeORM itself does not lock), and the
 * schema is created first because the migrations table lives inside it.
 * Returns the names of the migrations applied by this call.
 */
export async function runServiceMigrations(dataSource: DataSource): Promise<string[]> {
  const schema = (dataSource.options as { schema?: string }).schema;
  if (!schema) throw new Error('runServiceMigrations needs a data source with a schema');
  assertSchemaName(schema);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`vectorstack:migrations:${schema}`]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`vectorstack:migrations:${schema}`]).catch(() => undefined);
    await runner.release();
  }
}
