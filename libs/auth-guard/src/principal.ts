import { Tier } from '@vectorstack/contracts';

/** Scopes a key can hold. `admin` is the platform admin; `keys:manage` a tenant admin. */
export const SCOPES = ['chat', 'embeddings', 'data', 'train', 'predict', 'usage:read', 'keys:manage', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const TIER_NAMES = ['free', 'starter', 'pro', 'enterprise'] as const;
export type TierName = (typeof TIER_NAMES)[number];

const TIER_BY_ENUM: Record<number, TierName> = {
  [Tier.FREE]: 'free',
  [Tier.STARTER]: 'starter',
  [Tier.PRO]: 'pro',
  [Tier.ENTERPRISE]: 'enterprise',
};

export function tierName(tier: Tier): TierName {
  return TIER_BY_ENUM[tier] ?? 'free';
}

export function tierEnum(name: TierName): Tier {
  return { free: Tier.FREE, starter: Tier.STARTER, pro: Tier.PRO, enterprise: Tier.ENTERPRISE }[name];
}

/** Who is calling, as every public service sees it. */
export interface AuthenticatedPrincipal {
  readonly tenantId: string;
  readonly keyId: string;
  readonly tier: TierName;
  readonly scopes: readonly string[];
  /** Empty: every model the tier allows. */
  readonly models: readonly string[];
  /** Empty: any address. */
  readonly ipAllowlist: readonly string[];
  readonly expiresAt: Date | null;
}

export function hasScope(principal: AuthenticatedPrincipal, scope: Scope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes('admin');
}
