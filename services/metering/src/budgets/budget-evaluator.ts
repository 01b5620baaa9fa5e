import { Injectable } from '@nestjs/common';
import { Counter, register } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { addMonths, monthOf, monthStart } from '../common/months';

export type BudgetScope = 'key' | 'tenant';
export type BudgetStateName = 'within' | 'soft_exceeded' | 'hard_exceeded';

export interface BudgetSubjectRef {
  readonly scope: BudgetScope;
  /** The key id (scope key) or the tenant id (scope tenant). */
  readonly subjectId: string;
}

function transitionsCounter(): Counter<string> {
  const name = 'vectorstack_metering_budget_transitions_total';
  return (
    (register.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help: 'Budget states decided (a crossing, a clearing, a new month or new limits), by scope and state.', labelNames: ['scope', 'state'] })
  );
}

/** The state of a spend against limits, in SQL so the comparison stays exact (numeric). */
export const BUDGET_STATE_SQL = (spent: string, soft: string, hard: string) => `
  CASE WHEN ${hard} IS NOT NULL AND ${spent} >= ${hard} THEN 'hard_exceeded'
       WHEN ${soft} IS NOT NULL AND ${spent} >= ${soft} THEN 'soft_exceeded'
       ELSE 'within' END`;

/** What a subject spent in a month: its key's spend, or the sum over the tenant's keys. */
export const SPENT_SQL = (scope: string, subject: string, tenant: string, month: string) => `
  coalesce((SELECT sum(m.cost) FROM metering.spend_month m
            WHERE m.month = ${month} AND m.tenant_id = ${tenant} AND (${scope} = 'tenant' OR m.key_id = ${subject})), 0)::numeric(38, 15)`;

/**
 * Locks the budget rows of the subjects to evaluate (all of them for a sweep), in key order so
 * concurrent evaluations cannot deadlock, and returns the subjects that have a budget. Every
 * evaluation of a subject holds its row until its transaction ends, and EVALUATE_SQL runs as the
 * next statement, so it reads the limits and the spend committed by whoever held the row before.
 * Without this, an evaluation that read the old limits (an ingest batch while an admin raises a
 * budget) could commit its stale state over the fresh one, and the key stayed blocked until the
 * next sweep.
 */
const LOCK_SQL = `
SELECT b.scope, b.subject_id FROM metering.budget b
WHERE $3::boolean OR (b.scope, b.subject_id) IN (SELECT scope, subject_id FROM unnest($1::text[], $2::text[]) AS w(scope, subject_id))
ORDER BY b.scope, b.subject_id
FOR UPDATE`;

/**
 * Decides the budget state of subjects for the current month and records a new version of a
 * subject's status whenever the state, the month or the limits changed (the relay publishes
 * it). A budget is exhausted at spend ≥ limit: a hard budget of 0 blocks the key outright.
 * Runs inside the caller's transaction (an ingest batch, a budget change, the periodic sweep),
 * after LOCK_SQL has locked the subjects' budget rows.
 */
const EVALUATE_SQL = `
WITH measured AS (
  SELECT b.scope, b.subject_id, b.tenant_id, b.soft_limit_usd, b.hard_limit_usd,
    ${SPENT_SQL('b.scope', 'b.subject_id', 'b.tenant_id', '$3::date')} AS spent
  FROM metering.budget b
  WHERE (b.scope, b.subject_id) IN (SELECT scope, subject_id FROM unnest($1::text[], $2::text[]) AS w(scope, subject_id))
),
decided AS (
  SELECT m.*, ${BUDGET_STATE_SQL('m.spent', 'm.soft_limit_usd', 'm.hard_limit_usd')} AS state FROM measured m
)
INSERT INTO metering.budget_status AS st (scope, subject_id, tenant_id, month, state, spent_usd, soft_limit_usd, hard_limit_usd,
  blocked_until, changed_at, version)
SELECT scope, subject_id, tenant_id, $3::date, state, spent, soft_limit_usd, hard_limit_usd,
  CASE WHEN state = 'hard_exceeded' THEN $4::timestamptz END, now(), 1
FROM decided
ORDER BY scope, subject_id
ON CONFLICT (scope, subject_id) DO UPDATE SET
  tenant_id = excluded.tenant_id, month = excluded.month, state = excluded.state, spent_usd = excluded.spent_usd,
  soft_limit_usd = excluded.soft_limit_usd, hard_limit_usd = excluded.hard_limit_usd, blocked_until = excluded.blocked_until,
  changed_at = now(), version = st.version + 1
WHERE st.state IS DISTINCT FROM excluded.state OR st.month IS DISTINCT FROM excluded.month
   OR st.soft_limit_usd IS DISTINCT FROM excluded.soft_limit_usd OR st.hard_limit_usd IS DISTINCT FROM excluded.hard_limit_usd
RETURNING scope, state`;

/** The current month's first day ("2025-07-01") and the next month's start (when a hard block lifts). */
export function budgetMonth(now: Date): { month: string; nextMonthStart: Date } {
  const current = monthOf(now);
  return { month: monthStart(current).toISOString().slice(0, 10), nextMonthStart: monthStart(addMonths(current, 1)) };
}

@Injectable()
export class BudgetEvaluator {
  private readonly transitions = transitionsCounter();

  /** Evaluates the given subjects (those without a budget are skipped); returns how many states were recorded. */
  evaluate(manager: EntityManager, subjects: readonly BudgetSubjectRef[], now = new Date()): Promise<number> {
    const wanted = subjects.filter((s) => s.subjectId !== '');
    if (wanted.length === 0) return Promise.resolve(0);
    return this.run(manager, wanted, false, now);
  }

  /** Evaluates every budget (month rollover, changes made elsewhere). */
  evaluateAll(manager: EntityManager, now = new Date()): Promise<number> {
    return this.run(manager, [], true, now);
  }

  private async run(manager: EntityManager, subjects: readonly BudgetSubjectRef[], all: boolean, now: Date): Promise<number> {
    const budgeted = (await manager.query(LOCK_SQL, [subjects.map((s) => s.scope), subjects.map((s) => s.subjectId), all])) as Array<{
      scope: BudgetScope;
      subject_id: string;
    }>;
    if (budgeted.length === 0) return 0;
    const { month, nextMonthStart } = budgetMonth(now);
    const changed = (await manager.query(EVALUATE_SQL, [
      budgeted.map((s) => s.scope),
      budgeted.map((s) => s.subject_id),
      month,
      nextMonthStart.toISOString(),
    ])) as Array<{ scope: BudgetScope; state: BudgetStateName }>;
    for (const row of changed) this.transitions.inc({ scope: row.scope, state: row.state });
    return changed.length;
  }
}
