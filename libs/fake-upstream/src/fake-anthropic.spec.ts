// The fake Anthropic Messages upstream over raw HTTP: what it validates, and its event sequence.
import { type FakeUpstream, startFakeAnthropic } from './server';

let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-ant' });
});

afterEach(() => fake.reset());

afterAll(() => fake.close());

const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' };

function post(body: unknown, headers: Record<string, string> = HEADERS): Promise<Response> {
  return fetch(`${fake.baseUrl}/v1/messages`, { method: 'POST', headers, body: JSON.stringify(body) });
}

const basic = { model: 'claude-test', max_tokens: 100, messages: [{ role: 'user', content: 'Hello there' }] };

function events(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine.replace('event: ', ''), data: JSON.parse(dataLine.replace('data: ', '')) as Record<string, unknown> };
    });
}

describe('fake Anthropic upstream', () => {
  it('answers a message with content blocks, stop_reason and usage', async () => {
    const response = await post({ ...basic, system: 'Be brief now.' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: expect.stringMatching(/^msg_fake_\d+$/),
      type: 'message',
      role: 'assistant',
      model: 'claude-test',
      content: [{ type: 'text', text: 'You said: Hello there' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it('thinks when asked (or by model name): a signed thinking block first', async () => {
    const body = (await (await post({ ...basic, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 } })).json()) as { content: unknown[] };
    expect(body.content).toEqual([
      { type: 'thinking', thinking: 'Considering: Hello there', signature: expect.any(String) },
      { type: 'text', text: 'You said: Hello there' },
    ]);
    const byName = (await (await post({ ...basic, model: 'claude-thinking' })).json()) as { content: Array<{ type: string }> };
    expect(byName.content.map((block) => block.type)).toEqual(['thinking', 'text']);
  });

  it('streams the real event sequence', async () => {
    const response = await post({ ...basic, max_tokens: 2000, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 } });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const sequence = events(await response.text());
    expect(sequence.every(({ event, data }) => data.type === event)).toBe(true);
    const names = sequence.map(({ event, data }) => (event === 'content_block_delta' ? `delta:${(data.delta as { type: string }).type}` : event));
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'delta:thinking_delta',
      'delta:thinking_delta',
      'delta:thinking_delta',
      'delta:signature_delta',
      'content_block_stop',
      'content_block_start',
      'delta:text_delta',
      'delta:text_delta',
      'delta:text_delta',
      'delta:text_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(sequence[14].data).toEqual({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 7 } });
  });

  it.each([
    ['no anthropic-version header', basic, { 'content-type': 'application/json', 'x-api-key': 'sk-ant' }, 400, 'anthropic-version: header is required'],
    ['a wrong key', basic, { ...HEADERS, 'x-api-key': 'nope' }, 401, 'invalid x-api-key'],
    ['no max_tokens', { model: 'c', messages: basic.messages }, HEADERS, 400, 'max_tokens'],
    ['a system role in messages', { ...basic, messages: [{ role: 'system', content: 'x' }] }, HEADERS, 400, "Input should be 'user' or 'assistant'"],
    ['an empty text block', { ...basic, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }, HEADERS, 400, 'text content blocks must be non-empty'],
    ['a BMP image', { ...basic, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'Qk0=' } }] }] }, HEADERS, 400, 'media_type'],
    ['a thinking budget not below max_tokens', { ...basic, thinking: { type: 'enabled', budget_tokens: 1024 } }, HEADERS, 400, 'must be greater than `thinking.budget_tokens`'],
    ['temperature with thinking', { ...basic, max_tokens: 2000, temperature: 0.5, thinking: { type: 'enabled', budget_tokens: 1024 } }, HEADERS, 400, 'temperature'],
    ['temperature above 1', { ...basic, temperature: 1.5 }, HEADERS, 400, 'temperature'],
  ])('refuses %s like the real API', async (_case, body, headers, status, message) => {
    const response = await post(body, headers);
    expect(response.status).toBe(status);
    const error = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(error.type).toBe('error');
    expect(error.error.message).toContain(message);
  });

  it('injects an overloaded error event mid-stream, then ends the stream', async () => {
    fake.control({ failNext: { count: 1, fault: 'error-event', afterChunks: 3 } });
    const sequence = events(await (await post({ ...basic, stream: true })).text());
    expect(sequence.map(({ event }) => event)).toEqual(['message_start', 'content_block_start', 'ping', 'error']);
    expect(sequence[3].data).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });

  it('records a client that disconnects mid-stream as aborted', async () => {
    fake.control({ streamChunkDelayMs: 50 });
    const controller = new AbortController();
    const response = await fetch(`${fake.baseUrl}/v1/messages`, { method: 'POST', headers: HEADERS, body: JSON.stringify({ ...basic, stream: true }), signal: controller.signal });
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    const [recorded] = await fake.waitFor((requests) => requests[0]?.aborted === true);
    expect(recorded).toMatchObject({ completed: false, credential: 'x-api-key', stream: true, status: 200 });
  });
});
