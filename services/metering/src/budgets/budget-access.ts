import { hasScope, type AuthenticatedPrincipal, type KeyStateCache } from '@vectorstack/auth-guard';
import { meteringError } from '../common/metering-errors';

export interface KeyOwner {
  readonly keyId: string;
  readonly tenantId: string;
}

const KEY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Whether `keyId` could name a key at all (anything else is a 404 without a lookup). */
export const isKeyIdShaped = (keyId: string): boolean => KEY_ID.test(keyId);

/** The tenant of a key, from the key-state cache the guard keeps (fed by the compacted key topic). */
export function keyOwner(cache: KeyStateCache, keyId: string): KeyOwner | undefined {
  if (!isKeyIdShaped(keyId)) return undefined;
  const principal = cache.stateOf(keyId)?.principal;
  return principal ? { keyId, tenantId: principal.tenantId } : undefined;
}

export type BudgetAccess = 'platform_admin' | 'tenant_admin' | 'reader';

export const isPlatformAdmin = (principal: AuthenticatedPrincipal) => principal.scopes.includes('admin');

/**
 * Who may see or set a key's budget: a platform admin any key; a tenant admin (keys:manage) the
 * keys of its tenant; a tenant's usage:read key sees them; a key sees its own. Anything else is
 * the same 404 as an unknown key, so other tenants' key ids are not revealed.
 */
export function keyBudgetAccess(principal: AuthenticatedPrincipal, owner: KeyOwner | undefined, keyId: string, write: boolean): { owner: KeyOwner; access: BudgetAccess } {
  const notFound = () => meteringError('key_not_found', `No API key with id '${keyId}'.`, 'key_id');
  if (!owner) throw notFound();
  if (isPlatformAdmin(principal)) return { owner, access: 'platform_admin' };
  const sameTenant = owner.tenantId === principal.tenantId;
  if (sameTenant && hasScope(principal, 'keys:manage')) return { owner, access: 'tenant_admin' };
  if (!write && ((sameTenant && hasScope(principal, 'usage:read')) || owner.keyId === principal.keyId)) return { owner, access: 'reader' };
  throw notFound();
}

/**
 * The tenant whose budget a request is about: a platform admin names any tenant (its own by
 * default); anyone else only its own.
 */
export function tenantBudgetAccess(principal: AuthenticatedPrincipal, requested: string | undefined): { tenantId: string; access: BudgetAccess } {
  if (isPlatformAdmin(principal)) return { tenantId: requested ?? principal.tenantId, access: 'platform_admin' };
  if (requested !== undefined && requested !== principal.tenantId) {
    throw meteringError('tenant_forbidden', 'Only a platform admin can see or set another tenant’s budget.', 'tenant_id');
  }
  return { tenantId: principal.tenantId, access: hasScope(principal, 'keys:manage') ? 'tenant_admin' : 'reader' };
}
