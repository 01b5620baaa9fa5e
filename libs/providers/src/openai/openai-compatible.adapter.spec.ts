// The OpenAI-compatible adapter against the fake upstream over real HTTP (no other infrastructure).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeUpstream, startFakeOpenAI } from '@vectorstack/fake-upstream';
import { UpstreamHttp } from '../http/upstream-http';
import { type ChatCompletionChunk, type ChatCompletionRequest, type ChatStream, type DeploymentTarget, UpstreamError } from '../types';
import { OpenAICompatibleAdapter } from './openai-compatible.adapter';
import { UPSTREAM_JSON, withModel } from './openai-stream';

const API_KEY = 'sk-upstream-test';
let fake: FakeUpstream;
let http: UpstreamHttp;
let adapter: OpenAICompatibleAdapter;
let target: DeploymentTarget;

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: API_KEY });
  http = new UpstreamHttp();
  adapter = new OpenAICompatibleAdapter(http);
  target = { id: 'dep-1', provider: 'openai-compatible', baseUrl: fake.baseUrl, upstreamModel: 'fake-model', apiKey: API_KEY, timeoutMs: 5_000 };
});

afterEach(() => fake.reset());

afterAll(async () => {
  await http.close();
  await fake.close();
});

const signal = () => new AbortController().signal;
const hello: ChatCompletionRequest = { model: 'vectorstack-1', messages: [{ role: 'system', content: 'Be nice.' }, { role: 'user', content: 'Hello there world' }] };

async function collect(chunks: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

/** A stream's batches through its reader (into `into`, so that those before a failure are kept). */
async function readBatches(stream: ChatStream, into: ChatCompletionChunk[][] = []): Promise<ChatCompletionChunk[][]> {
  const reader = stream.reader!();
  for (;;) {
    const read = reader.read();
    const batch = read instanceof Promise ? await read : read;
    if (batch === null) return into;
    into.push([...batch]);
  }
}

function text(chunks: ChatCompletionChunk[]): string {
  return chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
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

async function streamFailure(request: ChatCompletionRequest, deploymentTarget: DeploymentTarget = target, controller = new AbortController()) {
  const stream = await adapter.chatStream(request, deploymentTarget, controller.signal);
  const received: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of stream.chunks) received.push(chunk);
  } catch (error) {
    if (error instanceof UpstreamError) return { received, error };
    throw error;
  }
  throw new Error(`expected the stream to fail; received ${received.length} chunks`);
}

describe('OpenAICompatibleAdapter against the fake OpenAI upstream', () => {
  it('chat: sends the upstream model with the Bearer key and returns the completion with usage', async () => {
    const completion = await adapter.chat({ ...hello, stream: false, stream_options: { include_usage: true } }, target, signal());
    expect(completion.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'You said: Hello there world' }, finish_reason: 'stop' });
    expect(completion.usage).toEqual({ prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
    const [recorded] = fake.requests();
    expect(recorded).toMatchObject({ method: 'POST', path: '/v1/chat/completions', credential: 'bearer', model: 'fake-model', stream: false });
    expect(recorded.headers.authorization).toBeUndefined();
    expect(recorded.body).toEqual({ model: 'fake-model', messages: hello.messages });
  });

  it('chat keeps the answer as the upstream wrote it, for the gateway to forward with only the model renamed', async () => {
    const completion = await adapter.chat(hello, target, signal());
    const sent = completion[UPSTREAM_JSON as never] as unknown as string;
    expect(typeof sent).toBe('string');
    const parsed = JSON.parse(JSON.stringify(completion)) as typeof completion; // without the symbol
    expect(JSON.parse(sent)).toEqual(parsed);
    const renamed = withModel(completion, 'vectorstack-1');
    expect(renamed).toBe(sent.replace(`"model":${JSON.stringify(completion.model)}`, '"model":"vectorstack-1"'));
    expect(JSON.parse(renamed!)).toEqual({ ...parsed, model: 'vectorstack-1' });
  });

  it('usage an upstream got wrong is replaced by the estimate, and the answer is then serialised rather than forwarded', async () => {
    const answers = [
      { prompt_tokens: '5', completion_tokens: 5, total_tokens: 10 },
      { prompt_tokens: 5, completion_tokens: 2.5, total_tokens: 7.5 },
      { prompt_tokens: 5, completion_tokens: -1, total_tokens: 4 },
      { prompt_tokens: 5 },
      'lots',
    ];
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const usage = answers.shift();
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'abcdefgh' }, finish_reason: 'stop' }], usage }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const odd = { ...target, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
    try {
      for (let i = 0; i < 5; i++) {
        const completion = await adapter.chat(hello, odd, signal());
        // The estimate: about four characters per token (25 characters of messages, 8 of output).
        expect(completion.usage).toEqual({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
        expect(withModel(completion, 'vectorstack-1')).toBeUndefined();
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a wrong key is a client error carrying the upstream error in the OpenAI shape', async () => {
    const error = await failure(adapter.chat(hello, { ...target, apiKey: 'sk-wrong' }, signal()));
    expect(error).toMatchObject({ kind: 'client_error', retryable: false, options: { status: 401 } });
    expect(error.options.body).toEqual({ error: { message: 'Incorrect API key provided.', type: 'authentication_error', param: null, code: 'invalid_api_key' } });
  });

  it('gives the chunks in batches too, those of one upstream read together, the same chunks as one by one', async () => {
    const chunk = (content: string | null, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] })}\n\n`;
    const usage = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\n`;
    // One write of three events, a pause, then the rest: two reads on the gateway's side.
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(chunk('a', null) + chunk('b', null) + chunk('c', null));
        setTimeout(() => response.end(chunk(null, 'stop') + usage + 'data: [DONE]\n\n'), 50);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const paced = { ...target, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
    try {
      const batched = await adapter.chatStream(hello, paced, signal());
      const batches: ChatCompletionChunk[][] = [];
      batches.push(...(await readBatches(batched)));
      expect(batches.map((batch) => batch.length)).toEqual([3, 2]);
      expect(text(batches.flat())).toBe('abc');
      expect(batches[1][1].usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });

      const single = await collect((await adapter.chatStream(hello, paced, signal())).chunks);
      expect(single).toEqual(batches.flat());
      // Each keeps the upstream's text for forwarding.
      expect(withModel(single[0], 'vectorstack-1')).toBe(chunk('a', null).slice(6, -2).replace('"model":"m"', '"model":"vectorstack-1"'));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('chunks that arrive in the same read as an error event still come first, then the failure', async () => {
    const chunk = (content: string) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end(chunk('a') + chunk('b') + `data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const failing = { ...target, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
    try {
      const stream = await adapter.chatStream(hello, failing, signal());
      const batches: ChatCompletionChunk[][] = [];
      let failure: unknown;
      try {
        await readBatches(stream, batches);
      } catch (error) {
        failure = error;
      }
      expect(text(batches.flat())).toBe('ab');
      expect(failure).toMatchObject({ kind: 'server_error', options: { body: { error: { message: 'overloaded' } } } });

      const { received, error } = await streamFailure(hello, failing);
      expect(text(received)).toBe('ab');
      expect(error.kind).toBe('server_error');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('streams chunks as they come, always asking the upstream for usage', async () => {
    const stream = await adapter.chatStream({ ...hello, stream: true }, target, signal());
    const chunks = await collect(stream.chunks);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(text(chunks)).toBe('You said: Hello there world');
    expect(chunks.find((chunk) => chunk.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('stop');
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 } });
    expect(fake.requests()[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("passes a thinking model's content arrays through", async () => {
    const stream = await adapter.chatStream({ ...hello, stream: true }, { ...target, upstreamModel: 'fake-thinking-model' }, signal());
    const parts = (await collect(stream.chunks)).flatMap((chunk) => {
      const content = chunk.choices[0]?.delta.content;
      return Array.isArray(content) ? content : [];
    });
    expect(parts.filter((part) => part.type === 'thinking').map((part) => (part.type === 'thinking' ? part.thinking : '')).join('')).toBe('Considering: Hello there world');
    expect(parts.filter((part) => part.type === 'text').map((part) => (part.type === 'text' ? part.text : '')).join('')).toBe('You said: Hello there world');
    const completion = await adapter.chat(hello, { ...target, upstreamModel: 'fake-thinking-model' }, signal());
    expect(completion.choices[0].message.content).toEqual([
      { type: 'thinking', thinking: 'Considering: Hello there world' },
      { type: 'text', text: 'You said: Hello there world' },
    ]);
  });

  it('legacy completions, JSON and streamed', async () => {
    const completion = await adapter.completion({ model: 'x', prompt: 'Say this', max_tokens: 3 }, target, signal());
    expect(completion.choices[0]).toMatchObject({ text: 'You said: Say', finish_reason: 'length' });
    expect(completion.usage).toEqual({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
    const stream = await adapter.completionStream({ model: 'x', prompt: 'Say this' }, target, signal());
    const items = [];
    for await (const item of stream.chunks) items.push(item);
    expect(items.map((item) => item.choices[0]?.text ?? '').join('')).toBe('You said: Say this');
    expect(items[items.length - 1]).toMatchObject({ choices: [], usage: { total_tokens: 6 } });
  });

  it('embeddings: deterministic unit vectors of the asked dimensions', async () => {
    const first = await adapter.embeddings({ model: 'x', input: ['alpha', 'beta'], dimensions: 8 }, target, signal());
    const again = await adapter.embeddings({ model: 'x', input: 'alpha', dimensions: 8 }, target, signal());
    expect(first.data).toHaveLength(2);
    expect(first.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    const [alpha, beta] = first.data.map((item) => item.embedding as number[]);
    expect(alpha).toHaveLength(8);
    expect(again.data[0].embedding).toEqual(alpha);
    expect(beta).not.toEqual(alpha);
    expect(Math.hypot(...alpha)).toBeCloseTo(1, 5);
  });

  it('reuses keep-alive connections across JSON and streamed calls (no connection per request)', async () => {
    for (let i = 0; i < 4; i++) {
      await adapter.chat(hello, target, signal());
      await collect((await adapter.chatStream(hello, target, signal())).chunks);
    }
    // Sequential calls: undici may open a second connection while the first is being released, never more.
    const ports = new Set(fake.requests().map((request) => request.remotePort));
    expect(fake.requests()).toHaveLength(8);
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  describe('failures', () => {
    it.each([
      ['fail-500', 'server_error', 500],
      ['fail-503', 'server_error', 503],
      ['fail-429', 'rate_limited', 429],
      ['fail-400', 'client_error', 400],
    ])('model %s → %s', async (model, kind, status) => {
      const error = await failure(adapter.chat(hello, { ...target, upstreamModel: model }, signal()));
      expect(error.kind).toBe(kind);
      expect(error.options.status).toBe(status);
      expect(error.options.body?.error.message).toBe(`Injected failure: HTTP ${status}`);
    });

    it('honours Retry-After (seconds, HTTP date, retry-after-ms), then recovers once failNext is spent', async () => {
      fake.control({ failNext: { count: 1, status: 429 }, retryAfter: 2 });
      expect((await failure(adapter.chat(hello, target, signal()))).options.retryAfterMs).toBe(2000);
      expect((await adapter.chat(hello, target, signal())).choices[0].finish_reason).toBe('stop');

      fake.control({ failNext: { count: 1, status: 503 }, retryAfter: new Date(Date.now() + 10_000).toUTCString() });
      const fromDate = (await failure(adapter.chat(hello, target, signal()))).options.retryAfterMs ?? 0;
      expect(fromDate).toBeGreaterThan(7_000);
      expect(fromDate).toBeLessThanOrEqual(10_000);

      fake.control({ failNext: { count: 1, status: 429 }, retryAfter: null, retryAfterMs: 1500 });
      expect((await failure(adapter.chat(hello, target, signal()))).options.retryAfterMs).toBe(1500);
    });

    it('connection refused → connect', async () => {
      const closed = await startFakeOpenAI();
      const baseUrl = closed.baseUrl;
      await closed.close();
      const error = await failure(adapter.chat(hello, { ...target, baseUrl }, signal()));
      expect(error.kind).toBe('connect');
      expect(error.retryable).toBe(true);
    });

    it('connection reset → connect', async () => {
      fake.control({ failNext: { count: 1, fault: 'reset' } });
      expect((await failure(adapter.chat(hello, target, signal()))).kind).toBe('connect');
    });

    it('no answer within timeoutMs → timeout, and the upstream request is closed', async () => {
      fake.control({ failAlways: { fault: 'timeout' } });
      const error = await failure(adapter.chat(hello, { ...target, timeoutMs: 150 }, signal()));
      expect(error.kind).toBe('timeout');
      await fake.waitFor((requests) => requests[0]?.aborted === true);
    });

    it('a stream that stalls after its headers → timeout from the chunks iterator', async () => {
      fake.control({ failNext: { count: 1, fault: 'stall' } });
      const { error } = await streamFailure(hello, { ...target, timeoutMs: 150 });
      expect(error.kind).toBe('timeout');
    });

    it('a stream dropped midway → connect from the chunks iterator, after the chunks that arrived', async () => {
      const { received, error } = await streamFailure(hello, { ...target, upstreamModel: 'midstream-error' });
      expect(error.kind).toBe('connect');
      expect(received.length).toBeGreaterThan(0);
    });

    it('an error event in the stream → server_error from the chunks iterator', async () => {
      fake.control({ failNext: { count: 1, fault: 'error-event', afterChunks: 2 } });
      const { received, error } = await streamFailure(hello);
      expect(received).toHaveLength(2);
      expect(error).toMatchObject({ kind: 'server_error', options: { body: { error: { message: 'The fake upstream failed mid-stream.' } } } });
    });

    it('malformed JSON and malformed stream events → protocol', async () => {
      fake.control({ failNext: { count: 1, fault: 'malformed' } });
      expect((await failure(adapter.chat(hello, target, signal()))).kind).toBe('protocol');
      fake.control({ failNext: { count: 1, fault: 'malformed' } });
      expect((await streamFailure(hello)).error.kind).toBe('protocol');
    });

    it('a JSON answer cut short → connect', async () => {
      fake.control({ failNext: { count: 1, fault: 'midstream' } });
      expect((await failure(adapter.chat(hello, target, signal()))).kind).toBe('connect');
    });
  });

  describe('abort', () => {
    it('aborting before the answer → aborted, and the upstream sees the request closed', async () => {
      fake.control({ latencyMs: 2_000 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      expect((await failure(adapter.chat(hello, target, controller.signal))).kind).toBe('aborted');
      await fake.waitFor((requests) => requests[0]?.aborted === true);
    });

    it('aborting mid-stream → aborted from the chunks iterator, and the upstream records the abort', async () => {
      fake.control({ streamChunkDelayMs: 50 });
      const controller = new AbortController();
      const stream = await adapter.chatStream(hello, target, controller.signal);
      const received: ChatCompletionChunk[] = [];
      let error: unknown;
      try {
        for await (const chunk of stream.chunks) {
          received.push(chunk);
          if (received.length === 2) controller.abort();
        }
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as UpstreamError).kind).toBe('aborted');
      const [recorded] = await fake.waitFor((requests) => requests[0]?.aborted === true);
      expect(recorded.completed).toBe(false);
    });

    it('a consumer that stops reading closes the upstream stream', async () => {
      fake.control({ streamChunkDelayMs: 50 });
      const stream = await adapter.chatStream(hello, target, signal());
      for await (const chunk of stream.chunks) {
        if (chunk.choices[0]?.delta.content) break;
      }
      await fake.waitFor((requests) => requests[0]?.aborted === true);
    });
  });
});
