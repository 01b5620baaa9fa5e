import { type ChatCompletionRequest, type DeploymentTarget, UpstreamError } from '../types';
import { DEFAULT_MAX_TOKENS, imageBlock, THINKING_BUDGET_TOKENS, toAnthropicMessages, toAnthropicRequest } from './anthropic-request';

const target: DeploymentTarget = { id: 'claude-a', provider: 'anthropic', baseUrl: 'https://api.anthropic.com', upstreamModel: 'claude-sonnet-4-5', timeoutMs: 30_000 };

function request(overrides: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return { model: 'catalog-name', messages: [{ role: 'user', content: 'Hi' }], ...overrides };
}

function thrown(fn: () => unknown): UpstreamError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('expected an UpstreamError');
}

describe('toAnthropicRequest', () => {
  it('maps a plain request: upstream model, default max_tokens, string content', () => {
    expect(toAnthropicRequest(request(), target, false)).toEqual({ model: 'claude-sonnet-4-5', max_tokens: DEFAULT_MAX_TOKENS, messages: [{ role: 'user', content: 'Hi' }] });
  });

  it("takes max_completion_tokens, then max_tokens, then the deployment's default", () => {
    expect(toAnthropicRequest(request({ max_tokens: 100, max_completion_tokens: 50 }), target, false).max_tokens).toBe(50);
    expect(toAnthropicRequest(request({ max_tokens: 100 }), target, false).max_tokens).toBe(100);
    expect(toAnthropicRequest(request(), { ...target, defaultMaxTokens: 8192 }, false).max_tokens).toBe(8192);
  });

  it('moves system and developer messages into system, joined in order', () => {
    const body = toAnthropicRequest(
      request({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          { role: 'user', content: 'Hello' },
        ],
      }),
      target,
      false,
    );
    expect(body.system).toBe('Be brief.\n\nAnswer in French.');
    expect(body.messages).toEqual([{ role: 'user', content: 'Hello' }]);
  });

  it('maps stop, temperature (clamped to 1), top_p, user and stream', () => {
    const body = toAnthropicRequest(request({ stop: 'END', temperature: 1.7, top_p: 0.9, user: 'u-1' }), target, true);
    expect(body).toMatchObject({ stop_sequences: ['END'], temperature: 1, top_p: 0.9, metadata: { user_id: 'u-1' }, stream: true });
    expect(toAnthropicRequest(request({ stop: ['a', '', 'b'], temperature: 0.3 }), target, false)).toMatchObject({ stop_sequences: ['a', 'b'], temperature: 0.3 });
  });

  it('turns reasoning_effort into thinking with the budget added to max_tokens, leaving temperature and top_p out', () => {
    const body = toAnthropicRequest(request({ reasoning_effort: 'medium', max_tokens: 500, temperature: 0.2, top_p: 0.5 }), target, false);
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: THINKING_BUDGET_TOKENS.medium });
    expect(body.max_tokens).toBe(500 + THINKING_BUDGET_TOKENS.medium);
    expect(body.temperature).toBeUndefined();
    expect(body.top_p).toBeUndefined();
    expect(toAnthropicRequest(request({ reasoning_effort: 'low' }), target, false).thinking?.budget_tokens).toBe(1024);
  });

  it('maps tools and every tool_choice', () => {
    const tools: ChatCompletionRequest['tools'] = [
      { type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      { type: 'function', function: { name: 'now' } },
    ];
    const body = toAnthropicRequest(request({ tools, tool_choice: 'required' }), target, false);
    expect(body.tools).toEqual([
      { name: 'get_weather', description: 'Weather by city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(body.tool_choice).toEqual({ type: 'any' });
    expect(toAnthropicRequest(request({ tools, tool_choice: 'auto' }), target, false).tool_choice).toEqual({ type: 'auto' });
    expect(toAnthropicRequest(request({ tools, tool_choice: 'none' }), target, false).tool_choice).toEqual({ type: 'none' });
    expect(toAnthropicRequest(request({ tools, tool_choice: { type: 'function', function: { name: 'now' } } }), target, false).tool_choice).toEqual({ type: 'tool', name: 'now' });
    expect(toAnthropicRequest(request({ tools }), target, false).tool_choice).toBeUndefined();
    expect(toAnthropicRequest(request({ tool_choice: 'auto' }), target, false).tool_choice).toBeUndefined();
  });

  it('refuses n > 1 as a client error', () => {
    const error = thrown(() => toAnthropicRequest(request({ n: 2 }), target, false));
    expect(error.kind).toBe('client_error');
    expect(error.options.body?.error).toMatchObject({ param: 'n', code: 'not_supported' });
  });
});

describe('toAnthropicMessages', () => {
  it('maps text and image parts of user messages', () => {
    const { messages } = toAnthropicMessages([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  it('maps a tool round trip: tool_calls → tool_use, tool messages → one user turn of tool_results', () => {
    const { messages } = toAnthropicMessages([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18°C' },
      { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '24°C' }] },
      { role: 'user', content: 'Thanks!' },
    ]);
    expect(messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '18°C' },
          { type: 'tool_result', tool_use_id: 'call_2', content: '24°C' },
          { type: 'text', text: 'Thanks!' },
        ],
      },
    ]);
  });

  it('keeps signed thinking of earlier assistant turns first, drops unsigned thinking and empty text', () => {
    const { messages } = toAnthropicMessages([
      { role: 'user', content: 'Q1' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'A1' },
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'thinking', thinking: 'unsigned' },
          { type: 'text', text: '' },
        ],
      },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'Q2' },
    ]);
    expect(messages).toEqual([
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'text', text: 'A1' }] },
      { role: 'user', content: 'Q2' },
    ]);
  });

  it('merges consecutive turns of the same role', () => {
    const { messages } = toAnthropicMessages([
      { role: 'user', content: 'one' },
      { role: 'user', content: 'two' },
    ]);
    expect(messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] }]);
  });

  it('refuses invalid tool arguments and tool messages without an id, naming the param', () => {
    expect(
      thrown(() => toAnthropicMessages([{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }] }])).options.body?.error.param,
    ).toBe('messages[0].tool_calls[0].function.arguments');
    expect(thrown(() => toAnthropicMessages([{ role: 'tool', content: 'x' }])).options.body?.error.param).toBe('messages[0].tool_call_id');
  });
});

describe('imageBlock', () => {
  it.each([
    ['data:image/jpeg;base64,/9j/4AAQ', { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' }],
    ['data:image/WEBP;base64,UklGR', { type: 'base64', media_type: 'image/webp', data: 'UklGR' }],
    ['data:image/gif;charset=x;base64,R0lG', { type: 'base64', media_type: 'image/gif', data: 'R0lG' }],
  ])('%s', (url, source) => {
    expect(imageBlock(url, 'p')).toEqual({ type: 'image', source });
  });

  it.each(['data:image/png,rawbytes', 'data:image/bmp;base64,Qk0=', 'data:;base64,AAAA', 'ftp://example.com/a.png', 'data:image/png;base64'])('refuses %s', (url) => {
    const error = thrown(() => imageBlock(url, 'messages[0].content[1].image_url.url'));
    expect(error.kind).toBe('client_error');
    expect(error.options.body?.error.param).toBe('messages[0].content[1].image_url.url');
  });
});
