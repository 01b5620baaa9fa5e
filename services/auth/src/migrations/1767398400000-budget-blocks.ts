import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The latest budget state of each key and tenant, as the metering service publishes it on the
 * compacted budget-status topic. Key states are published with `budget_exceeded` from here.
 */
export class BudgetBlocks1767398400000 implements MigrationInterface {
  name = 'BudgetBlocks1767398400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE auth.budget_block (
        scope text NOT NULL CHECK (scope IN ('key', 'tenant')),
        subject_id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        state text NOT NULL CHECK (state IN ('within', 'soft_exceeded', 'hard_exceeded')),
        month text NOT NULL,
        blocked_until timestamptz,
        version bigint NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, subject_id),
        CHECK (state <> 'hard_exceeded' OR blocked_until IS NOT NULL)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE auth.budget_block');
  }
}
