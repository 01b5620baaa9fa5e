import { Body, Controller, Get, Param, Put, UseGuards } from '@nestjs/common';
import { AllowOverBudget, ApiKeyGuard, RequireScopes } from '@vectorstack/auth-guard';
import { parseOrThrow } from '@vectorstack/http';
import { planBodySchema } from '@vectorstack/ratelimit';
import { planView } from './plan.view';
import { PlansService, tierFromPath } from './plans.service';

/** Any valid key may read the plans (they are what its limits come from); only a platform admin changes them. */
@Controller('v1/plans')
@UseGuards(ApiKeyGuard)
@AllowOverBudget() // managing and reading, not spending: open to a key over its hard budget
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  @Get()
  async list() {
    return { object: 'list', data: (await this.plans.list()).map(planView) };
  }

  @Get(':tier')
  async get(@Param('tier') tier: string) {
    return planView(await this.plans.get(tierFromPath(tier, 'not_found')));
  }

  /** Replaces the tier's plan (absent or null limits: no such limit). Effective on the next check on every replica. */
  @Put(':tier')
  @RequireScopes('admin')
  async put(@Param('tier') tier: string, @Body() body: unknown) {
    const resolved = tierFromPath(tier, 'bad_request');
    return planView(await this.plans.put(resolved, parseOrThrow(planBodySchema, body)));
  }
}
