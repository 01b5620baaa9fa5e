import { Body, Controller, Delete, Get, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { AllowOverBudget, ApiKeyGuard, CurrentPrincipal, RequireScopes, type AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { parseOrThrow } from '@vectorstack/http';
import { limitOverrideSchema } from '@vectorstack/ratelimit';
import { LimitsService } from './limits.service';

/**
 * Per-key overrides. Read: a platform admin, the key's tenant admin, or the key itself.
 * Change: a platform admin (anything) or the key's tenant admin (only lowering).
 */
@Controller('v1/limits')
@UseGuards(ApiKeyGuard)
@AllowOverBudget() // managing and reading, not spending: open to a key over its hard budget
export class LimitsController {
  constructor(private readonly limits: LimitsService) {}

  @Get(':keyId')
  get(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Param('keyId') keyId: string) {
    return this.limits.get(principal, keyId);
  }

  @Put(':keyId')
  @RequireScopes('admin', 'keys:manage')
  put(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Param('keyId') keyId: string, @Body() body: unknown) {
    return this.limits.put(principal, keyId, parseOrThrow(limitOverrideSchema, body));
  }

  @Delete(':keyId')
  @HttpCode(200)
  @RequireScopes('admin', 'keys:manage')
  delete(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Param('keyId') keyId: string) {
    return this.limits.delete(principal, keyId);
  }
}
