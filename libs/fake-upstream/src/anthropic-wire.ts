import type { IncomingHttpHeaders } from 'node:http';
import { type Conversation, countWords, halves, planReply, type Reply, words } from './conversation';
import { describeBody, isRecord, json, routeTable, type Wire, type WireRequest, type WireResponse } from './wire';

/**
 * Anthropic's Messages API (anthropic-version 2023-06-01): POST /v1/messages, JSON and SSE with the
 * real event sequence (message_start, content_block_start/delta/stop, ping, message_delta,
 * message_stop). It validates what the real API refuses and an adapter could get wrong: the
 * anthropic-version header, max_tokens, roles, non-empty text blocks, image sources, and with
 * thinking on: budget_tokens ≥ 1024 and < max_tokens, temperature only 1, top_p ≥ 0.95.
 * Thinking is on when the request enables it or the model name contains `thinking`; thinking
 * words count towards max_tokens, as on the real API.
 */

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function errorResponse(status: number, message: string): WireResponse & { type: 'json' } {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return json(status, { type: 'error', error: { type, message } });
}

function event(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const BLOCK_TYPES = new Set(['text', 'image', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking', 'document']);

function blockText(block: Record<string, unknown>): string {
  if (block.type === 'text' && typeof block.text === 'string') return block.text;
  if (block.type === 'tool_result') {
    if (typeof block.content === 'string') return block.content;
    if (Array.isArray(block.content)) return block.content.map((inner) => (isRecord(inner) ? blockText(inner) : '')).join(' ');
  }
  return '';
}

/** The first problem the real API would answer 400 for, if any. */
function invalidContent(content: unknown, path: string): string | undefined {
  if (typeof content === 'string') return undefined;
  if (!Array.isArray(content)) return `${path}: Input should be a valid string or list`;
  for (let i = 0; i < content.length; i++) {
    const block: unknown = content[i];
    const at = `${path}.${i}`;
    if (!isRecord(block) || typeof block.type !== 'string' || !BLOCK_TYPES.has(block.type)) return `${at}: unknown content block type`;
    if (block.type === 'text' && (typeof block.text !== 'string' || block.text === '')) return `${at}.text: text content blocks must be non-empty`;
    if (block.type === 'image') {
      const source = block.source;
      if (!isRecord(source)) return `${at}.source: Field required`;
      if (source.type === 'base64') {
        if (typeof source.media_type !== 'string' || !IMAGE_TYPES.has(source.media_type)) return `${at}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
        if (typeof source.data !== 'string' || source.data === '') return `${at}.source.data: Field required`;
      } else if (source.type !== 'url' || typeof source.url !== 'string') return `${at}.source: Input should be a base64 or url source`;
    }
    if (block.type === 'tool_use' && (typeof block.id !== 'string' || typeof block.name !== 'string' || !isRecord(block.input))) return `${at}: tool_use needs id, name and an input object`;
    if (block.type === 'tool_result' && typeof block.tool_use_id !== 'string') return `${at}.tool_use_id: Field required`;
    if (block.type === 'thinking' && typeof block.signature !== 'string') return `${at}.signature: Field required`;
  }
  return undefined;
}

interface ValidRequest {
  body: Record<string, unknown>;
  model: string;
  maxTokens: number;
  messages: Array<Record<string, unknown>>;
  thinking: boolean;
}

function validate(body: unknown): ValidRequest | { error: WireResponse } {
  const fail = (message: string) => ({ error: errorResponse(400, message) });
  if (!isRecord(body)) return fail('The request body must be a JSON object');
  if (typeof body.model !== 'string' || body.model === '') return fail('model: Field required');
  const maxTokens = body.max_tokens;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) return fail('max_tokens: Field required (a positive integer)');
  if (!Array.isArray(body.messages) || body.messages.length === 0) return fail('messages: at least one message is required');
  const messages: Array<Record<string, unknown>> = [];
  for (let i = 0; i < body.messages.length; i++) {
    const message: unknown = body.messages[i];
    if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) return fail(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    const problem = invalidContent(message.content, `messages.${i}.content`);
    if (problem !== undefined) return fail(problem);
    messages.push(message);
  }
  if (body.system !== undefined) {
    const problem = typeof body.system === 'string' ? undefined : invalidContent(body.system, 'system');
    if (problem !== undefined) return fail(problem);
  }
  if (body.stop_sequences !== undefined && !(Array.isArray(body.stop_sequences) && body.stop_sequences.every((s) => typeof s === 'string'))) {
    return fail('stop_sequences: Input should be a list of strings');
  }
  const temperature = body.temperature;
  if (temperature !== undefined && (typeof temperature !== 'number' || temperature < 0 || temperature > 1)) return fail('temperature: Input should be between 0 and 1');
  let thinking = body.model.includes('thinking');
  if (body.thinking !== undefined) {
    const config = body.thinking;
    if (!isRecord(config) || (config.type !== 'enabled' && config.type !== 'disabled')) return fail('thinking.type: Input should be enabled or disabled');
    if (config.type === 'enabled') {
      const budget = config.budget_tokens;
      if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1024) return fail('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
      if (budget >= maxTokens) return fail('`max_tokens` must be greater than `thinking.budget_tokens`');
      if (temperature !== undefined && temperature !== 1) return fail('`temperature` may only be set to 1 when thinking is enabled');
      if (typeof body.top_p === 'number' && body.top_p < 0.95) return fail('`top_p` must be greater than or equal to 0.95 when thinking is enabled');
      thinking = true;
    }
  }
  return { body, model: body.model, maxTokens, messages, thinking };
}

export function anthropicConversation({ body, maxTokens, messages, thinking }: ValidRequest): Conversation {
  let promptTokens = 0;
  if (typeof body.system === 'string') promptTokens += countWords(body.system);
  else if (Array.isArray(body.system)) for (const block of body.system) if (isRecord(block)) promptTokens += countWords(blockText(block));
  let lastUserText = '';
  let toolResult: string | undefined;
  messages.forEach((message, index) => {
    const last = index === messages.length - 1;
    const content = message.content;
    if (typeof content === 'string') {
      promptTokens += countWords(content);
      if (message.role === 'user') lastUserText = content;
      return;
    }
    const blocks = (content as unknown[]).filter(isRecord);
    let text = '';
    let results = '';
    for (const block of blocks) {
      const blockWords = blockText(block);
      promptTokens += countWords(blockWords);
      if (block.type === 'text') text = text ? `${text} ${blockWords}` : blockWords;
      if (block.type === 'tool_result') results = results ? `${results} ${blockWords}` : blockWords;
    }
    if (message.role === 'user') {
      if (text) lastUserText = text;
      if (last && blocks.some((block) => block.type === 'tool_result')) toolResult = results;
    }
  });
  const tools = Array.isArray(body.tools) ? body.tools.flatMap((tool) => (isRecord(tool) && typeof tool.name === 'string' ? [tool.name] : [])) : [];
  const choice = isRecord(body.tool_choice) ? body.tool_choice : undefined;
  const thinkingWords = thinking ? 1 + words(lastUserText).length : 0;
  return {
    promptTokens,
    lastUserText,
    toolResult,
    tools,
    toolMode: choice?.type === 'none' ? 'none' : choice?.type === 'any' ? 'required' : 'auto',
    forcedTool: choice?.type === 'tool' && typeof choice.name === 'string' ? choice.name : undefined,
    maxTokens: Math.max(0, maxTokens - thinkingWords),
    stop: Array.isArray(body.stop_sequences) ? (body.stop_sequences as string[]) : [],
    thinking,
  };
}

function stopReason(reply: Reply): string {
  if (reply.finish === 'tool_calls') return 'tool_use';
  if (reply.finish === 'length') return 'max_tokens';
  return reply.stopSequence === null ? 'end_turn' : 'stop_sequence';
}

function messages({ seq, body: raw }: WireRequest): WireResponse {
  const request = validate(raw);
  if ('error' in request) return request.error;
  const conversation = anthropicConversation(request);
  const reply = planReply(conversation, seq);
  const id = `msg_fake_${seq}`;
  const signature = `fake-signature-${seq}`;
  const text = reply.words.join(' ');
  const usage = { input_tokens: conversation.promptTokens, output_tokens: reply.completionTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const toolUse = reply.toolCall ? { type: 'tool_use', id: `toolu_fake_${seq}`, name: reply.toolCall.name, input: JSON.parse(reply.toolCall.arguments) as unknown } : undefined;

  if (request.body.stream !== true) {
    const content: unknown[] = [];
    if (reply.thinking) content.push({ type: 'thinking', thinking: reply.thinking.join(' '), signature });
    if (toolUse) content.push(toolUse);
    else content.push({ type: 'text', text });
    return json(200, { id, type: 'message', role: 'assistant', model: request.model, content, stop_reason: stopReason(reply), stop_sequence: reply.stopSequence, usage });
  }

  const frames: string[] = [
    event('message_start', {
      message: { id, type: 'message', role: 'assistant', model: request.model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
    }),
  ];
  let index = 0;
  const block = (start: Record<string, unknown>, deltas: Array<Record<string, unknown>>): void => {
    frames.push(event('content_block_start', { index, content_block: start }));
    if (index === 0) frames.push(event('ping', {}));
    for (const delta of deltas) frames.push(event('content_block_delta', { index, delta }));
    frames.push(event('content_block_stop', { index }));
    index += 1;
  };
  if (reply.thinking) {
    const deltas: Array<Record<string, unknown>> = reply.thinking.map((word, i) => ({ type: 'thinking_delta', thinking: i === 0 ? word : ` ${word}` }));
    deltas.push({ type: 'signature_delta', signature });
    block({ type: 'thinking', thinking: '', signature: '' }, deltas);
  }
  if (toolUse) {
    block(
      { ...toolUse, input: {} },
      halves(reply.toolCall?.arguments ?? '{}').map((partial_json) => ({ type: 'input_json_delta', partial_json })),
    );
  } else {
    block(
      { type: 'text', text: '' },
      reply.words.map((word, i) => ({ type: 'text_delta', text: i === 0 ? word : ` ${word}` })),
    );
  }
  frames.push(event('message_delta', { delta: { stop_reason: stopReason(reply), stop_sequence: reply.stopSequence }, usage: { output_tokens: reply.completionTokens } }));
  frames.push(event('message_stop', {}));
  return { type: 'stream', frames };
}

export function anthropicWire(): Wire {
  return {
    kind: 'anthropic',
    route: routeTable({ 'POST /v1/messages': messages }),
    authorize(headers: IncomingHttpHeaders, apiKey: string | undefined) {
      if (apiKey !== undefined && headers['x-api-key'] !== apiKey) {
        return errorResponse(401, headers['x-api-key'] === undefined ? 'x-api-key header is required' : 'invalid x-api-key');
      }
      if (headers['anthropic-version'] === undefined) return errorResponse(400, 'anthropic-version: header is required');
      return undefined;
    },
    errorResponse: (status, message) => errorResponse(status, message),
    streamErrorFrame: () => event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
    malformedFrame: () => 'event: content_block_delta\ndata: {"type": oops\n\n',
    describe: describeBody,
  };
}
