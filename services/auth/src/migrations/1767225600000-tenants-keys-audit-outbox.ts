import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenants, API keys (hashes only), the audit trail and the key-state outbox. */
export class TenantsKeysAuditOutbox1767225600000 implements MigrationInterface {
  name = 'TenantsKeysAuditOutbox1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE auth.tenant (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT tenant_name_unique UNIQUE (name)
      )`);
    await queryRunner.query(`
      CREATE TABLE auth.api_key (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES auth.tenant (id),
        name text NOT NULL,
        display_prefix text NOT NULL,
        secret_hash bytea NOT NULL,
        previous_secret_hash bytea,
        previous_valid_until timestamptz,
        tier text NOT NULL CHECK (tier IN ('free', 'starter', 'pro', 'enterprise')),
        scopes text[] NOT NULL DEFAULT '{}',
        models text[] NOT NULL DEFAULT '{}',
        ip_allowlist text[] NOT NULL DEFAULT '{}',
        expires_at timestamptz,
        metadata jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
        revoked_at timestamptz,
        version bigint NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_rotated_at timestamptz
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX api_key_secret_hash_unique ON auth.api_key (secret_hash)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX api_key_previous_secret_hash_unique ON auth.api_key (previous_secret_hash) WHERE previous_secret_hash IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX api_key_tenant_created ON auth.api_key (tenant_id, created_at DESC, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE auth.audit_event (
        id uuid PRIMARY KEY,
        actor_key_id uuid,
        actor_tenant_id uuid,
        action text NOT NULL,
        target_type text NOT NULL,
        target_id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        source_ip text,
        at timestamptz NOT NULL DEFAULT now(),
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    await queryRunner.query(`CREATE INDEX audit_event_at ON auth.audit_event (at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_event_tenant_at ON auth.audit_event (tenant_id, at DESC, id DESC)`);
    await queryRunner.query(`
      CREATE TABLE auth.key_state_outbox (
        id bigserial PRIMARY KEY,
        key_id uuid NOT NULL,
        payload bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX key_state_outbox_unpublished ON auth.key_state_outbox (id) WHERE published_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE auth.key_state_outbox');
    await queryRunner.query('DROP TABLE auth.audit_event');
    await queryRunner.query('DROP TABLE auth.api_key');
    await queryRunner.query('DROP TABLE auth.tenant');
  }
}
