import { finishReasonFor, fromAnthropicResponse, usageFrom } from './anthropic-response';
import type { AnthropicResponse } from './anthropic.wire';

function message(overrides: Partial<AnthropicResponse>): AnthropicResponse {
  return {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5',
    content: [],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5 },
    ...overrides,
  };
}

describe('fromAnthropicResponse', () => {
  it('joins text blocks into a string content', () => {
    const completion = fromAnthropicResponse(
      message({
        content: [
          { type: 'text', text: 'The answer ' },
          { type: 'text', text: 'is 42.' },
        ],
      }),
      1_700_000_000,
    );
    expect(completion).toEqual({
      id: 'msg_1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'claude-sonnet-4-5',
      choices: [{ index: 0, message: { role: 'assistant', content: 'The answer is 42.', refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
  });

  it("gives seed 004's content array exactly when thinking blocks are present", () => {
    const completion = fromAnthropicResponse(
      message({
        content: [
          { type: 'thinking', thinking: 'Let me reason through this...', signature: 'EqQBCgIYAhIM' },
          { type: 'redacted_thinking', data: 'abc' },
          { type: 'text', text: 'The answer is 42.' },
        ],
      }),
    );
    expect(completion.choices[0].message.content).toEqual([
      { type: 'thinking', thinking: 'Let me reason through this...' },
      { type: 'text', text: 'The answer is 42.' },
    ]);
  });

  it('maps tool_use blocks to tool_calls with JSON arguments, and null content without text', () => {
    const completion = fromAnthropicResponse(
      message({ content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }], stop_reason: 'tool_use' }),
    );
    expect(completion.choices[0]).toMatchObject({
      message: { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      finish_reason: 'tool_calls',
    });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'stop'],
    [null, 'stop'],
  ])('stop_reason %s → finish_reason %s', (stopReason, finishReason) => {
    expect(finishReasonFor(stopReason)).toBe(finishReason);
  });

  it('counts cache reads and writes as prompt tokens', () => {
    expect(usageFrom({ input_tokens: 3, cache_creation_input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 7 })).toEqual({
      prompt_tokens: 153,
      completion_tokens: 7,
      total_tokens: 160,
    });
    expect(usageFrom({ input_tokens: 3, cache_creation_input_tokens: null, output_tokens: 1 })).toEqual({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 });
  });

  it('counts what is not a whole non-negative number as 0 (a string would otherwise concatenate)', () => {
    expect(usageFrom({ input_tokens: '12' as never, cache_read_input_tokens: 1.5, output_tokens: -3 })).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(usageFrom({ input_tokens: 4, cache_creation_input_tokens: '1' as never, output_tokens: 2 })).toEqual({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 });
  });
});
