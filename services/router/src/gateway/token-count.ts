import { countTokens as countO200k } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import type { ChatCompletionBody, CompletionBody, EmbeddingsBody } from './gateway.schemas';

// Prompt tokens for the rate limiter's reservation, counted with the o200k_base BPE (GPT-4o's
// encoding) from `gpt-tokenizer`. Other model families tokenize differently; the reservation is
// reconciled to the upstream's reported usage afterwards, so an estimate within a few percent
// is what matters here.

/**
 * Special-token markup in a prompt (`<|endoftext|>`, `<|im_start|>`…) is text the client sent,
 * counted as such: by default gpt-tokenizer refuses it with an exception (which made such a
 * prompt a 500). Every special token starts with `<|`; other texts take the default path,
 * which does not build a per-call configuration.
 */
const SPECIAL_AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Counts already made, by text: chat clients resend the whole conversation (system prompt,
 * earlier turns) with every turn, so most of a prompt was counted a moment ago. Bounded by the
 * characters it holds (about 4 MB of strings); the least recently used texts go first.
 */
export class TokenCountCache {
  private readonly counts = new Map<string, number>();
  private characters = 0;

  constructor(
    private readonly count: (text: string) => number,
    private readonly maxCharacters = 2_000_000,
    private readonly maxEntryCharacters = 100_000,
  ) {}

  tokens(text: string): number {
    const known = this.counts.get(text);
    if (known !== undefined) {
      // Most recently used last: delete and set again.
      this.counts.delete(text);
      this.counts.set(text, known);
      return known;
    }
    const tokens = this.count(text);
    if (text.length <= this.maxEntryCharacters) {
      this.counts.set(text, tokens);
      this.characters += text.length;
      for (const oldest of this.counts.keys()) {
        if (this.characters <= this.maxCharacters) break;
        this.counts.delete(oldest);
        this.characters -= oldest.length;
      }
    }
    return tokens;
  }

  get size(): number {
    return this.counts.size;
  }
}

/** o200k_base tokens of one text. */
export function o200kTokens(text: string): number {
  return text.includes('<|') ? countO200k(text, SPECIAL_AS_TEXT) : countO200k(text);
}

const cache = new TokenCountCache(o200kTokens);
const countTokens = (text: string): number => cache.tokens(text);

/** Per-message framing tokens of the chat format (role markers), as OpenAI's cookbook counts them. */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY_PRIMER = 3;
/** An image at high detail costs up to this many tokens (85 base + 170 per 512px tile, 4 tiles). */
const TOKENS_PER_IMAGE = 765;

export function chatPromptTokens(request: ChatCompletionBody): number {
  let tokens = TOKENS_PER_REPLY_PRIMER;
  for (const message of request.messages) {
    tokens += TOKENS_PER_MESSAGE;
    const content = message.content;
    if (typeof content === 'string') tokens += countTokens(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part.type === 'text') tokens += countTokens(part.text);
        else if (part.type === 'image_url') tokens += TOKENS_PER_IMAGE;
        else tokens += countTokens(part.thinking);
      }
    }
    if ('tool_calls' in message && message.tool_calls) {
      for (const call of message.tool_calls) tokens += countTokens(call.function.name) + countTokens(call.function.arguments);
    }
  }
  if (request.tools) tokens += countTokens(JSON.stringify(request.tools));
  return tokens;
}

export function completionPromptTokens(request: CompletionBody): number {
  const prompts = typeof request.prompt === 'string' ? [request.prompt] : request.prompt;
  return prompts.reduce((sum, prompt) => sum + countTokens(prompt), 0);
}

export function embeddingsInputTokens(request: EmbeddingsBody): number {
  const input = request.input;
  if (typeof input === 'string') return countTokens(input);
  if (input.length === 0) return 0;
  if (typeof input[0] === 'string') return (input as string[]).reduce((sum, text) => sum + countTokens(text), 0);
  if (typeof input[0] === 'number') return input.length;
  return (input as number[][]).reduce((sum, tokens) => sum + tokens.length, 0);
}
