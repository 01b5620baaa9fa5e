import { Inject, Injectable } from '@nestjs/common';
import type { AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import type { ApiError } from '@vectorstack/http';
import { CatalogCache, type CatalogListener } from './catalog-cache';
import type { CatalogDeployment, CatalogEntry } from './catalog-entry';
import { catalogError } from './catalog-errors';
import { CatalogFollower } from './catalog-follower';
import { CredentialReader } from './credential-ref';

/** How many alternatives a MODEL_DISABLED message names at most. */
const MAX_ALTERNATIVES_NAMED = 20;

/**
 * The catalog as the request path reads it: this replica's copy, kept current from the
 * compacted catalog topic (an admin change arrives within a second, without a restart).
 * Every method is synchronous and in memory; nothing here touches Postgres or Kafka.
 */
@Injectable()
export class ModelCatalog {
  constructor(
    private readonly cache: CatalogCache,
    @Inject(CatalogFollower) private readonly follower: CatalogFollower,
    private readonly credentials: CredentialReader,
  ) {}

  /** Whether this replica has read the catalog topic up to where it ended at start-up. */
  get ready(): boolean {
    return this.follower.ready;
  }

  /** The entry a request's `model` names (id first, then alias); undefined when none does. Disabled entries included. */
  resolve(model: string): CatalogEntry | undefined {
    return this.cache.resolve(model);
  }

  /** Every entry, disabled ones included, sorted by id. */
  list(): readonly CatalogEntry[] {
    return this.cache.list();
  }

  /**
   * Whether the key may use the entry: its `models` allow-list (empty: every model) names the
   * entry's id or one of its aliases, and the entry allows the key's tier. Disabled is not checked.
   */
  mayUse(principal: AuthenticatedPrincipal, entry: CatalogEntry): boolean {
    if (!entry.tiers.includes(principal.tier)) return false;
    if (principal.models.length === 0) return true;
    return principal.models.includes(entry.id) || entry.aliases.some((alias) => principal.models.includes(alias));
  }

  /** Enabled entries the key may use, sorted by id: what GET /v1/models lists. */
  usableBy(principal: AuthenticatedPrincipal): CatalogEntry[] {
    return this.cache.list().filter((entry) => !entry.disabled && this.mayUse(principal, entry));
  }

  /**
   * The entry for a request, or the public error: 404 model_not_found for a name no entry has,
   * 403 model_access_denied outside the key's allow-list or tier. A disabled entry is returned
   * (check `entry.disabled`: serve a fallback, or throw `disabledError`). `param` is the request
   * field that named the model (`"model"` for chat), null for a path.
   */
  entryFor(principal: AuthenticatedPrincipal, model: string, param: string | null = null): CatalogEntry {
    const entry = this.cache.resolve(model);
    if (!entry) throw catalogError('model_not_found', `The model '${model}' does not exist.`, param);
    if (!this.mayUse(principal, entry)) {
      const reason = entry.tiers.includes(principal.tier)
        ? "it is not in this key's model allow-list"
        : `it is available to the ${entry.tiers.join(', ')} tier(s) and this key is ${principal.tier}`;
      throw catalogError('model_access_denied', `Access denied: this key may not use the model '${model}' (${reason}).`, param);
    }
    return entry;
  }

  /** 403 permission_error `MODEL_DISABLED` with the admin's message and the models this key can use instead. */
  disabledError(entry: CatalogEntry, principal: AuthenticatedPrincipal, param: string | null = null): ApiError {
    const message = entry.disabledMessage;
    const reason = message ? `: ${message}${/[.!?]$/.test(message) ? '' : '.'}` : '.';
    const alternatives = this.usableBy(principal)
      .filter((other) => other.id !== entry.id)
      .map((other) => other.id);
    const named = alternatives.slice(0, MAX_ALTERNATIVES_NAMED).join(', ') + (alternatives.length > MAX_ALTERNATIVES_NAMED ? ', …' : '');
    const where = alternatives.length > 0 ? ` Available models: ${named} (GET /v1/models lists them).` : ' No other model is available to this key.';
    return catalogError('model_disabled', `The model '${entry.id}' has been disabled by the administrator${reason}${where}`, param);
  }

  /**
   * The value of a deployment's credential, read from the environment or the mounted secret
   * file the entry references; undefined when the deployment needs none. Throws
   * CredentialUnavailableError (never holding the secret) when it cannot be read.
   */
  credentialOf(deployment: CatalogDeployment): string | undefined {
    return this.credentials.read(deployment.credentialRef);
  }

  /** Called after each change this replica applies (e.g. to drop breaker state of removed deployments); returns unsubscribe. */
  onChange(listener: CatalogListener): () => void {
    return this.cache.onChange(listener);
  }
}
