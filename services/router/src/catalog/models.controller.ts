import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, CurrentPrincipal, RequireScopes, type AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { ModelCatalog } from './model-catalog';
import { publicModelView } from './model.view';

/**
 * The OpenAI model list for API keys, answered from this replica's catalog copy: only enabled
 * models the key may use (allow-list and tier). A disabled model is not offered; asking for it
 * by id answers 403 MODEL_DISABLED, as using it does.
 */
@Controller('v1/models')
@UseGuards(ApiKeyGuard)
@RequireScopes('chat', 'embeddings')
export class ModelsController {
  constructor(private readonly catalog: ModelCatalog) {}

  @Get()
  list(@CurrentPrincipal() principal: AuthenticatedPrincipal) {
    return { object: 'list' as const, data: this.catalog.usableBy(principal).map(publicModelView) };
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Param('id') id: string) {
    const entry = this.catalog.entryFor(principal, id);
    if (entry.disabled) throw this.catalog.disabledError(entry, principal);
    return publicModelView(entry);
  }
}
