/**
 * Budget evaluations that overlap, on the platform's Postgres: an ingest batch evaluating a key
 * while an admin raises its budget, and a sweep evaluating it while a batch spends over it. The
 * state left behind is the one that takes every committed change into account, whichever
 * transaction commits last.
 */
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { sleep, testInfra } from '../testing/metering-api';
import { BudgetEvaluator, budgetMonth } from './budget-evaluator';

interface Status {
  state: string;
  hard: string | null;
  spent: string;
}

describe('overlapping budget evaluations', () => {
  const evaluator = new BudgetEvaluator();
  let dataSource: DataSource;
  const { month } = budgetMonth(new Date());

  beforeAll(async () => {
    dataSource = new DataSource({ type: 'postgres', url: testInfra.databaseUrl() });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  /** A key of a fresh tenant with a hard budget and what it spent this month, evaluated. */
  async function budgetedKey(hardLimit: string, spent: string): Promise<{ tenantId: string; keyId: string }> {
    const tenantId = `budget-race-${randomUUID()}`;
    const keyId = randomUUID();
    await dataSource.query(`INSERT INTO metering.budget (scope, subject_id, tenant_id, hard_limit_usd) VALUES ('key', $1, $2, $3)`, [keyId, tenantId, hardLimit]);
    await dataSource.query(`INSERT INTO metering.spend_month (tenant_id, month, key_id, cost) VALUES ($1, $2, $3, $4)`, [tenantId, month, keyId, spent]);
    await dataSource.transaction((manager) => evaluator.evaluate(manager, [{ scope: 'key', subjectId: keyId }]));
    return { tenantId, keyId };
  }

  async function statusOf(keyId: string): Promise<Status> {
    const [row] = (await dataSource.query(
      `SELECT state, hard_limit_usd::text AS hard, spent_usd::text AS spent FROM metering.budget_status WHERE scope = 'key' AND subject_id = $1`,
      [keyId],
    )) as Status[];
    return row!;
  }

  /**
   * Runs `first` in a transaction and, while it is still open, starts `second` in another one;
   * commits `first` once `second` has had time to read (and, unguarded, to decide on old data).
   */
  async function overlap(first: (manager: EntityManager) => Promise<unknown>, second: (manager: EntityManager) => Promise<unknown>): Promise<void> {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await first(runner.manager);
      let secondDone = false;
      const later = dataSource.transaction(second).then(() => (secondDone = true));
      await sleep(300);
      expect(secondDone).toBe(false); // it waits for the first transaction's lock
      await runner.commitTransaction();
      await later;
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  it('keeps a raised budget’s clearing when an ingest batch evaluated the key meanwhile', async () => {
    const { keyId } = await budgetedKey('0.02', '0.026');
    expect(await statusOf(keyId)).toMatchObject({ state: 'hard_exceeded', hard: '0.020000' });

    // The admin's raise (as BudgetsService.write does it) against a batch evaluating the same key.
    await overlap(
      async (manager) => {
        await manager.query(`SELECT 1 FROM metering.budget WHERE scope = 'key' AND subject_id = $1 FOR UPDATE`, [keyId]);
        await manager.query(`UPDATE metering.budget SET hard_limit_usd = 100 WHERE scope = 'key' AND subject_id = $1`, [keyId]);
        await evaluator.evaluate(manager, [{ scope: 'key', subjectId: keyId }]);
      },
      (manager) => evaluator.evaluate(manager, [{ scope: 'key', subjectId: keyId }]),
    );
    expect(await statusOf(keyId)).toEqual({ state: 'within', hard: '100.000000', spent: '0.026000000000000' });
  });

  it('keeps a batch’s crossing when a sweep evaluated every budget meanwhile', async () => {
    const { tenantId, keyId } = await budgetedKey('0.02', '0.013');
    expect(await statusOf(keyId)).toMatchObject({ state: 'within' });

    // A batch spends over the budget and evaluates the key; the periodic sweep runs meanwhile.
    await overlap(
      async (manager) => {
        await manager.query(`UPDATE metering.spend_month SET cost = cost + 0.013 WHERE tenant_id = $1 AND month = $2 AND key_id = $3`, [tenantId, month, keyId]);
        await evaluator.evaluate(manager, [{ scope: 'key', subjectId: keyId }]);
      },
      (manager) => evaluator.evaluateAll(manager),
    );
    expect(await statusOf(keyId)).toEqual({ state: 'hard_exceeded', hard: '0.020000', spent: '0.026000000000000' });
  });

  it('skips subjects without a budget', async () => {
    await dataSource.transaction(async (manager) => {
      expect(await evaluator.evaluate(manager, [{ scope: 'key', subjectId: randomUUID() }])).toBe(0);
    });
  });
});
