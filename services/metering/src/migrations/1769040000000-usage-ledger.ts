import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The usage ledger: raw events (monthly partitions on occurred_at, created ahead by the service),
 * rollups per tenant × key × model × minute / hour / day and per month (budgets), the price
 * history taken from the router's catalog, budgets and their published state.
 *
 * Identifiers are `text COLLATE "C"`: ids are compared byte-wise (faster, and no locale can make
 * two ids equal). Money is `numeric(38,15)`: a price has at most 12 decimals (the catalog's
 * numeric(20,12)) and a cost is tokens × price / 1000, so 15 decimals hold every cost exactly.
 */
export class UsageLedger1769040000000 implements MigrationInterface {
  name = 'UsageLedger1769040000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A unique constraint on a partitioned table must include the partition key. An event's
    // occurred_at never changes (a redelivery or a re-publication carries the same payload),
    // so (event_id, occurred_at) deduplicates exactly like event_id would.
    await queryRunner.query(`
      CREATE TABLE metering.usage_event (
        event_id text COLLATE "C" NOT NULL,
        occurred_at timestamptz NOT NULL,
        request_id text NOT NULL,
        source smallint NOT NULL,
        tenant_id text COLLATE "C" NOT NULL,
        key_id text COLLATE "C" NOT NULL,
        model text COLLATE "C" NOT NULL,
        deployment text NOT NULL,
        provider text NOT NULL,
        endpoint text NOT NULL,
        http_status integer NOT NULL,
        streamed boolean NOT NULL,
        prompt_tokens bigint NOT NULL,
        completion_tokens bigint NOT NULL,
        total_tokens bigint NOT NULL,
        latency_ms bigint NOT NULL,
        time_to_first_token_ms bigint NOT NULL,
        charged boolean NOT NULL,
        cost numeric(38, 15) NOT NULL,
        price_effective_from timestamptz,
        kafka_partition integer NOT NULL,
        kafka_offset bigint NOT NULL,
        ingested_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (event_id, occurred_at)
      ) PARTITION BY RANGE (occurred_at)`);
    await queryRunner.query(`CREATE INDEX usage_event_tenant_time ON metering.usage_event (tenant_id, occurred_at)`);
    // Events arrive roughly in time order: a BRIN index finds a time range (price corrections) for almost nothing.
    await queryRunner.query(`CREATE INDEX usage_event_time_brin ON metering.usage_event USING brin (occurred_at)`);

    const rollupColumns = `
        tenant_id text COLLATE "C" NOT NULL,
        bucket timestamptz NOT NULL,
        key_id text COLLATE "C" NOT NULL,
        model text COLLATE "C" NOT NULL,
        requests bigint NOT NULL,
        errors bigint NOT NULL,
        prompt_tokens bigint NOT NULL,
        completion_tokens bigint NOT NULL,
        total_tokens bigint NOT NULL,
        cost numeric(38, 15) NOT NULL,
        PRIMARY KEY (tenant_id, bucket, key_id, model)`;
    // Minute rollups grow like the raw events and share their retention (monthly partitions).
    await queryRunner.query(`CREATE TABLE metering.usage_minute (${rollupColumns}) PARTITION BY RANGE (bucket)`);
    await queryRunner.query(`CREATE TABLE metering.usage_hour (${rollupColumns})`);
    await queryRunner.query(`CREATE TABLE metering.usage_day (${rollupColumns})`);
    // A platform admin's all-tenant view scans by time.
    await queryRunner.query(`CREATE INDEX usage_hour_bucket ON metering.usage_hour (bucket)`);
    await queryRunner.query(`CREATE INDEX usage_day_bucket ON metering.usage_day (bucket)`);

    // What each key spent per calendar month (UTC): the budgets' running total.
    await queryRunner.query(`
      CREATE TABLE metering.spend_month (
        tenant_id text COLLATE "C" NOT NULL,
        month date NOT NULL,
        key_id text COLLATE "C" NOT NULL,
        cost numeric(38, 15) NOT NULL,
        PRIMARY KEY (tenant_id, month, key_id)
      )`);

    // Prices by model over time: a new row when the catalog changes a model's prices, never an update.
    await queryRunner.query(`
      CREATE TABLE metering.model_price (
        model text COLLATE "C" NOT NULL,
        effective_from timestamptz NOT NULL,
        input_price_per_1k numeric(20, 12) NOT NULL,
        output_price_per_1k numeric(20, 12) NOT NULL,
        catalog_version bigint NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model, effective_from)
      )`);

    await queryRunner.query(`
      CREATE TABLE metering.budget (
        scope text NOT NULL CHECK (scope IN ('key', 'tenant')),
        subject_id text COLLATE "C" NOT NULL,
        tenant_id text COLLATE "C" NOT NULL,
        soft_limit_usd numeric(20, 6) CHECK (soft_limit_usd >= 0),
        hard_limit_usd numeric(20, 6) CHECK (hard_limit_usd >= 0),
        updated_by_key_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, subject_id),
        CHECK (soft_limit_usd IS NULL OR hard_limit_usd IS NULL OR soft_limit_usd <= hard_limit_usd)
      )`);
    await queryRunner.query(`CREATE INDEX budget_tenant ON metering.budget (tenant_id)`);

    // The state last decided per subject; the row doubles as the outbox of the compacted budget
    // topic (version > published_version: not on Kafka yet). Rows are never deleted, so versions
    // keep increasing even when a budget is removed and set again.
    await queryRunner.query(`
      CREATE TABLE metering.budget_status (
        scope text NOT NULL CHECK (scope IN ('key', 'tenant')),
        subject_id text COLLATE "C" NOT NULL,
        tenant_id text COLLATE "C" NOT NULL,
        month date NOT NULL,
        state text NOT NULL CHECK (state IN ('within', 'soft_exceeded', 'hard_exceeded')),
        spent_usd numeric(38, 15) NOT NULL,
        soft_limit_usd numeric(20, 6),
        hard_limit_usd numeric(20, 6),
        blocked_until timestamptz,
        changed_at timestamptz NOT NULL,
        version bigint NOT NULL,
        published_version bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (scope, subject_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX budget_status_unpublished ON metering.budget_status (scope, subject_id) WHERE version > published_version`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['budget_status', 'budget', 'model_price', 'spend_month', 'usage_day', 'usage_hour', 'usage_minute', 'usage_event']) {
      await queryRunner.query(`DROP TABLE metering.${table}`);
    }
  }
}
