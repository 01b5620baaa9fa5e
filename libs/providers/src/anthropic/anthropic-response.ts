import type { ChatCompletion, ContentPart, FinishReason, ToolCall, Usage } from '../types';
import type { AnthropicResponse, AnthropicResponseBlock, AnthropicStopReason, AnthropicToolUseBlock, AnthropicUsage } from './anthropic.wire';

/** Anthropic `stop_reason` → OpenAI `finish_reason`. */
export function finishReasonFor(stopReason: AnthropicStopReason | null | undefined): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn and whatever a newer API version adds.
      return 'stop';
  }
}

/** Anthropic usage → OpenAI usage; cached and cache-writing input tokens are prompt tokens too. */
export function usageFrom(usage: Partial<AnthropicUsage> | undefined): Usage {
  const prompt_tokens = tokenCount(usage?.input_tokens) + tokenCount(usage?.cache_creation_input_tokens) + tokenCount(usage?.cache_read_input_tokens);
  const completion_tokens = tokenCount(usage?.output_tokens);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

/** A count as the API documents it (a non-negative integer); anything else a provider sends counts 0 rather than failing the request. */
function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

function isToolUse(block: AnthropicResponseBlock): block is AnthropicToolUseBlock {
  return block.type === 'tool_use';
}

/**
 * Anthropic content → OpenAI message content. Without thinking blocks: the text blocks joined into
 * one string (null when there is none, e.g. a pure tool call). With thinking blocks: seed 004's
 * content array — `{type:'thinking', thinking}` and `{type:'text', text}` parts in the model's
 * order, consecutive text blocks merged. Signatures and redacted thinking are not passed on (the
 * seed's shape has no place for them).
 */
export function contentFrom(blocks: readonly AnthropicResponseBlock[]): string | ContentPart[] | null {
  const hasThinking = blocks.some((block) => block.type === 'thinking');
  if (!hasThinking) {
    let text: string | null = null;
    for (const block of blocks) if (block.type === 'text') text = (text ?? '') + (block as { text: string }).text;
    return text;
  }
  const parts: ContentPart[] = [];
  for (const block of blocks) {
    if (block.type === 'thinking') parts.push({ type: 'thinking', thinking: (block as { thinking: string }).thinking });
    else if (block.type === 'text') {
      const text = (block as { text: string }).text;
      const last = parts[parts.length - 1];
      if (last !== undefined && last.type === 'text') last.text += text;
      else parts.push({ type: 'text', text });
    }
  }
  return parts;
}

export function toolCallsFrom(blocks: readonly AnthropicResponseBlock[]): ToolCall[] | undefined {
  const calls = blocks.filter(isToolUse).map(
    (block): ToolCall => ({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } }),
  );
  return calls.length ? calls : undefined;
}

/** Anthropic message → OpenAI chat completion. */
export function fromAnthropicResponse(message: AnthropicResponse, created: number = Math.floor(Date.now() / 1000)): ChatCompletion {
  const toolCalls = toolCallsFrom(message.content);
  return {
    id: message.id,
    object: 'chat.completion',
    created,
    model: message.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: contentFrom(message.content), ...(toolCalls ? { tool_calls: toolCalls } : {}), refusal: null },
        finish_reason: finishReasonFor(message.stop_reason),
        logprobs: null,
      },
    ],
    usage: usageFrom(message.usage),
  };
}
