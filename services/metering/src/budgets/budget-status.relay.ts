import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BudgetScope as BudgetScopeProto, BudgetState, BudgetStatusSchema, Topics, type BudgetStatus } from '@vectorstack/contracts';
import { KafkaProducer, uuidv7 } from '@vectorstack/kafka';
import { DrainLoop } from '@vectorstack/database';
import { DataSource } from 'typeorm';
import { formatNumeric } from '../common/decimal';
import { BUDGET_RELAY_LOCK } from '../common/ledger-lock';
import type { BudgetScope, BudgetStateName } from './budget-evaluator';

const POLL_INTERVAL_MS = 1_000;
const BATCH_SIZE = 500;

interface StatusRow {
  scope: BudgetScope;
  subject_id: string;
  tenant_id: string;
  month: string;
  state: BudgetStateName;
  spent_usd: string;
  soft_limit_usd: string | null;
  hard_limit_usd: string | null;
  blocked_until: Date | null;
  changed_at: Date;
  version: string;
}

const STATE: Record<BudgetStateName, BudgetState> = {
  within: BudgetState.WITHIN,
  soft_exceeded: BudgetState.SOFT_EXCEEDED,
  hard_exceeded: BudgetState.HARD_EXCEEDED,
};

/** The record key of a subject on the compacted budget topic. */
export function budgetRecordKey(scope: BudgetScope, subjectId: string): string {
  return `${scope}:${subjectId}`;
}

export function budgetStatusMessage(row: StatusRow): BudgetStatus {
  return create(BudgetStatusSchema, {
    eventId: uuidv7(),
    scope: row.scope === 'key' ? BudgetScopeProto.KEY : BudgetScopeProto.TENANT,
    subjectId: row.subject_id,
    tenantId: row.tenant_id,
    state: STATE[row.state],
    month: row.month,
    spentUsd: formatNumeric(row.spent_usd),
    softLimitUsd: row.soft_limit_usd === null ? '' : formatNumeric(row.soft_limit_usd),
    hardLimitUsd: row.hard_limit_usd === null ? '' : formatNumeric(row.hard_limit_usd),
    ...(row.blocked_until ? { blockedUntil: timestampFromDate(row.blocked_until) } : {}),
    changedAt: timestampFromDate(row.changed_at),
    version: BigInt(row.version),
  });
}

/**
 * Publishes budget states that are newer than what is on the compacted budget topic. The status
 * table is its own outbox (version > published_version), so only a subject's latest state is
 * sent, a Kafka outage delays publication without losing a change, and a change committed in an
 * ingest transaction is published even if the process dies right after the commit.
 */
@Injectable()
export class BudgetStatusRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('BudgetRelay');
  private readonly loop = new DrainLoop({ name: 'budget relay', pollIntervalMs: POLL_INTERVAL_MS, pass: () => this.relayUntilDrained(), logger: this.logger });

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: KafkaProducer,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Publish now (after a commit that changed states); coalesces with a pass in progress. */
  kick(): void {
    this.loop.kick();
  }

  private async relayUntilDrained(): Promise<void> {
    while (!this.loop.stopped && (await this.relayOnce()) === BATCH_SIZE);
  }

  /** Publishes one batch; 0 when nothing is pending or another replica is relaying. */
  async relayOnce(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = (await manager.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [BUDGET_RELAY_LOCK])) as Array<{ locked: boolean }>;
      if (!locked) return 0;
      const rows = (await manager.query(
        `SELECT scope, subject_id, tenant_id, to_char(month, 'YYYY-MM') AS month, state, spent_usd::text, soft_limit_usd::text,
                hard_limit_usd::text, blocked_until, changed_at, version::text
         FROM metering.budget_status WHERE version > published_version ORDER BY scope, subject_id LIMIT ${BATCH_SIZE}`,
      )) as StatusRow[];
      if (rows.length === 0) return 0;
      await this.producer.sendBatch(
        Topics.budgetStatus,
        rows.map((row) => ({ key: budgetRecordKey(row.scope, row.subject_id), message: budgetStatusMessage(row) })),
      );
      await manager.query(
        `UPDATE metering.budget_status s SET published_version = v.version
         FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(scope, subject_id, version)
         WHERE s.scope = v.scope AND s.subject_id = v.subject_id AND s.published_version < v.version`,
        [rows.map((r) => r.scope), rows.map((r) => r.subject_id), rows.map((r) => r.version)],
      );
      for (const row of rows) this.logger.log(`budget ${row.scope} ${row.subject_id}: ${row.state} (${row.month}, v${row.version})`);
      return rows.length;
    });
  }
}
