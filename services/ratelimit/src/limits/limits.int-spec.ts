/**
 * Per-key overrides over HTTP: a platform admin sets anything; a tenant admin only lowers its
 * own tenant's keys; a key reads its own limits; other tenants' keys stay invisible; bad input
 * is refused with nothing changed; changes apply to the next check.
 */
import { randomUUID } from 'node:crypto';
import { expectOpenAIError, RatelimitTestApp, type TestKey } from '../testing/ratelimit-app';

describe('per-key limits', () => {
  let service: RatelimitTestApp;
  let platformAdmin: TestKey;
  let tenantAdmin: TestKey;
  let workerKey: TestKey;
  let siblingKey: TestKey;
  let otherTenantAdmin: TestKey;
  const tenantId = randomUUID();

  beforeAll(async () => {
    service = await RatelimitTestApp.start('limits');
    [platformAdmin, tenantAdmin, workerKey, siblingKey, otherTenantAdmin] = await Promise.all([
      service.publishKey({ scopes: ['admin'] }),
      service.publishKey({ tenantId, scopes: ['keys:manage'] }),
      service.publishKey({ tenantId, scopes: ['chat'], tier: 'pro' }),
      service.publishKey({ tenantId, scopes: ['chat'], tier: 'pro' }),
      service.publishKey({ scopes: ['keys:manage'] }),
    ]);
  });

  afterAll(async () => {
    await service?.close();
  });

  const limitsOf = async (key: TestKey) => (await service.call('GET', `/v1/limits/${key.keyId}`, { key: platformAdmin })).body;

  it('shows a key its tier’s limits, its overrides and where it stands', async () => {
    const res = await service.call('GET', `/v1/limits/${workerKey.keyId}`, { key: workerKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      object: 'key_limits',
      key_id: workerKey.keyId,
      tenant_id: tenantId,
      tier: 'pro',
      overrides: {},
      effective: { requests_per_minute: 60, requests_per_hour: null, requests_per_day: 50_000, tokens_per_minute: 50_000, tokens_per_day: null, max_concurrent: 20 },
    });
    expect(res.body.usage).toContainEqual({ window: 'requests_per_minute', limit: 60, remaining: 60, reset_at_ms: expect.any(Number) });
  });

  it('lets a platform admin set any override, applied on the next check, and remove it', async () => {
    const put = await service.call('PUT', `/v1/limits/${workerKey.keyId}`, { key: platformAdmin, body: { requests_per_minute: 1, tokens_per_day: null, max_concurrent: 500 } });
    expect(put.status).toBe(200);
    expect(put.body.overrides).toEqual({ requests_per_minute: 1, tokens_per_day: null, max_concurrent: 500 });
    expect(put.body.effective).toMatchObject({ requests_per_minute: 1, max_concurrent: 500 });

    const check = (requestId: string) => service.limiter.check({ tenantId, keyId: workerKey.keyId, tier: 'pro', requestId });
    expect((await check('one')).allowed).toBe(true);
    expect(await check('two')).toMatchObject({ allowed: false, deniedBy: 'requests_per_minute' });

    const removed = await service.call('DELETE', `/v1/limits/${workerKey.keyId}`, { key: platformAdmin });
    expect(removed.body).toEqual({ object: 'key_limits', key_id: workerKey.keyId, deleted: true });
    expect((await check('three')).allowed).toBe(true);
    expect((await service.call('DELETE', `/v1/limits/${workerKey.keyId}`, { key: platformAdmin })).body.deleted).toBe(false);
  });

  it('lets a tenant admin lower its own keys’ limits, and nothing more', async () => {
    const lowered = await service.call('PUT', `/v1/limits/${siblingKey.keyId}`, { key: tenantAdmin, body: { requests_per_minute: 10, requests_per_hour: 100 } });
    expect(lowered.status).toBe(200);
    expect(lowered.body.effective).toMatchObject({ requests_per_minute: 10, requests_per_hour: 100 });

    const raise = await service.call('PUT', `/v1/limits/${siblingKey.keyId}`, { key: tenantAdmin, body: { requests_per_minute: 61 } });
    expectOpenAIError(raise, 403, 'permission_error', 'limit_increase_not_allowed', 'requests_per_minute');
    // Replacing the overrides with fewer ones would lift requests_per_hour back to none.
    const lift = await service.call('PUT', `/v1/limits/${siblingKey.keyId}`, { key: tenantAdmin, body: { requests_per_minute: 5 } });
    expectOpenAIError(lift, 403, 'permission_error', 'limit_increase_not_allowed', 'requests_per_hour');
    const unlimited = await service.call('PUT', `/v1/limits/${siblingKey.keyId}`, { key: tenantAdmin, body: { requests_per_minute: 5, requests_per_hour: 100, tokens_per_minute: null } });
    expectOpenAIError(unlimited, 403, 'permission_error', 'limit_increase_not_allowed', 'tokens_per_minute');
    expectOpenAIError(await service.call('DELETE', `/v1/limits/${siblingKey.keyId}`, { key: tenantAdmin }), 403, 'permission_error', 'limit_increase_not_allowed', 'requests_per_minute');
    expect((await limitsOf(siblingKey)).overrides).toEqual({ requests_per_minute: 10, requests_per_hour: 100 });

    // A platform admin raised it above the tier: the tenant admin may go back down to the tier.
    await service.call('PUT', `/v1/limits/${siblingKey.keyId}`, { key: platformAdmin, body: { requests_per_minute: 600 } });
    expect((await service.call('DELETE', `/v1/limits/${siblingKey.keyId}`, { key: tenantAdmin })).body.deleted).toBe(true);
  });

  it('hides other tenants’ keys and unknown keys behind the same 404', async () => {
    for (const [method, body] of [['GET', undefined], ['PUT', { requests_per_minute: 1 }], ['DELETE', undefined]] as const) {
      expectOpenAIError(await service.call(method, `/v1/limits/${workerKey.keyId}`, { key: otherTenantAdmin, body }), 404, 'invalid_request_error', 'not_found', 'key_id');
      expectOpenAIError(await service.call(method, `/v1/limits/${randomUUID()}`, { key: platformAdmin, body }), 404, 'invalid_request_error', 'not_found', 'key_id');
    }
    // A plain key sees its own limits only.
    expectOpenAIError(await service.call('GET', `/v1/limits/${siblingKey.keyId}`, { key: workerKey }), 404, 'invalid_request_error', 'not_found', 'key_id');
    expectOpenAIError(await service.call('PUT', `/v1/limits/${workerKey.keyId}`, { key: workerKey, body: { requests_per_minute: 1 } }), 403, 'permission_error', 'insufficient_scope');
  });

  it.each([
    ['a negative limit', { body: { requests_per_minute: -1 } }, 'invalid_value', 'requests_per_minute'],
    ['a string', { body: { max_concurrent: 'ten' } }, 'invalid_value', 'max_concurrent'],
    ['a fraction', { body: { tokens_per_day: 0.5 } }, 'invalid_value', 'tokens_per_day'],
    ['an unknown field', { body: { requests_per_minute: 5, tier: 'enterprise' } }, 'unknown_parameter', 'tier'],
    ['a policy (plans only)', { body: { redis_unavailable: 'fail_open' } }, 'unknown_parameter', 'redis_unavailable'],
    ['no body', {}, 'missing_body', null],
  ] as const)('PUT with %s → 400 naming it, nothing changed', async (_case, request, code, param) => {
    await service.call('PUT', `/v1/limits/${workerKey.keyId}`, { key: platformAdmin, body: { requests_per_day: 42 } });
    const before = await limitsOf(workerKey);
    const res = await service.call('PUT', `/v1/limits/${workerKey.keyId}`, { key: platformAdmin, ...request });
    expectOpenAIError(res, 400, 'invalid_request_error', code, param);
    expect((await limitsOf(workerKey)).overrides).toEqual(before.overrides);
  });
});
