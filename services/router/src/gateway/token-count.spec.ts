import { chatPromptTokens, completionPromptTokens, o200kTokens, TokenCountCache } from './token-count';

describe('token counting (o200k_base)', () => {
  it('counts with the real BPE, including the chat framing', () => {
    expect(o200kTokens('Hello there, benchmark')).toBe(4);
    // 3 per message + 3 for the reply primer + the content's tokens.
    expect(chatPromptTokens({ model: 'm', messages: [{ role: 'user', content: 'Hello there, benchmark' }] })).toBe(3 + 3 + 4);
    expect(completionPromptTokens({ model: 'm', prompt: ['Hello there, benchmark', 'Hello there, benchmark'] })).toBe(8);
  });

  it('counts special-token markup in a prompt as text instead of refusing it', () => {
    expect(o200kTokens('say <|endoftext|> now')).toBeGreaterThan(3);
    expect(chatPromptTokens({ model: 'm', messages: [{ role: 'user', content: '<|im_start|>system' }] })).toBeGreaterThan(6);
  });

  it('remembers counts it made, and forgets the least recently used beyond its character budget', () => {
    const counted: string[] = [];
    const cache = new TokenCountCache((text) => (counted.push(text), text.length), 10);
    expect(cache.tokens('aaaa')).toBe(4);
    expect(cache.tokens('bbbb')).toBe(4);
    expect(cache.tokens('aaaa')).toBe(4); // cached, and now the most recently used
    expect(counted).toEqual(['aaaa', 'bbbb']);
    cache.tokens('cccc'); // 12 characters: 'bbbb' goes
    expect(cache.size).toBe(2);
    cache.tokens('aaaa');
    cache.tokens('bbbb');
    expect(counted).toEqual(['aaaa', 'bbbb', 'cccc', 'bbbb']);
  });

  it('counts but does not keep a text longer than an entry may be', () => {
    const counted: string[] = [];
    const cache = new TokenCountCache((text) => (counted.push(text), 1), 1_000, 3);
    cache.tokens('long text');
    cache.tokens('long text');
    expect(counted).toHaveLength(2);
    expect(cache.size).toBe(0);
  });
});
