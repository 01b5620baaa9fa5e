import { create, toBinary } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { tierEnum, tierName } from '@vectorstack/auth-guard';
import { ModelCatalogEntrySchema, ModelProvider, type ModelCatalogEntry } from '@vectorstack/contracts';
import { freezeEntry, type CatalogEntry, type ProviderName } from './catalog-entry';
import { canonicalPrice } from './decimal';
import type { ModelDeploymentRecord, ModelEntryRecord } from './model-entry.entity';

const PROVIDER_ENUM: Record<ProviderName, ModelProvider> = {
  'openai-compatible': ModelProvider.OPENAI_COMPATIBLE,
  anthropic: ModelProvider.ANTHROPIC,
};
const PROVIDER_NAME: Partial<Record<ModelProvider, ProviderName>> = {
  [ModelProvider.OPENAI_COMPATIBLE]: 'openai-compatible',
  [ModelProvider.ANTHROPIC]: 'anthropic',
};

/** The entry as the database holds it (deployments in any order; sorted by position here). */
export function entryFromRecords(model: ModelEntryRecord, deployments: readonly ModelDeploymentRecord[]): CatalogEntry {
  return freezeEntry({
    id: model.id,
    aliases: [...model.aliases],
    displayName: model.displayName,
    ownedBy: model.ownedBy,
    contextWindow: model.contextWindow,
    maxOutputTokens: model.maxOutputTokens,
    inputPricePer1k: canonicalPrice(model.inputPricePer1k),
    outputPricePer1k: canonicalPrice(model.outputPricePer1k),
    tiers: [...model.tiers],
    disabled: model.disabled,
    disabledMessage: model.disabledMessage,
    fallbacks: [...model.fallbacks],
    deployments: [...deployments]
      .sort((a, b) => a.position - b.position)
      .map((d) => ({
        id: d.id,
        provider: d.provider,
        baseUrl: d.baseUrl,
        upstreamModel: d.upstreamModel,
        credentialRef: d.credentialRef,
        weight: d.weight,
        timeoutMs: d.timeoutMs,
        maxRetries: d.maxRetries,
      })),
    createdAt: model.createdAt,
    updatedAt: model.updatedAt,
    version: BigInt(model.version),
  });
}

export function entryToProto(entry: CatalogEntry): ModelCatalogEntry {
  return create(ModelCatalogEntrySchema, {
    id: entry.id,
    aliases: [...entry.aliases],
    displayName: entry.displayName,
    ownedBy: entry.ownedBy,
    contextWindow: entry.contextWindow,
    maxOutputTokens: entry.maxOutputTokens,
    inputPricePer1k: entry.inputPricePer1k,
    outputPricePer1k: entry.outputPricePer1k,
    tiers: entry.tiers.map(tierEnum),
    disabled: entry.disabled,
    disabledMessage: entry.disabledMessage ?? '',
    fallbacks: [...entry.fallbacks],
    deployments: entry.deployments.map((d) => ({
      id: d.id,
      provider: PROVIDER_ENUM[d.provider],
      baseUrl: d.baseUrl,
      upstreamModel: d.upstreamModel,
      credentialRef: d.credentialRef ?? '',
      weight: d.weight,
      timeoutMs: d.timeoutMs,
      maxRetries: d.maxRetries,
    })),
    createdAt: timestampFromDate(entry.createdAt),
    updatedAt: timestampFromDate(entry.updatedAt),
    version: entry.version,
  });
}

export function encodeEntry(entry: CatalogEntry): Buffer {
  return Buffer.from(toBinary(ModelCatalogEntrySchema, entryToProto(entry)));
}

/**
 * The entry a published record carries; undefined without an id. Deployments of a provider this
 * build does not know (a newer router published them during a rolling upgrade) are left out
 * rather than guessed at, so this replica still follows every other change of the entry.
 */
export function entryFromProto(message: ModelCatalogEntry): CatalogEntry | undefined {
  if (!message.id) return undefined;
  const deployments = message.deployments.flatMap((d) => {
    const provider = PROVIDER_NAME[d.provider];
    return provider ? [{ ...d, provider }] : [];
  });
  return freezeEntry({
    id: message.id,
    aliases: [...message.aliases],
    displayName: message.displayName || message.id,
    ownedBy: message.ownedBy,
    contextWindow: message.contextWindow,
    maxOutputTokens: message.maxOutputTokens,
    inputPricePer1k: message.inputPricePer1k || '0',
    outputPricePer1k: message.outputPricePer1k || '0',
    tiers: message.tiers.map(tierName),
    disabled: message.disabled,
    disabledMessage: message.disabledMessage || null,
    fallbacks: [...message.fallbacks],
    deployments: deployments.map((d) => ({
      id: d.id,
      provider: d.provider,
      baseUrl: d.baseUrl,
      upstreamModel: d.upstreamModel,
      credentialRef: d.credentialRef || null,
      weight: d.weight,
      timeoutMs: d.timeoutMs,
      maxRetries: d.maxRetries,
    })),
    createdAt: message.createdAt ? timestampDate(message.createdAt) : new Date(0),
    updatedAt: message.updatedAt ? timestampDate(message.updatedAt) : new Date(0),
    version: message.version,
  });
}
