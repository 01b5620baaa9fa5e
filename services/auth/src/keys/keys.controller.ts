import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { parseOrThrow } from '@vectorstack/http';
import { parseOptionalBody, parseQuery, pathIdOrNotFound } from '../common/request-parsing';
import { AllowOverBudget, ApiKeyGuard, CurrentPrincipal, RequireScopes } from '@vectorstack/auth-guard';
import { type Actor, CurrentActor, type RequestPrincipal } from '../principal/principal';
import { createKeyBody, listKeysQuery, rotateKeyBody, updateKeyBody } from './key.schemas';
import { KeysService } from './keys.service';

/** Platform admins manage every tenant's keys; tenant admins (keys:manage) only their own tenant's. */
@Controller('v1/keys')
@UseGuards(ApiKeyGuard)
@AllowOverBudget() // managing and reading, not spending: open to a key over its hard budget
@RequireScopes('admin', 'keys:manage')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post()
  @HttpCode(201)
  create(@CurrentActor() actor: Actor, @Body() body: unknown) {
    return this.keys.create(actor, parseOrThrow(createKeyBody, body));
  }

  @Get()
  list(@CurrentPrincipal() principal: RequestPrincipal, @Query() rawQuery: unknown) {
    const query = parseQuery(listKeysQuery, rawQuery);
    return this.keys.list(principal, { tenantId: query.tenant_id, limit: query.limit, after: query.after });
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: RequestPrincipal, @Param('id') id: string) {
    return this.keys.get(principal, pathIdOrNotFound(id, 'API key'));
  }

  @Patch(':id')
  update(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() body: unknown) {
    return this.keys.update(actor, pathIdOrNotFound(id, 'API key'), parseOrThrow(updateKeyBody, body));
  }

  @Delete(':id')
  @HttpCode(200)
  revoke(@CurrentActor() actor: Actor, @Param('id') id: string) {
    return this.keys.revoke(actor, pathIdOrNotFound(id, 'API key'));
  }

  @Post(':id/rotate')
  @HttpCode(200)
  rotate(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() body: unknown) {
    return this.keys.rotate(actor, pathIdOrNotFound(id, 'API key'), parseOptionalBody(rotateKeyBody, body));
  }
}
