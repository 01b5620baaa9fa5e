import { ApiKeyStatus, Tier } from '@vectorstack/contracts';
import type { ApiKey } from '../keys/api-key.entity';
import { apiKeyState } from './api-key-state.mapper';

function key(overrides: Partial<ApiKey> = {}): ApiKey {
  return Object.assign(
    {
      id: '7d7c1c1e-0000-4000-8000-000000000001',
      tenantId: '7d7c1c1e-0000-4000-8000-000000000002',
      name: 'k',
      displayPrefix: 'vsk_AbCd1234',
      secretHash: Buffer.alloc(32, 1),
      previousSecretHash: null,
      previousValidUntil: null,
      tier: 'pro',
      scopes: ['chat'],
      models: ['m'],
      ipAllowlist: ['10.0.0.0/8'],
      expiresAt: null,
      metadata: {},
      status: 'active',
      revokedAt: null,
      version: '7',
      createdAt: new Date(0),
      updatedAt: new Date(1000),
      lastRotatedAt: null,
    },
    overrides,
  ) as ApiKey;
}

describe('apiKeyState', () => {
  const now = new Date('2030-01-01T00:00:00Z');

  it('carries the principal, version and current hash', () => {
    const state = apiKeyState(key(), false, now);
    expect(state.principal?.tier).toBe(Tier.PRO);
    expect(state.principal?.ipAllowlist).toEqual(['10.0.0.0/8']);
    expect(state.status).toBe(ApiKeyStatus.ACTIVE);
    expect(state.version).toBe(7n);
    expect(state.secretHashes).toHaveLength(1);
    expect(state.secretHashes[0].validUntil).toBeUndefined();
  });

  it('adds the previous hash only while its grace lasts', () => {
    const during = key({ previousSecretHash: Buffer.alloc(32, 2), previousValidUntil: new Date('2030-01-01T00:00:10Z') });
    expect(apiKeyState(during, false, now).secretHashes).toHaveLength(2);
    const after = key({ previousSecretHash: Buffer.alloc(32, 2), previousValidUntil: new Date('2029-12-31T23:59:59Z') });
    expect(apiKeyState(after, false, now).secretHashes).toHaveLength(1);
  });

  it('marks revoked keys and disabled tenants', () => {
    const state = apiKeyState(key({ status: 'revoked' }), true, now);
    expect(state.status).toBe(ApiKeyStatus.REVOKED);
    expect(state.tenantDisabled).toBe(true);
  });
});
