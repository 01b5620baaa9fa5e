import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The model catalog (entries and their deployments) and its outbox to the compacted catalog topic. */
export class ModelCatalog1768003200000 implements MigrationInterface {
  name = 'ModelCatalog1768003200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One sequence for every change of every entry: versions only grow, even across delete and re-create.
    await queryRunner.query(`CREATE SEQUENCE router.model_version`);
    await queryRunner.query(`
      CREATE TABLE router.model (
        id text PRIMARY KEY,
        aliases text[] NOT NULL DEFAULT '{}',
        display_name text NOT NULL,
        owned_by text NOT NULL,
        context_window integer NOT NULL CHECK (context_window > 0),
        max_output_tokens integer NOT NULL CHECK (max_output_tokens > 0 AND max_output_tokens <= context_window),
        input_price_per_1k numeric(20, 12) NOT NULL CHECK (input_price_per_1k >= 0),
        output_price_per_1k numeric(20, 12) NOT NULL CHECK (output_price_per_1k >= 0),
        tiers text[] NOT NULL CHECK (cardinality(tiers) > 0 AND tiers <@ ARRAY['free', 'starter', 'pro', 'enterprise']),
        disabled boolean NOT NULL DEFAULT false,
        disabled_message text,
        fallbacks text[] NOT NULL DEFAULT '{}',
        seed_digest text,
        version bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX model_aliases ON router.model USING gin (aliases)`);
    await queryRunner.query(`
      CREATE TABLE router.model_deployment (
        model_id text NOT NULL REFERENCES router.model (id) ON DELETE CASCADE,
        id text NOT NULL,
        position integer NOT NULL,
        provider text NOT NULL CHECK (provider IN ('openai-compatible', 'anthropic')),
        base_url text NOT NULL CHECK (base_url ~ '^https?://'),
        upstream_model text NOT NULL,
        -- A reference to where the credential is, never the credential itself.
        credential_ref text CHECK (credential_ref ~ '^(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)$'),
        weight integer NOT NULL CHECK (weight > 0),
        timeout_ms integer NOT NULL CHECK (timeout_ms > 0),
        max_retries integer NOT NULL CHECK (max_retries >= 0),
        PRIMARY KEY (model_id, id)
      )`);
    await queryRunner.query(`
      CREATE TABLE router.model_catalog_outbox (
        id bigserial PRIMARY KEY,
        model_id text NOT NULL,
        payload bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX model_catalog_outbox_unpublished ON router.model_catalog_outbox (id) WHERE published_at IS NULL`);
    await queryRunner.query(`CREATE INDEX model_catalog_outbox_published ON router.model_catalog_outbox (published_at) WHERE published_at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE router.model_catalog_outbox');
    await queryRunner.query('DROP TABLE router.model_deployment');
    await queryRunner.query('DROP TABLE router.model');
    await queryRunner.query('DROP SEQUENCE router.model_version');
  }
}
