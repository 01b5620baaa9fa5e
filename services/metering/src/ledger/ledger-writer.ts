import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { lockLedgerShared } from '../common/ledger-lock';
import { BudgetEvaluator, type BudgetSubjectRef } from '../budgets/budget-evaluator';
import { PartitionManager } from './partition-manager';
import { minuteAggregateSql, ROLLUP_TABLES, upsertRollupSql, upsertSpendSql } from './rollup-sql';
import type { LedgerRow } from './usage-event';

export interface WriteResult {
  /** Events new to the ledger (the rest were already there: duplicates). */
  readonly inserted: number;
  /** Charged events with tokens whose model had no price at their time (charged 0). */
  readonly unpriced: number;
  readonly unpricedModels: readonly string[];
  /** Budget states that changed (to publish). */
  readonly budgetChanges: number;
}

/**
 * One statement writes a batch (exported for EXPLAIN and benchmarks): the events are priced from the price history at their time,
 * inserted unless already present (ON CONFLICT DO NOTHING … RETURNING gives only the new ones),
 * and only those new, charged rows are added to the minute, hour and day rollups and the monthly
 * spend. Pricing is `numeric` arithmetic in Postgres (tokens × price per 1K × 0.001 — a
 * multiplication, so no rounding), never JavaScript numbers.
 */
export const INGEST_SQL = `
WITH input AS (
  SELECT t."eventId" AS event_id, timestamptz 'epoch' + t."occurredAtMs" * interval '1 millisecond' AS occurred_at,
    t."requestId" AS request_id, t.source, t."tenantId" AS tenant_id, t."keyId" AS key_id, t.model, t.deployment, t.provider,
    t.endpoint, t."httpStatus" AS http_status, t.streamed, t."promptTokens" AS prompt_tokens, t."completionTokens" AS completion_tokens,
    t."totalTokens" AS total_tokens, t."latencyMs" AS latency_ms, t."timeToFirstTokenMs" AS time_to_first_token_ms, t.charged,
    t."kafkaPartition" AS kafka_partition, t."kafkaOffset" AS kafka_offset
  FROM json_to_recordset($1::json) AS t("eventId" text, "occurredAtMs" bigint, "requestId" text, source smallint, "tenantId" text,
    "keyId" text, model text, deployment text, provider text, endpoint text, "httpStatus" integer, streamed boolean,
    "promptTokens" bigint, "completionTokens" bigint, "totalTokens" bigint, "latencyMs" bigint, "timeToFirstTokenMs" bigint,
    charged boolean, "kafkaPartition" integer, "kafkaOffset" bigint)
),
-- Price periods of the batch's models: [effective_from, next change). A hash join on the model
-- then picks each event's period (one lookup per model, not per event).
price_period AS (
  SELECT mp.model, mp.effective_from, lead(mp.effective_from) OVER (PARTITION BY mp.model ORDER BY mp.effective_from) AS until,
    mp.input_price_per_1k, mp.output_price_per_1k
  FROM metering.model_price mp
  WHERE mp.model IN (SELECT DISTINCT model FROM input)
),
priced AS (
  SELECT i.*, p.effective_from AS price_effective_from,
    CASE WHEN p.effective_from IS NULL THEN 0
         ELSE (i.prompt_tokens * p.input_price_per_1k + i.completion_tokens * p.output_price_per_1k) * 0.001
    END::numeric(38, 15) AS cost
  FROM input i
  LEFT JOIN price_period p
    ON i.charged AND p.model = i.model AND i.occurred_at >= p.effective_from AND (p.until IS NULL OR i.occurred_at < p.until)
),
inserted AS (
  INSERT INTO metering.usage_event (event_id, occurred_at, request_id, source, tenant_id, key_id, model, deployment, provider, endpoint,
    http_status, streamed, prompt_tokens, completion_tokens, total_tokens, latency_ms, time_to_first_token_ms, charged, cost,
    price_effective_from, kafka_partition, kafka_offset)
  SELECT event_id, occurred_at, request_id, source, tenant_id, key_id, model, deployment, provider, endpoint,
    http_status, streamed, prompt_tokens, completion_tokens, total_tokens, latency_ms, time_to_first_token_ms, charged, cost,
    price_effective_from, kafka_partition, kafka_offset
  FROM priced
  ON CONFLICT (event_id, occurred_at) DO NOTHING
  RETURNING tenant_id, key_id, model, occurred_at, charged, http_status, prompt_tokens, completion_tokens, total_tokens, cost,
    price_effective_from
),
billable AS (SELECT * FROM inserted WHERE charged),
by_minute AS (${minuteAggregateSql('billable')}),
${ROLLUP_TABLES.map(({ table, unit, keyed }) => `${table} AS (${upsertRollupSql(table, unit, keyed, 'by_minute')} RETURNING 1)`).join(',\n')},
spend AS (${upsertSpendSql('by_minute')} RETURNING 1)
SELECT
  (SELECT count(*) FROM inserted)::int AS inserted,
  (SELECT count(*) FROM billable WHERE price_effective_from IS NULL AND (prompt_tokens > 0 OR completion_tokens > 0))::int AS unpriced,
  (SELECT coalesce(array_agg(DISTINCT model), '{}') FROM billable WHERE price_effective_from IS NULL AND (prompt_tokens > 0 OR completion_tokens > 0)) AS unpriced_models,
  (SELECT coalesce(json_agg(s), '[]') FROM (SELECT DISTINCT tenant_id, key_id FROM billable WHERE cost > 0) s) AS spenders`;

/**
 * The same statement for a batch none of whose events the ledger holds yet, as nearly every batch
 * is: a plain INSERT, whose unique index refuses a duplicate (SQLSTATE 23505, which fails the
 * transaction). `ON CONFLICT` costs a second index search per row (its speculative insertion);
 * without it a 500-event batch takes ~11% less of Postgres's time, ~17% with the statement
 * prepared (see LedgerWriter.write).
 */
export const INGEST_NEW_SQL = withoutConflictClause(INGEST_SQL);

function withoutConflictClause(sql: string): string {
  const clause = 'ON CONFLICT (event_id, occurred_at) DO NOTHING';
  // Fails at start-up rather than quietly running the same statement twice if INGEST_SQL is rewritten.
  if (sql.split(clause).length !== 2) throw new Error('INGEST_SQL must hold its ON CONFLICT clause exactly once');
  return sql.replace(clause, '');
}

/** The statement's one parameter: the batch as a JSON array of rows. */
export function batchParameter(rows: readonly LedgerRow[]): string {
  return JSON.stringify(rows);
}

const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === UNIQUE_VIOLATION;
}

/** The statement's one row. */
interface IngestResult {
  inserted: number;
  unpriced: number;
  unpriced_models: string[];
  spenders: Array<{ tenant_id: string; key_id: string }>;
}

/** What a pg client (the transaction's connection) needs to run a named, prepared statement. */
interface PreparingClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

@Injectable()
export class LedgerWriter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly partitions: PartitionManager,
    private readonly budgets: BudgetEvaluator,
  ) {}

  /**
   * Writes a batch in one transaction: raw events, rollups, spend and the budget check commit
   * together or not at all. First as new events (INGEST_NEW_SQL); if the ledger holds one of them
   * already (a redelivery after a crash, another replica's write of the same records), that
   * transaction fails as a whole and the batch is written again skipping what is there
   * (INGEST_SQL). Both run as prepared statements on the transaction's connection.
   */
  async write(rows: readonly LedgerRow[]): Promise<WriteResult> {
    if (rows.length === 0) return { inserted: 0, unpriced: 0, unpricedModels: [], budgetChanges: 0 };
    await this.partitions.ensureFor(rows.map((row) => row.occurredAtMs));
    const parameter = batchParameter(rows);
    try {
      return await this.dataSource.transaction((manager) => this.writeIn(manager, parameter, false));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return this.dataSource.transaction((manager) => this.writeIn(manager, parameter, true));
    }
  }

  private async writeIn(manager: EntityManager, parameter: string, skipDuplicates: boolean): Promise<WriteResult> {
    await lockLedgerShared(manager);
    const client = (await manager.queryRunner!.connect()) as PreparingClient;
    const statement = skipDuplicates ? { name: 'metering-ingest', text: INGEST_SQL } : { name: 'metering-ingest-new', text: INGEST_NEW_SQL };
    const { rows } = await client.query({ ...statement, values: [parameter] });
    const result = rows[0] as IngestResult;
    const subjects: BudgetSubjectRef[] = [];
    for (const { tenant_id, key_id } of result.spenders) {
      subjects.push({ scope: 'key', subjectId: key_id });
      subjects.push({ scope: 'tenant', subjectId: tenant_id });
    }
    const budgetChanges = subjects.length > 0 ? await this.budgets.evaluate(manager, subjects) : 0;
    return { inserted: result.inserted, unpriced: result.unpriced, unpricedModels: result.unpriced_models, budgetChanges };
  }
}
