import { Client } from 'pg';
import { testInfra, uniqueSuffix } from './env';

/** A fresh Postgres schema name for one test run, dropped by the returned cleanup. */
export async function createTestSchema(prefix: string): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = `t_${prefix}_${uniqueSuffix()}`.toLowerCase();
  return {
    schema,
    drop: async () => {
      const client = new Client({ connectionString: testInfra.databaseUrl() });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Runs one query on a short-lived connection (assertions that read the database directly). */
export async function queryDatabase<T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: testInfra.databaseUrl() });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
