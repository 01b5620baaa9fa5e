/** Plans over HTTP: readable by any key, replaceable by a platform admin only, bad input refused with nothing changed. */
import { DEFAULT_PLANS } from '@vectorstack/ratelimit';
import { expectOpenAIError, RatelimitTestApp, type TestKey } from '../testing/ratelimit-app';

describe('plans', () => {
  let service: RatelimitTestApp;
  let platformAdmin: TestKey;
  let tenantAdmin: TestKey;
  let member: TestKey;

  beforeAll(async () => {
    service = await RatelimitTestApp.start('plans');
    [platformAdmin, tenantAdmin, member] = await Promise.all([
      service.publishKey({ scopes: ['admin'], tier: 'enterprise' }),
      service.publishKey({ scopes: ['keys:manage'] }),
      service.publishKey({ scopes: ['chat'], tier: 'free' }),
    ]);
  });

  afterAll(async () => {
    await service?.close();
  });

  it('lists the seeded defaults to any valid key', async () => {
    const res = await service.call('GET', '/v1/plans', { key: member });
    expect(res.status).toBe(200);
    expect(res.body.object).toBe('list');
    expect(res.body.data.map((plan: { tier: string }) => plan.tier)).toEqual(['free', 'starter', 'pro', 'enterprise']);
    expect(res.body.data[0]).toEqual({ object: 'plan', tier: 'free', ...DEFAULT_PLANS.free, version: 1, updated_at: expect.any(Number) });
    const pro = await service.call('GET', '/v1/plans/pro', { key: member });
    expect(pro.body).toMatchObject({ tier: 'pro', requests_per_minute: 60, tokens_per_minute: 50_000, requests_per_day: 50_000, redis_unavailable: 'fail_closed' });
  });

  it('refuses requests without a valid key, and reads of an unknown tier', async () => {
    expectOpenAIError(await service.call('GET', '/v1/plans'), 401, 'authentication_error', 'missing_api_key');
    expectOpenAIError(await service.call('GET', '/v1/plans/gold', { key: member }), 404, 'invalid_request_error', 'not_found', 'tier');
  });

  it('lets a platform admin replace a plan, effective on the next check', async () => {
    const res = await service.call('PUT', '/v1/plans/starter', {
      key: platformAdmin,
      body: { requests_per_minute: 2, tokens_per_minute: 500, redis_unavailable: 'fail_open' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      object: 'plan',
      tier: 'starter',
      requests_per_minute: 2,
      requests_per_hour: null,
      requests_per_day: null,
      tokens_per_minute: 500,
      tokens_per_day: null,
      max_concurrent: null,
      redis_unavailable: 'fail_open',
      version: 2,
      updated_at: expect.any(Number),
    });
    expect((await service.call('GET', '/v1/plans/starter', { key: member })).body).toEqual(res.body);

    const check = (requestId: string) => service.limiter.check({ tenantId: 't', keyId: `starter-key-${res.body.version}`, tier: 'starter', requestId });
    expect((await check('a')).allowed).toBe(true);
    expect((await check('b')).allowed).toBe(true);
    expect(await check('c')).toMatchObject({ allowed: false, deniedBy: 'requests_per_minute' });
  });

  it('refuses plan changes by anyone but a platform admin', async () => {
    for (const key of [tenantAdmin, member]) {
      const res = await service.call('PUT', '/v1/plans/free', { key, body: { requests_per_minute: 1_000 } });
      expectOpenAIError(res, 403, 'permission_error', 'insufficient_scope');
    }
    expect((await service.call('GET', '/v1/plans/free', { key: member })).body.requests_per_minute).toBe(DEFAULT_PLANS.free.requests_per_minute);
  });

  const invalid = 'invalid_request_error';
  it.each([
    ['a negative limit', '/v1/plans/pro', { body: { requests_per_minute: -5 } }, 'invalid_value', 'requests_per_minute'],
    ['a fractional limit', '/v1/plans/pro', { body: { tokens_per_minute: 10.5 } }, 'invalid_value', 'tokens_per_minute'],
    ['a limit of the wrong type', '/v1/plans/pro', { body: { requests_per_day: '1000' } }, 'invalid_value', 'requests_per_day'],
    ['an unknown policy', '/v1/plans/pro', { body: { redis_unavailable: 'sometimes' } }, 'invalid_value', 'redis_unavailable'],
    ['an unknown field', '/v1/plans/pro', { body: { requests_per_week: 5 } }, 'unknown_parameter', 'requests_per_week'],
    ['an unknown tier', '/v1/plans/gold', { body: { requests_per_minute: 5 } }, 'invalid_value', 'tier'],
    ['a body that is no object', '/v1/plans/pro', { rawBody: '[1]' }, 'invalid_body', null],
    ['malformed JSON', '/v1/plans/pro', { rawBody: '{"requests_per_minute":' }, 'invalid_json', null],
  ] as const)('PUT with %s → 400 naming it, nothing changed', async (_case, path, request, code, param) => {
    const before = (await service.call('GET', '/v1/plans', { key: member })).body;
    const res = await service.call('PUT', path, { key: platformAdmin, ...request });
    expectOpenAIError(res, 400, invalid, code, param);
    expect((await service.call('GET', '/v1/plans', { key: member })).body).toEqual(before);
  });
});
