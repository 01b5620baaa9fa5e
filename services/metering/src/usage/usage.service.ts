import { Injectable } from '@nestjs/common';
import type { AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { DataSource, type QueryRunner } from 'typeorm';
import { formatNumeric } from '../common/decimal';
import { meteringError } from '../common/metering-errors';
import { csvLine, type CsvValue } from './csv';
import { floorTo, UNIT_SECONDS, unitsFor } from './segments';
import { usageSql, type Dimension, type UsageFilter } from './usage-sql';
import { checkRange, MAX_EXPORT_SPAN_DAYS, MAX_SPAN_DAYS, type ExportQuery, type GroupBy, type UsageQuery } from './usage.schemas';

export interface UsageNumbers {
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** USD, an exact decimal string. */
  cost: string;
}

export interface UsageView {
  object: 'usage';
  tenant_id: string | null;
  start: number;
  end: number;
  group_by: GroupBy;
  key_id: string | null;
  model: string | null;
  currency: 'usd';
  totals: UsageNumbers;
  data: Array<UsageNumbers & Record<string, unknown>>;
}

interface UsageRow {
  d0?: Date | string;
  requests: string;
  errors: string;
  prompt_tokens: string;
  completion_tokens: string;
  total_tokens: string;
  cost: string;
  is_total: boolean;
}

const EMPTY: UsageNumbers = { requests: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cost: '0' };
const EXPORT_FETCH_ROWS = 2_000;

function numbers(row: UsageRow): UsageNumbers {
  return {
    requests: Number(row.requests),
    errors: Number(row.errors),
    prompt_tokens: Number(row.prompt_tokens),
    completion_tokens: Number(row.completion_tokens),
    total_tokens: Number(row.total_tokens),
    cost: formatNumeric(row.cost),
  };
}

/** The tenant a request reads: a platform admin any (or all: null); anyone else its own. */
export function usageTenant(principal: AuthenticatedPrincipal, requested: string | undefined): string | null {
  if (principal.scopes.includes('admin')) return requested ?? null;
  if (requested !== undefined && requested !== principal.tenantId) {
    throw meteringError('tenant_forbidden', 'Only a platform admin can read another tenant’s usage.', 'tenant_id');
  }
  return principal.tenantId;
}

const GROUP_DIMENSION: Record<GroupBy, Dimension> = { model: 'model', key: 'key_id', day: 'day', hour: 'hour' };

@Injectable()
export class UsageService {
  constructor(private readonly dataSource: DataSource) {}

  async usage(principal: AuthenticatedPrincipal, query: UsageQuery): Promise<UsageView> {
    const { start, end } = checkRange(query.start, query.end, MAX_SPAN_DAYS[query.group_by], `group_by=${query.group_by}`);
    const tenantId = usageTenant(principal, query.tenant_id);
    const filter: UsageFilter = { tenantId, ...(query.key_id ? { keyId: query.key_id } : {}), ...(query.model ? { model: query.model } : {}) };
    const { sql, params } = usageSql({ start, end, units: unitsFor(query.group_by), dimensions: [GROUP_DIMENSION[query.group_by]], filter, withTotal: true });
    const rows = (await this.dataSource.query(sql, params)) as UsageRow[];
    const total = rows.find((row) => row.is_total);
    const groups = rows.filter((row) => !row.is_total);
    return {
      object: 'usage',
      tenant_id: tenantId,
      start,
      end,
      group_by: query.group_by,
      key_id: query.key_id ?? null,
      model: query.model ?? null,
      currency: 'usd',
      totals: total ? numbers(total) : { ...EMPTY },
      data: query.group_by === 'day' || query.group_by === 'hour' ? series(groups, start, end, query.group_by) : byName(groups, query.group_by === 'model' ? 'model' : 'key_id'),
    };
  }

  /** Validates an export request up front (so errors are JSON 400s before any CSV is sent). */
  prepareExport(principal: AuthenticatedPrincipal, query: ExportQuery): { filename: string; lines: () => AsyncGenerator<string> } {
    const { start, end } = checkRange(query.start, query.end, MAX_EXPORT_SPAN_DAYS[query.rows], `rows=${query.rows}`);
    const tenantId = usageTenant(principal, query.tenant_id);
    if (query.rows === 'events' && tenantId === null) {
      throw meteringError('invalid_value', "Exporting raw events needs 'tenant_id' (one tenant at a time).", 'tenant_id');
    }
    const filter: UsageFilter = { tenantId, ...(query.key_id ? { keyId: query.key_id } : {}), ...(query.model ? { model: query.model } : {}) };
    const filename = `usage-${query.rows}-${new Date(start * 1000).toISOString().slice(0, 19).replace(/[:]/g, '')}Z-${new Date(end * 1000).toISOString().slice(0, 19).replace(/[:]/g, '')}Z.csv`;
    const statement = query.rows === 'hourly' ? hourlyExportSql(start, end, filter) : eventsExportSql(start, end, filter, tenantId!);
    return { filename, lines: () => this.streamRows(statement) };
  }

  /**
   * Streams a query through a server-side cursor in a read-only, repeatable-read transaction:
   * memory stays flat whatever the size of the export, and the rows are one consistent snapshot.
   */
  private async *streamRows(statement: { header: string[]; sql: string; params: unknown[]; toCsv: (row: Record<string, unknown>) => CsvValue[] }): AsyncGenerator<string> {
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    await runner.connect();
    let finished = false;
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await runner.query(`DECLARE usage_export NO SCROLL CURSOR FOR ${statement.sql}`, statement.params);
      yield csvLine(statement.header);
      for (;;) {
        const rows = (await runner.query(`FETCH ${EXPORT_FETCH_ROWS} FROM usage_export`)) as Array<Record<string, unknown>>;
        if (rows.length === 0) break;
        yield rows.map((row) => csvLine(statement.toCsv(row))).join('');
      }
      await runner.query('COMMIT');
      finished = true;
    } finally {
      // Also reached when the client went away (the stream is destroyed and the generator returns).
      if (!finished) await runner.query('ROLLBACK').catch(() => undefined);
      await runner.release();
    }
  }
}

/** Every bucket of the range, empty ones included, each clipped to [start, end). */
function series(rows: UsageRow[], start: number, end: number, unit: 'day' | 'hour'): UsageView['data'] {
  const byBucket = new Map<number, UsageRow>();
  for (const row of rows) byBucket.set(Math.floor(new Date(row.d0 as Date).getTime() / 1000), row);
  const data: UsageView['data'] = [];
  for (let bucket = floorTo(start, unit); bucket < end; bucket += UNIT_SECONDS[unit]) {
    const row = byBucket.get(bucket);
    data.push({ start_time: Math.max(bucket, start), end_time: Math.min(bucket + UNIT_SECONDS[unit], end), ...(row ? numbers(row) : EMPTY) });
  }
  return data;
}

function byName(rows: UsageRow[], field: 'model' | 'key_id'): UsageView['data'] {
  return rows.map((row) => ({ [field]: String(row.d0), ...numbers(row) }));
}

const HOURLY_HEADER = ['hour_start', 'tenant_id', 'key_id', 'model', 'requests', 'errors', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cost_usd'];

/** Hourly rows per tenant × key × model; the first and last hours cover only their part of the range. */
function hourlyExportSql(start: number, end: number, filter: UsageFilter) {
  const { sql, params } = usageSql({ start, end, units: unitsFor('hour'), dimensions: ['hour', 'tenant_id', 'key_id', 'model'], filter, withTotal: false });
  return {
    header: HOURLY_HEADER,
    sql,
    params,
    toCsv: (row: Record<string, unknown>): CsvValue[] => [
      (row.d0 as Date).toISOString(),
      row.d1 as string,
      row.d2 as string,
      row.d3 as string,
      row.requests as string,
      row.errors as string,
      row.prompt_tokens as string,
      row.completion_tokens as string,
      row.total_tokens as string,
      formatNumeric(row.cost as string),
    ],
  };
}

const EVENTS_HEADER = [
  'event_id',
  'occurred_at',
  'request_id',
  'source',
  'tenant_id',
  'key_id',
  'model',
  'deployment',
  'provider',
  'endpoint',
  'http_status',
  'streamed',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'latency_ms',
  'time_to_first_token_ms',
  'charged',
  'cost_usd',
];
const SOURCE_NAMES: Record<number, string> = { 0: 'unspecified', 1: 'router', 2: 'inference' };

/** Raw events of one tenant, in time order (charged = false: a record not billed, see the charge rule). */
function eventsExportSql(start: number, end: number, filter: UsageFilter, tenantId: string) {
  const params: unknown[] = [tenantId, new Date(start * 1000).toISOString(), new Date(end * 1000).toISOString()];
  const where = ['tenant_id = $1', 'occurred_at >= $2::timestamptz', 'occurred_at < $3::timestamptz'];
  if (filter.keyId !== undefined) where.push(`key_id = $${params.push(filter.keyId)}`);
  if (filter.model !== undefined) where.push(`model = $${params.push(filter.model)}`);
  return {
    header: EVENTS_HEADER,
    sql: `SELECT event_id, occurred_at, request_id, source, tenant_id, key_id, model, deployment, provider, endpoint, http_status, streamed,
            prompt_tokens::text, completion_tokens::text, total_tokens::text, latency_ms::text, time_to_first_token_ms::text, charged, cost::text
          FROM metering.usage_event WHERE ${where.join(' AND ')} ORDER BY occurred_at, event_id`,
    params,
    toCsv: (row: Record<string, unknown>): CsvValue[] => [
      row.event_id as string,
      (row.occurred_at as Date).toISOString(),
      row.request_id as string,
      SOURCE_NAMES[row.source as number] ?? String(row.source),
      row.tenant_id as string,
      row.key_id as string,
      row.model as string,
      row.deployment as string,
      row.provider as string,
      row.endpoint as string,
      row.http_status as number,
      row.streamed as boolean,
      row.prompt_tokens as string,
      row.completion_tokens as string,
      row.total_tokens as string,
      row.latency_ms as string,
      row.time_to_first_token_ms as string,
      row.charged as boolean,
      formatNumeric(row.cost as string),
    ],
  };
}
