import { ApiError } from '@vectorstack/http';
import type { AuthenticatedPrincipal, TierName } from './principal';

/**
 * Refuses a model outside the key's allow-list or its tier (the router calls this
 * once it knows the model): 403 permission_error / model_access_denied.
 */
export function assertModelAccess(principal: AuthenticatedPrincipal, modelId: string, tiersAllowed: readonly TierName[]): void {
  const inAllowList = principal.models.length === 0 || principal.models.includes(modelId);
  const inTier = tiersAllowed.length === 0 || tiersAllowed.includes(principal.tier);
  if (!inAllowList || !inTier) {
    throw ApiError.forbidden(`Access denied: this key may not use the model '${modelId}'.`, 'model_access_denied');
  }
}
