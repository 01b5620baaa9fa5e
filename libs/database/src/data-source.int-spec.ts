import { createTestSchema, queryDatabase, testInfra } from '@vectorstack/testing';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { assertSchemaName, createServiceDataSource, runServiceMigrations } from './data-source';

class CreateWidgets1700000000000 implements MigrationInterface {
  name = 'CreateWidgets1700000000000';
  async up(runner: QueryRunner): Promise<void> {
    const schema = (runner.connection.options as { schema: string }).schema;
    await runner.query(`CREATE TABLE "${schema}"."widget" (id uuid PRIMARY KEY, name text NOT NULL)`);
  }
  async down(runner: QueryRunner): Promise<void> {
    const schema = (runner.connection.options as { schema: string }).schema;
    await runner.query(`DROP TABLE "${schema}"."widget"`);
  }
}

class BrokenMigration1700000000001 implements MigrationInterface {
  name = 'BrokenMigration1700000000001';
  async up(runner: QueryRunner): Promise<void> {
    const schema = (runner.connection.options as { schema: string }).schema;
    await runner.query(`CREATE TABLE "${schema}"."half_written" (id int)`);
    await runner.query('SELECT * FROM table_that_does_not_exist');
  }
  async down(): Promise<void> {}
}

function dataSourceFor(schema: string, migrations: Array<new () => MigrationInterface>) {
  return createServiceDataSource({ schema, url: testInfra.databaseUrl(), applicationName: 'vectorstack-test', migrations });
}

describe('service migrations on real Postgres', () => {
  it('creates the schema, applies pending migrations once, and records them inside the schema', async () => {
    const { schema, drop } = await createTestSchema('db');
    const ds = await dataSourceFor(schema, [CreateWidgets1700000000000]).initialize();
    try {
      expect(await runServiceMigrations(ds)).toEqual(['CreateWidgets1700000000000']);
      expect(await runServiceMigrations(ds)).toEqual([]);
      const tables = await queryDatabase<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      expect(tables.map((t) => t.table_name)).toEqual(['typeorm_migrations', 'widget']);
    } finally {
      await ds.destroy();
      await drop();
    }
  });

  it('serialises replicas migrating at the same time', async () => {
    const { schema, drop } = await createTestSchema('db');
    const replicas = await Promise.all([1, 2, 3].map(() => dataSourceFor(schema, [CreateWidgets1700000000000]).initialize()));
    try {
      const results = await Promise.all(replicas.map((ds) => runServiceMigrations(ds)));
      expect(results.flat()).toEqual(['CreateWidgets1700000000000']);
    } finally {
      await Promise.all(replicas.map((ds) => ds.destroy()));
      await drop();
    }
  });

  it('rolls a failing migration back completely', async () => {
    const { schema, drop } = await createTestSchema('db');
    const ds = await dataSourceFor(schema, [CreateWidgets1700000000000, BrokenMigration1700000000001]).initialize();
    try {
      await expect(runServiceMigrations(ds)).rejects.toThrow(/table_that_does_not_exist/);
      const tables = await queryDatabase<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      expect(tables.map((t) => t.table_name)).toEqual(['typeorm_migrations', 'widget']);
      const recorded = await queryDatabase<{ name: string }>(`SELECT name FROM "${schema}".typeorm_migrations`);
      expect(recorded.map((r) => r.name)).toEqual(['CreateWidgets1700000000000']);
    } finally {
      await ds.destroy();
      await drop();
    }
  });

  it('refuses schema names that could inject SQL', () => {
    expect(() => assertSchemaName('auth"; DROP SCHEMA public; --')).toThrow(/Invalid schema name/);
    expect(() => assertSchemaName('Auth')).toThrow();
    expect(() => assertSchemaName('metering')).not.toThrow();
  });
});
