import type { Dispatcher } from 'undici';
import { UpstreamBody } from '../http/upstream-http';
import { type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, UpstreamError } from '../types';
import { chunksFromCompletion, nonStreamingBody, streamingBody } from './openai-compatible.adapter';
import { openAIStreamItems, UPSTREAM_JSON, withModel, type StreamAccounting } from './openai-stream';

const request: ChatCompletionRequest = { model: 'catalog-name', messages: [{ role: 'user', content: 'Hello there' }], temperature: 0.5 };

describe('request bodies', () => {
  it('non-streaming: the upstream model, no stream fields', () => {
    // What is sent: the JSON.
    const sent = (body: ChatCompletionRequest) => JSON.parse(JSON.stringify(body)) as unknown;
    expect(sent(nonStreamingBody(request, 'llama3'))).toStrictEqual({ ...request, model: 'llama3' });
    expect(sent(nonStreamingBody({ ...request, stream: false, stream_options: { include_usage: true } }, 'llama3'))).toStrictEqual({ ...request, model: 'llama3' });
  });

  it('streaming: always asks for usage, keeping other stream options', () => {
    expect(streamingBody(request, 'llama3')).toEqual({ ...request, model: 'llama3', stream: true, stream_options: { include_usage: true } });
    expect(streamingBody({ ...request, stream: true, stream_options: { include_usage: false } }, 'llama3').stream_options).toEqual({ include_usage: true });
  });

  it('does not modify the caller’s request', () => {
    const copy = structuredClone(request);
    streamingBody(request, 'x');
    nonStreamingBody(request, 'x');
    expect(request).toEqual(copy);
  });
});

describe('chunksFromCompletion', () => {
  it('replays a JSON completion as role+content, finish and usage chunks', () => {
    const completion: ChatCompletion = {
      id: 'c1',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi!' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 },
    };
    expect(chunksFromCompletion(completion).map((chunk) => ({ choices: chunk.choices, usage: chunk.usage }))).toEqual([
      { choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi!' }, finish_reason: null }], usage: undefined },
      { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: undefined },
      { choices: [], usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 } },
    ]);
  });
});

describe('openAIStreamItems', () => {
  const accounting: StreamAccounting<ChatCompletionChunk> = {
    outputCharacters: (chunk) => chunk.choices.reduce((sum, choice) => sum + (typeof choice.delta.content === 'string' ? choice.delta.content.length : 0), 0),
    usageItem: (last, chars) => ({ ...last, choices: [], usage: { prompt_tokens: 1, completion_tokens: Math.ceil(chars / 4), total_tokens: 1 + Math.ceil(chars / 4) } }),
  };
  const chunk = (content: string | null, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }] })}\n\n`;

  /** A response body fed the pieces one turn of the event loop apart (an Error fails it), as undici would. */
  function body(pieces: Array<string | Error>): UpstreamBody {
    const controller = { paused: false, aborted: false, reason: null, pause() {}, resume() {}, abort() {} } as unknown as Dispatcher.DispatchController;
    const upstream = new UpstreamBody(controller);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    void (async () => {
      for (const piece of pieces) {
        await turn();
        if (piece instanceof Error) return upstream.fail(piece);
        upstream.push(Buffer.from(piece));
      }
      await turn();
      upstream.end();
    })();
    return upstream;
  }

  async function collect(pieces: Array<string | Error>) {
    const items: ChatCompletionChunk[] = [];
    try {
      for await (const item of openAIStreamItems(body(pieces), new AbortController().signal, accounting)) items.push(item);
    } catch (error) {
      return { items, error: error as UpstreamError };
    }
    return { items, error: undefined };
  }

  it('keeps each event\'s data as the upstream sent it, for withModel to rename the model in', async () => {
    const sent = '{"id":"c","model":"m",  "choices":[{"index":0,"delta":{"content":"caf\\u00e9 \\"model\\": x"},"finish_reason":null}],"x":1.50}';
    const { items } = await collect([`data: ${sent}\n\ndata: [DONE]\n\n`]);
    expect(items[0]![UPSTREAM_JSON as never]).toBe(sent);
    const renamed = withModel(items[0]!, 'catalog/name');
    // Byte for byte what came, but the model's value (spacing, escapes and number forms kept).
    expect(renamed).toBe(sent.replace('"model":"m"', '"model":"catalog/name"'));
    expect(JSON.parse(renamed!)).toEqual({ ...JSON.parse(sent), model: 'catalog/name' });
  });

  it('withModel leaves to JSON.stringify what it cannot splice safely', () => {
    const item = (data: string) => ({ ...JSON.parse(data), [UPSTREAM_JSON]: data }) as { model: string; [UPSTREAM_JSON]: string };
    expect(withModel({ model: 'm' }, 'x')).toBeUndefined(); // no upstream text (a translated or replayed chunk)
    expect(withModel(item('{"model":"x","choices":[]}'), 'x')).toBe('{"model":"x","choices":[]}'); // nothing to rename
    expect(withModel(item('{"meta":{"model":"m"},"model":"m","choices":[]}'), 'x')).toBeUndefined(); // a nested "model" key too
    expect(withModel(item('{"model":"\\u006d","choices":[]}'), 'x')).toBeUndefined(); // written with an escape
    expect(withModel(item('{"model": "m","choices":[]}'), 'x')).toBeUndefined(); // a space after the colon
    expect(withModel(item('{"choices":[]}'), 'x')).toBeUndefined(); // no model at all
    expect(withModel(item('{"model":"m","choices":[]}'), 'a "quoted" \\ name')).toBe('{"model":"a \\"quoted\\" \\\\ name","choices":[]}');
  });

  it('parses chunks split anywhere and stops at [DONE]', async () => {
    const text = chunk('Hello') + chunk(' world') + chunk(null, 'stop') + 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}\n\ndata: [DONE]\n\n';
    const { items, error } = await collect([text.slice(0, 17), text.slice(17, 180), text.slice(180)]);
    expect(error).toBeUndefined();
    expect(items.map((item) => item.choices[0]?.delta.content ?? item.usage)).toEqual(['Hello', ' world', undefined, { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 }]);
  });

  it('drops a usage it cannot count (and serialises that chunk anew), then estimates as if none came', async () => {
    const bad = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":"2","completion_tokens":2,"total_tokens":4}}';
    const { items, error } = await collect([chunk('12345678') + chunk(null, 'stop') + `data: ${bad}\n\ndata: [DONE]\n\n`]);
    expect(error).toBeUndefined();
    expect(items[2]).toMatchObject({ choices: [], usage: undefined });
    expect(withModel(items[2]!, 'x')).toBeUndefined();
    expect(items[3]).toMatchObject({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
    // usage: null (OpenAI's on every chunk but the last when usage is asked for) is left alone.
    const { items: nulls } = await collect([chunk('ab').replace('"choices"', '"usage":null,"choices"') + chunk(null, 'stop') + 'data: [DONE]\n\n']);
    expect(nulls[0]!.usage).toBeNull();
    expect(withModel(nulls[0]!, 'x')).toContain('"usage":null');
  });

  it('adds an estimated usage chunk when the upstream sent none', async () => {
    const { items } = await collect([chunk('12345678') + chunk(null, 'stop') + 'data: [DONE]\n\n']);
    expect(items[items.length - 1]).toMatchObject({ choices: [], usage: { completion_tokens: 2 } });
  });

  it('throws a classified error for an error object in the stream', async () => {
    const { items, error } = await collect([chunk('Hel'), 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n']);
    expect(items).toHaveLength(1);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error?.kind).toBe('server_error');
  });

  it('throws protocol for malformed data and for a stream that ends without [DONE] or a finish_reason', async () => {
    expect((await collect([chunk('a'), 'data: {oops\n\n'])).error?.kind).toBe('protocol');
    expect((await collect([chunk('a')])).error?.kind).toBe('protocol');
    expect((await collect([chunk('a'), chunk(null, 'length')])).error).toBeUndefined();
  });

  it('throws connect when the connection drops mid-stream', async () => {
    const dropped = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const { items, error } = await collect([chunk('a'), dropped]);
    expect(items).toHaveLength(1);
    expect(error?.kind).toBe('connect');
  });
});
