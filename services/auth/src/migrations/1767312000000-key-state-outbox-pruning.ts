import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Published outbox rows are pruned after a retention period; this index finds them. */
export class KeyStateOutboxPruning1767312000000 implements MigrationInterface {
  name = 'KeyStateOutboxPruning1767312000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX key_state_outbox_published ON auth.key_state_outbox (published_at) WHERE published_at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX auth.key_state_outbox_published');
  }
}
