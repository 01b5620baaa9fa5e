import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { parseOrThrow } from '@vectorstack/http';
import { parseQuery, pathIdOrNotFound } from '../common/request-parsing';
import { AllowOverBudget, ApiKeyGuard, CurrentPrincipal, RequireScopes } from '@vectorstack/auth-guard';
import { type Actor, CurrentActor, type RequestPrincipal } from '../principal/principal';
import { createTenantBody, listTenantsQuery, updateTenantBody } from './tenant.schemas';
import { TenantsService } from './tenants.service';

@Controller('v1/tenants')
@UseGuards(ApiKeyGuard)
@AllowOverBudget() // managing and reading, not spending: open to a key over its hard budget
@RequireScopes('admin')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @HttpCode(201)
  create(@CurrentActor() actor: Actor, @Body() body: unknown) {
    return this.tenants.create(actor, parseOrThrow(createTenantBody, body));
  }

  @Get()
  list(@Query() rawQuery: unknown) {
    const query = parseQuery(listTenantsQuery, rawQuery);
    return this.tenants.list(query.limit, query.after);
  }

  @Get(':id')
  @RequireScopes('admin', 'keys:manage')
  get(@CurrentPrincipal() principal: RequestPrincipal, @Param('id') id: string) {
    return this.tenants.get(principal, pathIdOrNotFound(id, 'tenant'));
  }

  @Patch(':id')
  update(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() body: unknown) {
    return this.tenants.update(actor, pathIdOrNotFound(id, 'tenant'), parseOrThrow(updateTenantBody, body));
  }
}
