/**
 * The one interface between the router and model providers. The router speaks the OpenAI wire
 * format to clients; an adapter translates it to one provider's API and back. Adding Gemini or
 * Bedrock means one new file implementing ProviderAdapter, registered in `adapters.ts`.
 */
import type { CallSignal } from './cancellation';

// ---- OpenAI wire types the router validates and adapters consume/produce ----------------------

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  /** Only in assistant content from thinking models (seed 004's content-array shape). */
  | { type: 'thinking'; thinking: string; signature?: string };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A streamed piece of a tool call: the first carries id, type and name; later ones append to `arguments`. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatMessage {
  role: ChatRole;
  content: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** POST /v1/chat/completions after validation. `model` is the upstream model name by the time an adapter sees it. */
export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  n?: number;
  stop?: string | string[];
  presence_penalty?: number;
  frequency_penalty?: number;
  seed?: number;
  user?: string;
  tools?: ToolDefinition[];
  tool_choice?: 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };
  response_format?: { type: 'text' | 'json_object' | 'json_schema'; json_schema?: Record<string, unknown> };
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  /** Thinking models: budget for the reasoning step (Anthropic `thinking.budget_tokens`). */
  reasoning_effort?: 'low' | 'medium' | 'high';
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | null;

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | ContentPart[] | null; tool_calls?: ToolCall[]; refusal?: string | null };
    finish_reason: FinishReason;
    logprobs?: null;
  }>;
  usage?: Usage;
  system_fingerprint?: string | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant';
      /** A string for text; thinking models stream `[{type:'thinking',thinking}]` / `[{type:'text',text}]` parts (seed 004). */
      content?: string | ContentPart[] | null;
      tool_calls?: ToolCallDelta[];
    };
    finish_reason: FinishReason;
    logprobs?: null;
  }>;
  /** Present (with empty choices) on the last chunk when usage was asked for. */
  usage?: Usage | null;
}

/** POST /v1/completions (legacy) after validation. */
export interface CompletionRequest {
  model: string;
  prompt: string | string[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  n?: number;
  stop?: string | string[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  user?: string;
}

export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{ index: number; text: string; finish_reason: FinishReason; logprobs: null }>;
  usage?: Usage;
}

export interface EmbeddingsRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

// ---- Deployments and adapters ------------------------------------------------------------------

export type ProviderType = 'openai-compatible' | 'anthropic';

/** Where and how one deployment of a model is called (resolved from the catalog). */
export interface DeploymentTarget {
  /** Catalog id of the deployment, for logs, metrics and the route header. */
  id: string;
  provider: ProviderType;
  /** e.g. https://api.openai.com/v1, http://vllm:8000/v1, https://api.anthropic.com */
  baseUrl: string;
  /** The provider's name for the model. */
  upstreamModel: string;
  /** The credential's value (resolved from an env var or a mounted secret), never logged. */
  apiKey?: string;
  /** Whole-call timeout; for streams, the time allowed until the first byte, then between bytes. */
  timeoutMs: number;
  /** Extra headers the provider needs (e.g. anthropic-version), non-secret. */
  headers?: Record<string, string>;
  /**
   * `max_tokens` to send when the request has none and the provider requires one (Anthropic);
   * usually the model's max output tokens from the catalog. Adapters fall back to 4096.
   */
  defaultMaxTokens?: number;
}

/** Why an upstream call failed; the router retries and falls back on `retryable` ones. */
export type UpstreamFailureKind = 'connect' | 'timeout' | 'rate_limited' | 'server_error' | 'client_error' | 'protocol' | 'aborted';

/** The OpenAI error shape: `{"error": {"message", "type", "param", "code"}}`. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface UpstreamErrorOptions {
  /** HTTP status the upstream answered, when it answered. */
  status?: number;
  /** From the upstream's Retry-After (or retry-after-ms), when given. */
  retryAfterMs?: number;
  /**
   * The upstream's error body normalised to the OpenAI shape: always for HTTP errors (client
   * errors are passed through to the caller with it), and for errors reported inside a stream.
   */
  body?: OpenAIErrorBody;
  /** The underlying error (socket error, JSON syntax error, ...), for logs. */
  cause?: unknown;
}

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailureKind,
    message: string,
    readonly options: UpstreamErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UpstreamError';
  }

  /** Connection errors, timeouts, 429 and 5xx are worth another try (same or other deployment). */
  get retryable(): boolean {
    return this.kind === 'connect' || this.kind === 'timeout' || this.kind === 'rate_limited' || this.kind === 'server_error';
  }
}

/**
 * A started stream: the upstream accepted the request (status 2xx received). Stopping the
 * iteration early closes the upstream connection; to drop a stream that will never be iterated,
 * abort the signal given to chatStream.
 */
export interface ChatStream {
  /** OpenAI chunks in order; ends after the last one. Throws UpstreamError on a mid-stream failure. */
  readonly chunks: AsyncIterable<ChatCompletionChunk>;
  /**
   * The same chunks through a reader, when the adapter can give them so (see ChunkReader). Read
   * either this or `chunks`, not both: they share one response body.
   */
  reader?(): ChunkReader<ChatCompletionChunk>;
}

export interface CompletionStream {
  readonly chunks: AsyncIterable<Completion & { object: 'text_completion' }>;
  /** As ChatStream's. */
  reader?(): ChunkReader<Completion & { object: 'text_completion' }>;
}

/**
 * A stream's chunks in batches — those that arrived together — read without an iterator: `read`
 * answers at once, without a promise or a turn of the event loop, when the upstream's bytes are
 * already here (for a fast upstream, often the whole stream), and with a promise only when it
 * must wait. An async iterator pays two or more promise turns per step, at every layer it is
 * nested in, whether or not anything had to wait.
 */
export interface ChunkReader<T> {
  /**
   * The next batch (never empty), or null after the last. Throws — or rejects with, when it had
   * to wait — UpstreamError on a failure, after the chunks that arrived before it; once it has
   * thrown, it answers null.
   */
  read(): readonly T[] | null | Promise<readonly T[] | null>;
  /** Stops early (the client went away): the upstream connection closes unless its body is complete. A no-op after the end. */
  cancel(): void;
}

/**
 * A provider's calls. The request is the client's, as validated: adapters send
 * `target.upstreamModel` rather than its `model`, and set the stream fields themselves (the
 * streaming calls always ask for usage, the others never stream).
 */
export interface ProviderAdapter {
  readonly type: ProviderType;
  /** Non-streaming chat; resolves with the OpenAI-shape completion (usage always filled). */
  chat(request: ChatCompletionRequest, target: DeploymentTarget, signal: CallSignal): Promise<ChatCompletion>;
  /**
   * Streaming chat. Resolves once the upstream has accepted the request, so failures before the
   * first byte can still be retried or fall back; always asks the upstream for usage
   * (`stream_options.include_usage` or the provider's equivalent) so the last chunk carries it.
   */
  chatStream(request: ChatCompletionRequest, target: DeploymentTarget, signal: CallSignal): Promise<ChatStream>;
  /** Legacy completions; adapters whose provider has none throw UpstreamError('client_error'). */
  completion(request: CompletionRequest, target: DeploymentTarget, signal: CallSignal): Promise<Completion>;
  completionStream(request: CompletionRequest, target: DeploymentTarget, signal: CallSignal): Promise<CompletionStream>;
  /** Embeddings; adapters whose provider has none throw UpstreamError('client_error'). */
  embeddings(request: EmbeddingsRequest, target: DeploymentTarget, signal: CallSignal): Promise<EmbeddingsResponse>;
}
