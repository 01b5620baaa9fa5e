import type { ServerResponse } from 'node:http';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiKeyGuard, type AuthenticatedPrincipal, type Scope } from '@vectorstack/auth-guard';
import { ApiError, endAtTurnEnd, HotRoutes, parseOrThrow, type HotHeaders, type HotRequest } from '@vectorstack/http';
import { createLogger } from '@vectorstack/observability';
import { Cancellation, readerOf, UpstreamError, withModel, type CallSignal, type ChunkReader, type Completion, type DeploymentTarget, type ProviderAdapter, type Usage } from '@vectorstack/providers';
import { rateLimitHeaders, type RateLimitResult } from '@vectorstack/ratelimit';
import type { CatalogEntry } from '../catalog/catalog-entry';
import { ROUTER_SERVICE } from '../service.definition';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway.config';
import { fastChatBody } from './fast-chat-body';
import { chatCompletionRequestSchema, completionRequestSchema, embeddingsRequestSchema } from './gateway.schemas';
import { GatewayService, type Endpoint, type GatewayCall, type Served } from './gateway.service';
import { timeToFirstToken } from './gateway.metrics';
import { MODEL_ROUTES, type ModelRoute } from './model-routes';
import { SseWriter } from './sse-writer';
import { chatPromptTokens, completionPromptTokens, embeddingsInputTokens } from './token-count';

/** What a streamed upstream answer yields, reduced to what the gateway needs to forward and meter. */
type StreamChunk = { model: string; choices: readonly unknown[]; usage?: Usage | null };

interface Plan<TJson, TChunk extends StreamChunk> {
  readonly endpoint: Endpoint;
  readonly model: string;
  readonly streamed: boolean;
  readonly includeUsage: boolean;
  readonly maxTokens?: { value: number | undefined; param: string };
  readonly promptTokens: () => number;
  readonly json: (adapter: ProviderAdapter, target: DeploymentTarget, signal: CallSignal) => Promise<TJson & { model: string; usage?: Usage }>;
  readonly stream?: (adapter: ProviderAdapter, target: DeploymentTarget, signal: CallSignal) => Promise<Streamed<TChunk>>;
}

/** A started stream: its chunks, and a reader of them when the adapter has one (the relay reads through readerOf). */
interface Streamed<TChunk> {
  readonly chunks: AsyncIterable<TChunk>;
  reader?(): ChunkReader<TChunk>;
}

/** The cancellation of the request a response answers (see `serve`). */
const CANCELLATION = Symbol('cancellation');
type CancellableResponse = ServerResponse & { [CANCELLATION]?: Cancellation };

/** A response's 'close' before it finished: the client went away, so the upstream call is cancelled. */
function abortUnlessFinished(this: CancellableResponse): void {
  if (!this.writableFinished) this[CANCELLATION]?.abort();
}

/** nginx's "client closed request": what the usage record says when the client left early. */
const STATUS_CLIENT_CLOSED = 499;

type ModelHandler = (principal: AuthenticatedPrincipal, request: HotRequest, response: ServerResponse) => Promise<void>;

/**
 * The OpenAI-compatible model routes: POST /v1/chat/completions (and the seeds' alias
 * /v1/chat), /v1/completions and /v1/embeddings. Each request: the shared key guard → body
 * validation → model access and fallbacks → the rate-limit reservation → the route through
 * deployments → the response with x-request-id, openai-processing-ms, the rate-limit headers and
 * x-vectorstack-route → the usage event (buffered, never delaying the response).
 *
 * They are the router's hot path, so they are served on plain node:http by HotRoutes, ahead of
 * the Nest application on the same port, rather than by a Nest controller or a Fastify instance
 * (whose per-request machinery cost more CPU than the gateway's own work; see HotRoutes). The
 * same ApiKeyGuard decides (`authorize`, with each route's scope), errors take the same OpenAI
 * shape as the platform's exception filter, and the platform's request id, service header and
 * request metric apply as to every route. Instead of pino-http's line per request they log a
 * failed request (with its redacted headers) at info and a successful one at debug; what they
 * log about a request (a rerouted call, a failed stream) names its request id.
 */
@Injectable()
export class GatewayRoutes implements OnModuleInit, BeforeApplicationShutdown {
  private readonly requestLog = createLogger('router');
  private readonly logger = new Logger('Gateway');
  private readonly hot: HotRoutes;

  constructor(
    private readonly gateway: GatewayService,
    private readonly guard: ApiKeyGuard,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.hot = new HotRoutes(ROUTER_SERVICE.name, config, this.requestLog);
  }

  onModuleInit(): void {
    const handlers: Record<ModelRoute['handler'], ModelHandler> = { chat: this.chat, completions: this.completions, embeddings: this.embeddings };
    this.hot.attach(
      this.adapterHost.httpAdapter.getHttpServer(),
      MODEL_ROUTES.map((route) => {
        const handler = handlers[route.handler];
        const guarded = { scopes: [route.scope] } as const;
        return { method: route.method, path: route.path, handler: (request, response) => this.handle(guarded, handler, request, response) };
      }),
    );
  }

  /** Before the server drains: new requests for the model routes get 503 (Connection: close), as the application's do. */
  beforeApplicationShutdown(): void {
    this.hot.close();
  }

  /**
   * The key guard, then the handler (HotRoutes answers what they throw or reject with). Not an
   * async function: the guard decides without a promise when its cache holds the key (nearly
   * always), and the handler's promise is the request's.
   */
  private handle(guarded: { readonly scopes: readonly Scope[] }, handler: ModelHandler, request: HotRequest, response: ServerResponse): Promise<void> {
    const principal = this.guard.authorize(request.headers, request, guarded);
    if (principal instanceof Promise) return principal.then((resolved) => handler.call(this, resolved, request, response));
    return handler.call(this, principal, request, response);
  }

  chat(principal: AuthenticatedPrincipal, request: HotRequest, response: ServerResponse): Promise<void> {
    const chat = fastChatBody(request.body) ?? parseOrThrow(chatCompletionRequestSchema, request.body);
    const maxParam = chat.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
    return this.serve(principal, request, response, {
      endpoint: '/v1/chat/completions',
      model: chat.model,
      streamed: chat.stream === true,
      includeUsage: chat.stream_options?.include_usage === true,
      maxTokens: { value: chat.max_completion_tokens ?? chat.max_tokens, param: maxParam },
      promptTokens: () => chatPromptTokens(chat),
      json: (adapter, target, signal) => adapter.chat(chat, target, signal),
      stream: (adapter, target, signal) => adapter.chatStream(chat, target, signal),
    });
  }

  async completions(principal: AuthenticatedPrincipal, request: HotRequest, response: ServerResponse): Promise<void> {
    const completion = parseOrThrow(completionRequestSchema, request.body);
    await this.serve<Completion, Completion>(principal, request, response, {
      endpoint: '/v1/completions',
      model: completion.model,
      streamed: completion.stream === true,
      includeUsage: completion.stream_options?.include_usage === true,
      maxTokens: { value: completion.max_tokens, param: 'max_tokens' },
      promptTokens: () => completionPromptTokens(completion),
      json: (adapter, target, signal) => adapter.completion(completion, target, signal),
      stream: (adapter, target, signal) => adapter.completionStream(completion, target, signal),
    });
  }

  async embeddings(principal: AuthenticatedPrincipal, request: HotRequest, response: ServerResponse): Promise<void> {
    const embeddings = parseOrThrow(embeddingsRequestSchema, request.body);
    await this.serve(principal, request, response, {
      endpoint: '/v1/embeddings',
      model: embeddings.model,
      streamed: false,
      includeUsage: false,
      promptTokens: () => embeddingsInputTokens(embeddings),
      json: async (adapter, target, signal) => {
        const result = await adapter.embeddings(embeddings, target, signal);
        return { ...result, usage: { prompt_tokens: result.usage.prompt_tokens, completion_tokens: 0, total_tokens: result.usage.total_tokens } };
      },
    });
  }

  private async serve<TJson, TChunk extends StreamChunk>(
    principal: AuthenticatedPrincipal,
    request: HotRequest,
    response: ServerResponse,
    plan: Plan<TJson, TChunk>,
  ): Promise<void> {
    const { entry, chain } = this.gateway.chainFor(principal, plan.model);
    if (plan.maxTokens) this.gateway.assertMaxTokens(entry, plan.maxTokens.value, plan.maxTokens.param);
    const reservedTokens = plan.promptTokens() + (plan.endpoint === '/v1/embeddings' ? 0 : (plan.maxTokens?.value ?? entry.maxOutputTokens));

    // Not an AbortController: see Cancellation. The response carries it for its 'close' listener,
    // a function of the module rather than a closure made per request.
    const cancellation = new Cancellation();
    (response as CancellableResponse)[CANCELLATION] = cancellation;
    response.on('close', abortUnlessFinished);
    const call: GatewayCall = {
      principal,
      requestId: request.id,
      endpoint: plan.endpoint,
      startedAt: request.startedAt,
      signal: cancellation,
      streamed: plan.streamed,
    };
    const admitted = this.gateway.admit(call, reservedTokens);
    const limits = admitted instanceof Promise ? await admitted : admitted;

    try {
      if (plan.streamed && plan.stream) {
        const stream = plan.stream;
        const served = await this.gateway.route(call, chain, (adapter, target) => stream(adapter, target, cancellation));
        await this.relay(call, response, served, entry, limits, reservedTokens, plan.includeUsage);
        return;
      }
      const served = await this.gateway.route(call, chain, (adapter, target) => plan.json(adapter, target, cancellation));
      // Named after the catalog entry: spliced into the upstream's own text when the adapter kept it
      // (see UPSTREAM_JSON), else set on the result (this request's own parse) and serialised.
      let body = withModel(served.result, served.entry.id);
      if (body === undefined) {
        served.result.model = served.entry.id;
        body = JSON.stringify(served.result);
      }
      this.gateway.record(call, { model: entry.id, served, usage: served.result.usage, status: 200, reservedTokens });
      const headers = this.headers(call, limits, served.route);
      headers['content-type'] = 'application/json; charset=utf-8';
      headers['content-length'] = Buffer.byteLength(body);
      response.writeHead(200, headers);
      endAtTurnEnd(response, body);
    } catch (error) {
      const status = error instanceof ApiError ? error.status : error instanceof UpstreamError && error.kind === 'aborted' ? STATUS_CLIENT_CLOSED : 500;
      this.gateway.record(call, { model: entry.id, status, reservedTokens });
      if (status === STATUS_CLIENT_CLOSED) return; // nobody is listening
      // The error answer (HotRoutes writes it) carries the rate-limit headers too.
      if (limits && !response.headersSent) for (const [name, value] of Object.entries(rateLimitHeaders(limits))) response.setHeader(name, value);
      throw error;
    }
  }

  /** Streams the upstream's chunks to the client as they arrive; meters what was streamed. */
  private async relay<TChunk extends StreamChunk>(
    call: GatewayCall,
    response: ServerResponse,
    served: Served<Streamed<TChunk>>,
    requested: CatalogEntry,
    limits: RateLimitResult | undefined,
    reservedTokens: number,
    includeUsage: boolean,
  ): Promise<void> {
    const headers = this.headers(call, limits, served.route);
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    headers.connection = 'keep-alive';
    // nginx (and most ingresses) must not buffer the stream.
    headers['x-accel-buffering'] = 'no';
    response.writeHead(200, headers);
    // The head goes out with the first event, or on its own if that event is not here at once (SseWriter).
    const writer = new SseWriter(response, call.signal);
    // Chunks that arrived together are handled in one go, without a promise when they are here already (see ChunkReader).
    const reader = readerOf(served.result);
    let usage: Usage | undefined;
    let firstTokenMs: number | undefined;
    try {
      relaying: for (;;) {
        const read = reader.read();
        const batch = read instanceof Promise ? await read : read;
        if (batch === null) break;
        for (const chunk of batch) {
          if (call.signal.aborted) break relaying;
          if (firstTokenMs === undefined && chunk.choices.length > 0) {
            firstTokenMs = Math.round(performance.now() - call.startedAt);
            timeToFirstToken.labels(served.entry.id, served.deployment.provider).observe(firstTokenMs / 1000);
          }
          let payload: string | undefined;
          if (chunk.usage) {
            usage = chunk.usage;
            // The upstream is always asked for usage (metering); the client gets it only if it asked.
            if (!includeUsage) {
              if (chunk.choices.length === 0) continue;
              payload = JSON.stringify({ ...chunk, model: served.entry.id, usage: undefined });
            }
          }
          // Forwarded as it came but for the model's name (the catalog entry's) when the chunk carries the upstream's text; else serialised.
          if (payload === undefined) {
            payload = withModel(chunk, served.entry.id);
            if (payload === undefined) {
              chunk.model = served.entry.id;
              payload = JSON.stringify(chunk);
            }
          }
          const drained = writer.data(payload);
          if (drained) await drained;
        }
      }
      if (call.signal.aborted) {
        writer.close();
        this.gateway.record(call, { model: requested.id, served, usage, status: STATUS_CLIENT_CLOSED, reservedTokens, timeToFirstTokenMs: firstTokenMs });
        return;
      }
      writer.done();
      this.gateway.record(call, { model: requested.id, served, usage, status: 200, reservedTokens, timeToFirstTokenMs: firstTokenMs });
    } catch (error) {
      if (call.signal.aborted || (error instanceof UpstreamError && error.kind === 'aborted')) {
        this.gateway.record(call, { model: requested.id, served, usage, status: STATUS_CLIENT_CLOSED, reservedTokens, timeToFirstTokenMs: firstTokenMs });
        writer.close();
        response.destroy();
        return;
      }
      // Mid-stream failure: the headers are gone, so an error event, then a clean close.
      this.logger.warn(`request ${call.requestId}: the upstream failed mid-stream: ${error instanceof Error ? error.message : String(error)}`);
      writer.error({ message: 'The model provider failed while streaming; the response is incomplete.', type: 'server_error', code: 'upstream_error' });
      this.gateway.record(call, { model: requested.id, served, usage, status: 502, reservedTokens, timeToFirstTokenMs: firstTokenMs });
    } finally {
      reader.cancel(); // a no-op after the end; else (client gone, a failure here) the upstream connection closes
    }
  }

  /** The headers of a successful answer: the platform's, openai-processing-ms, the route and the rate limits. */
  private headers(call: GatewayCall, limits: RateLimitResult | undefined, route: string): HotHeaders {
    const headers = this.hot.platformHeaders(call.requestId);
    headers['openai-processing-ms'] = String(Math.round(performance.now() - call.startedAt));
    headers['x-vectorstack-route'] = route;
    if (limits) rateLimitHeaders(limits, Date.now(), headers);
    return headers;
  }
}
