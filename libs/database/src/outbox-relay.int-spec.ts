import 'reflect-metadata';
import { createTestSchema, queryDatabase, testInfra } from '@vectorstack/testing';
import { Column, type DataSource, Entity, type MigrationInterface, PrimaryGeneratedColumn, type QueryRunner } from 'typeorm';
import { createServiceDataSource, runServiceMigrations } from './data-source';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';

@Entity({ name: 'test_outbox' })
class TestOutboxRow {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  key!: string;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}

class CreateTestOutbox1700000000000 implements MigrationInterface {
  name = 'CreateTestOutbox1700000000000';
  async up(runner: QueryRunner): Promise<void> {
    const schema = (runner.connection.options as { schema: string }).schema;
    await runner.query(`CREATE TABLE "${schema}"."test_outbox" (id bigserial PRIMARY KEY, key text NOT NULL, published_at timestamptz)`);
  }
  async down(): Promise<void> {}
}

describe('OutboxRelay on real Postgres', () => {
  let schema: string;
  let drop: () => Promise<void>;
  let dataSource: DataSource;
  const relays: OutboxRelay<TestOutboxRow>[] = [];

  beforeAll(async () => {
    ({ schema, drop } = await createTestSchema('outbox'));
    dataSource = await createServiceDataSource({
      schema,
      url: testInfra.databaseUrl(),
      applicationName: 'vectorstack-test',
      entities: [TestOutboxRow],
      migrations: [CreateTestOutbox1700000000000],
    }).initialize();
    await runServiceMigrations(dataSource);
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await dataSource.query(`TRUNCATE "${schema}".test_outbox`);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await drop();
  });

  function relay(options: Partial<OutboxRelayOptions<TestOutboxRow>> = {}): OutboxRelay<TestOutboxRow> {
    const created = new OutboxRelay<TestOutboxRow>({
      dataSource,
      entity: TestOutboxRow,
      lockName: `vectorstack:test:${schema}`,
      name: 'test relay',
      logger: { warn: () => undefined },
      publish: async () => undefined,
      ...options,
    });
    relays.push(created);
    return created;
  }

  async function write(...keys: string[]): Promise<void> {
    for (const key of keys) await dataSource.query(`INSERT INTO "${schema}".test_outbox (key) VALUES ($1)`, [key]);
  }

  const unpublished = async () => (await queryDatabase(`SELECT 1 FROM "${schema}".test_outbox WHERE published_at IS NULL`)).length;

  async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('publishes the rows in the order they were written, in batches, and marks them published', async () => {
    await write('a', 'b', 'a', 'c', 'b');
    const batches: string[][] = [];
    const outbox = relay({ batchSize: 2, publish: async (rows) => void batches.push(rows.map((row) => row.key)) });
    outbox.kick();
    await until('every row to be published', async () => (await unpublished()) === 0);
    expect(batches).toEqual([['a', 'b'], ['a', 'c'], ['b']]);
  });

  it('leaves the rows unpublished when publishing fails, and publishes them on a later pass', async () => {
    await write('a', 'b');
    const warnings: string[] = [];
    let brokerDown = true;
    const published: string[] = [];
    const outbox = relay({
      pollIntervalMs: 20,
      logger: { warn: (message) => void warnings.push(message) },
      publish: async (rows) => {
        if (brokerDown) throw new Error('broker down');
        published.push(...rows.map((row) => row.key));
      },
    });
    outbox.start();
    await until('a failed pass', async () => warnings.length > 0);
    expect(warnings[0]).toBe('test relay failed, will retry: Error: broker down');
    expect(await unpublished()).toBe(2);
    brokerDown = false;
    await until('the rows to be published', async () => (await unpublished()) === 0);
    expect(published).toEqual(['a', 'b']);
  });

  it('relays nothing while another replica holds the relay lock', async () => {
    await write('a');
    const outbox = relay();
    await dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vectorstack:test:${schema}`]);
      expect(await outbox.relayOnce()).toBe(0);
    });
    expect(await outbox.relayOnce()).toBe(1);
  });

  it('retries soon after finding the lock busy, not at the next poll', async () => {
    await write('a');
    const outbox = relay({ pollIntervalMs: 60_000 });
    outbox.start();
    let released = 0;
    await dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vectorstack:test:${schema}`]);
      outbox.kick(); // finds the lock held by "another replica"
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await unpublished()).toBe(1);
      released = Date.now();
    });
    await until('the row to be published', async () => (await unpublished()) === 0, 2_000);
    expect(Date.now() - released).toBeLessThan(1_500);
  });

  it('flush resolves true once the rows committed before it are published, including by a pass it had to wait for', async () => {
    const published: string[] = [];
    let release!: () => void;
    const firstPassHeld = new Promise<void>((resolve) => (release = resolve));
    let passes = 0;
    const outbox = relay({
      publish: async (rows) => {
        passes += 1;
        if (passes === 1) await firstPassHeld; // a pass in progress that cannot have seen the next write
        published.push(...rows.map((row) => row.key));
      },
    });
    await write('a');
    outbox.kick();
    await until('the first pass to be publishing', async () => passes === 1);
    await write('b');
    const flushed = outbox.flush(5_000);
    let settled = false;
    void flushed.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false); // the pass in progress started before 'b' was written
    release();
    expect(await flushed).toBe(true);
    expect(published).toEqual(['a', 'b']);
    expect(await unpublished()).toBe(0);
  });

  it('flush resolves false after its timeout when the broker does not take the rows, which stay in the outbox', async () => {
    await write('a');
    const outbox = relay({
      publish: async () => {
        throw new Error('broker down');
      },
    });
    const started = Date.now();
    expect(await outbox.flush(300)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await unpublished()).toBe(1);
  });

  it('flush waits while another replica holds the lock, and resolves once a pass of its own finds the rows out', async () => {
    await write('a');
    const outbox = relay({ pollIntervalMs: 60_000 });
    let flushed: Promise<boolean> | undefined;
    await dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vectorstack:test:${schema}`]);
      flushed = outbox.flush(5_000);
      let settled = false;
      void flushed.then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(settled).toBe(false);
      // "The other replica" publishes the row before it lets go of the lock.
      await manager.query(`UPDATE "${schema}".test_outbox SET published_at = now()`);
    });
    expect(await flushed).toBe(true);
  });

  it('prunes rows published longer ago than the retention, keeping recent and unpublished ones', async () => {
    await dataSource.query(
      `INSERT INTO "${schema}".test_outbox (key, published_at) VALUES ('old', now() - interval '2 hours'), ('recent', now() - interval '10 minutes'), ('pending', NULL)`,
    );
    expect(await relay().prunePublished()).toBe(1);
    const left = await queryDatabase<{ key: string }>(`SELECT key FROM "${schema}".test_outbox ORDER BY id`);
    expect(left.map((row) => row.key)).toEqual(['recent', 'pending']);
  });
});
