import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollups per tenant × model (no key) by hour and by day: what a tenant-wide series reads (a
 * month of hours is models × 720 rows instead of keys × models × 720), filled from the existing
 * rollups; and indexes for series of one key.
 */
export class ModelRollups1769126400000 implements MigrationInterface {
  name = 'ModelRollups1769126400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const unit of ['hour', 'day']) {
      await queryRunner.query(`
        CREATE TABLE metering.usage_model_${unit} (
          tenant_id text COLLATE "C" NOT NULL,
          bucket timestamptz NOT NULL,
          model text COLLATE "C" NOT NULL,
          requests bigint NOT NULL,
          errors bigint NOT NULL,
          prompt_tokens bigint NOT NULL,
          completion_tokens bigint NOT NULL,
          total_tokens bigint NOT NULL,
          cost numeric(38, 15) NOT NULL,
          PRIMARY KEY (tenant_id, bucket, model)
        )`);
      await queryRunner.query(`CREATE INDEX usage_model_${unit}_bucket ON metering.usage_model_${unit} (bucket)`);
      await queryRunner.query(`
        INSERT INTO metering.usage_model_${unit} (tenant_id, bucket, model, requests, errors, prompt_tokens, completion_tokens, total_tokens, cost)
        SELECT tenant_id, bucket, model, sum(requests), sum(errors), sum(prompt_tokens), sum(completion_tokens), sum(total_tokens), sum(cost)
        FROM metering.usage_${unit} GROUP BY 1, 2, 3`);
      await queryRunner.query(`CREATE INDEX usage_${unit}_tenant_key ON metering.usage_${unit} (tenant_id, key_id, bucket)`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const unit of ['hour', 'day']) {
      await queryRunner.query(`DROP INDEX metering.usage_${unit}_tenant_key`);
      await queryRunner.query(`DROP TABLE metering.usage_model_${unit}`);
    }
  }
}
