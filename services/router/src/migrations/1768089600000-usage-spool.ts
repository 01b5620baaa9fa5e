import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage events Kafka did not take yet (libs/usage's PostgresUsageSpool drains them when it is
 * back). The SQL is spelled out rather than taken from the lib so this migration never changes.
 */
export class UsageSpool1768089600000 implements MigrationInterface {
  name = 'UsageSpool1768089600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE router.usage_spool (
        id bigserial PRIMARY KEY,
        event_id text NOT NULL,
        payload bytea NOT NULL,
        spooled_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE router.usage_spool');
  }
}
