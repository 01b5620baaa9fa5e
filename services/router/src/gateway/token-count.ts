import { countTokens } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import type { ChatCompletionBody, CompletionBody, EmbeddingsBody } from './gateway.schemas';

// Prompt tokens for the rate limiter's reservation, counted with the o200k_base BPE (GPT-4o's
// encoding) from `gpt-tokenizer`. Other model families tokenize differently; the reservation is
// reconciled to the upstream's reported usage afterwards, so an estimate within a few percent
// is what matters here.

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
