/**
 * End to end: chat requests through the router (the official openai SDK against the ingress,
 * a fake OpenAI upstream behind it), streamed and not → the router's usage events → metering →
 * /v1/usage shows exactly that many requests and the token sums the upstream reported, priced
 * with the catalog's prices.
 */
import { startFakeOpenAI, type FakeUpstream } from '@vectorstack/fake-upstream';
import OpenAI from 'openai';
import { adminKey, call, createKey, createTenant, eventually, expectedCost, queryDatabase, uniqueSuffix, unix, usage } from '../testing/metering-api';

describe('usage of chat requests through the router', () => {
  let upstream: FakeUpstream;
  const model = `it-metering-chat-${uniqueSuffix()}`;

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    const res = await call('POST', '/v1/admin/models', {
      key: adminKey(),
      body: {
        id: model,
        context_window: 8192,
        max_output_tokens: 1_000,
        input_price_per_1k: '0.0025',
        output_price_per_1k: '0.01',
        tiers: ['free', 'starter', 'pro', 'enterprise'],
        deployments: [{ id: 'a', provider: 'openai-compatible', base_url: upstream.baseUrl, upstream_model: 'fake-model', weight: 1, timeout_ms: 2_000, max_retries: 1 }],
      },
    });
    expect(res.status).toBe(201);
  });

  afterAll(async () => {
    await call('DELETE', `/v1/admin/models/${model}`, { key: adminKey() });
    await upstream?.close();
  });

  it('counts every request once with the upstream’s token counts', async () => {
    const tenant = await createTenant();
    const key = await createKey(tenant.id, { tier: 'enterprise', scopes: ['chat', 'usage:read'] });
    const client = new OpenAI({ baseURL: `${process.env.VECTORSTACK_BASE_URL}/v1`, apiKey: key.key, maxRetries: 0 });
    await eventually('the model at the router', () => client.models.retrieve(model).then(() => true, () => false), (ok) => ok, 15_000);
    await eventually('the price at metering', () => queryDatabase('SELECT 1 FROM metering.model_price WHERE model = $1', [model]), (rows) => rows.length === 1);

    const started = unix(new Date()) - 1;
    const reported: Array<{ promptTokens: number; completionTokens: number; totalTokens: number }> = [];
    const prompts = ['tell me about quokkas', 'and wombats too', 'what do echidnas eat', 'one two three four five', 'hello'];
    for (const content of prompts) {
      const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content }], max_tokens: 40 });
      reported.push({ promptTokens: completion.usage!.prompt_tokens, completionTokens: completion.usage!.completion_tokens, totalTokens: completion.usage!.total_tokens });
    }
    for (const content of prompts) {
      const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: `${content}, streamed` }], stream: true, stream_options: { include_usage: true } });
      let last;
      for await (const chunk of stream) last = chunk;
      reported.push({ promptTokens: last!.usage!.prompt_tokens, completionTokens: last!.usage!.completion_tokens, totalTokens: last!.usage!.total_tokens });
    }

    const range = { start: started, end: unix(new Date()) + 2 };
    const body = await eventually(
      'the requests in the usage API',
      async () => (await usage(key.key, { ...range, group_by: 'model' })).body,
      (b) => b?.totals?.requests === reported.length,
      30_000,
    );
    const sum = (field: 'promptTokens' | 'completionTokens' | 'totalTokens') => reported.reduce((total, r) => total + r[field], 0);
    expect(body.totals).toEqual({
      requests: 10,
      errors: 0,
      prompt_tokens: sum('promptTokens'),
      completion_tokens: sum('completionTokens'),
      total_tokens: sum('totalTokens'),
      cost: expectedCost(reported, '0.0025', '0.01'),
    });
    expect(body.data).toEqual([expect.objectContaining({ model, requests: 10 })]);
    expect((await usage(key.key, { ...range, group_by: 'key' })).body.data).toEqual([expect.objectContaining({ key_id: key.id, requests: 10 })]);
  });
});
