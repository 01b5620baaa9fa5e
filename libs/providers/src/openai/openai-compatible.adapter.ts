import type { CallSignal } from '../cancellation';
import { isJsonResponse, isOk, parseJson, readJson, readJsonText, throwUnlessOk, type UpstreamBody, type UpstreamHttp } from '../http/upstream-http';
import {
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatStream,
  type ChunkReader,
  type Completion,
  type CompletionRequest,
  type CompletionStream,
  type DeploymentTarget,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  type ProviderAdapter,
  UpstreamError,
  type Usage,
} from '../types';
import { estimatedUsage, isMeterableUsage, messageCharacters, promptCharacters } from '../usage-estimate';
import { openAIStreamItems, OpenAIStreamReader, UPSTREAM_JSON, type StreamAccounting, type StreamItem } from './openai-stream';

const JSON_TYPE = 'application/json';
const EVENT_STREAM = 'text/event-stream';

function headersFor(target: DeploymentTarget, accept: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': JSON_TYPE, accept };
  if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
  if (target.headers) Object.assign(headers, target.headers);
  return headers;
}

type StreamableRequest = ChatCompletionRequest | CompletionRequest;

/** The body for a non-streaming call: the upstream's model name, and no stream fields. */
export function nonStreamingBody<R extends StreamableRequest>(request: R, upstreamModel: string): R {
  if (request.stream === undefined && request.stream_options === undefined) return { ...request, model: upstreamModel };
  // One copy; JSON.stringify leaves the undefined fields out.
  return { ...request, model: upstreamModel, stream: undefined, stream_options: undefined };
}

/** The body for a streaming call: always `stream_options.include_usage` so the last chunk carries usage. */
export function streamingBody<R extends StreamableRequest>(request: R, upstreamModel: string): R {
  return { ...request, model: upstreamModel, stream: true, stream_options: { ...request.stream_options, include_usage: true } };
}

/** The answer as the upstream wrote it, for forwarding (see UPSTREAM_JSON): only while nothing but its model will change. */
function keepUpstreamJson(answer: object, text: string): void {
  (answer as { [UPSTREAM_JSON]?: string })[UPSTREAM_JSON] = text;
}

function usageOrEstimate(usage: Usage | undefined, promptChars: () => number, outputChars: () => number): Usage {
  return isMeterableUsage(usage) ? usage : estimatedUsage(promptChars(), outputChars());
}

function completionOutputCharacters(completion: Completion): number {
  return completion.choices.reduce((sum, choice) => sum + choice.text.length, 0);
}

function chatOutputCharacters(completion: ChatCompletion): number {
  let characters = 0;
  for (const choice of completion.choices) {
    const content = choice.message.content;
    if (typeof content === 'string') characters += content.length;
    else if (content !== null) for (const part of content) characters += part.type === 'text' ? part.text.length : part.type === 'thinking' ? part.thinking.length : 0;
    if (choice.message.tool_calls) for (const call of choice.message.tool_calls) characters += call.function.arguments.length;
  }
  return characters;
}

function chatAccounting(request: ChatCompletionRequest): StreamAccounting<ChatCompletionChunk> {
  return {
    outputCharacters(chunk) {
      let characters = 0;
      for (const choice of chunk.choices) {
        const content = choice.delta.content;
        if (typeof content === 'string') characters += content.length;
        else if (content) for (const part of content) characters += part.type === 'text' ? part.text.length : part.type === 'thinking' ? part.thinking.length : 0;
        if (choice.delta.tool_calls) for (const call of choice.delta.tool_calls) characters += call.function?.arguments?.length ?? 0;
      }
      return characters;
    },
    usageItem(last, outputCharacters) {
      return { id: last.id, object: 'chat.completion.chunk', created: last.created, model: last.model, choices: [], usage: estimatedUsage(messageCharacters(request.messages), outputCharacters) };
    },
  };
}

function completionAccounting(request: CompletionRequest): StreamAccounting<Completion> {
  return {
    outputCharacters(item) {
      let characters = 0;
      for (const choice of item.choices) characters += choice.text.length;
      return characters;
    },
    usageItem(last, outputCharacters) {
      return { id: last.id, object: 'text_completion', created: last.created, model: last.model, choices: [], usage: estimatedUsage(promptCharacters(request.prompt), outputCharacters) };
    },
  };
}

/** An upstream that answered a stream request with one JSON completion: replay it as chunks. */
export function chunksFromCompletion(completion: ChatCompletion): ChatCompletionChunk[] {
  const base = { id: completion.id, object: 'chat.completion.chunk' as const, created: completion.created, model: completion.model };
  const chunks: ChatCompletionChunk[] = completion.choices.map((choice) => ({
    ...base,
    choices: [
      {
        index: choice.index,
        delta: { role: 'assistant', content: choice.message.content, ...(choice.message.tool_calls ? { tool_calls: choice.message.tool_calls.map((call, index) => ({ ...call, index })) } : {}) },
        finish_reason: null,
      },
    ],
  }));
  for (const choice of completion.choices) chunks.push({ ...base, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason ?? 'stop' }] });
  if (completion.usage) chunks.push({ ...base, choices: [], usage: completion.usage });
  return chunks;
}

function embeddingInputCharacters(input: EmbeddingsRequest['input']): number {
  if (typeof input === 'string') return input.length;
  let characters = 0;
  // Token-id arrays count four characters per id, so the estimate gives one token per id.
  for (const item of input) characters += typeof item === 'string' ? item.length : typeof item === 'number' ? 4 : item.length * 4;
  return characters;
}

/**
 * A streamed body as chunks one by one or through a reader, whichever the caller reads (one of
 * them: they share the body). A class rather than an object literal with a getter: that would be
 * a closure made per stream, and a closure made per upstream exchange kept its objects alive
 * through scavenges (see Exchange in upstream-http.ts).
 */
class OpenAIStream<T extends StreamItem> {
  constructor(
    private readonly body: UpstreamBody,
    private readonly signal: CallSignal,
    private readonly accounting: StreamAccounting<T>,
  ) {}

  get chunks(): AsyncIterable<T> {
    return openAIStreamItems(this.body, this.signal, this.accounting);
  }

  reader(): ChunkReader<T> {
    return new OpenAIStreamReader(this.body, this.signal, this.accounting);
  }
}

async function* replay<T>(items: T[]): AsyncGenerator<T, void, undefined> {
  yield* items;
}

function expectChoices<T extends { choices?: unknown }>(value: T): T {
  if (typeof value !== 'object' || value === null || !Array.isArray(value.choices)) {
    throw new UpstreamError('protocol', 'Upstream answered 2xx without a choices array');
  }
  return value;
}

/**
 * OpenAI's wire format, spoken by OpenAI, vLLM, Ollama, llama.cpp server, Groq and the platform's
 * own inference service: requests pass through with the upstream's model name (and, for streams,
 * `stream_options.include_usage`), responses come back as they are.
 */
export class OpenAICompatibleAdapter implements ProviderAdapter {
  readonly type = 'openai-compatible' as const;

  constructor(private readonly http: UpstreamHttp) {}

  async chat(request: ChatCompletionRequest, target: DeploymentTarget, signal: CallSignal): Promise<ChatCompletion> {
    const body = JSON.stringify(nonStreamingBody(request, target.upstreamModel));
    const response = await this.http.post(target, '/chat/completions', headersFor(target, JSON_TYPE), body, signal);
    const read = readJsonText(response, signal);
    const text = typeof read === 'string' ? read : await read;
    const completion = expectChoices(parseJson<ChatCompletion>(text, signal));
    if (isMeterableUsage(completion.usage)) keepUpstreamJson(completion, text);
    else completion.usage = estimatedUsage(messageCharacters(request.messages), chatOutputCharacters(completion));
    return completion;
  }

  async chatStream(request: ChatCompletionRequest, target: DeploymentTarget, signal: CallSignal): Promise<ChatStream> {
    const body = JSON.stringify(streamingBody(request, target.upstreamModel));
    const response = await this.http.post(target, '/chat/completions', headersFor(target, EVENT_STREAM), body, signal);
    if (!isOk(response)) await throwUnlessOk(response, signal);
    if (isJsonResponse(response)) {
      const completion = expectChoices(await readJson<ChatCompletion>(response, signal));
      completion.usage = usageOrEstimate(completion.usage, () => messageCharacters(request.messages), () => chatOutputCharacters(completion));
      return { chunks: replay(chunksFromCompletion(completion)) };
    }
    return new OpenAIStream(response.body, signal, chatAccounting(request));
  }

  async completion(request: CompletionRequest, target: DeploymentTarget, signal: CallSignal): Promise<Completion> {
    const body = JSON.stringify(nonStreamingBody(request, target.upstreamModel));
    const response = await this.http.post(target, '/completions', headersFor(target, JSON_TYPE), body, signal);
    const read = readJsonText(response, signal);
    const text = typeof read === 'string' ? read : await read;
    const completion = expectChoices(parseJson<Completion>(text, signal));
    if (isMeterableUsage(completion.usage)) keepUpstreamJson(completion, text);
    else completion.usage = estimatedUsage(promptCharacters(request.prompt), completionOutputCharacters(completion));
    return completion;
  }

  async completionStream(request: CompletionRequest, target: DeploymentTarget, signal: CallSignal): Promise<CompletionStream> {
    const body = JSON.stringify(streamingBody(request, target.upstreamModel));
    const response = await this.http.post(target, '/completions', headersFor(target, EVENT_STREAM), body, signal);
    if (!isOk(response)) await throwUnlessOk(response, signal);
    if (isJsonResponse(response)) {
      const completion = expectChoices(await readJson<Completion>(response, signal));
      const items: Completion[] = [{ ...completion, usage: undefined }];
      const usage = usageOrEstimate(completion.usage, () => promptCharacters(request.prompt), () => completionOutputCharacters(completion));
      items.push({ id: completion.id, object: 'text_completion', created: completion.created, model: completion.model, choices: [], usage });
      return { chunks: replay(items) };
    }
    return new OpenAIStream(response.body, signal, completionAccounting(request));
  }

  async embeddings(request: EmbeddingsRequest, target: DeploymentTarget, signal: CallSignal): Promise<EmbeddingsResponse> {
    const body = JSON.stringify({ ...request, model: target.upstreamModel });
    const response = await this.http.post(target, '/embeddings', headersFor(target, JSON_TYPE), body, signal);
    const result = await readJson<EmbeddingsResponse>(response, signal);
    if (typeof result !== 'object' || result === null || !Array.isArray(result.data)) {
      throw new UpstreamError('protocol', 'Upstream answered 2xx without an embeddings data array');
    }
    if (!isMeterableUsage({ completion_tokens: 0, ...result.usage })) {
      const { prompt_tokens } = estimatedUsage(embeddingInputCharacters(request.input), 0);
      result.usage = { prompt_tokens, total_tokens: prompt_tokens };
    }
    return result;
  }
}
