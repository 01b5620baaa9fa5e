import type { CatalogEntry } from './catalog-entry';

/** Unix seconds, the OpenAI convention for timestamps. */
export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** What admins read (and may PUT back as is): the whole entry, credential references included. */
export function adminModelView(entry: CatalogEntry) {
  return {
    object: 'model' as const,
    id: entry.id,
    aliases: entry.aliases,
    display_name: entry.displayName,
    owned_by: entry.ownedBy,
    context_window: entry.contextWindow,
    max_output_tokens: entry.maxOutputTokens,
    input_price_per_1k: entry.inputPricePer1k,
    output_price_per_1k: entry.outputPricePer1k,
    tiers: entry.tiers,
    disabled: entry.disabled,
    disabled_message: entry.disabledMessage,
    fallbacks: entry.fallbacks,
    deployments: entry.deployments.map((d) => ({
      id: d.id,
      provider: d.provider,
      base_url: d.baseUrl,
      upstream_model: d.upstreamModel,
      credential_ref: d.credentialRef,
      weight: d.weight,
      timeout_ms: d.timeoutMs,
      max_retries: d.maxRetries,
    })),
    created: unixSeconds(entry.createdAt),
    updated_at: unixSeconds(entry.updatedAt),
    version: Number(entry.version),
  };
}

export type AdminModelView = ReturnType<typeof adminModelView>;

/**
 * What API keys read from /v1/models: the OpenAI model object (id, object, created, owned_by)
 * plus what a client needs to choose and budget; nothing about where or how it is served.
 */
export function publicModelView(entry: CatalogEntry) {
  return {
    id: entry.id,
    object: 'model' as const,
    created: unixSeconds(entry.createdAt),
    owned_by: entry.ownedBy,
    display_name: entry.displayName,
    aliases: entry.aliases,
    context_window: entry.contextWindow,
    max_output_tokens: entry.maxOutputTokens,
    pricing: { currency: 'USD' as const, input_per_1k: entry.inputPricePer1k, output_per_1k: entry.outputPricePer1k },
  };
}

export type PublicModelView = ReturnType<typeof publicModelView>;
