import type { IncomingHttpHeaders } from 'node:http';
import {
  type Conversation,
  countWords,
  DEFAULT_EMBEDDING_DIMENSIONS,
  embeddingBase64,
  embeddingFor,
  halves,
  planReply,
  type Reply,
} from './conversation';
import { describeBody, isRecord, json, nowSeconds, routeTable, type Wire, type WireRequest, type WireResponse } from './wire';

/**
 * OpenAI's wire format: POST /v1/chat/completions (JSON and SSE), /v1/completions, /v1/embeddings,
 * GET /v1/models and /v1/models/{id}. Models whose name contains `thinking` answer with seed 004's
 * content array (`[{type:'thinking'},{type:'text'}]`) and stream one-part arrays, the shape some
 * OpenAI-compatible gateways return.
 */

export const DEFAULT_OPENAI_MODELS = ['fake-model', 'fake-thinking-model', 'fake-embedding'];

function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function errorResponse(status: number, message: string, param: string | null = null, code: string | null = null): WireResponse & { type: 'json' } {
  return json(status, { error: { message, type: errorType(status), param, code } });
}

function frame(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

const DONE = 'data: [DONE]\n\n';

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') text = text ? `${text} ${part.text}` : part.text;
  }
  return text;
}

function stopList(stop: unknown): string[] {
  if (typeof stop === 'string') return [stop];
  return Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string') : [];
}

function maxTokensOf(body: Record<string, unknown>): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' ? value : undefined;
}

export function openAIConversation(body: Record<string, unknown>, messages: unknown[]): Conversation {
  let promptTokens = 0;
  let lastUserText = '';
  let lastText = '';
  let lastRole: unknown;
  for (const message of messages) {
    if (!isRecord(message)) continue;
    const text = textOf(message.content);
    promptTokens += countWords(text);
    if (message.role === 'user') lastUserText = text;
    lastRole = message.role;
    lastText = text;
  }
  const tools = Array.isArray(body.tools)
    ? body.tools.flatMap((tool) => (isRecord(tool) && isRecord(tool.function) && typeof tool.function.name === 'string' ? [tool.function.name] : []))
    : [];
  const choice = body.tool_choice;
  let toolMode: Conversation['toolMode'] = 'auto';
  let forcedTool: string | undefined;
  if (choice === 'none') toolMode = 'none';
  else if (choice === 'required') toolMode = 'required';
  else if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') forcedTool = choice.function.name;
  return {
    promptTokens,
    lastUserText,
    toolResult: lastRole === 'tool' ? lastText : undefined,
    tools,
    toolMode,
    forcedTool,
    maxTokens: maxTokensOf(body),
    stop: stopList(body.stop),
    thinking: typeof body.model === 'string' && body.model.includes('thinking'),
  };
}

function usage(conversation: Conversation, reply: Reply) {
  return { prompt_tokens: conversation.promptTokens, completion_tokens: reply.completionTokens, total_tokens: conversation.promptTokens + reply.completionTokens };
}

/** Checks what every POST route needs; returns the body or the error to answer. */
function validated(body: unknown): { body: Record<string, unknown>; model: string } | { error: WireResponse } {
  if (!isRecord(body)) return { error: errorResponse(400, 'The request body must be a JSON object.') };
  if (typeof body.model !== 'string' || body.model === '') return { error: errorResponse(400, 'you must provide a model parameter', 'model') };
  if (body.stream !== true && body.stream_options !== undefined && body.stream_options !== null) {
    return { error: errorResponse(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options') };
  }
  return { body, model: body.model };
}

function chatCompletions({ seq, body: raw }: WireRequest): WireResponse {
  const checked = validated(raw);
  if ('error' in checked) return checked.error;
  const { body, model } = checked;
  if (!Array.isArray(body.messages) || body.messages.length === 0) return errorResponse(400, "'messages' must be a non-empty array.", 'messages');
  const conversation = openAIConversation(body, body.messages);
  const reply = planReply(conversation, seq);
  const id = `chatcmpl-fake-${seq}`;
  const created = nowSeconds();
  const text = reply.words.join(' ');
  const toolCalls = reply.toolCall ? [{ id: reply.toolCall.id, type: 'function', function: { name: reply.toolCall.name, arguments: reply.toolCall.arguments } }] : undefined;

  if (body.stream !== true) {
    let content: unknown = text;
    if (reply.thinking) content = reply.toolCall ? [{ type: 'thinking', thinking: reply.thinking.join(' ') }] : [{ type: 'thinking', thinking: reply.thinking.join(' ') }, { type: 'text', text }];
    else if (reply.toolCall) content = null;
    return json(200, {
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: null,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, logprobs: null, finish_reason: reply.finish }],
      usage: usage(conversation, reply),
    });
  }

  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  // Every chunk shares all but its delta: serialise the rest once (the benchmark's upstream must be cheap).
  const head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":[{"index":0,"delta":`;
  const tail = `${includeUsage ? ',"usage":null' : ''}}\n\n`;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
    `${head}${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? 'null' : JSON.stringify(finish)}}]${tail}`;
  const frames: string[] = [chunk(reply.thinking ? { role: 'assistant' } : { role: 'assistant', content: '', refusal: null })];
  reply.thinking?.forEach((word, i) => frames.push(chunk({ content: [{ type: 'thinking', thinking: i === 0 ? word : ` ${word}` }] })));
  reply.words.forEach((word, i) => {
    const piece = i === 0 ? word : ` ${word}`;
    frames.push(chunk({ content: reply.thinking ? [{ type: 'text', text: piece }] : piece }));
  });
  if (reply.toolCall) {
    const call = reply.toolCall;
    frames.push(chunk({ tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
    for (const piece of halves(call.arguments)) frames.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
  }
  frames.push(chunk({}, reply.finish));
  if (includeUsage) frames.push(frame({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [], usage: usage(conversation, reply) }));
  frames.push(DONE);
  return { type: 'stream', frames };
}

function completions({ seq, body: raw }: WireRequest): WireResponse {
  const checked = validated(raw);
  if ('error' in checked) return checked.error;
  const { body, model } = checked;
  const prompt = typeof body.prompt === 'string' ? body.prompt : Array.isArray(body.prompt) && body.prompt.every((p) => typeof p === 'string') ? body.prompt.join(' ') : undefined;
  if (prompt === undefined) return errorResponse(400, "'prompt' must be a string or an array of strings.", 'prompt');
  const conversation: Conversation = {
    promptTokens: countWords(prompt),
    lastUserText: prompt,
    toolResult: undefined,
    tools: [],
    toolMode: 'none',
    forcedTool: undefined,
    maxTokens: maxTokensOf(body),
    stop: stopList(body.stop),
    thinking: false,
  };
  const reply = planReply(conversation, seq);
  const id = `cmpl-fake-${seq}`;
  const created = nowSeconds();
  if (body.stream !== true) {
    return json(200, {
      id,
      object: 'text_completion',
      created,
      model,
      choices: [{ index: 0, text: reply.words.join(' '), logprobs: null, finish_reason: reply.finish }],
      usage: usage(conversation, reply),
    });
  }
  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  const chunk = (text: string, finish: string | null): string =>
    frame({ id, object: 'text_completion', created, model, choices: [{ index: 0, text, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) });
  const frames = reply.words.map((word, i) => chunk(i === 0 ? word : ` ${word}`, null));
  frames.push(chunk('', reply.finish));
  if (includeUsage) frames.push(frame({ id, object: 'text_completion', created, model, choices: [], usage: usage(conversation, reply) }));
  frames.push(DONE);
  return { type: 'stream', frames };
}

function embeddings({ body: raw }: WireRequest): WireResponse {
  const checked = validated(raw);
  if ('error' in checked) return checked.error;
  const { body } = checked;
  const input = body.input;
  let texts: string[];
  let promptTokens = 0;
  if (typeof input === 'string') texts = [input];
  else if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string')) texts = input as string[];
  else if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'number')) {
    texts = [input.join(' ')];
    promptTokens = input.length;
  } else if (Array.isArray(input) && input.length > 0 && input.every((item) => Array.isArray(item) && item.every((t) => typeof t === 'number'))) {
    texts = (input as number[][]).map((tokens) => tokens.join(' '));
    promptTokens = (input as number[][]).reduce((sum, tokens) => sum + tokens.length, 0);
  } else return errorResponse(400, "'input' must be a string, an array of strings or token arrays, and not empty.", 'input');
  if (promptTokens === 0) for (const text of texts) promptTokens += countWords(text);
  const dimensions = body.dimensions === undefined ? DEFAULT_EMBEDDING_DIMENSIONS : body.dimensions;
  if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > 4096) return errorResponse(400, "'dimensions' must be an integer from 1 to 4096.", 'dimensions');
  const base64 = body.encoding_format === 'base64';
  return json(200, {
    object: 'list',
    data: texts.map((text, index) => {
      const vector = embeddingFor(text, dimensions);
      return { object: 'embedding', index, embedding: base64 ? embeddingBase64(vector) : vector };
    }),
    model: body.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  });
}

const MODEL_CREATED = 1_700_000_000;

export function openAIWire(models: readonly string[] = DEFAULT_OPENAI_MODELS): Wire {
  const modelObject = (id: string) => ({ id, object: 'model', created: MODEL_CREATED, owned_by: 'fake-upstream' });
  return {
    kind: 'openai',
    route: routeTable({
      'POST /v1/chat/completions': chatCompletions,
      'POST /v1/completions': completions,
      'POST /v1/embeddings': embeddings,
      'GET /v1/models': () => json(200, { object: 'list', data: models.map(modelObject) }),
      'GET /v1/models/*': ({ param }) =>
        param !== undefined && models.includes(param)
          ? json(200, modelObject(param))
          : errorResponse(404, `The model '${param ?? ''}' does not exist`, 'model', 'model_not_found'),
    }),
    authorize(headers: IncomingHttpHeaders, apiKey: string | undefined) {
      if (apiKey === undefined || headers.authorization === `Bearer ${apiKey}`) return undefined;
      return errorResponse(401, headers.authorization ? 'Incorrect API key provided.' : "You didn't provide an API key.", null, 'invalid_api_key');
    },
    errorResponse: (status, message, param = null) => errorResponse(status, message, param),
    streamErrorFrame: () => frame({ error: { message: 'The fake upstream failed mid-stream.', type: 'server_error', param: null, code: null } }),
    malformedFrame: () => 'data: {"choices": [oops\n\n',
    describe: describeBody,
  };
}
