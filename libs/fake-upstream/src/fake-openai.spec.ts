// The fake OpenAI upstream driven by the official `openai` SDK (proof it speaks the real wire
// format) and by raw HTTP for the control API.
import OpenAI from 'openai';
import { connectFakeUpstream } from './client';
import { type FakeUpstream, startFakeOpenAI } from './server';

let fake: FakeUpstream;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: 'sk-fake' });
  client = new OpenAI({ apiKey: 'sk-fake', baseURL: fake.baseUrl, maxRetries: 0 });
});

afterEach(() => fake.reset());

afterAll(() => fake.close());

const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: [{ type: 'text', text: 'Tell me' }, { type: 'text', text: 'a story' }] },
];

describe('fake OpenAI upstream', () => {
  it('answers chat completions with deterministic text and usage', async () => {
    const completion = await client.chat.completions.create({ model: 'fake-model', messages });
    expect(completion.choices[0].message.content).toBe('You said: Tell me a story');
    expect(completion.usage).toEqual({ prompt_tokens: 7, completion_tokens: 6, total_tokens: 13 });
    expect(completion.id).toMatch(/^chatcmpl-fake-\d+$/);
  });

  it('streams SSE chunks, with a usage chunk only when include_usage is asked', async () => {
    const withUsage = await client.chat.completions.create({ model: 'fake-model', messages, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of withUsage) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('You said: Tell me a story');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 6, total_tokens: 13 } });
    expect(chunks.at(-2)?.choices[0].finish_reason).toBe('stop');

    const without = await client.chat.completions.create({ model: 'fake-model', messages, stream: true });
    const plain = [];
    for await (const chunk of without) plain.push(chunk);
    expect(plain.every((chunk) => chunk.choices.length === 1 && chunk.usage === undefined)).toBe(true);
  });

  it('refuses stream_options without stream, as OpenAI does', async () => {
    await expect(client.chat.completions.create({ model: 'fake-model', messages, stream_options: { include_usage: true } })).rejects.toMatchObject({
      status: 400,
      error: { param: 'stream_options' },
    });
  });

  it('serves embeddings (float and base64, which the SDK asks for by default) and models', async () => {
    const embedded = await client.embeddings.create({ model: 'fake-embedding', input: ['one two', 'three'], dimensions: 4 });
    expect(embedded.data.map((item) => item.embedding.length)).toEqual([4, 4]);
    expect(embedded.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const floats = await client.embeddings.create({ model: 'fake-embedding', input: 'one two', dimensions: 4, encoding_format: 'float' });
    expect(floats.data[0].embedding).toEqual(embedded.data[0].embedding);

    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['fake-model', 'fake-thinking-model', 'fake-embedding']);
    expect((await client.models.retrieve('fake-model')).owned_by).toBe('fake-upstream');
    await expect(client.models.retrieve('nope')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('legacy completions', async () => {
    const completion = await client.completions.create({ model: 'fake-model', prompt: 'Once upon a time', max_tokens: 4 });
    expect(completion.choices[0]).toMatchObject({ text: 'You said: Once upon', finish_reason: 'length' });
  });

  it('refuses a wrong API key with 401', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-other', baseURL: fake.baseUrl, maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: 'fake-model', messages })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('fails by model name and by control script, surfacing as the SDK’s typed errors', async () => {
    await expect(client.chat.completions.create({ model: 'fail-500', messages })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    fake.control({ failNext: { count: 1, status: 429 }, retryAfter: 1 });
    const error = await client.chat.completions.create({ model: 'fake-model', messages }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('1');
    await expect(client.chat.completions.create({ model: 'fake-model', messages })).resolves.toBeDefined();
  });

  it('holds latency before answering', async () => {
    fake.control({ latencyMs: 120 });
    const started = Date.now();
    await client.chat.completions.create({ model: 'fake-model', messages });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('records requests without credentials, and is controllable over HTTP from another process', async () => {
    const remote = connectFakeUpstream(fake.url);
    await remote.control({ failNext: { count: 1, status: 503 } });
    await expect(client.chat.completions.create({ model: 'fake-model', messages, stream: true, stream_options: { include_usage: true } })).rejects.toMatchObject({ status: 503 });
    const [recorded] = await remote.requests();
    expect(recorded).toMatchObject({ method: 'POST', path: '/v1/chat/completions', credential: 'bearer', stream: true, status: 503, fault: 'status:503', completed: true, aborted: false });
    expect(recorded.body).toMatchObject({ stream_options: { include_usage: true } });
    expect(recorded.headers.authorization).toBeUndefined();
    expect(JSON.stringify(recorded)).not.toContain('sk-fake');

    await remote.clearRequests();
    expect(await remote.requests()).toEqual([]);
    await remote.control({ latencyMs: 7 });
    expect((await remote.behaviour()).latencyMs).toBe(7);
    await remote.reset();
    expect((await remote.behaviour()).latencyMs).toBe(0);
    await expect(remote.control({ latencyMs: -5 } as never)).rejects.toThrow('latencyMs must be a non-negative number');
  });

  it('answers unknown routes with 404 in the OpenAI error shape', async () => {
    const response = await fetch(`${fake.url}/v1/nothing`, { method: 'POST', headers: { authorization: 'Bearer sk-fake' }, body: '{}' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { type: 'not_found_error' } });
  });
});
