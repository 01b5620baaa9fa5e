/** A tenant admin of A cannot see, change, revoke or rotate anything of B: always 404, never 403. */
import { randomUUID } from 'node:crypto';
import { adminKey, call, createKey, createTenant, expectOpenAIError } from '../testing/auth-api';

describe('tenant isolation', () => {
  let a: { id: string };
  let b: { id: string };
  let adminOfA: { id: string; key: string };
  let keyOfB: { id: string; key: string };

  beforeAll(async () => {
    [a, b] = await Promise.all([createTenant(), createTenant()]);
    adminOfA = await createKey(a.id, { name: 'admin of A' });
    keyOfB = await createKey(b.id, { name: 'key of B', scopes: ['chat'] });
  });

  it.each([
    ['GET', ''],
    ['PATCH', ''],
    ['DELETE', ''],
    ['POST', '/rotate'],
  ])("answers %s /v1/keys/{B's key}%s with 404 not_found", async (method, suffix) => {
    const body = method === 'PATCH' ? { name: 'hijacked' } : method === 'POST' ? {} : undefined;
    const res = await call(method, `/v1/keys/${keyOfB.id}${suffix}`, { key: adminOfA.key, body });
    expectOpenAIError(res, 404, 'invalid_request_error', 'not_found');
    // Exactly what an id that does not exist gets.
    const unknown = await call(method, `/v1/keys/${randomUUID()}${suffix}`, { key: adminOfA.key, body });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe(res.body.error.code);
  });

  it("leaves B's key untouched", async () => {
    const res = await call('GET', `/v1/keys/${keyOfB.id}`, { key: adminKey() });
    expect(res.body).toMatchObject({ name: 'key of B', status: 'active' });
    expect(res.body.last_rotated_at).toBeNull();
  });

  it("never lists B's keys, even when asked for B's tenant", async () => {
    for (const path of ['/v1/keys', `/v1/keys?tenant_id=${b.id}`]) {
      const res = await call('GET', path, { key: adminOfA.key });
      expect(res.status).toBe(200);
      expect(res.body.data.every((k: { tenant_id: string }) => k.tenant_id === a.id)).toBe(true);
    }
    const created = await call('POST', '/v1/keys', { key: adminOfA.key, body: { name: 'x', tier: 'free', scopes: ['chat'], tenant_id: b.id } });
    expectOpenAIError(created, 404, 'invalid_request_error', 'not_found', 'tenant_id');
  });

  it("reads its own tenant but gets 404 for B's tenant and B's audit trail stays hidden", async () => {
    expect((await call('GET', `/v1/tenants/${a.id}`, { key: adminOfA.key })).status).toBe(200);
    expectOpenAIError(await call('GET', `/v1/tenants/${b.id}`, { key: adminOfA.key }), 404, 'invalid_request_error', 'not_found');
    const audit = await call('GET', `/v1/audit?tenant_id=${b.id}`, { key: adminOfA.key });
    expect(audit.status).toBe(200);
    expect(audit.body.data.every((e: { tenant_id: string }) => e.tenant_id === a.id)).toBe(true);
  });

  it('answers malformed ids with 404', async () => {
    expectOpenAIError(await call('GET', '/v1/keys/not-a-uuid', { key: adminKey() }), 404, 'invalid_request_error', 'not_found');
    expectOpenAIError(await call('GET', '/v1/tenants/42', { key: adminKey() }), 404, 'invalid_request_error', 'not_found');
  });
});
