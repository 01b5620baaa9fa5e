import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { METERING_OPTIONS, type MeteringOptions } from '../config/metering.config';
import { PARTITION_LOCK } from '../common/ledger-lock';
import { addMonths, compareMonths, monthOf, monthStart, monthSuffix, type Month } from '../common/months';

/** The monthly-partitioned tables: raw events and minute rollups share partitioning and retention. */
export const PARTITIONED_TABLES = ['usage_event', 'usage_minute'] as const;

const PARTITION_NAME = /^(usage_event|usage_minute)_p(\d{4})(\d{2})$/;
const MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;

function monthKey(m: Month): number {
  return m.year * 12 + (m.month - 1);
}

/** The first month kept under a retention of `months` (the current month counts as one); null: keep all. */
export function oldestRetainedMonth(now: Date, months: number): Month | null {
  return months > 0 ? addMonths(monthOf(now), -(months - 1)) : null;
}

/**
 * Creates the monthly partitions of the raw events and minute rollups ahead of time (and on
 * demand for an event from a month that has none yet), and drops the months past the retention:
 * dropping a partition frees a month at once, where DELETE would scan and bloat the table.
 */
@Injectable()
export class PartitionManager implements OnApplicationShutdown {
  private readonly logger = new Logger('Partitions');
  /** Months (year*12 + month-1) whose partitions exist in both tables. */
  private readonly known = new Set<number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(METERING_OPTIONS) private readonly options: MeteringOptions,
  ) {}

  /** Brings the partitions in line now, then every hour (calling it again only maintains). */
  async start(): Promise<void> {
    await this.maintain();
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.maintain().catch((error: unknown) => this.logger.error(`partition maintenance failed: ${String(error)}`));
    }, MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The oldest instant an event may have to be ingested (null: no retention). */
  oldestAccepted(now = new Date()): Date | null {
    const oldest = oldestRetainedMonth(now, this.options.rawRetentionMonths);
    return oldest ? monthStart(oldest) : null;
  }

  /** Creates the current month and the months ahead, drops months past the retention. */
  async maintain(now = new Date()): Promise<void> {
    const current = monthOf(now);
    const wanted: Month[] = [];
    for (let delta = -1; delta <= this.options.partitionsAheadMonths; delta++) wanted.push(addMonths(current, delta));
    const oldest = oldestRetainedMonth(now, this.options.rawRetentionMonths);
    await this.ensureMonths(oldest ? wanted.filter((m) => compareMonths(m, oldest) >= 0) : wanted);
    if (oldest) await this.dropBefore(oldest);
  }

  /** Makes sure every month of `instants` (ms since the epoch) has its partitions (cheap when they are known). */
  async ensureFor(instants: readonly number[]): Promise<void> {
    const missing = new Map<number, Month>();
    let lastKnownMonthStart = Number.NaN;
    let lastKnownMonthEnd = Number.NaN;
    for (const ms of instants) {
      if (ms >= lastKnownMonthStart && ms < lastKnownMonthEnd) continue;
      const m = monthOf(new Date(ms));
      const key = monthKey(m);
      if (!this.known.has(key)) missing.set(key, m);
      else {
        lastKnownMonthStart = monthStart(m).getTime();
        lastKnownMonthEnd = monthStart(addMonths(m, 1)).getTime();
      }
    }
    if (missing.size > 0) await this.ensureMonths([...missing.values()]);
  }

  async ensureMonths(months: readonly Month[]): Promise<void> {
    const missing = months.filter((m) => !this.known.has(monthKey(m)));
    if (missing.length === 0) return;
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [PARTITION_LOCK]);
      const existing = await this.existingPartitions(manager.query.bind(manager));
      for (const m of missing) {
        const from = monthStart(m).toISOString();
        const to = monthStart(addMonths(m, 1)).toISOString();
        for (const table of PARTITIONED_TABLES) {
          const name = `${table}_p${monthSuffix(m)}`;
          if (existing.has(name)) continue;
          await manager.query(`CREATE TABLE IF NOT EXISTS metering.${name} PARTITION OF metering.${table} FOR VALUES FROM ('${from}') TO ('${to}')`);
          this.logger.log(`created partition metering.${name}`);
        }
      }
    });
    for (const m of missing) this.known.add(monthKey(m));
  }

  /** Months that have a raw-event partition, oldest first (what a rollup rebuild can read). */
  async rawMonths(): Promise<Month[]> {
    const names = await this.existingPartitions((sql: string) => this.dataSource.query(sql));
    const months: Month[] = [];
    for (const name of names) {
      const match = PARTITION_NAME.exec(name);
      if (match && match[1] === 'usage_event') months.push({ year: Number(match[2]), month: Number(match[3]) });
    }
    return months.sort(compareMonths);
  }

  private async dropBefore(oldest: Month): Promise<void> {
    const names = await this.existingPartitions((sql: string) => this.dataSource.query(sql));
    const expired = [...names].filter((name) => {
      const match = PARTITION_NAME.exec(name);
      return match !== null && compareMonths({ year: Number(match[2]), month: Number(match[3]) }, oldest) < 0;
    });
    if (expired.length === 0) return;
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [PARTITION_LOCK]);
      for (const name of expired) {
        await manager.query(`DROP TABLE IF EXISTS metering.${name}`);
        this.logger.log(`dropped partition metering.${name} (past the ${this.options.rawRetentionMonths}-month retention)`);
      }
    });
    for (const name of expired) {
      const match = PARTITION_NAME.exec(name)!;
      this.known.delete(monthKey({ year: Number(match[2]), month: Number(match[3]) }));
    }
  }

  private async existingPartitions(query: (sql: string) => Promise<Array<{ name: string }>>): Promise<Set<string>> {
    const rows = await query(`
      SELECT child.relname AS name
      FROM pg_inherits
      JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
      JOIN pg_class child ON child.oid = pg_inherits.inhrelid
      JOIN pg_namespace ns ON ns.oid = parent.relnamespace
      WHERE ns.nspname = 'metering' AND parent.relname IN ('usage_event', 'usage_minute')`);
    return new Set(rows.map((row) => row.name));
  }
}
