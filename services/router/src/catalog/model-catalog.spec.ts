import { fromBinary } from '@bufbuild/protobuf';
import type { AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { ModelCatalogEntrySchema } from '@vectorstack/contracts';
import { ApiError } from '@vectorstack/http';
import { CatalogCache } from './catalog-cache';
import { encodeEntry, entryFromProto } from './catalog-entry.mapper';
import type { CatalogFollower } from './catalog-follower';
import { CredentialReader } from './credential-ref';
import { ModelCatalog } from './model-catalog';
import { catalogEntry } from './testing/catalog-entries';

function principal(overrides: Partial<AuthenticatedPrincipal> = {}): AuthenticatedPrincipal {
  return { tenantId: 't', keyId: 'k', tier: 'free', scopes: ['chat'], models: [], ipAllowlist: [], expiresAt: null, ...overrides };
}

function catalog(): ModelCatalog {
  const cache = new CatalogCache();
  cache.apply(catalogEntry({ id: 'vectorstack-1', aliases: ['vs-1'], version: 1n }));
  cache.apply(catalogEntry({ id: 'gpt-4o', tiers: ['pro', 'enterprise'], fallbacks: ['vectorstack-1'], version: 2n }));
  cache.apply(catalogEntry({ id: 'gpt-5', disabled: true, disabledMessage: 'Upstream outage until 14:00 UTC', version: 3n }));
  cache.apply(catalogEntry({ id: 'claude', version: 4n }));
  return new ModelCatalog(cache, { ready: true } as CatalogFollower, new CredentialReader({ fileDirs: [] }, { OPENAI_API_KEY: 'sk-x' }));
}

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('ModelCatalog', () => {
  it('lists the enabled models of the key’s tier and allow-list (by id or alias)', () => {
    const models = catalog();
    expect(models.usableBy(principal()).map((e) => e.id)).toEqual(['claude', 'vectorstack-1']);
    expect(models.usableBy(principal({ tier: 'pro' })).map((e) => e.id)).toEqual(['claude', 'gpt-4o', 'vectorstack-1']);
    expect(models.usableBy(principal({ tier: 'pro', models: ['vs-1', 'gpt-4o'] })).map((e) => e.id)).toEqual(['gpt-4o', 'vectorstack-1']);
  });

  it('answers unknown with 404 model_not_found and out-of-tier or out-of-list with 403 model_access_denied', () => {
    const models = catalog();
    expect(models.entryFor(principal(), 'vs-1').id).toBe('vectorstack-1');
    expect(thrown(() => models.entryFor(principal(), 'nope', 'model'))).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    const tier = thrown(() => models.entryFor(principal(), 'gpt-4o'));
    expect(tier).toMatchObject({ status: 403, type: 'permission_error', code: 'model_access_denied' });
    expect(tier.message).toMatch(/pro, enterprise tier\(s\) and this key is free/);
    expect(thrown(() => models.entryFor(principal({ models: ['claude'] }), 'vectorstack-1'))).toMatchObject({ code: 'model_access_denied' });
  });

  it('returns a disabled entry to the caller and builds MODEL_DISABLED with the admin’s message and the alternatives', () => {
    const models = catalog();
    const entry = models.entryFor(principal(), 'gpt-5');
    expect(entry.disabled).toBe(true);
    const error = models.disabledError(entry, principal());
    expect(error).toMatchObject({ status: 403, type: 'permission_error', code: 'MODEL_DISABLED' });
    expect(error.message).toBe(
      "The model 'gpt-5' has been disabled by the administrator: Upstream outage until 14:00 UTC. Available models: claude, vectorstack-1 (GET /v1/models lists them).",
    );
  });

  it('reads credentials from the reference at call time', () => {
    const models = catalog();
    const deployment = { ...catalogEntry().deployments[0], credentialRef: 'env:OPENAI_API_KEY' };
    expect(models.credentialOf(deployment)).toBe('sk-x');
    expect(models.credentialOf(catalogEntry().deployments[0])).toBeUndefined();
  });
});

describe('catalog entry on the wire', () => {
  it('round-trips through the protobuf record without losing a field', () => {
    const entry = catalogEntry({
      id: 'gpt-4o',
      aliases: ['gpt4'],
      tiers: ['pro'],
      disabled: true,
      disabledMessage: 'down',
      fallbacks: ['vectorstack-1'],
      inputPricePer1k: '0.0025',
      outputPricePer1k: '0.01',
      deployments: [
        { id: 'a', provider: 'anthropic', baseUrl: 'https://api.anthropic.com', upstreamModel: 'claude', credentialRef: 'env:ANTHROPIC_API_KEY', weight: 3, timeoutMs: 30_000, maxRetries: 1 },
      ],
      version: 42n,
    });
    expect(entryFromProto(fromBinary(ModelCatalogEntrySchema, encodeEntry(entry)))).toEqual(entry);
  });

  it('leaves out deployments of a provider this build does not know, keeping the rest of the entry', () => {
    const message = fromBinary(ModelCatalogEntrySchema, encodeEntry(catalogEntry({ id: 'm', version: 3n })));
    message.deployments.push({ ...message.deployments[0], id: 'future', provider: 99 as never });
    const entry = entryFromProto(message);
    expect(entry?.version).toBe(3n);
    expect(entry?.deployments.map((d) => d.id)).toEqual(['local']);
  });
});
