/** Tenant routes (platform admin), pagination, and the OpenAPI document of the auth routes. */
import { queryDatabase } from '@vectorstack/testing';
import { adminKey, call, createTenant, serviceUrl } from '../testing/auth-api';

describe('tenants', () => {
  it('pages through tenants newest first with limit and after', async () => {
    const created = [await createTenant(), await createTenant(), await createTenant()];
    const wanted = new Set(created.map((t) => t.id));
    // Other suites may create tenants concurrently: walk pages until all three are seen, then check their order.
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 20 && seen.filter((id) => wanted.has(id)).length < 3; page++) {
      const res = await call('GET', `/v1/tenants?limit=2${after ? `&after=${after}` : ''}`, { key: adminKey() });
      expect(res.body.object).toBe('list');
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((t: { id: string }) => t.id));
      if (!res.body.has_more) break;
      after = res.body.data[res.body.data.length - 1].id;
    }
    expect(seen.filter((id) => wanted.has(id))).toEqual([created[2].id, created[1].id, created[0].id]);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('renames a tenant and records who did it in the same transaction', async () => {
    const tenant = await createTenant();
    const renamed = await call('PATCH', `/v1/tenants/${tenant.id}`, { key: adminKey(), body: { name: `${tenant.name}-renamed` } });
    expect(renamed.body).toMatchObject({ object: 'tenant', id: tenant.id, name: `${tenant.name}-renamed`, status: 'active' });
    const rows = await queryDatabase<{ action: string; actor_key_id: string }>(
      'SELECT action, actor_key_id FROM auth.audit_event WHERE target_id = $1 ORDER BY at',
      [tenant.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['tenant.created', 'tenant.updated']);
    expect(rows[1].actor_key_id).toBe('00000000-0000-4000-8000-000000000002');
  });

  it('serves the OpenAPI document on the service and through the ingress prefix', async () => {
    for (const url of [`${serviceUrl()}/openapi.json`, `${process.env.VECTORSTACK_BASE_URL}/v1/keys/openapi.json`]) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/tenants', '/v1/keys/{id}/rotate', '/v1/audit']));
    }
  });
});
