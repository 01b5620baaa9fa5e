import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { BudgetScope, BudgetState, Topics, type BudgetStatus } from '@vectorstack/contracts';
import { KafkaConsumerRunner, type ConsumedRecord, type RunningConsumer } from '@vectorstack/kafka';
import { DataSource, In, type EntityManager } from 'typeorm';
import { ApiKey } from '../keys/api-key.entity';
import { KeyStateOutbox } from '../key-state/key-state-outbox.service';

/** One consumer group for every auth replica: each record is applied once, in order per subject. */
export const BUDGET_STATUS_GROUP = 'vectorstack-auth-budget-status';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MONTH = /^(\d{4})-(\d{2})$/;

const STATE_NAME: Partial<Record<BudgetState, string>> = {
  [BudgetState.WITHIN]: 'within',
  [BudgetState.SOFT_EXCEEDED]: 'soft_exceeded',
  [BudgetState.HARD_EXCEEDED]: 'hard_exceeded',
};

interface BlockRow {
  state: string;
  blocked_until: Date | null;
  version: string;
}

/** The budget_block row a record becomes, or why it cannot be applied. */
export function blockRowFor(status: BudgetStatus): { ok: true; row: { scope: 'key' | 'tenant'; state: string; blockedUntil: Date | null } } | { ok: false; reason: string } {
  const scope = status.scope === BudgetScope.KEY ? 'key' : status.scope === BudgetScope.TENANT ? 'tenant' : undefined;
  if (!scope) return { ok: false, reason: `unknown scope ${status.scope}` };
  if (!UUID.test(status.subjectId) || !UUID.test(status.tenantId)) return { ok: false, reason: 'subject or tenant is not a uuid' };
  const state = STATE_NAME[status.state];
  if (!state) return { ok: false, reason: `unknown state ${status.state}` };
  if (state !== 'hard_exceeded') return { ok: true, row: { scope, state, blockedUntil: null } };
  // A hard block always ends: at blocked_until, or else at the start of the month after the record's.
  if (status.blockedUntil) return { ok: true, row: { scope, state, blockedUntil: timestampDate(status.blockedUntil) } };
  const month = MONTH.exec(status.month);
  if (!month) return { ok: false, reason: `hard_exceeded without blocked_until and with month "${status.month}"` };
  return { ok: true, row: { scope, state, blockedUntil: new Date(Date.UTC(Number(month[1]), Number(month[2]), 1)) } };
}

/**
 * Applies the metering service's budget states (compacted topic, read from the beginning by a
 * new group) to API keys: a key whose own or whose tenant's hard budget is exceeded is
 * republished with `budget_exceeded` and the time the block lifts, so every replica's guard
 * refuses it (403 budget_exceeded) and Verify agrees. Older versions of a subject's record are
 * ignored; a record that changes nothing about blocking republishes nothing.
 */
@Injectable()
export class BudgetStatusConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('BudgetStatus');
  private consumer?: RunningConsumer;

  constructor(
    private readonly runner: KafkaConsumerRunner,
    private readonly dataSource: DataSource,
    private readonly outbox: KeyStateOutbox,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await this.runner.runConsumer({
      groupId: BUDGET_STATUS_GROUP,
      topicSpec: Topics.budgetStatus,
      fromBeginning: true,
      maxWaitTimeMs: 250,
      handleEach: (record) => this.handle(record),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  async handle(record: ConsumedRecord<BudgetStatus>): Promise<void> {
    if (!record.message) return; // a tombstone: metering never deletes a subject's record
    const status = record.message;
    const parsed = blockRowFor(status);
    if (!parsed.ok) {
      this.logger.warn(`budget status ${record.key ?? ''} at offset ${record.offset} ignored: ${parsed.reason}`);
      return;
    }
    const republished = await this.dataSource.transaction((manager) => this.apply(manager, status, parsed.row));
    if (republished > 0) {
      this.outbox.kick();
      this.logger.log(`budget ${parsed.row.scope} ${status.subjectId} ${parsed.row.state} (v${status.version}): ${republished} key state(s) republished`);
    }
  }

  /** Records the subject's state if newer; republishes its keys when whether they are blocked (or until when) changed. */
  private async apply(manager: EntityManager, status: BudgetStatus, row: { scope: 'key' | 'tenant'; state: string; blockedUntil: Date | null }): Promise<number> {
    if (row.scope === 'tenant') {
      // Waits for key creations in flight in this tenant (their FK check shares this row), and
      // makes later ones wait for this commit: a new key is never published without the block.
      await manager.query('SELECT 1 FROM auth.tenant WHERE id = $1 FOR UPDATE', [status.subjectId]);
    }
    const [previous] = (await manager.query(
      'SELECT state, blocked_until, version::text FROM auth.budget_block WHERE scope = $1 AND subject_id = $2 FOR UPDATE',
      [row.scope, status.subjectId],
    )) as BlockRow[];
    if (previous && BigInt(previous.version) >= status.version) return 0;
    await manager.query(
      `INSERT INTO auth.budget_block (scope, subject_id, tenant_id, state, month, blocked_until, version, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (scope, subject_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, state = EXCLUDED.state, month = EXCLUDED.month,
         blocked_until = EXCLUDED.blocked_until, version = EXCLUDED.version, received_at = EXCLUDED.received_at`,
      [row.scope, status.subjectId, status.tenantId, row.state, status.month, row.blockedUntil, status.version.toString()],
    );
    const before = previous?.state === 'hard_exceeded' ? previous.blocked_until?.getTime() : undefined;
    const after = row.state === 'hard_exceeded' ? row.blockedUntil?.getTime() : undefined;
    if (before === after) return 0;

    // Bump each affected key's version so the republished state wins over the one consumers hold.
    const where = row.scope === 'key' ? 'id = $1' : 'tenant_id = $1';
    const bumped = (await manager.query(`UPDATE auth.api_key SET version = version + 1 WHERE ${where} AND status = 'active' RETURNING id`, [
      status.subjectId,
    ])) as [Array<{ id: string }>, number];
    const ids = bumped[0].map((key) => key.id);
    if (ids.length === 0) return 0;
    const keys = await manager.getRepository(ApiKey).findBy({ id: In(ids) });
    await this.outbox.enqueue(manager, keys);
    return keys.length;
  }
}
