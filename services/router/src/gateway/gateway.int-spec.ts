/**
 * The OpenAI-compatible routes through the ingress, driven by the official `openai` SDK, against
 * fake upstreams that speak the OpenAI and Anthropic wire formats (no real provider is reachable):
 * answers, streaming, usage, every error as the SDK's typed error, fallbacks and cool-down.
 */
import { Topics, UsageRecordedBatchSchema, type UsageRecorded } from '@vectorstack/contracts';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '@vectorstack/fake-upstream';
import { createKey as createPlatformKey, decodeOrSkip, testInfra, uniqueSuffix } from '@vectorstack/testing';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import OpenAI, { APIError, AuthenticationError, BadRequestError, NotFoundError, PermissionDeniedError } from 'openai';
import { adminKey, baseUrl, call, createKey, createModel, createTenant, deleteModels, eventually, modelBody, sleep } from '../testing/router-api';

jest.setTimeout(120_000);

const run = uniqueSuffix();
const id = (name: string) => `${name}-${run}`;
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('OpenAI-compatible gateway (openai SDK through the ingress)', () => {
  let openaiA: FakeUpstream;
  let openaiB: FakeUpstream;
  let anthropic: FakeUpstream;
  /** An enterprise key (1,000 requests/min), so the many requests here are not rate limited. */
  let client: OpenAI;
  /** A starter key: for what the tier restricts. */
  let starter: OpenAI;
  const models: string[] = [];
  let consumer: Consumer;
  const usage = new Map<string, UsageRecorded>();

  const deployment = (name: string, upstream: FakeUpstream, extra: Record<string, unknown> = {}) => ({
    id: name,
    provider: upstream.kind === 'anthropic' ? 'anthropic' : 'openai-compatible',
    base_url: upstream.baseUrl,
    upstream_model: upstream.kind === 'anthropic' ? 'claude-thinking-test' : 'fake-model',
    weight: 1,
    timeout_ms: 2_000,
    max_retries: 1,
    ...extra,
  });

  async function model(name: string, overrides: Record<string, unknown>): Promise<string> {
    const modelId = id(name);
    await createModel(modelBody(modelId, { max_output_tokens: 1_000, tiers: ['free', 'starter', 'pro', 'enterprise'], ...overrides }));
    models.push(modelId);
    return modelId;
  }

  beforeAll(async () => {
    [openaiA, openaiB, anthropic] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), startFakeAnthropic()]);
    await model('chat', { deployments: [deployment('a', openaiA)] });
    await model('pro-only', { tiers: ['pro', 'enterprise'], deployments: [deployment('a', openaiA)] });
    await model('pair', { deployments: [deployment('a', openaiA, { weight: 100, max_retries: 2 }), deployment('b', openaiB, { weight: 1, max_retries: 2 })] });
    await model('claude', { deployments: [deployment('claude', anthropic, { max_retries: 0 })] });
    await model('solo', { deployments: [deployment('b', openaiB, { max_retries: 1 })] });
    const disabled = await model('retired', { deployments: [deployment('a', openaiA)] });
    const disabledWithFallback = await model('retired-fb', { fallbacks: [id('chat')], deployments: [deployment('a', openaiA)] });
    for (const modelId of [disabled, disabledWithFallback]) {
      const res = await call('POST', `/v1/admin/models/${modelId}/disable`, { key: adminKey(), body: { message: 'Retired after the incident' } });
      expect(res.status).toBe(200);
    }
    const tenant = await createTenant();
    client = new OpenAI({ baseURL: `${baseUrl()}/v1`, apiKey: await createKey(tenant.id, { tier: 'enterprise', scopes: ['chat', 'embeddings'] }), maxRetries: 0 });
    starter = new OpenAI({ baseURL: `${baseUrl()}/v1`, apiKey: await createKey(tenant.id, { tier: 'starter', scopes: ['chat'] }), maxRetries: 0 });
    // Every router replica has the models and the key (the catalog and key topics are followed).
    await eventually(() => client.models.retrieve(id('retired-fb')).catch((error: unknown) => (error instanceof PermissionDeniedError ? undefined : Promise.reject(error))), 10_000);
    await eventually(() => client.models.retrieve(id('solo')), 10_000);

    const kafka = new Kafka({ clientId: `router-it-${run}`, brokers: testInfra.kafkaBrokers(), logLevel: logLevel.NOTHING });
    // Read the usage topic from where it ends now, not from its beginning: a long-lived
    // platform's topic (e.g. after bench/router runs) holds far more events than the wait allows.
    const admin = kafka.admin();
    await admin.connect();
    const startOffsets = await admin.fetchTopicOffsets(Topics.usageRecorded.name);
    await admin.disconnect();
    consumer = kafka.consumer({ groupId: `router-it-${run}` });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.usageRecorded.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const batch = message.value && decodeOrSkip(UsageRecordedBatchSchema, message.value);
        for (const event of batch ? batch.events : []) if (event.model.endsWith(run)) usage.set(event.requestId, event);
      },
    });
    for (const { partition, high } of startOffsets) consumer.seek({ topic: Topics.usageRecorded.name, partition, offset: high });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await deleteModels(models);
    await Promise.all([openaiA, openaiB, anthropic].map((upstream) => upstream?.close()));
  });

  beforeEach(() => {
    for (const upstream of [openaiA, openaiB, anthropic]) upstream.reset();
  });

  async function usageOf(requestId: string): Promise<UsageRecorded> {
    return eventually(async () => {
      const event = usage.get(requestId);
      if (!event) throw new Error(`no usage event for ${requestId} yet`);
      return event;
    }, 15_000, 100);
  }

  it('answers a chat completion with usage, the request id, processing time, rate-limit and route headers, and meters it', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: id('chat'), messages: [{ role: 'user', content: 'tell me about quokkas' }], max_tokens: 50 })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe(id('chat'));
    expect(data.choices[0].message.content).toContain('quokkas');
    expect(data.usage).toEqual({ prompt_tokens: 4, completion_tokens: expect.any(Number), total_tokens: expect.any(Number) });
    const requestId = response.headers.get('x-request-id') ?? '';
    expect(requestId).not.toBe('');
    expect(Number(response.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(0);
    expect(response.headers.get('x-vectorstack-route')).toBe(`${id('chat')}/a:ok`);
    expect(Number(response.headers.get('x-ratelimit-limit-requests'))).toBe(1_000); // enterprise: 1,000 rpm
    expect(Number(response.headers.get('x-ratelimit-remaining-requests'))).toBeLessThan(1_000);
    expect(response.headers.get('x-ratelimit-reset-tokens')).toMatch(/^[\d.]+(ms|s)$|m/);
    const event = await usageOf(requestId);
    expect(event).toMatchObject({ tenantId: expect.any(String), model: id('chat'), deployment: `${id('chat')}/a`, provider: 'openai-compatible', httpStatus: 200, streamed: false });
    expect(Number(event.promptTokens)).toBe(data.usage?.prompt_tokens);
    expect(Number(event.completionTokens)).toBe(data.usage?.completion_tokens);
    expect(Number(event.reservedTokens)).toBeGreaterThanOrEqual(50);
  });

  it('streams chunks ending in [DONE], asks the upstream for usage, and forwards it only when the client asked', async () => {
    const stream = await client.chat.completions.create({ model: id('chat'), messages: [{ role: 'user', content: 'stream please now' }], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toContain('stream please now');
    expect(chunks.every((chunk) => !chunk.usage)).toBe(true);
    expect(chunks.every((chunk) => chunk.model === id('chat'))).toBe(true);
    const upstreamRequest = openaiA.requests().find((request) => request.stream);
    expect(upstreamRequest?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });

    const withUsage = await client.chat.completions
      .create({ model: id('chat'), messages: [{ role: 'user', content: 'count these words' }], stream: true, stream_options: { include_usage: true } })
      .withResponse();
    const last = [];
    for await (const chunk of withUsage.data) last.push(chunk);
    const usageChunk = last[last.length - 1];
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage?.prompt_tokens).toBe(3);
    const event = await usageOf(withUsage.response.headers.get('x-request-id') ?? '');
    expect(event.streamed).toBe(true);
    expect(Number(event.totalTokens)).toBe(usageChunk.usage?.total_tokens);
  });

  it('serves embeddings and the legacy completions route', async () => {
    const embeddings = await client.embeddings.create({ model: id('chat'), input: ['first text', 'second'] });
    expect(embeddings.data).toHaveLength(2);
    expect(embeddings.data[0].embedding.length).toBeGreaterThan(0);
    expect(embeddings.usage.prompt_tokens).toBe(3);
    const completion = await client.completions.create({ model: id('chat'), prompt: 'once upon a time', max_tokens: 20 });
    expect(completion.choices[0].text.length).toBeGreaterThan(0);
  });

  it('lists only the models the key may use', async () => {
    const ids = [];
    for await (const entry of starter.models.list()) ids.push(entry.id);
    expect(ids).toEqual(expect.arrayContaining([id('chat'), id('pair'), id('claude')]));
    expect(ids).not.toContain(id('pro-only'));
    expect(ids).not.toContain(id('retired'));
    expect((await client.models.retrieve(id('chat'))).id).toBe(id('chat'));
  });

  it('surfaces each refusal as the SDK typed error with the platform code', async () => {
    const user = [{ role: 'user' as const, content: 'hi' }];
    const expectError = async (promise: Promise<unknown>, type: new (...args: never[]) => APIError, status: number, code: string, param?: string) => {
      const error = await promise.then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(type);
      expect(error).toMatchObject({ status, code, ...(param ? { param } : {}) });
    };
    await expectError(client.chat.completions.create({ model: `missing-${run}`, messages: user }), NotFoundError, 404, 'model_not_found', 'model');
    await expectError(starter.chat.completions.create({ model: id('pro-only'), messages: user }), PermissionDeniedError, 403, 'model_access_denied');
    const disabled = await client.chat.completions.create({ model: id('retired'), messages: user }).catch((caught: unknown) => caught);
    expect(disabled).toBeInstanceOf(PermissionDeniedError);
    expect(disabled).toMatchObject({ status: 403, code: 'MODEL_DISABLED', type: 'permission_error' });
    expect((disabled as APIError).message).toContain('Retired after the incident');
    expect((disabled as APIError).message).toContain(id('chat'));
    await expectError(client.chat.completions.create({ model: id('chat'), messages: user, max_tokens: 5_000 }), BadRequestError, 400, 'max_tokens_exceeded', 'max_tokens');
    await expectError(client.chat.completions.create({ model: id('chat'), messages: user, temperature: 2.5 }), BadRequestError, 400, 'invalid_value', 'temperature');
    await expectError(client.chat.completions.create({ model: id('chat'), messages: [{ role: 'wizard', content: 'x' } as never] }), BadRequestError, 400, 'invalid_value', 'messages[0].role');
    const gif = (bytes: number) => `data:image/gif;base64,${Buffer.alloc(bytes).toString('base64')}`;
    const withImage = (url: string) => [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'what is this' }, { type: 'image_url' as const, image_url: { url } }] }];
    await expectError(client.chat.completions.create({ model: id('chat'), messages: withImage('data:image/bmp;base64,AAAA') }), BadRequestError, 400, 'invalid_value', 'messages[0].content[1].image_url.url');
    await expectError(client.chat.completions.create({ model: id('chat'), messages: withImage(gif(5 * 1024 * 1024 + 3)) }), BadRequestError, 400, 'invalid_value', 'messages[0].content[1].image_url.url');
    const accepted = await client.chat.completions.create({ model: id('chat'), messages: withImage(`data:image/png;base64,${PNG_1PX}`) });
    expect(accepted.choices[0].message.role).toBe('assistant');
    const anonymous = new OpenAI({ baseURL: `${baseUrl()}/v1`, apiKey: 'vsk_not-a-real-key-000000000000000000000000000', maxRetries: 0 });
    await expectError(anonymous.chat.completions.create({ model: id('chat'), messages: user }), AuthenticationError, 401, 'invalid_api_key');
  });

  it('answers requests it cannot read in the OpenAI shape: bad JSON, another media type, a body over the limit, no key', async () => {
    const key = client.apiKey;
    const chat = (body: string, headers: Record<string, string>) =>
      fetch(`${baseUrl()}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body }).then(async (res) => ({
        status: res.status,
        requestId: res.headers.get('x-request-id'),
        body: (await res.json()) as { error: { type: string; code: string } },
      }));
    const json = { 'content-type': 'application/json' };
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['{"model":', json, 400, 'invalid_json'],
      ['', json, 400, 'invalid_json'],
      [`{"model":"${id('chat')}","messages":[],"__proto__":{"x":1}}`, json, 400, 'invalid_json'],
      ['model=x', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
      // The router's HTTP_BODY_LIMIT_BYTES (10 MiB by default); the ingress allows more.
      [JSON.stringify({ model: id('chat'), messages: [{ role: 'user', content: 'x'.repeat(11 * 1024 * 1024) }] }), json, 413, 'payload_too_large'],
    ];
    for (const [body, headers, status, code] of cases) {
      const res = await chat(body, headers);
      expect({ status: res.status, type: res.body.error.type, code: res.body.error.code }).toEqual({ status, type: 'invalid_request_error', code });
      expect(res.requestId).toBeTruthy();
    }
    const anonymous = await fetch(`${baseUrl()}/v1/chat/completions`, { method: 'POST', headers: json, body: JSON.stringify({ model: id('chat'), messages: [] }) });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('missing_api_key');
  });

  it('serves a disabled model from its fallback', async () => {
    const { data, response } = await client.chat.completions.create({ model: id('retired-fb'), messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    expect(data.model).toBe(id('chat'));
    expect(response.headers.get('x-vectorstack-route')).toBe(`${id('chat')}/a:ok`);
  });

  it('retries on the other deployment while one fails, cools the failing one down, and probes it back after it recovers', async () => {
    openaiA.control({ failAlways: { status: 500 } });
    for (let i = 0; i < 6; i++) {
      const { response } = await client.chat.completions.create({ model: id('pair'), messages: [{ role: 'user', content: `try ${i}` }] }).withResponse();
      expect(response.headers.get('x-vectorstack-route')).toMatch(/\/b:ok$/);
    }
    const hitsWhileFailing = openaiA.requests().length;
    expect(hitsWhileFailing).toBeGreaterThanOrEqual(3); // the breaker opens after 3 consecutive failures
    for (let i = 0; i < 5; i++) {
      const { response } = await client.chat.completions.create({ model: id('pair'), messages: [{ role: 'user', content: 'cooling' }] }).withResponse();
      expect(response.headers.get('x-vectorstack-route')).toBe(`${id('pair')}/b:ok`); // A is skipped, not tried
    }
    expect(openaiA.requests().length).toBe(hitsWhileFailing);

    openaiA.control({ failAlways: null });
    // After the cool-down (ROUTER_BREAKER_COOLDOWN_MS, 5 s by default) one request probes A; it succeeds and A serves again.
    const routes = await eventually(async () => {
      const { response } = await client.chat.completions.create({ model: id('pair'), messages: [{ role: 'user', content: 'probe' }] }).withResponse();
      const route = response.headers.get('x-vectorstack-route') ?? '';
      if (!route.endsWith('/a:ok')) throw new Error(`still routed ${route}`);
      return route;
    }, 20_000, 500);
    expect(routes).toBe(`${id('pair')}/a:ok`);
  });

  it("honours an upstream 429's Retry-After before retrying", async () => {
    openaiB.control({ failNext: { count: 1, status: 429 }, retryAfter: 1 });
    const started = Date.now();
    const { response } = await client.chat.completions.create({ model: id('solo'), messages: [{ role: 'user', content: 'patience' }] }).withResponse();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(response.headers.get('x-vectorstack-route')).toBe(`${id('solo')}/b:rate_limited(429),${id('solo')}/b:ok`);
  });

  it('translates an Anthropic thinking model both ways, streamed and not, into the content-array shape', async () => {
    const answer = await client.chat.completions.create({ model: id('claude'), messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'why is the sky blue' }], max_tokens: 200 });
    const content = answer.choices[0].message.content as unknown as Array<{ type: string; thinking?: string; text?: string }>;
    expect(Array.isArray(content)).toBe(true);
    expect(content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect(content[1].text).toContain('sky');
    expect(answer.usage?.total_tokens).toBe((answer.usage?.prompt_tokens ?? 0) + (answer.usage?.completion_tokens ?? 0));
    const sent = anthropic.requests().find((request) => request.path === '/v1/messages');
    expect(sent?.body).toMatchObject({ system: 'be brief', max_tokens: 200, messages: [{ role: 'user' }] });

    const stream = await client.chat.completions.create({ model: id('claude'), messages: [{ role: 'user', content: 'stream the thinking' }], stream: true, stream_options: { include_usage: true } });
    const types = new Set<string>();
    let usageChunk;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content as unknown;
      if (Array.isArray(delta)) for (const block of delta) types.add((block as { type: string }).type);
      if (chunk.usage) usageChunk = chunk.usage;
    }
    expect([...types]).toEqual(['thinking', 'text']);
    expect(usageChunk).toBeDefined();
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    openaiA.control({ streamChunkDelayMs: 200 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: id('chat'), messages: [{ role: 'user', content: 'a long answer with many many words to stream slowly' }], stream: true },
      { signal: controller.signal },
    );
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) break; // leaves the loop: the SDK aborts the HTTP request
    }
    controller.abort();
    const recorded = await openaiA.waitFor((requests) => requests.some((request) => request.stream && request.aborted === true), 10_000);
    expect(recorded.some((request) => request.aborted)).toBe(true);
  });

  it('turns an upstream failure in the middle of a stream into an error event and a clean close', async () => {
    openaiA.control({ failNext: { count: 1, fault: 'midstream', afterChunks: 2 } });
    const stream = await client.chat.completions.create({ model: id('chat'), messages: [{ role: 'user', content: 'this will break halfway through' }], stream: true });
    const received: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect(String((error as APIError).message)).toContain('failed while streaming');
    expect(received.length).toBeGreaterThan(0);
  });

  it('frees a finished request\'s concurrency slot before the same key\'s next check (max_concurrent 1)', async () => {
    const tenant = await createTenant();
    const created = await createPlatformKey(tenant.id, { name: 'router-it', tier: 'enterprise', scopes: ['chat'] });
    // The key reaches the ratelimit service through Kafka: retry until it knows the key.
    await eventually(async () => {
      const res = await call('PUT', `/v1/limits/${created.id}`, { key: adminKey(), body: { max_concurrent: 1 } });
      if (res.status !== 200) throw new Error(`PUT /v1/limits: ${res.status}`);
    }, 20_000);
    const single = new OpenAI({ baseURL: `${baseUrl()}/v1`, apiKey: created.key, maxRetries: 0 });
    const ask = () => single.chat.completions.create({ model: id('chat'), messages: [{ role: 'user', content: 'x' }], max_tokens: 10 });
    // Back to back: each request's settle goes to Redis ahead of the next one's check.
    for (let i = 0; i < 15; i++) await expect(ask()).resolves.toBeDefined();

    // Two at once (the upstream holds each for 1.5 s): one is served, the other refused.
    openaiA.control({ latencyMs: 1_500 });
    const outcomes = await Promise.allSettled([ask(), sleep(300).then(ask)]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({ reason: { status: 429, code: 'rate_limit_exceeded' } });
  });

  it('admits a busy key from quota leases: the headers still count down one by one, and its usage events say the router settled them', async () => {
    const tenant = await createTenant();
    const busy = new OpenAI({ baseURL: `${baseUrl()}/v1`, apiKey: await createKey(tenant.id, { tier: 'enterprise', scopes: ['chat'] }), maxRetries: 0 });
    const ids: string[] = [];
    let previous = Infinity;
    const until = Date.now() + 3_000; // the first second of a key's traffic is checked one by one
    // Requests as fast as they go for 3 s, but well inside the enterprise plan's 1,000 a minute
    // (a fast router gets there within 3 s): near the limit leases shrink to single requests.
    while (Date.now() < until && previous > 100) {
      const { response } = await busy.chat.completions.create({ model: id('chat'), messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }).withResponse();
      const remaining = Number(response.headers.get('x-ratelimit-remaining-requests'));
      expect(remaining).toBeLessThan(previous);
      previous = remaining;
      ids.push(response.headers.get('x-request-id') ?? '');
    }
    const first = await usageOf(ids[0]);
    const last = await usageOf(ids[ids.length - 1]);
    expect(first.rateLimitSettled).toBe(false);
    expect(last.rateLimitSettled).toBe(true);
  });

  it('answers 429 from the rate limiter with Retry-After once the key is over its plan', async () => {
    const tenant = await createTenant();
    const freeKey = await createKey(tenant.id, { tier: 'free', scopes: ['chat'] });
    const free = new OpenAI({ baseURL: `${baseUrl()}/v1`, apiKey: freeKey, maxRetries: 0 });
    let limited: unknown;
    for (let i = 0; i < 12 && !limited; i++) {
      limited = await free.chat.completions.create({ model: id('chat'), messages: [{ role: 'user', content: 'x' }], max_tokens: 10 }).then(() => undefined, (caught: unknown) => caught);
    }
    expect(limited).toBeInstanceOf(APIError);
    expect(limited).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'rate_limit_error' });
    expect(Number((limited as APIError).headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await sleep(0);
  });
});
