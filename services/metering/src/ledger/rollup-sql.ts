/**
 * The rollups and how events land in them: shared by the ingest statement and the rebuild
 * (replay), so both compute exactly the same rows. Events are first aggregated per minute
 * (`minuteAggregateSql`); the minute, hour and day rollups and the monthly spend are then sums
 * of those minute aggregates (integers and exact numerics: the sums do not depend on grouping).
 * Buckets are UTC.
 */
export const ROLLUP_TABLES = [
  { table: 'usage_minute', unit: 'minute', keyed: true },
  { table: 'usage_hour', unit: 'hour', keyed: true },
  { table: 'usage_day', unit: 'day', keyed: true },
  // Tenant × model, without the key: what tenant-wide series read.
  { table: 'usage_model_hour', unit: 'hour', keyed: false },
  { table: 'usage_model_day', unit: 'day', keyed: false },
] as const;

export type RollupTable = (typeof ROLLUP_TABLES)[number]['table'];

const MEASURES = 'requests, errors, prompt_tokens, completion_tokens, total_tokens, cost';

/** Adds the incoming aggregates to an existing rollup row. */
export const ROLLUP_MERGE = `
  requests = r.requests + excluded.requests,
  errors = r.errors + excluded.errors,
  prompt_tokens = r.prompt_tokens + excluded.prompt_tokens,
  completion_tokens = r.completion_tokens + excluded.completion_tokens,
  total_tokens = r.total_tokens + excluded.total_tokens,
  cost = r.cost + excluded.cost`;

/** The month (a date, UTC) an instant belongs to, whatever the session time zone. */
export const monthOfSql = (column: string) => `date_trunc('month', ${column} AT TIME ZONE 'UTC')::date`;

/** Charged usage_event-shaped rows (`source`) aggregated per tenant × minute × key × model. */
export function minuteAggregateSql(source: string): string {
  return `
    SELECT tenant_id, date_trunc('minute', occurred_at, 'UTC') AS bucket, key_id, model,
      count(*) AS requests, count(*) FILTER (WHERE http_status >= 400) AS errors, sum(prompt_tokens) AS prompt_tokens,
      sum(completion_tokens) AS completion_tokens, sum(total_tokens) AS total_tokens, sum(cost) AS cost
    FROM ${source}
    GROUP BY 1, 2, 3, 4`;
}

/** The identifying columns of a rollup row. */
export function rollupKey(keyed: boolean): string {
  return keyed ? 'tenant_id, bucket, key_id, model' : 'tenant_id, bucket, model';
}

/** `INSERT … SELECT` of one rollup from minute aggregates (`aggregates`), merged into existing rows. */
export function upsertRollupSql(table: RollupTable, unit: string, keyed: boolean, aggregates: string): string {
  const key = rollupKey(keyed);
  const groups = keyed ? '1, 2, 3, 4' : '1, 2, 3';
  const dims = keyed ? `tenant_id, date_trunc('${unit}', bucket, 'UTC'), key_id, model` : `tenant_id, date_trunc('${unit}', bucket, 'UTC'), model`;
  return `
    INSERT INTO metering.${table} AS r (${key}, ${MEASURES})
    SELECT ${dims}, sum(requests), sum(errors), sum(prompt_tokens), sum(completion_tokens), sum(total_tokens), sum(cost)
    FROM ${aggregates}
    GROUP BY ${groups}
    ORDER BY ${groups}
    ON CONFLICT (${key}) DO UPDATE SET ${ROLLUP_MERGE}`;
}

/** The same for the monthly spend per key (budgets). */
export function upsertSpendSql(aggregates: string): string {
  return `
    INSERT INTO metering.spend_month AS s (tenant_id, month, key_id, cost)
    SELECT tenant_id, ${monthOfSql('bucket')}, key_id, sum(cost)
    FROM ${aggregates}
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (tenant_id, month, key_id) DO UPDATE SET cost = s.cost + excluded.cost`;
}
