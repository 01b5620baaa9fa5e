import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { PLAN_TIERS, PlanStore, planFromBody, type PlanBody, type PlanTier, type StoredPlan } from '@vectorstack/ratelimit';
import { ratelimitError } from '../common/ratelimit-errors';

@Injectable()
export class PlansService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Plans');

  constructor(private readonly store: PlanStore) {}

  /**
   * Seeds the default plans of tiers that have none (never overwriting an admin's change)
   * and brings every shard's copy up to date. If Redis is away at start-up the service
   * starts anyway: the limiter seeds on the first check that finds no plan.
   */
  async onApplicationBootstrap(): Promise<void> {
    try {
      const seeded = await this.store.seedDefaults();
      if (seeded.length > 0) this.logger.log(`seeded default plans: ${seeded.join(', ')}`);
    } catch (error) {
      this.logger.warn(`could not seed the default plans now (${String(error)}); the limiter seeds them on first use`);
    }
  }

  async list(): Promise<StoredPlan[]> {
    return this.store.listPlans();
  }

  async get(tier: PlanTier): Promise<StoredPlan> {
    const plan = await this.store.getPlan(tier);
    if (!plan) throw ratelimitError('plan_not_found', `No plan is stored for tier '${tier}'.`, 'tier');
    return plan;
  }

  async put(tier: PlanTier, body: PlanBody): Promise<StoredPlan> {
    return this.store.putPlan(tier, planFromBody(tier, body));
  }
}

/** A tier from a path: unknown tiers are a 400 naming `tier` (or a 404 for reads). */
export function tierFromPath(value: string, unknown: 'bad_request' | 'not_found'): PlanTier {
  const tier = PLAN_TIERS.find((candidate) => candidate === value);
  if (tier) return tier;
  const message = `Unknown tier '${value}'; expected one of ${PLAN_TIERS.join(', ')}.`;
  throw unknown === 'bad_request' ? ratelimitError('unknown_tier', message) : ratelimitError('plan_not_found', message, 'tier');
}
