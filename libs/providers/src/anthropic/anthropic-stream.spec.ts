import { UpstreamError, type ChatCompletionChunk } from '../types';
import { AnthropicStreamTranslator } from './anthropic-stream';
import type { AnthropicStreamEvent } from './anthropic.wire';

const start: AnthropicStreamEvent = {
  type: 'message_start',
  message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } },
};

function translate(events: AnthropicStreamEvent[]): { chunks: ChatCompletionChunk[]; translator: AnthropicStreamTranslator } {
  const translator = new AnthropicStreamTranslator('fallback-model', 1_700_000_000);
  const chunks = events.map((event) => translator.translate(event)).filter((chunk): chunk is ChatCompletionChunk => chunk !== undefined);
  return { chunks, translator };
}

const deltas = (chunks: ChatCompletionChunk[]) => chunks.map((chunk) => (chunk.choices.length ? { ...chunk.choices[0].delta, finish: chunk.choices[0].finish_reason } : { usage: chunk.usage }));

describe('AnthropicStreamTranslator', () => {
  it('translates a text stream into the OpenAI chunk sequence', () => {
    const { chunks, translator } = translate([
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'ping' },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' world' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } },
      { type: 'message_stop' },
    ]);
    expect(chunks[0]).toEqual({
      id: 'msg_1',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'claude-sonnet-4-5',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }],
    });
    expect(deltas(chunks)).toEqual([
      { role: 'assistant', content: '', finish: null },
      { content: 'Hello', finish: null },
      { content: ' world', finish: null },
      { finish: 'stop' },
      { usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 } },
    ]);
    expect(chunks[chunks.length - 1].choices).toEqual([]);
    expect(translator.complete).toBe(true);
  });

  it('streams thinking as typed content parts, and the answer as text parts, once the model thinks', () => {
    const { chunks } = translate([
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: ' think.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQB' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: '42' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 30 } },
      { type: 'message_stop' },
    ]);
    expect(deltas(chunks)).toEqual([
      { role: 'assistant', finish: null },
      { content: [{ type: 'thinking', thinking: 'Let me' }], finish: null },
      { content: [{ type: 'thinking', thinking: ' think.' }], finish: null },
      { content: [{ type: 'text', text: '42' }], finish: null },
      { finish: 'stop' },
      { usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 } },
    ]);
  });

  it('streams tool use as tool_calls deltas indexed per tool', () => {
    const { chunks } = translate([
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Checking.' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_2', name: 'now', input: {} } },
      { type: 'content_block_stop', index: 2 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ]);
    expect(deltas(chunks)).toEqual([
      { role: 'assistant', content: '', finish: null },
      { content: 'Checking.', finish: null },
      { tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '' } }], finish: null },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }], finish: null },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }], finish: null },
      { tool_calls: [{ index: 1, id: 'toolu_2', type: 'function', function: { name: 'now', arguments: '' } }], finish: null },
      { finish: 'tool_calls' },
      { usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 } },
    ]);
  });

  it('puts the role on the first tool call chunk when the answer starts with a tool', () => {
    const { chunks } = translate([start, { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't', name: 'f', input: {} } }]);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 't', type: 'function', function: { name: 'f', arguments: '' } }] });
  });

  it('maps max_tokens to length and takes cumulative input counts from message_delta', () => {
    const { chunks } = translate([
      start,
      { type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 4, input_tokens: 20, cache_read_input_tokens: 5 } },
      { type: 'message_stop' },
    ]);
    expect(deltas(chunks)).toEqual([{ role: 'assistant', finish: 'length' }, { usage: { prompt_tokens: 25, completion_tokens: 4, total_tokens: 29 } }]);
  });

  it('throws the classified error for an error event, and is not complete', () => {
    const translator = new AnthropicStreamTranslator('m');
    translator.translate(start);
    let error: unknown;
    try {
      translator.translate({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).kind).toBe('server_error');
    expect((error as UpstreamError).options.body?.error).toMatchObject({ message: 'Overloaded', type: 'overloaded_error' });
    expect(translator.complete).toBe(false);
  });

  it('ignores unknown events and block types', () => {
    const { chunks } = translate([
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'citations_delta' } },
      { type: 'something_new' } as unknown as AnthropicStreamEvent,
    ]);
    expect(chunks).toEqual([]);
  });
});
