import { planSegments, type Segment, type SegmentSource, type Unit } from './segments';

/** What the rows of a usage query are grouped by. */
export type Dimension = 'day' | 'hour' | 'model' | 'key_id' | 'tenant_id';

export interface UsageFilter {
  /** null: every tenant (a platform admin's view). */
  readonly tenantId: string | null;
  readonly keyId?: string;
  readonly model?: string;
}

export interface UsageSqlRequest {
  readonly start: number;
  readonly end: number;
  readonly units: readonly Unit[];
  readonly dimensions: readonly Dimension[];
  readonly filter: UsageFilter;
  /** Adds the grand total as one more row (its `is_total` is true). */
  readonly withTotal: boolean;
}

/** Collects positional parameters. */
class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function dimensionExpression(dimension: Dimension, time: string): string {
  switch (dimension) {
    case 'day':
      return `date_trunc('day', ${time}, 'UTC')`;
    case 'hour':
      return `date_trunc('hour', ${time}, 'UTC')`;
    default:
      return dimension;
  }
}

/**
 * The table a segment is read from. Without a key in the grouping or the filter, hours and days
 * come from the tenant × model rollups (keys × fewer rows); minutes always from the full rollup.
 */
export function segmentTable(source: SegmentSource, needsKey: boolean): string {
  switch (source) {
    case 'raw':
      return 'usage_event';
    case 'minute':
      return 'usage_minute';
    case 'hour':
      return needsKey ? 'usage_hour' : 'usage_model_hour';
    case 'day':
      return needsKey ? 'usage_day' : 'usage_model_day';
  }
}

function segmentSql(segment: Segment, request: UsageSqlRequest, params: Params): string {
  const raw = segment.source === 'raw';
  const table = segmentTable(segment.source, request.dimensions.includes('key_id') || request.filter.keyId !== undefined);
  const time = raw ? 'occurred_at' : 'bucket';
  const where = [
    `${time} >= ${params.add(new Date(segment.from * 1000).toISOString())}::timestamptz`,
    `${time} < ${params.add(new Date(segment.to * 1000).toISOString())}::timestamptz`,
  ];
  if (raw) where.push('charged');
  if (request.filter.tenantId !== null) where.push(`tenant_id = ${params.add(request.filter.tenantId)}`);
  if (request.filter.keyId !== undefined) where.push(`key_id = ${params.add(request.filter.keyId)}`);
  if (request.filter.model !== undefined) where.push(`model = ${params.add(request.filter.model)}`);
  const dims = request.dimensions.map((d, i) => `${dimensionExpression(d, time)} AS d${i}`);
  const measures = raw
    ? 'count(*) AS requests, count(*) FILTER (WHERE http_status >= 400) AS errors, sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens, sum(total_tokens) AS total_tokens, sum(cost) AS cost'
    : 'sum(requests) AS requests, sum(errors) AS errors, sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens, sum(total_tokens) AS total_tokens, sum(cost) AS cost';
  const groupBy = dims.length > 0 ? ` GROUP BY ${request.dimensions.map((_, i) => i + 1).join(', ')}` : '';
  return `SELECT ${[...dims, measures].join(', ')} FROM metering.${table} WHERE ${where.join(' AND ')}${groupBy}`;
}

/**
 * One statement reading [start, end) exactly: every segment of the range from its table,
 * aggregated by the dimensions, plus the grand total when asked. Counts come back as text
 * (bigint) and cost as numeric text, never through floats.
 */
export function usageSql(request: UsageSqlRequest): { sql: string; params: unknown[] } {
  const params = new Params();
  const segments = planSegments(request.start, request.end, request.units);
  const union = segments.map((segment) => segmentSql(segment, request, params)).join('\nUNION ALL\n');
  const dims = request.dimensions.map((_, i) => `d${i}`);
  const measures = [
    'coalesce(sum(requests), 0)::bigint::text AS requests',
    'coalesce(sum(errors), 0)::bigint::text AS errors',
    'coalesce(sum(prompt_tokens), 0)::bigint::text AS prompt_tokens',
    'coalesce(sum(completion_tokens), 0)::bigint::text AS completion_tokens',
    'coalesce(sum(total_tokens), 0)::bigint::text AS total_tokens',
    'coalesce(sum(cost), 0)::text AS cost',
  ];
  let grouping = '';
  let isTotal = 'true AS is_total';
  if (dims.length > 0) {
    grouping = request.withTotal ? ` GROUP BY GROUPING SETS ((${dims.join(', ')}), ())` : ` GROUP BY ${dims.join(', ')}`;
    isTotal = request.withTotal ? `GROUPING(${dims.join(', ')}) <> 0 AS is_total` : 'false AS is_total';
  }
  const order = dims.length > 0 ? ` ORDER BY ${dims.map((d) => `${d} NULLS FIRST`).join(', ')}` : '';
  const sql = `SELECT ${[...dims, ...measures, isTotal].join(', ')} FROM (\n${union}\n) u${grouping}${order}`;
  return { sql, params: params.values };
}
