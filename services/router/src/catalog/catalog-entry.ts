import type { TierName } from '@vectorstack/auth-guard';

/** The wire protocol of a deployment's upstream; the same names as `ProviderType` of @vectorstack/providers. */
export const PROVIDERS = ['openai-compatible', 'anthropic'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** One place a model is served from. */
export interface CatalogDeployment {
  /** Unique within its entry; with the model id it names the deployment in logs, metrics and breakers. */
  readonly id: string;
  readonly provider: ProviderName;
  /** http(s) URL without credentials and without a trailing slash, e.g. https://api.openai.com/v1 */
  readonly baseUrl: string;
  readonly upstreamModel: string;
  /** `env:NAME` or `file:/path`: where the credential is, never the credential (CredentialResolver reads it). */
  readonly credentialRef: string | null;
  /** Relative share of traffic among the entry's healthy deployments (≥ 1). */
  readonly weight: number;
  readonly timeoutMs: number;
  readonly maxRetries: number;
}

/** A model of the router's catalog, as every replica holds it (immutable). */
export interface CatalogEntry {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly displayName: string;
  readonly ownedBy: string;
  readonly contextWindow: number;
  readonly maxOutputTokens: number;
  /** USD per 1,000 tokens, an exact decimal string ("0.0005"); never a float. */
  readonly inputPricePer1k: string;
  readonly outputPricePer1k: string;
  /** Tiers whose keys may use the model (at least one). */
  readonly tiers: readonly TierName[];
  readonly disabled: boolean;
  readonly disabledMessage: string | null;
  /** Model ids to try, in order, when this one is disabled or every deployment failed (not transitive). */
  readonly fallbacks: readonly string[];
  /**
   * At least one is stored; a replica older than a deployment's provider leaves that one out,
   * so during a rolling upgrade the list can be shorter (even empty: serve the fallbacks).
   */
  readonly deployments: readonly CatalogDeployment[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** From one sequence for the whole catalog: every change of any entry is larger than all before it. */
  readonly version: bigint;
}

export function freezeEntry(entry: CatalogEntry): CatalogEntry {
  for (const deployment of entry.deployments) Object.freeze(deployment);
  Object.freeze(entry.deployments);
  Object.freeze(entry.aliases);
  Object.freeze(entry.tiers);
  Object.freeze(entry.fallbacks);
  return Object.freeze(entry);
}
