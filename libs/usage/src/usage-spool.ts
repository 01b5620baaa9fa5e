import type { DataSource } from 'typeorm';

/** The spool table of a service schema; call from that service's migration. */
export function usageSpoolTableSql(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.usage_spool (
       id bigserial PRIMARY KEY,
       event_id text NOT NULL,
       payload bytea NOT NULL,
       spooled_at timestamptz NOT NULL DEFAULT now()
     )`,
  ];
}

/** One usage event as the spool keeps it: its id and its UsageRecorded bytes. */
export interface SpoolEntry {
  readonly eventId: string;
  readonly bytes: Uint8Array;
}

/**
 * Durable holding area for usage events Kafka did not take: the service's own Postgres schema.
 * Rows are deleted only after the broker acknowledged them, so a crash at any point loses
 * nothing; it can resend, and downstream deduplicates on event_id.
 */
export class PostgresUsageSpool {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    schema: string,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
    this.table = `${schema}.usage_spool`;
  }

  async add(events: readonly SpoolEntry[]): Promise<void> {
    if (events.length === 0) return;
    const params: unknown[] = [];
    const values = events.map((event, index) => {
      params.push(event.eventId, Buffer.from(event.bytes.buffer, event.bytes.byteOffset, event.bytes.byteLength));
      return `($${index * 2 + 1}, $${index * 2 + 2})`;
    });
    await this.dataSource.query(`INSERT INTO ${this.table} (event_id, payload) VALUES ${values.join(', ')}`, params);
  }

  /**
   * Hands the oldest spooled events to `send` and deletes them once it resolved, in one
   * transaction (rows locked, so replicas drain disjoint batches). Returns how many were sent.
   */
  async drain(limit: number, send: (events: SpoolEntry[]) => Promise<void>): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: Array<{ id: string; event_id: string; payload: Buffer }> = await manager.query(
        `SELECT id, event_id, payload FROM ${this.table} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return 0;
      await send(rows.map((row) => ({ eventId: row.event_id, bytes: row.payload })));
      await manager.query(`DELETE FROM ${this.table} WHERE id = ANY($1::bigint[])`, [rows.map((row) => row.id)]);
      return rows.length;
    });
  }

  async depth(): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT count(*)::int AS n FROM ${this.table}`);
    return (row as { n: number }).n;
  }
}
