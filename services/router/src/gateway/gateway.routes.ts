import type { OutgoingHttpHeaders } from 'node:http';
import { type BeforeApplicationShutdown, ForbiddenException, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ApiKeyGuard, RequireScopes, type AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { ApiError, createFastRoutes, parseOrThrow, sendApiError, serveFirst } from '@vectorstack/http';
import { createLogger, logFinishedRequest, RequestLogContext, runWithRequestLog } from '@vectorstack/observability';
import { UpstreamError, type Completion, type DeploymentTarget, type ProviderAdapter, type Usage } from '@vectorstack/providers';
import { setRateLimitHeaders, type RateLimitResult } from '@vectorstack/ratelimit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CatalogEntry } from '../catalog/catalog-entry';
import { ROUTER_SERVICE } from '../service.definition';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway.config';
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
  readonly json: (adapter: ProviderAdapter, target: DeploymentTarget, signal: AbortSignal) => Promise<TJson & { model: string; usage?: Usage }>;
  readonly stream?: (adapter: ProviderAdapter, target: DeploymentTarget, signal: AbortSignal) => Promise<{ chunks: AsyncIterable<TChunk> }>;
}

/** nginx's "client closed request": what the usage record says when the client left early. */
const STATUS_CLIENT_CLOSED = 499;

/** When Fastify received the request, on the performance.now() clock. */
function startedAtOf(reply: FastifyReply): number {
  return performance.now() - reply.elapsedTime;
}

type AuthenticatedRequest = FastifyRequest & { principal?: AuthenticatedPrincipal };
type ModelHandler = (principal: AuthenticatedPrincipal, body: unknown, request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * The OpenAI-compatible model routes: POST /v1/chat/completions (and the seeds' alias
 * /v1/chat), /v1/completions and /v1/embeddings. Each request: the shared key guard → body
 * validation → model access and fallbacks → the rate-limit reservation → the route through
 * deployments → the response with x-request-id, openai-processing-ms, the rate-limit headers and
 * x-vectorstack-route → the usage event (buffered, never delaying the response).
 *
 * They are the router's hot path, so they are plain Fastify routes rather than a Nest
 * controller (whose per-request pipeline — middleware, guard and param resolution, exception
 * zone — cost more than the rest of the gateway's own work), on a Fastify instance of their own
 * served ahead of the application's on the same port (createFastRoutes/serveFirst: the
 * application's instance runs Nest's hooks and middleware layer for every request, which cost
 * another ~10% of the CPU per response). The same ApiKeyGuard decides (its canActivate, with
 * the scopes declared below by @RequireScopes), errors go through the same sendApiError as the
 * platform's exception filter, and the platform's hooks (request id, service header, metrics)
 * apply as to every route. Instead of pino-http's line per request they log a failed request
 * (with its redacted headers) at info and a successful one at debug, and every line logged
 * while they run carries the request id (RequestLogContext).
 */
@Injectable()
export class GatewayRoutes implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('HttpErrors');
  private readonly requestLog = createLogger('router');
  private fastify?: FastifyInstance;

  constructor(
    private readonly gateway: GatewayService,
    private readonly guard: ApiKeyGuard,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const fastify = createFastRoutes(ROUTER_SERVICE.name, this.config, this.logger);
    this.fastify = fastify;
    const handlers: Record<ModelRoute['handler'], ModelHandler> = { chat: this.chat, completions: this.completions, embeddings: this.embeddings };
    for (const route of MODEL_ROUTES) {
      const handler = handlers[route.handler];
      fastify.route({
        method: route.method,
        url: route.path,
        handler: (request, reply) => this.handle(handler, request, reply),
        onResponse: (request, reply, done) => {
          logFinishedRequest(this.requestLog, {
            id: String(request.id),
            method: request.method,
            url: request.url,
            headers: request.headers,
            remoteAddress: request.socket.remoteAddress,
            statusCode: reply.statusCode,
            responseTime: Math.round(reply.elapsedTime),
          });
          done();
        },
      });
    }
    await fastify.ready();
    serveFirst(this.adapterHost.httpAdapter.getHttpServer(), fastify, MODEL_ROUTES);
  }

  /** Before the server drains: new requests for the model routes get 503 (Connection: close), as the application's do. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.fastify?.close();
  }

  /** The key guard, then the handler; any error becomes the OpenAI-shape response, as the platform's filter does. */
  private handle(handler: ModelHandler, request: AuthenticatedRequest, reply: FastifyReply): Promise<void> {
    return runWithRequestLog(new RequestLogContext(this.requestLog, String(request.id)), async () => {
      try {
        // The guard reads the route's scopes from the handler's @RequireScopes metadata.
        if (!(await this.guard.canActivate(new ExecutionContextHost([request, reply], GatewayRoutes, handler)))) throw new ForbiddenException();
        if (!request.principal) throw new Error('ApiKeyGuard admitted a request without a principal');
        await handler.call(this, request.principal, request.body, request, reply);
      } catch (error) {
        sendApiError(error, request, reply, this.logger);
      }
    });
  }

  @RequireScopes('chat')
  async chat(principal: AuthenticatedPrincipal, body: unknown, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const chat = parseOrThrow(chatCompletionRequestSchema, body);
    const maxParam = chat.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
    await this.serve(principal, request, reply, {
      endpoint: '/v1/chat/completions',
      model: chat.model,
      streamed: chat.stream === true,
      includeUsage: chat.stream_options?.include_usage === true,
      maxTokens: { value: chat.max_completion_tokens ?? chat.max_tokens, param: maxParam },
      promptTokens: () => chatPromptTokens(chat),
      json: (adapter, target, signal) => adapter.chat({ ...chat, model: target.upstreamModel, stream: false, stream_options: undefined }, target, signal),
      stream: (adapter, target, signal) => adapter.chatStream({ ...chat, model: target.upstreamModel, stream: true, stream_options: { include_usage: true } }, target, signal),
    });
  }

  @RequireScopes('chat')
  async completions(principal: AuthenticatedPrincipal, body: unknown, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const completion = parseOrThrow(completionRequestSchema, body);
    await this.serve<Completion, Completion>(principal, request, reply, {
      endpoint: '/v1/completions',
      model: completion.model,
      streamed: completion.stream === true,
      includeUsage: completion.stream_options?.include_usage === true,
      maxTokens: { value: completion.max_tokens, param: 'max_tokens' },
      promptTokens: () => completionPromptTokens(completion),
      json: (adapter, target, signal) => adapter.completion({ ...completion, model: target.upstreamModel, stream: false, stream_options: undefined }, target, signal),
      stream: (adapter, target, signal) => adapter.completionStream({ ...completion, model: target.upstreamModel, stream: true, stream_options: { include_usage: true } }, target, signal),
    });
  }

  @RequireScopes('embeddings')
  async embeddings(principal: AuthenticatedPrincipal, body: unknown, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const embeddings = parseOrThrow(embeddingsRequestSchema, body);
    await this.serve(principal, request, reply, {
      endpoint: '/v1/embeddings',
      model: embeddings.model,
      streamed: false,
      includeUsage: false,
      promptTokens: () => embeddingsInputTokens(embeddings),
      json: async (adapter, target, signal) => {
        const response = await adapter.embeddings({ ...embeddings, model: target.upstreamModel }, target, signal);
        return { ...response, usage: { prompt_tokens: response.usage.prompt_tokens, completion_tokens: 0, total_tokens: response.usage.total_tokens } };
      },
    });
  }

  private async serve<TJson, TChunk extends StreamChunk>(
    principal: AuthenticatedPrincipal,
    request: FastifyRequest,
    reply: FastifyReply,
    plan: Plan<TJson, TChunk>,
  ): Promise<void> {
    const { entry, chain } = this.gateway.chainFor(principal, plan.model);
    if (plan.maxTokens) this.gateway.assertMaxTokens(entry, plan.maxTokens.value, plan.maxTokens.param);
    const reservedTokens = plan.promptTokens() + (plan.endpoint === '/v1/embeddings' ? 0 : (plan.maxTokens?.value ?? entry.maxOutputTokens));

    const aborter = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) aborter.abort();
    });
    const call: GatewayCall = {
      principal,
      requestId: String(request.id),
      endpoint: plan.endpoint,
      startedAt: startedAtOf(reply),
      signal: aborter.signal,
      streamed: plan.streamed,
    };
    const limits = await this.gateway.admit(call, reservedTokens);

    try {
      if (plan.streamed && plan.stream) {
        const stream = plan.stream;
        const served = await this.gateway.route(call, chain, (adapter, target) => stream(adapter, target, aborter.signal));
        await this.relay(call, reply, served, entry, limits, reservedTokens, plan.includeUsage);
        return;
      }
      const served = await this.gateway.route(call, chain, (adapter, target) => plan.json(adapter, target, aborter.signal));
      const response = { ...served.result, model: served.entry.id };
      this.gateway.record(call, { model: entry.id, served, usage: response.usage, status: 200, reservedTokens });
      this.decorate(reply, call, limits, served.route);
      reply.status(200).send(response);
    } catch (error) {
      const status = error instanceof ApiError ? error.status : error instanceof UpstreamError && error.kind === 'aborted' ? STATUS_CLIENT_CLOSED : 500;
      this.gateway.record(call, { model: entry.id, status, reservedTokens });
      if (limits) setRateLimitHeaders(reply, limits);
      if (status === STATUS_CLIENT_CLOSED) return; // nobody is listening
      throw error;
    }
  }

  /** Streams the upstream's chunks to the client as they arrive; meters what was streamed. */
  private async relay<TChunk extends StreamChunk>(
    call: GatewayCall,
    reply: FastifyReply,
    served: Served<{ chunks: AsyncIterable<TChunk> }>,
    requested: CatalogEntry,
    limits: RateLimitResult | undefined,
    reservedTokens: number,
    includeUsage: boolean,
  ): Promise<void> {
    this.decorate(reply, call, limits, served.route);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // nginx (and most ingresses) must not buffer the stream.
      'x-accel-buffering': 'no',
    });
    raw.flushHeaders();
    const writer = new SseWriter(raw, call.signal);
    let usage: Usage | undefined;
    let firstTokenMs: number | undefined;
    try {
      for await (const chunk of served.result.chunks) {
        if (call.signal.aborted) break;
        if (firstTokenMs === undefined && chunk.choices.length > 0) {
          firstTokenMs = Math.round(performance.now() - call.startedAt);
          timeToFirstToken.observe({ gen_ai_request_model: served.entry.id, gen_ai_system: served.deployment.provider }, firstTokenMs / 1000);
        }
        let forwarded: StreamChunk = chunk;
        if (chunk.usage) {
          usage = chunk.usage;
          // The upstream is always asked for usage (metering); the client gets it only if it asked.
          if (!includeUsage) {
            if (chunk.choices.length === 0) continue;
            forwarded = { ...chunk, usage: undefined };
          }
        }
        await writer.data(JSON.stringify({ ...forwarded, model: served.entry.id }));
      }
      if (call.signal.aborted) {
        this.gateway.record(call, { model: requested.id, served, usage, status: STATUS_CLIENT_CLOSED, reservedTokens, timeToFirstTokenMs: firstTokenMs });
        return;
      }
      writer.done();
      this.gateway.record(call, { model: requested.id, served, usage, status: 200, reservedTokens, timeToFirstTokenMs: firstTokenMs });
    } catch (error) {
      if (call.signal.aborted || (error instanceof UpstreamError && error.kind === 'aborted')) {
        this.gateway.record(call, { model: requested.id, served, usage, status: STATUS_CLIENT_CLOSED, reservedTokens, timeToFirstTokenMs: firstTokenMs });
        raw.destroy();
        return;
      }
      // Mid-stream failure: the headers are gone, so an error event, then a clean close.
      writer.error({ message: 'The model provider failed while streaming; the response is incomplete.', type: 'server_error', code: 'upstream_error' });
      this.gateway.record(call, { model: requested.id, served, usage, status: 502, reservedTokens, timeToFirstTokenMs: firstTokenMs });
    }
  }

  private decorate(reply: FastifyReply, call: GatewayCall, limits: RateLimitResult | undefined, route: string): void {
    reply.header('openai-processing-ms', String(Math.round(performance.now() - call.startedAt)));
    reply.header('x-vectorstack-route', route);
    if (limits) setRateLimitHeaders(reply, limits);
  }
}
