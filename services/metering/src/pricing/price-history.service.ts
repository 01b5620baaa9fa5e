import { Injectable, Logger } from '@nestjs/common';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { ModelCatalogEntry } from '@vectorstack/contracts';
import { Counter, register } from 'prom-client';
import { DataSource } from 'typeorm';
import { parseDecimal } from '../common/decimal';
import { lockLedgerExclusive } from '../common/ledger-lock';
import { ROLLUP_TABLES, monthOfSql } from '../ledger/rollup-sql';

/** The catalog's prices are numeric(20, 12): at most 8 integer digits and 12 decimals. */
const PRICE_INTEGER_DIGITS = 8;
const PRICE_FRACTION_DIGITS = 12;

function correctionsCounter(): Counter<string> {
  const name = 'vectorstack_metering_price_corrections_total';
  return (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help: 'Events re-priced because a price became known after they were ingested.' });
}

export interface CatalogPrice {
  readonly model: string;
  readonly input: string;
  readonly output: string;
  /** When the entry (and so this price) last changed. */
  readonly updatedAt: Date;
  /** When the entry was created: the first price of a model applies from then. */
  readonly createdAt: Date;
  readonly version: bigint;
}

export type PriceParse = { ok: true; price: CatalogPrice } | { ok: false; reason: string };

/** The prices of a catalog entry, validated as exact decimals. */
export function catalogPrice(entry: ModelCatalogEntry): PriceParse {
  if (!entry.id) return { ok: false, reason: 'entry without id' };
  const input = parseDecimal(entry.inputPricePer1k || '0', PRICE_INTEGER_DIGITS, PRICE_FRACTION_DIGITS);
  if (!input.ok) return { ok: false, reason: `input_price_per_1k '${entry.inputPricePer1k}' ${input.reason}` };
  const output = parseDecimal(entry.outputPricePer1k || '0', PRICE_INTEGER_DIGITS, PRICE_FRACTION_DIGITS);
  if (!output.ok) return { ok: false, reason: `output_price_per_1k '${entry.outputPricePer1k}' ${output.reason}` };
  const updatedAt = entry.updatedAt ? timestampDate(entry.updatedAt) : entry.createdAt ? timestampDate(entry.createdAt) : undefined;
  if (!updatedAt) return { ok: false, reason: 'entry without updated_at' };
  const createdAt = entry.createdAt ? timestampDate(entry.createdAt) : updatedAt;
  return { ok: true, price: { model: entry.id, input: input.value, output: output.value, updatedAt, createdAt: createdAt <= updatedAt ? createdAt : updatedAt, version: entry.version } };
}

/**
 * Re-prices the charged events of `$1` (model) that occurred from `$2` (the new row's
 * effective_from) up to the model's next price change and were priced before this row existed
 * (with an older price, or none), and moves the rollups and the monthly spend by the difference.
 * Request and token counts do not change, so only `cost` moves.
 */
const REPRICE_SQL = `
WITH next_change AS (
  SELECT min(effective_from) AS until FROM metering.model_price WHERE model = $1 AND effective_from > $2::timestamptz
),
stale AS (
  SELECT e.event_id, e.occurred_at, e.cost AS old_cost,
    ((e.prompt_tokens * $3::numeric + e.completion_tokens * $4::numeric) * 0.001)::numeric(38, 15) AS new_cost
  FROM metering.usage_event e, next_change n
  WHERE e.model = $1 AND e.charged AND e.occurred_at >= $2::timestamptz AND (n.until IS NULL OR e.occurred_at < n.until)
    AND (e.price_effective_from IS NULL OR e.price_effective_from < $2::timestamptz)
),
updated AS (
  UPDATE metering.usage_event e SET cost = s.new_cost, price_effective_from = $2::timestamptz
  FROM stale s
  WHERE e.event_id = s.event_id AND e.occurred_at = s.occurred_at
  RETURNING e.tenant_id, e.key_id, e.model, e.occurred_at, s.new_cost - s.old_cost AS delta
),
${ROLLUP_TABLES.map(({ table, unit, keyed }) => {
  // One delta row per rollup row: an UPDATE … FROM applies only one match per target row.
  const match = keyed ? 'r.key_id = d.key_id AND r.model = d.model' : 'r.model = d.model';
  const deltas = keyed
    ? `SELECT tenant_id, date_trunc('${unit}', occurred_at, 'UTC') AS bucket, key_id, model, sum(delta) AS delta FROM updated GROUP BY 1, 2, 3, 4`
    : `SELECT tenant_id, date_trunc('${unit}', occurred_at, 'UTC') AS bucket, model, sum(delta) AS delta FROM updated GROUP BY 1, 2, 3`;
  return `${table} AS (
  UPDATE metering.${table} r SET cost = r.cost + d.delta
  FROM (${deltas}) d
  WHERE r.tenant_id = d.tenant_id AND r.bucket = d.bucket AND ${match}
  RETURNING 1
)`;
}).join(',\n')},
spend AS (
  UPDATE metering.spend_month s SET cost = s.cost + d.delta
  FROM (SELECT tenant_id, ${monthOfSql('occurred_at')} AS month, key_id, sum(delta) AS delta FROM updated GROUP BY 1, 2, 3) d
  WHERE s.tenant_id = d.tenant_id AND s.month = d.month AND s.key_id = d.key_id
  RETURNING 1
)
SELECT (SELECT count(*) FROM updated)::int AS corrected`;

/**
 * The price history: one row per model and price change, taken from the router's catalog, never
 * rewritten. An event is priced with the row in effect at its occurred_at, so a later change
 * does not touch past costs. A row that arrives after events it covers were ingested (the
 * catalog topic read a moment late) corrects those events in the same transaction.
 */
@Injectable()
export class PriceHistory {
  private readonly logger = new Logger('PriceHistory');
  private readonly corrections = correctionsCounter();

  constructor(private readonly dataSource: DataSource) {}

  /** Records the entry's prices if they differ from the ones in effect at its time; returns the events corrected. */
  async apply(entry: ModelCatalogEntry): Promise<{ recorded: boolean; corrected: number }> {
    const parsed = catalogPrice(entry);
    if (!parsed.ok) {
      this.logger.warn(`catalog entry ${entry.id || '(no id)'} ignored for pricing: ${parsed.reason}`);
      return { recorded: false, corrected: 0 };
    }
    const price = parsed.price;
    const effectiveFrom = await this.effectiveFromIfChanged(price);
    if (!effectiveFrom) return { recorded: false, corrected: 0 };
    return this.dataSource.transaction(async (manager) => {
      await lockLedgerExclusive(manager);
      const inserted = (await manager.query(
        `INSERT INTO metering.model_price (model, effective_from, input_price_per_1k, output_price_per_1k, catalog_version)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING model`,
        [price.model, effectiveFrom.toISOString(), price.input, price.output, price.version.toString()],
      )) as unknown[];
      if (inserted.length === 0) return { recorded: false, corrected: 0 };
      const [{ corrected }] = (await manager.query(REPRICE_SQL, [price.model, effectiveFrom.toISOString(), price.input, price.output])) as Array<{ corrected: number }>;
      this.logger.log(
        `price of ${price.model} from ${effectiveFrom.toISOString()}: input ${price.input}, output ${price.output} per 1K tokens` +
          (corrected > 0 ? `; re-priced ${corrected} events ingested before it was known` : ''),
      );
      if (corrected > 0) this.corrections.inc(corrected);
      return { recorded: true, corrected };
    });
  }

  /**
   * When the entry's prices start to apply, or undefined when they are the ones already in
   * effect at its time. The first price known for a model applies from the entry's creation.
   */
  private async effectiveFromIfChanged(price: CatalogPrice): Promise<Date | undefined> {
    const rows = (await this.dataSource.query(
      `SELECT input_price_per_1k = $3::numeric AND output_price_per_1k = $4::numeric AS same
       FROM metering.model_price WHERE model = $1 AND effective_from <= $2 ORDER BY effective_from DESC LIMIT 1`,
      [price.model, price.updatedAt.toISOString(), price.input, price.output],
    )) as Array<{ same: boolean }>;
    const current = rows[0];
    if (current?.same) return undefined;
    if (current) return price.updatedAt;
    const [{ known }] = (await this.dataSource.query(`SELECT count(*)::int AS known FROM metering.model_price WHERE model = $1`, [price.model])) as Array<{
      known: number;
    }>;
    return known === 0 ? price.createdAt : price.updatedAt;
  }
}
