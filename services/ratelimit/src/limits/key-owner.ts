import { hasScope, tierName, type AuthenticatedPrincipal, type KeyStateCache } from '@vectorstack/auth-guard';
import { isPlanTier, type PlanTier } from '@vectorstack/ratelimit';
import { ratelimitError } from '../common/ratelimit-errors';

export interface KeyOwner {
  readonly keyId: string;
  readonly tenantId: string;
  readonly tier: PlanTier;
}

const KEY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The tenant and tier of a key, from the key-state cache the guard keeps (fed by the compacted key topic). */
export function keyOwner(cache: KeyStateCache, keyId: string): KeyOwner | undefined {
  if (!KEY_ID.test(keyId)) return undefined;
  const principal = cache.stateOf(keyId)?.principal;
  if (!principal) return undefined;
  const tier = tierName(principal.tier);
  return { keyId, tenantId: principal.tenantId, tier: isPlanTier(tier) ? tier : 'free' };
}

export type LimitsAccess = 'platform_admin' | 'tenant_admin' | 'self';

/**
 * Who may see or change a key's limits: a platform admin any key; a tenant admin (keys:manage)
 * the keys of its own tenant (changes may only lower them); a key its own limits (read only).
 * Anything else is the same 404 as an unknown key, so other tenants' key ids are not revealed.
 */
export function limitsAccess(principal: AuthenticatedPrincipal, owner: KeyOwner | undefined, keyId: string, write: boolean): { owner: KeyOwner; access: LimitsAccess } {
  const notFound = () => ratelimitError('key_not_found', `No API key with id '${keyId}'.`, 'key_id');
  if (!owner) throw notFound();
  if (principal.scopes.includes('admin')) return { owner, access: 'platform_admin' };
  if (owner.tenantId === principal.tenantId && hasScope(principal, 'keys:manage')) return { owner, access: 'tenant_admin' };
  if (!write && owner.keyId === principal.keyId) return { owner, access: 'self' };
  throw notFound();
}
