import { Injectable } from '@nestjs/common';
import { KeyStateCache, type AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import {
  effectiveLimits,
  PlanStore,
  raisedLimits,
  RateLimiter,
  DEFAULT_PLANS,
  type LimitOverride,
  type PlanLimits,
  type WindowState,
} from '@vectorstack/ratelimit';
import { ratelimitError } from '../common/ratelimit-errors';
import { limitsView, type LimitsView } from '../plans/plan.view';
import { keyOwner, limitsAccess, type KeyOwner } from './key-owner';

export interface KeyLimitsView {
  object: 'key_limits';
  key_id: string;
  tenant_id: string;
  tier: string;
  /** Only the fields the key overrides (null: limit lifted). */
  overrides: LimitOverride;
  /** The limits the key lives by: its tier's plan with the overrides applied. */
  effective: LimitsView;
  /** Where the key stands now in each limited window. */
  usage: Array<{ window: string; limit: number; remaining: number; reset_at_ms: number }>;
}

@Injectable()
export class LimitsService {
  constructor(
    private readonly cache: KeyStateCache,
    private readonly store: PlanStore,
    private readonly limiter: RateLimiter,
  ) {}

  async get(principal: AuthenticatedPrincipal, keyId: string): Promise<KeyLimitsView> {
    const { owner } = limitsAccess(principal, keyOwner(this.cache, keyId), keyId, false);
    return this.view(owner, await this.store.getOverride(keyId));
  }

  /** Replaces the key's overrides. A tenant admin may only lower the key's effective limits. */
  async put(principal: AuthenticatedPrincipal, keyId: string, override: LimitOverride): Promise<KeyLimitsView> {
    const { owner, access } = limitsAccess(principal, keyOwner(this.cache, keyId), keyId, true);
    if (access !== 'platform_admin') await this.assertOnlyLowers(owner, override);
    return this.view(owner, await this.store.putOverride(keyId, override));
  }

  /** Removes the key's overrides (back to its tier's plan); a tenant admin only when that raises no limit. */
  async delete(principal: AuthenticatedPrincipal, keyId: string): Promise<{ object: 'key_limits'; key_id: string; deleted: boolean }> {
    const { owner, access } = limitsAccess(principal, keyOwner(this.cache, keyId), keyId, true);
    if (access !== 'platform_admin') await this.assertOnlyLowers(owner, {});
    return { object: 'key_limits', key_id: keyId, deleted: await this.store.deleteOverride(keyId) };
  }

  private async planLimits(owner: KeyOwner): Promise<PlanLimits> {
    return (await this.store.getPlan(owner.tier)) ?? DEFAULT_PLANS[owner.tier];
  }

  private async assertOnlyLowers(owner: KeyOwner, next: LimitOverride): Promise<void> {
    const plan = await this.planLimits(owner);
    const before = effectiveLimits(plan, await this.store.getOverride(owner.keyId));
    const raised = raisedLimits(before, effectiveLimits(plan, next));
    if (raised.length > 0) {
      throw ratelimitError(
        'limit_increase_not_allowed',
        `A tenant admin can only lower a key's limits; this change would raise ${raised.join(', ')}. Ask a platform admin.`,
        raised[0],
      );
    }
  }

  private async view(owner: KeyOwner, override: LimitOverride): Promise<KeyLimitsView> {
    const plan = await this.planLimits(owner);
    const current = await this.limiter.peek({ tenantId: owner.tenantId, keyId: owner.keyId, tier: owner.tier, requestCost: 0 });
    return {
      object: 'key_limits',
      key_id: owner.keyId,
      tenant_id: owner.tenantId,
      tier: owner.tier,
      overrides: override,
      effective: limitsView(effectiveLimits(plan, override)),
      usage: current.windows.map((w: WindowState) => ({ window: w.window, limit: w.limit, remaining: w.remaining, reset_at_ms: w.resetAtMs })),
    };
  }
}
