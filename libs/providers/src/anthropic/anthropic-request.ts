import { type ChatCompletionRequest, type ChatMessage, type ContentPart, type DeploymentTarget, UpstreamError } from '../types';
import type {
  AnthropicContentBlock,
  AnthropicImageBlock,
  AnthropicMessage,
  AnthropicRequest,
  AnthropicTextBlock,
  AnthropicThinkingBlock,
  AnthropicToolChoice,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
} from './anthropic.wire';

/** `max_tokens` when neither the request nor the deployment gives one (Anthropic requires it). */
export const DEFAULT_MAX_TOKENS = 4096;

/**
 * `reasoning_effort` → `thinking.budget_tokens`. Anthropic's minimum budget is 1024. The budget is
 * added on top of the answer's `max_tokens`: the client's max_tokens bounds the visible answer,
 * the thinking step gets its own allowance (Anthropic counts both in its `max_tokens`, which must
 * exceed the budget).
 */
export const THINKING_BUDGET_TOKENS = { low: 1024, medium: 4096, high: 16384 } as const;

const IMAGE_MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** A request the adapter cannot express in the Messages API: the caller's fault, never retried. */
export function notSupported(message: string, param: string | null = null): UpstreamError {
  return new UpstreamError('client_error', message, {
    body: { error: { message, type: 'invalid_request_error', param, code: 'not_supported' } },
  });
}

function invalid(message: string, param: string): UpstreamError {
  return new UpstreamError('client_error', message, {
    body: { error: { message, type: 'invalid_request_error', param, code: null } },
  });
}

/** An OpenAI `image_url` (a data URL or an http(s) URL) → an Anthropic image block. */
export function imageBlock(url: string, param: string): AnthropicImageBlock {
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    const meta = comma === -1 ? '' : url.slice(5, comma);
    if (!meta.endsWith(';base64')) throw invalid('Image data URLs must be base64-encoded (data:<type>;base64,...)', param);
    const semicolon = meta.indexOf(';');
    const mediaType = meta.slice(0, semicolon).toLowerCase();
    if (!IMAGE_MEDIA_TYPES.has(mediaType)) throw invalid(`Unsupported image type ${mediaType || '(none)'}: use JPEG, PNG, GIF or WebP`, param);
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: url.slice(comma + 1) } };
  }
  if (url.startsWith('https://') || url.startsWith('http://')) return { type: 'image', source: { type: 'url', url } };
  throw invalid('Image URLs must be data URLs or http(s) URLs', param);
}

/** The text of a message's content: the string, or its text parts joined. */
export function contentText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (content === null) return '';
  let text = '';
  for (const part of content) if (part.type === 'text') text = text ? `${text}\n${part.text}` : part.text;
  return text;
}

function userBlocks(content: ChatMessage['content'], messageIndex: number): AnthropicContentBlock[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (content === null) return [];
  const blocks: AnthropicContentBlock[] = [];
  content.forEach((part: ContentPart, partIndex) => {
    if (part.type === 'text') {
      if (part.text) blocks.push({ type: 'text', text: part.text });
    } else if (part.type === 'image_url') {
      blocks.push(imageBlock(part.image_url.url, `messages[${messageIndex}].content[${partIndex}].image_url.url`));
    }
    // Thinking parts only belong to assistant turns; in a user turn they carry nothing to send.
  });
  return blocks;
}

function assistantBlocks(message: ChatMessage, messageIndex: number): AnthropicContentBlock[] {
  const thinking: AnthropicThinkingBlock[] = [];
  const rest: AnthropicContentBlock[] = [];
  const content = message.content;
  if (typeof content === 'string') {
    if (content) rest.push({ type: 'text', text: content });
  } else if (content !== null) {
    for (const part of content) {
      if (part.type === 'text' && part.text) rest.push({ type: 'text', text: part.text });
      // Anthropic accepts earlier thinking only with the signature it issued; unsigned thinking is dropped.
      else if (part.type === 'thinking' && part.signature) thinking.push({ type: 'thinking', thinking: part.thinking, signature: part.signature });
    }
  }
  message.tool_calls?.forEach((call, callIndex) => {
    let input: unknown;
    try {
      input = call.function.arguments ? JSON.parse(call.function.arguments) : {};
    } catch {
      throw invalid('Tool call arguments must be a JSON object', `messages[${messageIndex}].tool_calls[${callIndex}].function.arguments`);
    }
    const block: AnthropicToolUseBlock = { type: 'tool_use', id: call.id, name: call.function.name, input };
    rest.push(block);
  });
  // Anthropic wants an assistant turn's thinking blocks before everything else.
  return thinking.length ? [...thinking, ...rest] : rest;
}

function toolResultBlock(message: ChatMessage, messageIndex: number): AnthropicToolResultBlock {
  if (!message.tool_call_id) throw invalid('Tool messages need a tool_call_id', `messages[${messageIndex}].tool_call_id`);
  return { type: 'tool_result', tool_use_id: message.tool_call_id, content: contentText(message.content) };
}

/** Converts the conversation; consecutive turns of one role (e.g. several tool results) become one message. */
export function toAnthropicMessages(messages: readonly ChatMessage[]): { system: string | undefined; messages: AnthropicMessage[] } {
  const system: string[] = [];
  const out: Array<{ role: 'user' | 'assistant'; content: AnthropicContentBlock[] }> = [];
  const append = (role: 'user' | 'assistant', blocks: AnthropicContentBlock[]): void => {
    if (blocks.length === 0) return;
    const last = out[out.length - 1];
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  messages.forEach((message, index) => {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = contentText(message.content);
        if (text) system.push(text);
        break;
      }
      case 'user':
        append('user', userBlocks(message.content, index));
        break;
      case 'assistant':
        append('assistant', assistantBlocks(message, index));
        break;
      case 'tool':
        append('user', [toolResultBlock(message, index)]);
        break;
    }
  });
  return {
    system: system.length ? system.join('\n\n') : undefined,
    messages: out.map(({ role, content }) =>
      content.length === 1 && content[0].type === 'text' ? { role, content: (content[0] as AnthropicTextBlock).text } : { role, content },
    ),
  };
}

function toolChoice(choice: ChatCompletionRequest['tool_choice']): AnthropicToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  return { type: 'tool', name: choice.function.name };
}

/** OpenAI chat request → Anthropic Messages request. Throws UpstreamError('client_error') for what has no equivalent. */
export function toAnthropicRequest(request: ChatCompletionRequest, target: DeploymentTarget, stream: boolean): AnthropicRequest {
  if (request.n !== undefined && request.n > 1) throw notSupported('Anthropic models return one choice: n must be 1', 'n');
  const { system, messages } = toAnthropicMessages(request.messages);
  const answerTokens = request.max_completion_tokens ?? request.max_tokens ?? target.defaultMaxTokens ?? DEFAULT_MAX_TOKENS;
  const budget = request.reasoning_effort === undefined ? undefined : THINKING_BUDGET_TOKENS[request.reasoning_effort];
  const body: AnthropicRequest = {
    model: target.upstreamModel,
    max_tokens: budget === undefined ? answerTokens : answerTokens + budget,
    messages,
  };
  if (system !== undefined) body.system = system;
  if (request.stop !== undefined) {
    const stops = (typeof request.stop === 'string' ? [request.stop] : request.stop).filter((stop) => stop.length > 0);
    if (stops.length) body.stop_sequences = stops;
  }
  if (budget !== undefined) {
    // With thinking on, Anthropic refuses any temperature but 1 and top_p below 0.95: leave both to it.
    body.thinking = { type: 'enabled', budget_tokens: budget };
  } else {
    // OpenAI's range is 0–2, Anthropic's 0–1.
    if (request.temperature !== undefined) body.temperature = Math.min(request.temperature, 1);
    if (request.top_p !== undefined) body.top_p = request.top_p;
  }
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
      input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    }));
    const choice = toolChoice(request.tool_choice);
    if (choice !== undefined) body.tool_choice = choice;
  }
  if (request.user !== undefined) body.metadata = { user_id: request.user };
  if (stream) body.stream = true;
  return body;
}
