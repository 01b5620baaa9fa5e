import type { Dispatcher } from 'undici';
import { IterableChunkReader, readerChunks } from './chunk-reader';
import { UpstreamBody } from './http/upstream-http';
import { OpenAIStreamReader, type StreamAccounting } from './openai/openai-stream';
import type { ChatCompletionChunk } from './types';

const accounting: StreamAccounting<ChatCompletionChunk> = {
  outputCharacters: () => 0,
  usageItem: (last) => ({ ...last, choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
};
const event = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
const usage = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 } })}\n\n`;

function controller() {
  const calls: string[] = [];
  const stub = { paused: false, aborted: false, reason: null, pause: () => calls.push('pause'), resume: () => calls.push('resume'), abort: () => calls.push('abort') };
  return { calls, controller: stub as unknown as Dispatcher.DispatchController };
}

describe('OpenAIStreamReader', () => {
  it('answers without a promise when the bytes are here, then null', () => {
    const { controller: c, calls } = controller();
    const body = new UpstreamBody(c);
    body.push(Buffer.from(event('Hel') + event('lo', 'stop')));
    body.push(Buffer.from(usage + 'data: [DONE]\n\n'));
    body.end();
    const reader = new OpenAIStreamReader(body, new AbortController().signal, accounting);
    const batch = reader.read();
    expect(batch).not.toBeInstanceOf(Promise);
    // Both reads that were here, in one batch.
    expect((batch as ChatCompletionChunk[]).map((chunk) => chunk.choices[0]?.delta.content ?? chunk.usage)).toEqual(['Hel', 'lo', { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 }]);
    expect(reader.read()).toBeNull();
    expect(reader.read()).toBeNull();
    reader.cancel();
    expect(calls).not.toContain('abort'); // complete: nothing to close
  });

  it('waits with a promise when nothing is here, and ends with the estimate when no usage came', async () => {
    const { controller: c } = controller();
    const body = new UpstreamBody(c);
    const reader = new OpenAIStreamReader(body, new AbortController().signal, accounting);
    const waiting = reader.read();
    expect(waiting).toBeInstanceOf(Promise);
    body.push(Buffer.from(event('Hi', 'stop') + 'data: [DONE]\n\n'));
    expect(((await waiting) as ChatCompletionChunk[]).map((chunk) => chunk.choices[0]?.delta.content)).toEqual(['Hi']);
    const end = reader.read();
    body.end();
    expect(await end).toEqual([expect.objectContaining({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })]);
    expect(reader.read()).toBeNull();
  });

  it('throws after the chunks before a failure, then answers null; cancelling early closes the connection', () => {
    const { controller: c, calls } = controller();
    const body = new UpstreamBody(c);
    body.push(Buffer.from(event('a') + 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n'));
    const reader = new OpenAIStreamReader(body, new AbortController().signal, accounting);
    expect((reader.read() as ChatCompletionChunk[]).length).toBe(1);
    expect(() => reader.read()).toThrow(expect.objectContaining({ kind: 'server_error' }));
    expect(calls).toContain('abort'); // the body was not complete
    expect(reader.read()).toBeNull();

    const other = controller();
    const open = new OpenAIStreamReader(new UpstreamBody(other.controller), new AbortController().signal, accounting);
    open.cancel();
    expect(other.calls).toEqual(['abort']);
    expect(open.read()).toBeNull();
  });

  it('a stream that ends before [DONE] and any finish_reason is a protocol failure', async () => {
    const { controller: c } = controller();
    const body = new UpstreamBody(c);
    body.push(Buffer.from(event('cut')));
    body.end();
    const reader = new OpenAIStreamReader(body, new AbortController().signal, accounting);
    expect((reader.read() as ChatCompletionChunk[]).length).toBe(1);
    expect(() => reader.read()).toThrow(expect.objectContaining({ kind: 'protocol' }));
  });
});

describe('IterableChunkReader', () => {
  it('gives an iterable\'s chunks as batches of one, then null; a failure rejects once', async () => {
    async function* chunks() {
      yield 1;
      yield 2;
      throw new Error('mid-stream');
    }
    const reader = new IterableChunkReader(chunks());
    expect(await reader.read()).toEqual([1]);
    expect(await reader.read()).toEqual([2]);
    await expect(reader.read()).rejects.toThrow('mid-stream');
    expect(await reader.read()).toBeNull();
  });

  it('cancel ends the iteration (its finally runs)', async () => {
    let closed = false;
    async function* chunks() {
      try {
        yield 1;
        yield 2;
      } finally {
        closed = true;
      }
    }
    const reader = new IterableChunkReader(chunks());
    expect(await reader.read()).toEqual([1]);
    reader.cancel();
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(true);
    expect(await reader.read()).toBeNull();
  });

  it('readerChunks gives them one by one and cancels the reader when the loop stops early', async () => {
    const reader = new IterableChunkReader((async function* () {
      yield 'a';
      yield 'b';
    })());
    const cancel = jest.spyOn(reader, 'cancel');
    for await (const chunk of readerChunks(reader)) if (chunk === 'a') break;
    expect(cancel).toHaveBeenCalled();
  });
});
