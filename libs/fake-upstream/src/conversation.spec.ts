import { type Conversation, countWords, embeddingBase64, embeddingFor, planReply, words } from './conversation';
import { RequestLog, type RecordedRequest } from './recorder';

const base: Conversation = {
  promptTokens: 3,
  lastUserText: 'Hello  there\nworld',
  toolResult: undefined,
  tools: [],
  toolMode: 'auto',
  forcedTool: undefined,
  maxTokens: undefined,
  stop: [],
  thinking: false,
};

describe('word counting', () => {
  it.each([
    ['', 0],
    ['   ', 0],
    ['one', 1],
    [' Hello  there\n\tworld ', 3],
    ['héllo wörld 🌍', 3],
  ])('%j has %d words', (text, count) => {
    expect(countWords(text)).toBe(count);
    expect(words(text)).toHaveLength(count);
  });
});

describe('planReply', () => {
  it('echoes the last user text with one token per word', () => {
    expect(planReply(base, 1)).toEqual({ words: ['You', 'said:', 'Hello', 'there', 'world'], thinking: undefined, toolCall: undefined, finish: 'stop', stopSequence: null, completionTokens: 5 });
    expect(planReply({ ...base, lastUserText: '' }, 1).words.join(' ')).toBe('You said nothing.');
  });

  it('cuts at the first stop sequence, then at max tokens', () => {
    expect(planReply({ ...base, stop: ['world', 'there'] }, 1)).toMatchObject({ words: ['You', 'said:', 'Hello'], finish: 'stop', stopSequence: 'there' });
    expect(planReply({ ...base, maxTokens: 2 }, 1)).toMatchObject({ words: ['You', 'said:'], finish: 'length', completionTokens: 2 });
  });

  it('thinks before answering, counting thinking words as completion tokens', () => {
    expect(planReply({ ...base, thinking: true }, 1)).toMatchObject({ thinking: ['Considering:', 'Hello', 'there', 'world'], completionTokens: 9 });
  });

  it('calls a tool when required, forced or mentioned, and answers a tool result', () => {
    const tools = ['lookup', 'weather'];
    expect(planReply({ ...base, tools }, 7).toolCall).toBeUndefined();
    expect(planReply({ ...base, tools, toolMode: 'required' }, 7).toolCall).toEqual({ id: 'call_fake_7', name: 'lookup', arguments: '{"text":"Hello  there\\nworld"}' });
    expect(planReply({ ...base, tools, forcedTool: 'weather' }, 7)).toMatchObject({ toolCall: { name: 'weather' }, finish: 'tool_calls' });
    expect(planReply({ ...base, tools, lastUserText: 'what does weather say' }, 7).toolCall?.name).toBe('weather');
    expect(planReply({ ...base, tools, toolMode: 'none', lastUserText: 'weather?' }, 7).toolCall).toBeUndefined();
    expect(planReply({ ...base, tools, toolMode: 'required', toolResult: '18 degrees' }, 7)).toMatchObject({ words: ['Tool', 'said:', '18', 'degrees'], toolCall: undefined });
  });
});

describe('embeddings', () => {
  it('are deterministic unit vectors, different per text', () => {
    const a = embeddingFor('alpha', 32);
    expect(embeddingFor('alpha', 32)).toEqual(a);
    expect(embeddingFor('beta', 32)).not.toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
  });

  it('encode as little-endian float32 base64', () => {
    const vector = embeddingFor('alpha', 4);
    const decoded = new Float32Array(Uint8Array.from(Buffer.from(embeddingBase64(vector), 'base64')).buffer);
    expect(Array.from(decoded)).toEqual(vector);
  });
});

describe('RequestLog', () => {
  const entry = (seq: number) => ({ seq }) as RecordedRequest;

  it('keeps the last `limit` requests, oldest first', () => {
    const log = new RequestLog(3);
    for (let seq = 1; seq <= 5; seq++) log.add(entry(seq));
    expect(log.list().map((r) => r.seq)).toEqual([3, 4, 5]);
    log.clear();
    log.add(entry(6));
    expect(log.list().map((r) => r.seq)).toEqual([6]);
  });

  it('records nothing with limit 0', () => {
    const log = new RequestLog(0);
    log.add(entry(1));
    expect(log.enabled).toBe(false);
    expect(log.list()).toEqual([]);
  });
});
