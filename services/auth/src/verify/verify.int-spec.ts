/** gRPC Verify of the running auth service: what other services' guards ask on a key-cache miss. */
import { AuthService, Tier, VerifyOutcome } from '@vectorstack/contracts';
import { createGrpcClient, GrpcStatus, type GrpcClient } from '@vectorstack/grpc';
import { generateApiKey } from '@vectorstack/auth-guard';
import { requireEnv } from '@vectorstack/testing';
import { adminKey, call, createKey, createTenant } from '../testing/auth-api';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many Verify evaluations auth answered from its key-state cache so far (its /metrics). */
async function answeredFromCache(): Promise<number> {
  const text = await (await fetch(`${requireEnv('SERVICE_URL_AUTH')}/metrics`)).text();
  return Number(/^vectorstack_auth_verify_answers_total\{[^}]*source="cache"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
}

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
    // Whole seconds, at least 2 s ahead, so a slow request under load still sends a future expiry.
    const expiring = await createKey(tenant.id, { expires_at: Math.floor(Date.now() / 1000) + 3 });
    expect((await client.verify({ apiKey: rotated.key })).outcome).toBe(VerifyOutcome.VALID);
    await sleep(Math.max(2_100, expiring.expires_at * 1000 - Date.now() + 100));
    expect((await client.verify({ apiKey: rotated.key })).outcome).toBe(VerifyOutcome.ROTATED_OUT);
    expect((await client.verify({ apiKey: expiring.key })).outcome).toBe(VerifyOutcome.EXPIRED);

    const live = await createKey(tenant.id);
    await call('PATCH', `/v1/tenants/${tenant.id}`, { key: adminKey(), body: { status: 'disabled' } });
    expect((await client.verify({ apiKey: live.key })).outcome).toBe(VerifyOutcome.TENANT_DISABLED);
  });

  it('answers a key it holds from memory, and refuses it the moment it is revoked through the API', async () => {
    const tenant = await createTenant();
    const key = await createKey(tenant.id);
    await sleep(1_000); // the key's state is in the cache from the topic too, however it got there
    const before = await answeredFromCache();
    for (let i = 0; i < 10; i++) expect((await client.verify({ apiKey: key.key })).outcome).toBe(VerifyOutcome.VALID);
    expect((await answeredFromCache()) - before).toBeGreaterThanOrEqual(10);

    await call('DELETE', `/v1/keys/${key.id}`, { key: adminKey() });
    expect((await client.verify({ apiKey: key.key })).outcome).toBe(VerifyOutcome.REVOKED);
  });

  it('accepts the new secret of a rotation at once and refuses the old one, which it held as valid a moment before', async () => {
    const tenant = await createTenant();
    const key = await createKey(tenant.id);
    await sleep(1_000); // the key's state is in the cache from the topic too, however it got there
    expect((await client.verify({ apiKey: key.key })).outcome).toBe(VerifyOutcome.VALID);
    const rotated = await call<{ key: string }>('POST', `/v1/keys/${key.id}/rotate`, { key: adminKey(), body: { grace_seconds: 0 } });
    expect((await client.verify({ apiKey: rotated.body.key })).outcome).toBe(VerifyOutcome.VALID);
    // Without grace the old hash is forgotten: the old secret is a key nobody has.
    expect((await client.verify({ apiKey: key.key })).outcome).toBe(VerifyOutcome.UNKNOWN);
  });

  it('rejects an empty or absurdly long api_key as INVALID_ARGUMENT', async () => {
    await expect(client.verify({ apiKey: '' })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    await expect(client.verify({ apiKey: 'x'.repeat(10_000) })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  });
});
