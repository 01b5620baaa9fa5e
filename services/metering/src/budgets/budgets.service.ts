import { Injectable } from '@nestjs/common';
import { KeyStateCache, KeyStateFollower, type AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { DataSource, type EntityManager } from 'typeorm';
import { formatNumeric } from '../common/decimal';
import { meteringError } from '../common/metering-errors';
import { isKeyIdShaped, keyBudgetAccess, keyOwner, tenantBudgetAccess, type KeyOwner } from './budget-access';
import { BUDGET_STATE_SQL, BudgetEvaluator, budgetMonth, SPENT_SQL, type BudgetScope, type BudgetStateName } from './budget-evaluator';
import { compareDecimals, type BudgetLimits } from './budget.schemas';
import { BudgetStatusRelay } from './budget-status.relay';

export interface BudgetView {
  object: 'budget';
  scope: BudgetScope;
  tenant_id: string;
  key_id: string | null;
  currency: 'usd';
  soft_limit_usd: string | null;
  hard_limit_usd: string | null;
  /** The current calendar month (UTC), "YYYY-MM". */
  month: string;
  spent_usd: string;
  state: BudgetStateName;
  /** Unix seconds; set while the hard budget is exhausted (the start of next month). */
  blocked_until: number | null;
  updated_at: number | null;
}

/** How long a lookup of an unknown key id waits for this replica's key cache to catch up. */
const KEY_SYNC_TIMEOUT_MS = 2_000;

interface BudgetRow {
  soft: string | null;
  hard: string | null;
  spent: string;
  state: BudgetStateName;
  updated_at: Date | null;
}

@Injectable()
export class BudgetsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: KeyStateCache,
    private readonly keyFollower: KeyStateFollower,
    private readonly evaluator: BudgetEvaluator,
    private readonly relay: BudgetStatusRelay,
  ) {}

  async getKey(principal: AuthenticatedPrincipal, keyId: string): Promise<BudgetView> {
    const { owner } = keyBudgetAccess(principal, await this.ownerOf(keyId), keyId, false);
    return this.view(this.dataSource.manager, 'key', owner.keyId, owner.tenantId);
  }

  async putKey(principal: AuthenticatedPrincipal, keyId: string, limits: BudgetLimits): Promise<BudgetView> {
    const { owner } = keyBudgetAccess(principal, await this.ownerOf(keyId), keyId, true);
    return this.write(principal, 'key', owner.keyId, owner.tenantId, limits);
  }

  /**
   * The key's owner from this replica's key cache. A key created a moment ago may not have reached
   * the cache yet: on a miss, the cache first reads the key topic up to its current end.
   */
  private async ownerOf(keyId: string): Promise<KeyOwner | undefined> {
    const owner = keyOwner(this.cache, keyId);
    if (owner || !isKeyIdShaped(keyId)) return owner;
    await this.keyFollower.syncToEnd(KEY_SYNC_TIMEOUT_MS);
    return keyOwner(this.cache, keyId);
  }

  async getTenant(principal: AuthenticatedPrincipal, requestedTenantId: string | undefined): Promise<BudgetView> {
    const { tenantId } = tenantBudgetAccess(principal, requestedTenantId);
    return this.view(this.dataSource.manager, 'tenant', tenantId, tenantId);
  }

  /** A tenant admin may lower its tenant's hard budget (or set one), never raise or remove it. */
  async putTenant(principal: AuthenticatedPrincipal, requestedTenantId: string | undefined, limits: BudgetLimits): Promise<BudgetView> {
    const { tenantId, access } = tenantBudgetAccess(principal, requestedTenantId);
    return this.write(principal, 'tenant', tenantId, tenantId, limits, access !== 'platform_admin');
  }

  private async write(principal: AuthenticatedPrincipal, scope: BudgetScope, subjectId: string, tenantId: string, limits: BudgetLimits, onlyLower = false): Promise<BudgetView> {
    const view = await this.dataSource.transaction(async (manager) => {
      const [current] = (await manager.query(
        `SELECT hard_limit_usd::text AS hard FROM metering.budget WHERE scope = $1 AND subject_id = $2 FOR UPDATE`,
        [scope, subjectId],
      )) as Array<{ hard: string | null }>;
      if (onlyLower) assertOnlyLowers(current?.hard ?? null, limits.hard);
      await manager.query(
        `INSERT INTO metering.budget (scope, subject_id, tenant_id, soft_limit_usd, hard_limit_usd, updated_by_key_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (scope, subject_id) DO UPDATE SET tenant_id = excluded.tenant_id, soft_limit_usd = excluded.soft_limit_usd,
           hard_limit_usd = excluded.hard_limit_usd, updated_by_key_id = excluded.updated_by_key_id, updated_at = now()`,
        [scope, subjectId, tenantId, limits.soft, limits.hard, principal.keyId],
      );
      await this.evaluator.evaluate(manager, [{ scope, subjectId }]);
      return this.view(manager, scope, subjectId, tenantId);
    });
    this.relay.kick();
    return view;
  }

  private async view(manager: EntityManager, scope: BudgetScope, subjectId: string, tenantId: string, now = new Date()): Promise<BudgetView> {
    const { month, nextMonthStart } = budgetMonth(now);
    const [row] = (await manager.query(
      `WITH subject AS (
         SELECT b.soft_limit_usd, b.hard_limit_usd, b.updated_at,
           ${SPENT_SQL('$1::text', '$2::text', '$3::text', '$4::date')} AS spent
         FROM (SELECT 1) one LEFT JOIN metering.budget b ON b.scope = $1 AND b.subject_id = $2
       )
       SELECT soft_limit_usd::text AS soft, hard_limit_usd::text AS hard, spent::text AS spent, updated_at,
         ${BUDGET_STATE_SQL('spent', 'soft_limit_usd', 'hard_limit_usd')} AS state
       FROM subject`,
      [scope, subjectId, tenantId, month],
    )) as BudgetRow[];
    const budget = row!;
    return {
      object: 'budget',
      scope,
      tenant_id: tenantId,
      key_id: scope === 'key' ? subjectId : null,
      currency: 'usd',
      soft_limit_usd: budget.soft === null ? null : formatNumeric(budget.soft),
      hard_limit_usd: budget.hard === null ? null : formatNumeric(budget.hard),
      month: month.slice(0, 7),
      spent_usd: formatNumeric(budget.spent),
      state: budget.state,
      blocked_until: budget.state === 'hard_exceeded' ? Math.floor(nextMonthStart.getTime() / 1000) : null,
      updated_at: budget.updated_at ? Math.floor(budget.updated_at.getTime() / 1000) : null,
    };
  }
}

function assertOnlyLowers(currentHard: string | null, nextHard: string | null): void {
  const raises = nextHard === null ? currentHard !== null : currentHard !== null && compareDecimals(nextHard, formatNumeric(currentHard)) > 0;
  if (raises) {
    throw meteringError(
      'budget_increase_not_allowed',
      nextHard === null
        ? 'A tenant admin cannot remove the tenant’s hard budget; ask a platform admin.'
        : 'A tenant admin can only lower the tenant’s hard budget; ask a platform admin to raise it.',
      'hard_limit_usd',
    );
  }
}
