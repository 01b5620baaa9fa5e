import { presentedApiKey } from '@vectorstack/auth-guard';
import type { Scope } from '../keys/api-key.entity';

/** Who is calling, as far as the auth service's own routes care. */
export interface RequestPrincipal {
  readonly keyId: string;
  readonly tenantId: string;
  readonly scopes: readonly Scope[];
}

/** Platform admins (`admin`) see every tenant; everyone else only their own. */
export function isPlatformAdmin(principal: RequestPrincipal): boolean {
  return principal.scopes.includes('admin');
}

/** Resolves a presented secret to its principal, or throws the public 401. Swappable for the shared guard lib. */
export interface PrincipalResolver {
  resolve(secret: string): Promise<RequestPrincipal>;
}

export const PRINCIPAL_RESOLVER = Symbol('PRINCIPAL_RESOLVER');

/** The key a request presents (Bearer, X-API-Key, X-My-API-Key): the shared guard's rule. */
export const presentedKey = presentedApiKey;
