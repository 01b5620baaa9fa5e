import type { ChatMessage, Usage } from './types';

/**
 * Fallback token counts for upstreams that report no usage (older Ollama or llama.cpp builds
 * ignore `stream_options.include_usage`): about four characters per token, the rule of thumb
 * OpenAI documents for English. Only used when the upstream gave nothing, so metering never
 * records a free call.
 */
export function estimateTokens(characters: number): number {
  return Math.ceil(characters / 4);
}

export function messageCharacters(messages: readonly ChatMessage[]): number {
  let characters = 0;
  for (const message of messages) {
    const content = message.content;
    if (typeof content === 'string') characters += content.length;
    else if (content !== null) {
      for (const part of content) {
        if (part.type === 'text') characters += part.text.length;
        else if (part.type === 'thinking') characters += part.thinking.length;
      }
    }
    if (message.tool_calls) for (const call of message.tool_calls) characters += call.function.name.length + call.function.arguments.length;
  }
  return characters;
}

export function promptCharacters(prompt: string | string[]): number {
  return typeof prompt === 'string' ? prompt.length : prompt.reduce((sum, text) => sum + text.length, 0);
}

export function estimatedUsage(promptChars: number, completionChars: number): Usage {
  const prompt_tokens = estimateTokens(promptChars);
  const completion_tokens = estimateTokens(completionChars);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

/**
 * Whether an upstream's usage can be metered as it came: an object with three non-negative whole
 * token counts. Anything else (a count missing, fractional, negative or a string) is replaced by
 * the estimate, as a missing usage is: metering needs integers, and a provider's malformed field
 * must not fail the client's request.
 */
export function isMeterableUsage(usage: unknown): usage is Usage {
  if (typeof usage !== 'object' || usage === null) return false;
  const { prompt_tokens, completion_tokens, total_tokens } = usage as Partial<Record<keyof Usage, unknown>>;
  return isTokenCount(prompt_tokens) && isTokenCount(completion_tokens) && isTokenCount(total_tokens);
}

function isTokenCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
