// The Anthropic adapter against the fake Anthropic Messages upstream over real HTTP.
import { type FakeUpstream, startFakeAnthropic } from '@vectorstack/fake-upstream';
import { UpstreamHttp } from '../http/upstream-http';
import { type ChatCompletionChunk, type ChatCompletionRequest, type ContentPart, type DeploymentTarget, UpstreamError } from '../types';
import { AnthropicAdapter } from './anthropic.adapter';
import { DEFAULT_MAX_TOKENS } from './anthropic-request';

const API_KEY = 'sk-ant-test';
let fake: FakeUpstream;
let http: UpstreamHttp;
let adapter: AnthropicAdapter;
let target: DeploymentTarget;

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: API_KEY });
  http = new UpstreamHttp();
  adapter = new AnthropicAdapter(http);
  target = { id: 'claude-1', provider: 'anthropic', baseUrl: fake.baseUrl, upstreamModel: 'claude-sonnet-4-5', apiKey: API_KEY, timeoutMs: 5_000 };
});

afterEach(() => fake.reset());

afterAll(async () => {
  await http.close();
  await fake.close();
});

const signal = () => new AbortController().signal;
const hello: ChatCompletionRequest = { model: 'vectorstack-claude', messages: [{ role: 'system', content: 'Be nice.' }, { role: 'user', content: 'What is the answer' }] };
const tools: ChatCompletionRequest['tools'] = [{ type: 'function', function: { name: 'lookup', description: 'Looks things up', parameters: { type: 'object', properties: { text: { type: 'string' } } } } }];

async function collect(chunks: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

/** Accumulates streamed content the way a seed-004 client does: strings, or typed parts. */
function accumulate(chunks: ChatCompletionChunk[]): { text: string; thinking: string } {
  let text = '';
  let thinking = '';
  for (const chunk of chunks) {
    const content = chunk.choices[0]?.delta.content;
    if (typeof content === 'string') text += content;
    else if (Array.isArray(content)) {
      for (const part of content as ContentPart[]) {
        if (part.type === 'text') text += part.text;
        if (part.type === 'thinking') thinking += part.thinking;
      }
    }
  }
  return { text, thinking };
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('expected an UpstreamError');
}

async function streamError(request: ChatCompletionRequest, deploymentTarget: DeploymentTarget = target) {
  const stream = await adapter.chatStream(request, deploymentTarget, signal());
  const received: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of stream.chunks) received.push(chunk);
  } catch (error) {
    if (error instanceof UpstreamError) return { received, error };
    throw error;
  }
  throw new Error('expected the stream to fail');
}

describe('AnthropicAdapter against the fake Anthropic upstream', () => {
  it('chat: sends a Messages request with x-api-key and anthropic-version, returns an OpenAI completion', async () => {
    const completion = await adapter.chat({ ...hello, temperature: 0.4 }, target, signal());
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'claude-sonnet-4-5',
      choices: [{ index: 0, message: { role: 'assistant', content: 'You said: What is the answer' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 6, completion_tokens: 6, total_tokens: 12 },
    });
    const [recorded] = fake.requests();
    expect(recorded).toMatchObject({ path: '/v1/messages', credential: 'x-api-key' });
    expect(recorded.headers['anthropic-version']).toBe('2023-06-01');
    expect(recorded.headers['x-api-key']).toBeUndefined();
    expect(recorded.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: DEFAULT_MAX_TOKENS,
      system: 'Be nice.',
      messages: [{ role: 'user', content: 'What is the answer' }],
      temperature: 0.4,
    });
  });

  it("thinking (reasoning_effort): seed 004's content array, exactly", async () => {
    const completion = await adapter.chat({ ...hello, reasoning_effort: 'low', temperature: 0.2, max_tokens: 100 }, target, signal());
    expect(completion.choices[0].message.content).toEqual([
      { type: 'thinking', thinking: 'Considering: What is the answer' },
      { type: 'text', text: 'You said: What is the answer' },
    ]);
    expect(completion.usage).toEqual({ prompt_tokens: 6, completion_tokens: 11, total_tokens: 17 });
    expect(fake.requests()[0].body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 1124 });
    expect(fake.requests()[0].body).not.toHaveProperty('temperature');
  });

  it('thinking by model name, streamed: thinking parts before text parts', async () => {
    const stream = await adapter.chatStream(hello, { ...target, upstreamModel: 'claude-thinking' }, signal());
    const chunks = await collect(stream.chunks);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant' });
    const firstText = chunks.findIndex((chunk) => Array.isArray(chunk.choices[0]?.delta.content) && (chunk.choices[0].delta.content as ContentPart[])[0].type === 'text');
    const lastThinking = chunks.map((chunk) => Array.isArray(chunk.choices[0]?.delta.content) && (chunk.choices[0].delta.content as ContentPart[])[0].type === 'thinking').lastIndexOf(true);
    expect(lastThinking).toBeGreaterThan(0);
    expect(firstText).toBeGreaterThan(lastThinking);
    expect(accumulate(chunks)).toEqual({ thinking: 'Considering: What is the answer', text: 'You said: What is the answer' });
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: 6, completion_tokens: 11, total_tokens: 17 } });
  });

  it('streams text as string deltas: role first, finish_reason, then usage', async () => {
    const stream = await adapter.chatStream({ ...hello, stream: true }, target, signal());
    const chunks = await collect(stream.chunks);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(accumulate(chunks)).toEqual({ text: 'You said: What is the answer', thinking: '' });
    expect(chunks[chunks.length - 2].choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks[chunks.length - 1]).toMatchObject({ id: `msg_fake_${fake.requests()[0].seq}`, choices: [], usage: { prompt_tokens: 6, completion_tokens: 6, total_tokens: 12 } });
    expect(fake.requests()[0].body).toMatchObject({ stream: true });
  });

  it('tool calls, JSON and streamed, and the tool result round trip', async () => {
    const request: ChatCompletionRequest = { ...hello, tools, tool_choice: 'required' };
    const completion = await adapter.chat(request, target, signal());
    const call = completion.choices[0].message.tool_calls?.[0];
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'lookup' } });
    expect(JSON.parse(call?.function.arguments ?? '')).toEqual({ text: 'What is the answer' });

    const chunks = await collect((await adapter.chatStream(request, target, signal())).chunks);
    const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'lookup', arguments: '' } });
    expect(JSON.parse(deltas.map((delta) => delta.function?.arguments ?? '').join(''))).toEqual({ text: 'What is the answer' });
    expect(chunks.find((chunk) => chunk.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('tool_calls');

    const followUp = await adapter.chat(
      {
        ...hello,
        tools,
        messages: [...hello.messages, { role: 'assistant', content: null, tool_calls: call ? [call] : [] }, { role: 'tool', tool_call_id: call?.id ?? '', content: '42' }],
      },
      target,
      signal(),
    );
    expect(followUp.choices[0].message.content).toBe('Tool said: 42');
  });

  it('stop sequences and max_tokens map to finish reasons', async () => {
    const stopped = await adapter.chat({ ...hello, stop: ['the'] }, target, signal());
    expect(stopped.choices[0]).toMatchObject({ message: { content: 'You said: What is' }, finish_reason: 'stop' });
    expect(fake.requests()[0].body).toMatchObject({ stop_sequences: ['the'] });
    const cut = await adapter.chat({ ...hello, max_tokens: 2 }, target, signal());
    expect(cut.choices[0]).toMatchObject({ message: { content: 'You said:' }, finish_reason: 'length' });
  });

  it('sends images from data URLs as base64 sources the API accepts', async () => {
    const completion = await adapter.chat(
      { model: 'x', messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }] },
      target,
      signal(),
    );
    expect(completion.choices[0].message.content).toBe('You said: Describe');
    expect(fake.requests()[0].body).toMatchObject({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] }],
    });
  });

  it('accepts a base URL that already ends in /v1', async () => {
    const completion = await adapter.chat(hello, { ...target, baseUrl: `${fake.baseUrl}/v1` }, signal());
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(fake.requests()[0].path).toBe('/v1/messages');
  });

  it('legacy completions and embeddings are client errors and send nothing', async () => {
    for (const call of [adapter.completion(), adapter.completionStream(), adapter.embeddings()]) {
      const error = await failure(call);
      expect(error.kind).toBe('client_error');
      expect(error.options.body?.error.code).toBe('not_supported');
    }
    expect(fake.requests()).toEqual([]);
  });

  describe('failures', () => {
    it('overloaded (529) → server_error; 429 with Retry-After → rate_limited', async () => {
      expect(await failure(adapter.chat(hello, { ...target, upstreamModel: 'fail-529' }, signal()))).toMatchObject({
        kind: 'server_error',
        options: { status: 529, body: { error: { type: 'overloaded_error' } } },
      });
      fake.control({ failNext: { count: 1, status: 429 }, retryAfter: 7 });
      expect(await failure(adapter.chat(hello, target, signal()))).toMatchObject({ kind: 'rate_limited', options: { status: 429, retryAfterMs: 7000 } });
    });

    it("a 400 carries Anthropic's error normalised to the OpenAI shape", async () => {
      fake.control({ failNext: { count: 1, status: 400, message: 'messages: roles must alternate' } });
      expect((await failure(adapter.chat(hello, target, signal()))).options.body).toEqual({
        error: { message: 'messages: roles must alternate', type: 'invalid_request_error', param: null, code: null },
      });
    });

    it('a wrong key → client_error 401', async () => {
      expect(await failure(adapter.chat(hello, { ...target, apiKey: 'nope' }, signal()))).toMatchObject({ kind: 'client_error', options: { status: 401 } });
    });

    it('an error event mid-stream → server_error from the chunks iterator', async () => {
      fake.control({ failNext: { count: 1, fault: 'error-event' } });
      const { received, error } = await streamError(hello);
      expect(received.length).toBeGreaterThan(0);
      expect(error).toMatchObject({ kind: 'server_error', options: { body: { error: { type: 'overloaded_error', message: 'Overloaded' } } } });
    });

    it('a dropped stream → connect; malformed events → protocol; a stall → timeout', async () => {
      expect((await streamError(hello, { ...target, upstreamModel: 'midstream-error' })).error.kind).toBe('connect');
      fake.control({ failNext: { count: 1, fault: 'malformed' } });
      expect((await streamError(hello)).error.kind).toBe('protocol');
      fake.control({ failNext: { count: 1, fault: 'stall' } });
      expect((await streamError(hello, { ...target, timeoutMs: 150 })).error.kind).toBe('timeout');
    });

    it('aborting mid-stream → aborted, and the upstream records the abort', async () => {
      fake.control({ streamChunkDelayMs: 40 });
      const controller = new AbortController();
      const stream = await adapter.chatStream(hello, target, controller.signal);
      let error: unknown;
      try {
        for await (const chunk of stream.chunks) if (chunk.choices[0]?.delta.content) controller.abort();
      } catch (caught) {
        error = caught;
      }
      expect((error as UpstreamError).kind).toBe('aborted');
      await fake.waitFor((requests) => requests[0]?.aborted === true);
    });
  });
});
