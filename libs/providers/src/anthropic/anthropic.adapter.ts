import type { CallSignal } from '../cancellation';
import { readerChunks } from '../chunk-reader';
import { isOk, readJson, throwUnlessOk, type UpstreamBody, type UpstreamHttp } from '../http/upstream-http';
import type { SseEvent } from '../sse/sse-parser';
import { SseStreamReader } from '../sse/sse-stream-reader';
import {
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatStream,
  type ChunkReader,
  type Completion,
  type CompletionStream,
  type DeploymentTarget,
  type EmbeddingsResponse,
  type ProviderAdapter,
  UpstreamError,
} from '../types';
import { notSupported, toAnthropicRequest } from './anthropic-request';
import { fromAnthropicResponse } from './anthropic-response';
import { AnthropicStreamTranslator } from './anthropic-stream';
import type { AnthropicResponse, AnthropicStreamEvent } from './anthropic.wire';

export const ANTHROPIC_VERSION = '2023-06-01';

function headersFor(target: DeploymentTarget, accept: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept, 'anthropic-version': ANTHROPIC_VERSION };
  if (target.apiKey) headers['x-api-key'] = target.apiKey;
  if (target.headers) Object.assign(headers, target.headers); // e.g. anthropic-beta, or another anthropic-version
  return headers;
}

/** `{baseUrl}/v1/messages`, also when the configured base URL already ends in /v1. */
export function messagesPath(baseUrl: string): string {
  return /\/v1\/?$/.test(baseUrl) ? '/messages' : '/v1/messages';
}

function parseEvent(event: SseEvent): AnthropicStreamEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.data);
  } catch (error) {
    throw new UpstreamError('protocol', `Anthropic sent a malformed stream event: ${event.data.slice(0, 200)}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { type?: unknown }).type !== 'string') {
    throw new UpstreamError('protocol', `Anthropic sent a stream event without a type: ${event.data.slice(0, 200)}`);
  }
  return parsed as AnthropicStreamEvent;
}

/** Anthropic SSE → OpenAI chunks (see AnthropicStreamTranslator for the shape), read as SseStreamReader reads. */
class AnthropicStreamReader extends SseStreamReader<ChatCompletionChunk> {
  constructor(
    body: UpstreamBody,
    signal: CallSignal,
    private readonly translator: AnthropicStreamTranslator,
  ) {
    super(body, signal);
  }

  protected event(event: SseEvent, batch: ChatCompletionChunk[]): void {
    const chunk = this.translator.translate(parseEvent(event));
    if (chunk !== undefined) batch.push(chunk);
  }

  protected end(): void {
    if (!this.translator.complete) throw new UpstreamError('protocol', 'The Anthropic stream ended before message_stop');
  }
}

/** A started Anthropic stream: its chunks one by one or through its reader (one of them: they share the body). */
class AnthropicStream implements ChatStream {
  constructor(
    private readonly body: UpstreamBody,
    private readonly signal: CallSignal,
    private readonly upstreamModel: string,
  ) {}

  get chunks(): AsyncIterable<ChatCompletionChunk> {
    return readerChunks(this.reader());
  }

  reader(): ChunkReader<ChatCompletionChunk> {
    return new AnthropicStreamReader(this.body, this.signal, new AnthropicStreamTranslator(this.upstreamModel));
  }
}

/**
 * Anthropic's Messages API behind the OpenAI chat format, both ways (see anthropic-request.ts,
 * anthropic-response.ts and anthropic-stream.ts). Anthropic has no legacy completions and no
 * embeddings: those calls fail with a client_error before anything is sent.
 */
export class AnthropicAdapter implements ProviderAdapter {
  readonly type = 'anthropic' as const;

  constructor(private readonly http: UpstreamHttp) {}

  async chat(request: ChatCompletionRequest, target: DeploymentTarget, signal: CallSignal): Promise<ChatCompletion> {
    const body = JSON.stringify(toAnthropicRequest(request, target, false));
    const response = await this.http.post(target, messagesPath(target.baseUrl), headersFor(target, 'application/json'), body, signal);
    const message = await readJson<AnthropicResponse>(response, signal);
    if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
      throw new UpstreamError('protocol', 'Anthropic answered 2xx without a content array');
    }
    return fromAnthropicResponse(message);
  }

  async chatStream(request: ChatCompletionRequest, target: DeploymentTarget, signal: CallSignal): Promise<ChatStream> {
    const body = JSON.stringify(toAnthropicRequest(request, target, true));
    const response = await this.http.post(target, messagesPath(target.baseUrl), headersFor(target, 'text/event-stream'), body, signal);
    if (!isOk(response)) await throwUnlessOk(response, signal);
    return new AnthropicStream(response.body, signal, target.upstreamModel);
  }

  async completion(): Promise<Completion> {
    throw notSupported('Anthropic deployments do not support legacy completions: use /v1/chat/completions');
  }

  async completionStream(): Promise<CompletionStream> {
    throw notSupported('Anthropic deployments do not support legacy completions: use /v1/chat/completions');
  }

  async embeddings(): Promise<EmbeddingsResponse> {
    throw notSupported('Anthropic deployments do not support embeddings');
  }
}
