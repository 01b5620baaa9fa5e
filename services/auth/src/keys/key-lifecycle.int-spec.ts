/**
 * Create → use → rotate (old secret works during the grace, then 401) → revoke (401 at once),
 * against the running auth service, through the base URL.
 */
import { queryDatabase } from '@vectorstack/testing';
import { adminKey, call, createKey, createTenant, expectOpenAIError, sleep } from '../testing/auth-api';

describe('API key lifecycle', () => {
  it('creates a key whose secret is shown once, uses, rotates and revokes it', async () => {
    const tenant = await createTenant();
    const created = await createKey(tenant.id, { name: 'tenant admin', scopes: ['keys:manage', 'chat'], metadata: { team: 'ml' } });
    expect(created).toMatchObject({ object: 'api_key', tenant_id: tenant.id, tier: 'pro', status: 'active', metadata: { team: 'ml' } });
    expect(created.key).toMatch(/^vsk_[A-Za-z0-9_-]{43}$/);
    expect(created.display_prefix).toBe(created.key.slice(0, 12));

    // Never again: neither GET nor the listing carries the secret.
    const fetched = await call('GET', `/v1/keys/${created.id}`, { key: adminKey() });
    expect(fetched.status).toBe(200);
    expect(fetched.body.key).toBeUndefined();
    expect(JSON.stringify(fetched.body)).not.toContain(created.key);

    // Use: a keys:manage key lists its own tenant's keys, via any of the three headers.
    const listed = await call('GET', '/v1/keys', { key: created.key });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((k: { id: string }) => k.id)).toEqual([created.id]);
    expect(JSON.stringify(listed.body)).not.toContain(created.key);
    for (const header of ['x-api-key', 'x-my-api-key']) {
      const res = await fetch(`${process.env.VECTORSTACK_BASE_URL}/v1/keys/${created.id}`, { headers: { [header]: created.key } });
      expect(res.status).toBe(200);
    }

    // Rotate with a 1 s grace: both secrets work, then only the new one.
    const rotated = await call('POST', `/v1/keys/${created.id}/rotate`, { key: created.key, body: { grace_seconds: 1 } });
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.key as string;
    expect(newSecret).toMatch(/^vsk_/);
    expect(newSecret).not.toBe(created.key);
    expect((await call('GET', '/v1/keys', { key: newSecret })).status).toBe(200);
    expect((await call('GET', '/v1/keys', { key: created.key })).status).toBe(200);
    await sleep(1_500);
    expectOpenAIError(await call('GET', '/v1/keys', { key: created.key }), 401, 'authentication_error', 'invalid_api_key');
    expect((await call('GET', '/v1/keys', { key: newSecret })).status).toBe(200);

    // Revoke: refused right after; revoking again answers the same.
    const revoked = await call('DELETE', `/v1/keys/${created.id}`, { key: adminKey() });
    expect(revoked).toEqual({ status: 200, body: { id: created.id, object: 'api_key', status: 'revoked' } });
    expectOpenAIError(await call('GET', '/v1/keys', { key: newSecret }), 401, 'authentication_error', 'invalid_api_key');
    expect(await call('DELETE', `/v1/keys/${created.id}`, { key: adminKey() })).toEqual(revoked);

    // Every change is in the audit trail with its actor and source IP.
    const audit = await call('GET', `/v1/audit?tenant_id=${tenant.id}&limit=100`, { key: adminKey() });
    const actions = audit.body.data.filter((e: { target_id: string }) => e.target_id === created.id).map((e: { action: string }) => e.action);
    expect(actions.sort()).toEqual(['key.created', 'key.revoked', 'key.rotated']);
    const rotation = audit.body.data.find((e: { action: string }) => e.action === 'key.rotated');
    expect(rotation).toMatchObject({ actor_key_id: created.id, actor_tenant_id: tenant.id, tenant_id: tenant.id });
    expect(rotation.source_ip).toMatch(/\d|:/);
  });

  it('keeps the old secret working during the default grace period', async () => {
    const tenant = await createTenant();
    const created = await createKey(tenant.id);
    const rotated = await call('POST', `/v1/keys/${created.id}/rotate`, { key: adminKey() });
    expect(rotated.status).toBe(200);
    expect(rotated.body.previous_key_valid_until).toBeGreaterThan(Date.now() / 1000 + 3600);
    expect((await call('GET', '/v1/keys', { key: created.key })).status).toBe(200);
    expect((await call('GET', '/v1/keys', { key: rotated.body.key })).status).toBe(200);
  });

  it('refuses missing, unknown and under-scoped keys in the OpenAI shape', async () => {
    expectOpenAIError(await call('GET', '/v1/keys'), 401, 'authentication_error', 'missing_api_key');
    expectOpenAIError(await call('GET', '/v1/keys', { key: 'vsk_unknown' }), 401, 'authentication_error', 'invalid_api_key');
    const tenant = await createTenant();
    const chatOnly = await createKey(tenant.id, { scopes: ['chat'] });
    expectOpenAIError(await call('GET', '/v1/keys', { key: chatOnly.key }), 403, 'permission_error', 'insufficient_scope');
    const tenantAdmin = await createKey(tenant.id);
    expectOpenAIError(await call('GET', '/v1/tenants', { key: tenantAdmin.key }), 403, 'permission_error', 'insufficient_scope');
    const escalation = await call('POST', '/v1/keys', { key: tenantAdmin.key, body: { name: 'x', tier: 'free', scopes: ['admin'] } });
    expectOpenAIError(escalation, 403, 'permission_error', 'insufficient_scope');
  });

  it('refuses an expired key and every key of a disabled tenant', async () => {
    const tenant = await createTenant();
    // Whole seconds, at least 2 s ahead, so the key is still valid when first used even under load.
    const key = await createKey(tenant.id, { expires_at: Math.floor(Date.now() / 1000) + 3 });
    expect((await call('GET', '/v1/keys', { key: key.key })).status).toBe(200);
    const other = await createKey(tenant.id);
    await sleep(key.expires_at * 1000 - Date.now() + 100);
    expectOpenAIError(await call('GET', '/v1/keys', { key: key.key }), 401, 'authentication_error', 'invalid_api_key');

    const disabled = await call('PATCH', `/v1/tenants/${tenant.id}`, { key: adminKey(), body: { status: 'disabled' } });
    expect(disabled.body).toMatchObject({ id: tenant.id, status: 'disabled' });
    expectOpenAIError(await call('GET', '/v1/keys', { key: other.key }), 401, 'authentication_error', 'invalid_api_key');
    await call('PATCH', `/v1/tenants/${tenant.id}`, { key: adminKey(), body: { status: 'active' } });
    expect((await call('GET', '/v1/keys', { key: other.key })).status).toBe(200);
  });

  it('never stores a usable secret: no column of any auth table contains it', async () => {
    const tenant = await createTenant();
    const created = await createKey(tenant.id, { name: 'db check' });
    const rotated = await call('POST', `/v1/keys/${created.id}/rotate`, { key: adminKey(), body: { grace_seconds: 60 } });
    for (const secret of [created.key, rotated.body.key as string]) {
      const randomPart = secret.slice('vsk_'.length);
      const rawHex = Buffer.from(randomPart, 'base64url').toString('hex');
      for (const table of ['api_key', 'audit_event', 'key_state_outbox']) {
        const rows = await queryDatabase<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM auth.${table} t`);
        const dump = rows.map((r) => r.row).join('\n');
        expect(dump).not.toContain(randomPart);
        expect(dump).not.toContain(rawHex);
      }
    }
    const [row] = await queryDatabase<{ secret_hash: Buffer; previous_secret_hash: Buffer }>(
      'SELECT secret_hash, previous_secret_hash FROM auth.api_key WHERE id = $1',
      [created.id],
    );
    expect(row.secret_hash).toHaveLength(32);
    expect(row.previous_secret_hash).toHaveLength(32);
  });
});
