import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query, UseGuards } from '@nestjs/common';
import { AllowOverBudget, ApiKeyGuard, CurrentPrincipal, RequireScopes, type AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { parseOrThrow } from '@vectorstack/http';
import { budgetBody, tenantQuery } from './budget.schemas';
import { BudgetsService } from './budgets.service';

/**
 * Monthly budgets in USD, per key and per tenant (soft: a warning event; hard: the key is refused
 * with 403 budget_exceeded until the budget is raised or the month rolls over).
 */
@Controller('v1/budgets')
@UseGuards(ApiKeyGuard)
@AllowOverBudget() // managing and reading, not spending: open to a key over its hard budget
export class BudgetsController {
  constructor(private readonly budgets: BudgetsService) {}

  @Get('tenant')
  @RequireScopes('usage:read', 'keys:manage')
  getTenant(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Query() query: unknown) {
    return this.budgets.getTenant(principal, parseOrThrow(tenantQuery, query ?? {}).tenant_id);
  }

  @Put('tenant')
  @RequireScopes('keys:manage')
  putTenant(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Query() query: unknown, @Body() body: unknown) {
    return this.budgets.putTenant(principal, parseOrThrow(tenantQuery, query ?? {}).tenant_id, parseOrThrow(budgetBody, body));
  }

  @Delete('tenant')
  @HttpCode(200)
  @RequireScopes('keys:manage')
  deleteTenant(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Query() query: unknown) {
    return this.budgets.putTenant(principal, parseOrThrow(tenantQuery, query ?? {}).tenant_id, { soft: null, hard: null });
  }

  /** A key reads its own budget with any scope; others need usage:read or keys:manage in its tenant. */
  @Get(':keyId')
  getKey(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Param('keyId') keyId: string) {
    return this.budgets.getKey(principal, keyId);
  }

  @Put(':keyId')
  @RequireScopes('keys:manage')
  putKey(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Param('keyId') keyId: string, @Body() body: unknown) {
    return this.budgets.putKey(principal, keyId, parseOrThrow(budgetBody, body));
  }

  @Delete(':keyId')
  @HttpCode(200)
  @RequireScopes('keys:manage')
  deleteKey(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Param('keyId') keyId: string) {
    return this.budgets.putKey(principal, keyId, { soft: null, hard: null });
  }
}
