/**
 * Monthly budgets over HTTP and their events on the compacted budget topic: crossing the soft
 * and the hard budget of a key or a tenant publishes its new state, raising the budget clears
 * it; who may see and set budgets; bad input is refused with `param`.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { BudgetScope, BudgetState, BudgetStatusSchema, Topics, type BudgetStatus } from '@vectorstack/contracts';
import { adminKey, call, eventually, expectOpenAIError, pricedModel, readTopicUntil, tenantWithKeys, usageEvent, UsageProducer } from '../testing/metering-api';

/** The first record of a subject on the budget topic in `state` with a version above `after`. */
async function budgetRecord(subjectKey: string, state: BudgetState, after = 0n): Promise<BudgetStatus> {
  const matches = (value: Buffer | null) => {
    if (!value) return false;
    const status = fromBinary(BudgetStatusSchema, value);
    return status.state === state && status.version > after;
  };
  const records = await readTopicUntil(Topics.budgetStatus.name, (all) => all.some((r) => r.key === subjectKey && matches(r.value)));
  const found = records.find((r) => r.key === subjectKey && matches(r.value));
  if (!found) {
    const seen = records.filter((r) => r.key === subjectKey && r.value).map((r) => fromBinary(BudgetStatusSchema, r.value!));
    throw new Error(`no ${BudgetState[state]} record above v${after} for ${subjectKey}; saw ${seen.map((m) => `${BudgetState[m.state]} v${m.version}`).join(', ')}`);
  }
  return fromBinary(BudgetStatusSchema, found.value!);
}

describe('budgets', () => {
  const producer = UsageProducer.create();
  let tenant: Awaited<ReturnType<typeof tenantWithKeys>>;
  let other: Awaited<ReturnType<typeof tenantWithKeys>>;
  let model: string;
  // 2,000 prompt tokens at 0.001 and 2,000 completion tokens at 0.002 per 1K: 0.006 USD.
  const spend = () => producer.publish([usageEvent({ tenantId: tenant.tenantId, keyId: tenant.worker.id, model, promptTokens: 2_000n, completionTokens: 2_000n, totalTokens: 4_000n })]);
  const budgetOf = (path: string, key = tenant.reader.key) => call('GET', `/v1/budgets/${path}`, { key });

  beforeAll(async () => {
    [tenant, other, model] = await Promise.all([tenantWithKeys(), tenantWithKeys(), pricedModel('0.001', '0.002')]);
  });

  it('finds a key created a moment ago (on a miss, the key cache first reads the key topic to its end)', async () => {
    const fresh = await tenantWithKeys();
    const [read, written] = await Promise.all([
      call('GET', `/v1/budgets/${fresh.worker.id}`, { key: fresh.reader.key }),
      call('PUT', `/v1/budgets/${fresh.worker.id}`, { key: fresh.reader.key, body: { hard_limit_usd: '5' } }),
    ]);
    expect(read.status).toBe(200);
    expect(written.status).toBe(200);
    expect(written.body).toMatchObject({ key_id: fresh.worker.id, hard_limit_usd: '5' });
  });

  afterAll(async () => {
    await producer.close();
  });

  it('publishes a key’s soft and hard crossings, and the clearing when the budget is raised', async () => {
    const put = await call('PUT', `/v1/budgets/${tenant.worker.id}`, { key: tenant.reader.key, body: { soft_limit_usd: '0.005', hard_limit_usd: 0.01 } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      object: 'budget',
      scope: 'key',
      tenant_id: tenant.tenantId,
      key_id: tenant.worker.id,
      currency: 'usd',
      soft_limit_usd: '0.005',
      hard_limit_usd: '0.01',
      spent_usd: '0',
      state: 'within',
      blocked_until: null,
    });

    await spend();
    await eventually('the soft crossing', () => budgetOf(tenant.worker.id), (res) => res.body.state === 'soft_exceeded');
    const soft = await budgetRecord(`key:${tenant.worker.id}`, BudgetState.SOFT_EXCEEDED);
    expect(soft).toMatchObject({ scope: BudgetScope.KEY, subjectId: tenant.worker.id, tenantId: tenant.tenantId, spentUsd: '0.006', softLimitUsd: '0.005', hardLimitUsd: '0.01' });

    await spend();
    const blocked = await eventually('the hard crossing', () => budgetOf(tenant.worker.id), (res) => res.body.state === 'hard_exceeded');
    const now = new Date();
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    expect(blocked.body).toMatchObject({ spent_usd: '0.012', blocked_until: nextMonth / 1000, month: now.toISOString().slice(0, 7) });
    const hard = await budgetRecord(`key:${tenant.worker.id}`, BudgetState.HARD_EXCEEDED, soft.version);
    expect(hard.version).toBeGreaterThan(soft.version);
    expect(timestampDate(hard.blockedUntil!).getTime()).toBe(nextMonth);
    expect(hard.month).toBe(now.toISOString().slice(0, 7));

    // Raised by the platform admin: cleared at once, and published.
    const raised = await call('PUT', `/v1/budgets/${tenant.worker.id}`, { key: adminKey(), body: { hard_limit_usd: '1' } });
    expect(raised.body).toMatchObject({ state: 'within', soft_limit_usd: null, hard_limit_usd: '1', spent_usd: '0.012' });
    const cleared = await budgetRecord(`key:${tenant.worker.id}`, BudgetState.WITHIN, hard.version);
    expect(cleared.version).toBeGreaterThan(hard.version);
    expect(cleared.blockedUntil).toBeUndefined();
  });

  it('publishes a tenant’s hard crossing; a tenant admin may lower its budget but not raise or remove it', async () => {
    const set = await call('PUT', '/v1/budgets/tenant', { key: tenant.reader.key, body: { hard_limit_usd: '0.5' } });
    expect(set.body).toMatchObject({ scope: 'tenant', tenant_id: tenant.tenantId, key_id: null, hard_limit_usd: '0.5', state: 'within' });
    expectOpenAIError(await call('PUT', '/v1/budgets/tenant', { key: tenant.reader.key, body: { hard_limit_usd: '0.6' } }), 403, 'permission_error', 'budget_increase_not_allowed', 'hard_limit_usd');
    expectOpenAIError(await call('PUT', '/v1/budgets/tenant', { key: tenant.reader.key, body: { soft_limit_usd: '0.1' } }), 403, 'permission_error', 'budget_increase_not_allowed', 'hard_limit_usd');
    expectOpenAIError(await call('DELETE', '/v1/budgets/tenant', { key: tenant.reader.key }), 403, 'permission_error', 'budget_increase_not_allowed', 'hard_limit_usd');

    // Lowered to what the tenant already spent (0.012 after the first test): exhausted.
    await eventually('the key’s spend', () => budgetOf('tenant'), (res) => res.body.spent_usd === '0.012');
    const lowered = await call('PUT', '/v1/budgets/tenant', { key: tenant.reader.key, body: { soft_limit_usd: '0.001', hard_limit_usd: '0.012' } });
    expect(lowered.body).toMatchObject({ state: 'hard_exceeded', spent_usd: '0.012' });
    const record = await budgetRecord(`tenant:${tenant.tenantId}`, BudgetState.HARD_EXCEEDED);
    expect(record).toMatchObject({ scope: BudgetScope.TENANT, subjectId: tenant.tenantId, tenantId: tenant.tenantId, hardLimitUsd: '0.012' });

    // A platform admin raises it (naming the tenant).
    const raised = await call('PUT', `/v1/budgets/tenant?tenant_id=${tenant.tenantId}`, { key: adminKey(), body: { hard_limit_usd: '100' } });
    expect(raised.body).toMatchObject({ tenant_id: tenant.tenantId, state: 'within', hard_limit_usd: '100' });
    await budgetRecord(`tenant:${tenant.tenantId}`, BudgetState.WITHIN, record.version);
    expect((await call('GET', `/v1/budgets/tenant?tenant_id=${tenant.tenantId}`, { key: adminKey() })).body.hard_limit_usd).toBe('100');
  });

  it('shows a key its own budget and hides other tenants’ budgets', async () => {
    const own = await budgetOf(tenant.worker.id, tenant.worker.key);
    expect(own.status).toBe(200);
    expectOpenAIError(await call('PUT', `/v1/budgets/${tenant.worker.id}`, { key: tenant.worker.key, body: { hard_limit_usd: '1000' } }), 403, 'permission_error', 'insufficient_scope');
    expectOpenAIError(await budgetOf(tenant.reader.id, tenant.worker.key), 404, 'invalid_request_error', 'not_found', 'key_id');
    expectOpenAIError(await budgetOf(tenant.worker.id, other.reader.key), 404, 'invalid_request_error', 'not_found', 'key_id');
    expectOpenAIError(await call('PUT', `/v1/budgets/${tenant.worker.id}`, { key: other.reader.key, body: { hard_limit_usd: '0' } }), 404, 'invalid_request_error', 'not_found', 'key_id');
    expectOpenAIError(await budgetOf(`tenant?tenant_id=${tenant.tenantId}`, other.reader.key), 403, 'permission_error', 'tenant_forbidden', 'tenant_id');
    expectOpenAIError(await budgetOf('00000000-0000-4000-8000-00000000dead', adminKey()), 404, 'invalid_request_error', 'not_found', 'key_id');
  });

  it.each([
    ['a soft budget above the hard one', { body: { soft_limit_usd: '2', hard_limit_usd: '1' } }, 'invalid_value', 'soft_limit_usd'],
    ['a negative budget', { body: { hard_limit_usd: '-1' } }, 'invalid_value', 'hard_limit_usd'],
    ['a budget with 7 decimals', { body: { hard_limit_usd: '0.0000001' } }, 'invalid_value', 'hard_limit_usd'],
    ['a budget that is no number', { body: { hard_limit_usd: 'lots' } }, 'invalid_value', 'hard_limit_usd'],
    ['an unknown field', { body: { hard_limit_usd: '1', currency: 'eur' } }, 'unknown_parameter', 'currency'],
    ['no body', {}, 'missing_body', null],
  ] as const)('refuses %s with 400, changing nothing', async (_case, request, code, param) => {
    const before = (await budgetOf(tenant.worker.id)).body;
    expectOpenAIError(await call('PUT', `/v1/budgets/${tenant.worker.id}`, { key: tenant.reader.key, ...request }), 400, 'invalid_request_error', code, param);
    expect((await budgetOf(tenant.worker.id)).body).toEqual(before);
  });
});
