import { fastChatBody } from './fast-chat-body';
import { chatCompletionRequestSchema } from './gateway.schemas';

/** A seeded generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Values near every boundary the schema draws, of every JSON type.
const ANY = [null, true, false, 0, -0, 1, -1, 0.5, 1.5, 2, 2.0001, -2, -2.0001, 8, 9, 20, 21, 1e21, -1e21, '', 'x', 'a'.repeat(256), 'a'.repeat(257), [], ['x'], {}, { a: 1 }];
const TOP_KEYS = [
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'n', 'stop', 'presence_penalty', 'frequency_penalty',
  'seed', 'user', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'stream', 'stream_options', 'reasoning_effort', 'logprobs',
  'top_logprobs', 'metadata', 'store', 'max_token', '__extra',
];
const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'bot', ''];
const MESSAGE_KEYS = ['role', 'content', 'name', 'tool_calls', 'refusal', 'tool_call_id', 'extra'];
const CONTENTS = ['hi', '', null, [{ type: 'text', text: 'hi' }], [], 3, { text: 'hi' }];

function pick<T>(next: () => number, from: readonly T[]): T {
  return from[Math.floor(next() * from.length)]!;
}

function message(next: () => number): unknown {
  if (next() < 0.05) return pick(next, ANY);
  const value: Record<string, unknown> = { role: next() < 0.5 ? 'user' : pick(next, ROLES), content: next() < 0.8 ? 'Say hello.' : pick(next, CONTENTS) };
  if (next() < 0.2) delete value[pick(next, ['role', 'content'])];
  if (next() < 0.3) value[pick(next, MESSAGE_KEYS)] = next() < 0.5 ? 'n' : pick(next, ANY);
  return value;
}

function body(next: () => number): unknown {
  if (next() < 0.03) return pick(next, ANY);
  const value: Record<string, unknown> = { model: 'gpt-4o-mini', messages: [message(next)] };
  const extraMessages = Math.floor(next() * 3);
  for (let i = 0; i < extraMessages; i++) (value.messages as unknown[]).push(message(next));
  const fields = Math.floor(next() * 4);
  for (let i = 0; i < fields; i++) {
    const key = pick(next, TOP_KEYS);
    value[key] = key === 'stream_options' && next() < 0.5 ? pick(next, [{ include_usage: true }, { include_usage: 1 }, { other: true }, {}]) : key === 'messages' && next() < 0.3 ? pick(next, [[], [message(next)], 'x']) : pick(next, ANY);
  }
  if (next() < 0.05) delete value[pick(next, ['model', 'messages'])];
  return value;
}

describe('fastChatBody', () => {
  it('accepts only bodies zod accepts, and returns exactly what zod would', () => {
    const next = random(20261122);
    let accepted = 0;
    let zodOnly = 0;
    for (let i = 0; i < 20_000; i++) {
      const candidate = body(next);
      const fast = fastChatBody(candidate);
      const parsed = chatCompletionRequestSchema.safeParse(candidate);
      if (fast !== undefined) {
        accepted++;
        if (!parsed.success) throw new Error(`fast path accepted what zod refuses: ${JSON.stringify(candidate)}`);
        expect(fast).toEqual(parsed.data);
      } else if (parsed.success) {
        zodOnly++;
      }
    }
    // Both kinds were generated in numbers (the test means something).
    expect(accepted).toBeGreaterThan(1_000);
    expect(zodOnly).toBeGreaterThan(100);
  });

  it('takes the usual requests', () => {
    const usual = {
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi', name: 'ana' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'developer', content: 'x' },
      ],
      max_tokens: 16,
      temperature: 0.7,
      top_p: 1,
      stream: true,
      stream_options: { include_usage: true },
      user: 'u-1',
      seed: 7,
    };
    expect(fastChatBody(usual)).toBe(usual);
    expect(fastChatBody({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream_options: null })).toBeDefined();
  });

  it('leaves everything else to zod', () => {
    const user = { role: 'user', content: 'x' };
    for (const other of [
      { model: 'm', messages: [user], stop: ['\n'] },
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] },
      { model: 'm', messages: [{ role: 'assistant' }] }, // zod fills in content: null
      { model: 'm', messages: [{ role: 'tool', content: 'x', tool_call_id: 'c' }] },
      { model: 'm', messages: [user], temperature: 2.5 },
      { model: 'm', messages: [user], max_tokens: 0 },
      { model: 'm', messages: [user], max_token: 5 },
      { model: '', messages: [user] },
      { messages: [user] },
      { model: 'm', messages: [] },
      [user],
      null,
      'text',
    ]) {
      expect(fastChatBody(other)).toBeUndefined();
    }
  });
});
