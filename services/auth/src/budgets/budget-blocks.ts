import type { EntityManager } from 'typeorm';
import type { ApiKey } from '../keys/api-key.entity';

/** A hard budget block in force on a key (its own, its tenant's, or both). */
export interface BudgetBlock {
  /** When the block lifts by itself: the latest end among the blocks that apply. */
  blockedUntil: Date;
}

/** SQL predicate for a budget_block row (under `alias`) that blocks requests now. */
export function blockInForce(alias: string): string {
  return `${alias}.state = 'hard_exceeded' AND ${alias}.blocked_until > now()`;
}

/**
 * The budget block in force on each of `keys`, by key id (absent: not blocked). Read in the
 * caller's transaction, so a key state is published with the blocks its transaction sees.
 */
export async function budgetBlocksFor(manager: EntityManager, keys: readonly ApiKey[]): Promise<Map<string, BudgetBlock>> {
  const blocks = new Map<string, BudgetBlock>();
  if (keys.length === 0) return blocks;
  const rows = (await manager.query(
    `SELECT b.scope, b.subject_id, b.blocked_until FROM auth.budget_block b
      WHERE ${blockInForce('b')}
        AND ((b.scope = 'key' AND b.subject_id = ANY($1::uuid[])) OR (b.scope = 'tenant' AND b.subject_id = ANY($2::uuid[])))`,
    [keys.map((key) => key.id), [...new Set(keys.map((key) => key.tenantId))]],
  )) as Array<{ scope: 'key' | 'tenant'; subject_id: string; blocked_until: Date }>;
  const byKey = new Map(rows.filter((row) => row.scope === 'key').map((row) => [row.subject_id, row.blocked_until]));
  const byTenant = new Map(rows.filter((row) => row.scope === 'tenant').map((row) => [row.subject_id, row.blocked_until]));
  for (const key of keys) {
    const ends = [byKey.get(key.id), byTenant.get(key.tenantId)].filter((end): end is Date => end !== undefined);
    if (ends.length > 0) blocks.set(key.id, { blockedUntil: new Date(Math.max(...ends.map((end) => end.getTime()))) });
  }
  return blocks;
}
