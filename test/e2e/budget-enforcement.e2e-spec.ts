/**
 * Issue 6's hard budgets, end to end on the running platform: chat requests through the ingress
 * and the router are metered (Kafka → metering), crossing a key's hard budget is published on
 * the budget topic, the auth service republishes the key's state, and the router's guard
 * refuses the key with 403 budget_exceeded within a few seconds. Raising the budget lets it
 * through again. A tenant's hard budget blocks all its keys, including keys created while it
 * is exceeded; reading usage and budgets stays open to a blocked key.
 */
import { startFakeOpenAI, type FakeUpstream } from '@vectorstack/fake-upstream';
import { adminKey, baseUrl, call, createKey, createModel, createTenant, expectOpenAIError, sleep, uniqueSuffix } from '@vectorstack/testing';
import OpenAI from 'openai';

jest.setTimeout(180_000);

const POLL_MS = 100;
const WITHIN_MS = 15_000;

describe('hard budgets enforced by the guard', () => {
  let upstream: FakeUpstream;
  const model = `budget-${uniqueSuffix()}`;

  const client = (key: string) => new OpenAI({ baseURL: `${baseUrl()}/v1`, apiKey: key, maxRetries: 0 });
  const chat = (key: string) => client(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'spend something' }] });

  /** The HTTP status of one chat request with `key`, and the error code when refused. */
  async function chatOutcome(key: string): Promise<{ status: number; code?: string }> {
    try {
      await chat(key);
      return { status: 200 };
    } catch (error) {
      const { status, code } = error as { status?: number; code?: string };
      return { status: status ?? -1, code };
    }
  }

  /** Milliseconds from `since` until a chat request with `key` gets `status`. */
  async function msUntilChat(key: string, status: number, since: number): Promise<number> {
    for (;;) {
      const outcome = await chatOutcome(key);
      if (outcome.status === status) {
        if (status === 403) expect(outcome.code).toBe('budget_exceeded');
        return Date.now() - since;
      }
      if (Date.now() - since > WITHIN_MS) throw new Error(`chat still answered ${JSON.stringify(outcome)} after ${WITHIN_MS} ms, not ${status}`);
      await sleep(POLL_MS);
    }
  }

  beforeAll(async () => {
    upstream = await startFakeOpenAI({ recordLimit: 0 });
    // The fake upstream reports 7 prompt + 6 completion tokens: at 1 USD per 1K tokens each request costs 0.013 USD.
    await createModel(model, upstream.baseUrl, { input_price_per_1k: '1', output_price_per_1k: '1' });
  });

  afterAll(async () => {
    await call('DELETE', `/v1/admin/models/${model}`, { key: adminKey() });
    await upstream.close();
  });

  it('refuses a key over its hard budget within seconds, keeps its usage readable, and lets it through once the budget is raised', async () => {
    const tenant = await createTenant();
    const key = await createKey(tenant.id, { tier: 'enterprise', scopes: ['chat', 'usage:read'] });
    // The metering service learns of a new key from the key-state topic within moments (404 until then).
    let budget = await call('PUT', `/v1/budgets/${key.id}`, { key: adminKey(), body: { hard_limit_usd: '0.02' } });
    for (const deadline = Date.now() + WITHIN_MS; budget.status === 404 && Date.now() < deadline; ) {
      await sleep(POLL_MS);
      budget = await call('PUT', `/v1/budgets/${key.id}`, { key: adminKey(), body: { hard_limit_usd: '0.02' } });
    }
    expect(budget.status).toBe(200);
    await msUntilChat(key.key, 200, Date.now()); // the model reaches every router replica

    // Two requests spend 0.026 USD, over 0.02; the second one was admitted, as the budget was not yet crossed.
    await chat(key.key);
    const spentAt = Date.now();
    const refusedAfter = await msUntilChat(key.key, 403, spentAt);
    console.log(`key over its hard budget refused ${refusedAfter} ms after the request that crossed it`);

    // The refusal is the OpenAI shape, on every route that spends; reading usage and the budget stays open.
    const refused = await call('POST', '/v1/chat/completions', { key: key.key, body: { model, messages: [{ role: 'user', content: 'hi' }] } });
    expectOpenAIError(refused, 403, 'permission_error', 'budget_exceeded');
    const now = Math.floor(Date.now() / 1000);
    const usage = await call('GET', `/v1/usage?start=${now - 3_600}&end=${now + 60}`, { key: key.key });
    expect(usage.status).toBe(200);
    expect(usage.body.totals?.requests ?? usage.body.total?.requests).toBeGreaterThanOrEqual(2);
    const ownBudget = await call('GET', `/v1/budgets/${key.id}`, { key: key.key });
    expect(ownBudget.status).toBe(200);
    expect(ownBudget.body).toMatchObject({ state: 'hard_exceeded' });
    const today = new Date();
    expect(ownBudget.body.blocked_until).toBe(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1) / 1000); // the next month

    const raisedAt = Date.now();
    const raised = await call('PUT', `/v1/budgets/${key.id}`, { key: adminKey(), body: { hard_limit_usd: '100' } });
    expect(raised.status).toBe(200);
    const admittedAfter = await msUntilChat(key.key, 200, raisedAt);
    console.log(`admitted again ${admittedAfter} ms after the budget was raised`);
  });

  it('blocks every key of a tenant over its hard budget, keys created meanwhile included, until the budget is removed', async () => {
    const tenant = await createTenant();
    const first = await createKey(tenant.id, { tier: 'enterprise', scopes: ['chat'] });
    await msUntilChat(first.key, 200, Date.now()); // spends 0.013 USD
    const set = await call('PUT', `/v1/budgets/tenant?tenant_id=${tenant.id}`, { key: adminKey(), body: { hard_limit_usd: '0.01' } });
    expect(set.status).toBe(200);
    const setAt = Date.now();
    console.log(`tenant key refused ${await msUntilChat(first.key, 403, setAt)} ms after the tenant budget was set below its spend`);

    const late = await createKey(tenant.id, { tier: 'enterprise', scopes: ['chat'] });
    // Never admitted: its very first published state carries the tenant's block.
    await sleep(1_000);
    expect(await chatOutcome(late.key)).toEqual({ status: 403, code: 'budget_exceeded' });

    const removedAt = Date.now();
    expect((await call('DELETE', `/v1/budgets/tenant?tenant_id=${tenant.id}`, { key: adminKey() })).status).toBe(200);
    await msUntilChat(first.key, 200, removedAt);
    await msUntilChat(late.key, 200, removedAt);
  });
});
