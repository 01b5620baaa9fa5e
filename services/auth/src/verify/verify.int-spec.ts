/** gRPC Verify of the running auth service: what other services' guards ask on a key-cache miss. */
import { AuthService, Tier, VerifyOutcome } from '@vectorstack/contracts';
import { createGrpcClient, GrpcStatus, type GrpcClient } from '@vectorstack/grpc';
import { generateApiKey } from '@vectorstack/auth-guard';
import { requireEnv } from '@vectorstack/testing';
import { adminKey, call, createKey, createTenant } from '../testing/auth-api';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AuthService.Verify over gRPC', () => {
  let client: GrpcClient<(typeof AuthService)['method']>;

  beforeAll(() => {
    client = createGrpcClient(AuthService, requireEnv('AUTH_GRPC_URL'), { deadlineMs: 5_000 });
  });
  afterAll(() => client.close());

  it('answers VALID with the full principal for a key created a moment ago', async () => {
    const tenant = await createTenant();
    const key = await createKey(tenant.id, { tier: 'starter', scopes: ['chat', 'embeddings'], models: ['gpt-x'], ip_allowlist: ['10.0.0.0/8'] });
    const response = await client.verify({ apiKey: key.key });
    expect(response.outcome).toBe(VerifyOutcome.VALID);
    expect(response.cacheTtlMs).toBeGreaterThan(0);
    expect(response.principal).toMatchObject({
      tenantId: tenant.id,
      keyId: key.id,
      tier: Tier.STARTER,
      scopes: ['chat', 'embeddings'],
      models: ['gpt-x'],
      ipAllowlist: ['10.0.0.0/8'],
    });
  });

  it('answers UNKNOWN, without a principal, for a secret no key has', async () => {
    const response = await client.verify({ apiKey: generateApiKey() });
    expect(response.outcome).toBe(VerifyOutcome.UNKNOWN);
    expect(response.principal).toBeUndefined();
  });

  it('names why a known key is refused: revoked, rotated out, expired, tenant disabled', async () => {
    const tenant = await createTenant();
    const revoked = await createKey(tenant.id);
    await call('DELETE', `/v1/keys/${revoked.id}`, { key: adminKey() });
    expect((await client.verify({ apiKey: revoked.key })).outcome).toBe(VerifyOutcome.REVOKED);

    const rotated = await createKey(tenant.id);
    await call('POST', `/v1/keys/${rotated.id}/rotate`, { key: adminKey(), body: { grace_seconds: 1 } });
    const expiring = await createKey(tenant.id, { expires_at: Math.floor(Date.now() / 1000) + 1 });
    expect((await client.verify({ apiKey: rotated.key })).outcome).toBe(VerifyOutcome.VALID);
    await sleep(2_100);
    expect((await client.verify({ apiKey: rotated.key })).outcome).toBe(VerifyOutcome.ROTATED_OUT);
    expect((await client.verify({ apiKey: expiring.key })).outcome).toBe(VerifyOutcome.EXPIRED);

    const live = await createKey(tenant.id);
    await call('PATCH', `/v1/tenants/${tenant.id}`, { key: adminKey(), body: { status: 'disabled' } });
    expect((await client.verify({ apiKey: live.key })).outcome).toBe(VerifyOutcome.TENANT_DISABLED);
  });

  it('rejects an empty or absurdly long api_key as INVALID_ARGUMENT', async () => {
    await expect(client.verify({ apiKey: '' })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    await expect(client.verify({ apiKey: 'x'.repeat(10_000) })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  });
});
