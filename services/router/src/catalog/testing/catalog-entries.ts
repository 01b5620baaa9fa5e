import { freezeEntry, type CatalogEntry } from '../catalog-entry';

/** A valid entry for unit specs; override what the spec is about. */
export function catalogEntry(overrides: Partial<CatalogEntry> = {}): CatalogEntry {
  return freezeEntry({
    id: 'vectorstack-1',
    aliases: [],
    displayName: 'VectorStack 1',
    ownedBy: 'vectorstack',
    contextWindow: 8192,
    maxOutputTokens: 4096,
    inputPricePer1k: '0.0005',
    outputPricePer1k: '0.0005',
    tiers: ['free', 'starter', 'pro', 'enterprise'],
    disabled: false,
    disabledMessage: null,
    fallbacks: [],
    deployments: [
      { id: 'local', provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:8000/v1', upstreamModel: 'llama', credentialRef: null, weight: 1, timeoutMs: 60_000, maxRetries: 2 },
    ],
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    version: 1n,
    ...overrides,
  });
}
