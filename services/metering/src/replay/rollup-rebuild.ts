import type { DataSource, EntityManager } from 'typeorm';
import { lockLedgerExclusive } from '../common/ledger-lock';
import { addMonths, compareMonths, monthLabel, monthStart, type Month } from '../common/months';
import { BudgetEvaluator } from '../budgets/budget-evaluator';
import { minuteAggregateSql, ROLLUP_TABLES, upsertRollupSql, upsertSpendSql } from '../ledger/rollup-sql';

export interface RebuildOptions {
  /** Only this tenant's rollups (default: every tenant). */
  readonly tenantId?: string;
  /** Only these months (default: every month that still has raw events). */
  readonly months?: readonly Month[];
  /** Rebuild and compare, then roll back. */
  readonly dryRun?: boolean;
}

export interface TableReport {
  readonly table: string;
  readonly rowsBefore: number;
  readonly rowsAfter: number;
  /** The rebuilt rows equal the rows before, value for value. */
  readonly identical: boolean;
}

export interface RebuildReport {
  readonly months: string[];
  readonly tenantId: string | null;
  readonly tables: TableReport[];
  readonly dryRun: boolean;
}

const TABLES = [...ROLLUP_TABLES.map((r) => r.table), 'spend_month'] as const;
type Table = (typeof TABLES)[number];

/** Months with a raw-event partition, oldest first. */
export async function rawEventMonths(manager: EntityManager): Promise<Month[]> {
  const rows = (await manager.query(`
    SELECT child.relname AS name FROM pg_inherits
    JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
    JOIN pg_class child ON child.oid = pg_inherits.inhrelid
    JOIN pg_namespace ns ON ns.oid = parent.relnamespace
    WHERE ns.nspname = 'metering' AND parent.relname = 'usage_event'`)) as Array<{ name: string }>;
  const months: Month[] = [];
  for (const { name } of rows) {
    const match = /^usage_event_p(\d{4})(\d{2})$/.exec(name);
    if (match) months.push({ year: Number(match[1]), month: Number(match[2]) });
  }
  return months.sort(compareMonths);
}

function scopeOf(table: Table, from: string, to: string, tenantParam: string | null): string {
  const time = table === 'spend_month' ? `month >= '${from}'::date AND month < '${to}'::date` : `bucket >= '${from}'::timestamptz AND bucket < '${to}'::timestamptz`;
  return tenantParam ? `${time} AND tenant_id = ${tenantParam}` : time;
}

/**
 * A fingerprint of a table's rows in scope: how many, and the sum of a hash of each row's full
 * text. Equal fingerprints before and after a rebuild mean the same rows with the same values,
 * byte for byte as Postgres prints them.
 */
async function fingerprint(manager: EntityManager, table: Table, where: string, params: unknown[]): Promise<{ rows: number; hash: string }> {
  const [row] = (await manager.query(
    `SELECT count(*)::int AS rows, coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint::numeric), 0)::text AS hash
     FROM metering.${table} t WHERE ${where}`,
    params,
  )) as Array<{ rows: number; hash: string }>;
  return row!;
}

/**
 * Rebuilds the rollups (minute, hour, day) and the monthly spend of whole months from the raw
 * events, with the same aggregation the ingest statement uses, in one transaction holding the
 * ledger lock exclusively (ingestion waits, then resumes). Months whose raw events are gone
 * (past the retention) are refused rather than emptied. Budgets are re-evaluated against the
 * rebuilt spend in the same transaction.
 */
export async function rebuildRollups(dataSource: DataSource, options: RebuildOptions = {}): Promise<RebuildReport> {
  return dataSource.transaction(async (manager) => {
    await lockLedgerExclusive(manager);
    const available = await rawEventMonths(manager);
    const months = options.months ? [...options.months].sort(compareMonths) : available;
    for (const month of months) {
      if (!available.some((m) => compareMonths(m, month) === 0)) {
        throw new Error(`no raw events are kept for ${monthLabel(month)} (no partition usage_event_p${monthLabel(month).replace('-', '')}); its rollups cannot be rebuilt`);
      }
    }
    const params: unknown[] = options.tenantId ? [options.tenantId] : [];
    const tenantParam = options.tenantId ? '$1' : null;
    const totals = new Map<Table, { rowsBefore: number; rowsAfter: number; identical: boolean }>(TABLES.map((t) => [t, { rowsBefore: 0, rowsAfter: 0, identical: true }]));

    for (const month of months) {
      const from = monthStart(month).toISOString();
      const to = monthStart(addMonths(month, 1)).toISOString();
      const before = new Map<Table, { rows: number; hash: string }>();
      for (const table of TABLES) {
        const where = scopeOf(table, from, to, tenantParam);
        before.set(table, await fingerprint(manager, table, where, params));
        await manager.query(`DELETE FROM metering.${table} WHERE ${where}`, params);
      }
      const events = `(SELECT * FROM metering.usage_event WHERE charged AND occurred_at >= '${from}'::timestamptz AND occurred_at < '${to}'::timestamptz${
        tenantParam ? ` AND tenant_id = ${tenantParam}` : ''
      }) e`;
      // The same aggregation as ingestion: per minute first, every rollup from those.
      await manager.query(`CREATE TEMPORARY TABLE rebuild_minute ON COMMIT DROP AS ${minuteAggregateSql(events)}`, params);
      for (const { table, unit, keyed } of ROLLUP_TABLES) await manager.query(upsertRollupSql(table, unit, keyed, 'rebuild_minute'));
      await manager.query(upsertSpendSql('rebuild_minute'));
      await manager.query('DROP TABLE rebuild_minute');
      for (const table of TABLES) {
        const after = await fingerprint(manager, table, scopeOf(table, from, to, tenantParam), params);
        const was = before.get(table)!;
        const total = totals.get(table)!;
        total.rowsBefore += was.rows;
        total.rowsAfter += after.rows;
        total.identical &&= was.rows === after.rows && was.hash === after.hash;
      }
    }
    await new BudgetEvaluator().evaluateAll(manager);
    const report: RebuildReport = {
      months: months.map(monthLabel),
      tenantId: options.tenantId ?? null,
      tables: TABLES.map((table) => ({ table, ...totals.get(table)! })),
      dryRun: options.dryRun ?? false,
    };
    if (options.dryRun) throw new DryRunRollback(report);
    return report;
  }).catch((error: unknown) => {
    if (error instanceof DryRunRollback) return error.report;
    throw error;
  });
}

/** Thrown to roll a dry run's transaction back while still returning its report. */
class DryRunRollback extends Error {
  constructor(readonly report: RebuildReport) {
    super('dry run');
  }
}
