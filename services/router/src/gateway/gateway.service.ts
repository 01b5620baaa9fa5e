import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { UsageSource } from '@vectorstack/contracts';
import { ApiError } from '@vectorstack/http';
import { adapterFor, UpstreamError, type CallSignal, type DeploymentTarget, type ProviderAdapter, type Usage } from '@vectorstack/providers';
import type { RateLimitResult } from '@vectorstack/ratelimit';
import { UsagePublisher } from '@vectorstack/usage';
import type { CatalogDeployment, CatalogEntry } from '../catalog/catalog-entry';
import { ModelCatalog } from '../catalog/model-catalog';
import { formatRoute, RouteExecutor, RouteExhaustedError, type Hop } from '../routing/route-executor';
import { gatewayRequests, operationDuration, routeHops, tokenUsage } from './gateway.metrics';
import { RequestLimiter } from './request-limiter';
import { clientErrorFor } from './upstream-errors';

export type Endpoint = '/v1/chat/completions' | '/v1/completions' | '/v1/embeddings';

/** One request through the gateway, from admission to its usage record. */
export interface GatewayCall {
  readonly principal: AuthenticatedPrincipal;
  readonly requestId: string;
  readonly endpoint: Endpoint;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** Aborted when the client goes away; cancels the upstream request. */
  readonly signal: CallSignal;
  readonly streamed: boolean;
}

/** The outcome the route took, for headers and the usage record. */
export interface Served<T> {
  readonly result: T;
  readonly entry: CatalogEntry;
  readonly deployment: CatalogDeployment;
  readonly hops: readonly Hop[];
  readonly route: string;
}

type RouteModel = { id: string; entry: CatalogEntry; deployments: readonly CatalogDeployment[] };

function routeModel(entry: CatalogEntry): RouteModel {
  return { id: entry.id, entry, deployments: entry.deployments };
}

/**
 * The request path shared by chat, completions and embeddings: which models may serve
 * (entry, then fallbacks), the rate-limit reservation, the route through deployments, and the
 * usage event — published without delaying the response.
 */
@Injectable()
export class GatewayService {
  private readonly logger = new Logger('Gateway');
  /*
   * What the request path would otherwise build for every request, kept per catalog object
   * (entries and their deployments are immutable: a change replaces them, and these go with the
   * old ones). Each holds only values derived from its key.
   */
  /** An entry without fallbacks: its chain (the entry alone), the same for every key that may use it. */
  private readonly soloChains = new WeakMap<CatalogEntry, { entry: CatalogEntry; chain: readonly CatalogEntry[] }>();
  /** A cached chain: its models as the route executor takes them. */
  private readonly routeModels = new WeakMap<readonly CatalogEntry[], RouteModel[]>();
  /** A deployment: its upstream target, rebuilt when its credential's value changes. */
  private readonly targets = new WeakMap<CatalogDeployment, { entry: CatalogEntry; apiKey: string | undefined; target: DeploymentTarget }>();
  /** A deployment: the x-vectorstack-route of a request it served at the first attempt. */
  private readonly directRoutes = new WeakMap<CatalogDeployment, string>();

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly executor: RouteExecutor,
    @Inject(RequestLimiter) private readonly rateLimits: RequestLimiter,
    private readonly usage: UsagePublisher,
  ) {}

  /**
   * The models that may serve a request for `model`: 404/403 for unknown or forbidden names; a
   * disabled entry hands over to its fallbacks or answers 403 MODEL_DISABLED; fallbacks the key
   * may not use, or that are disabled themselves, are skipped.
   */
  chainFor(principal: AuthenticatedPrincipal, model: string): { entry: CatalogEntry; chain: readonly CatalogEntry[] } {
    const entry = this.catalog.entryFor(principal, model, 'model');
    if (entry.fallbacks.length === 0 && !entry.disabled) {
      let solo = this.soloChains.get(entry);
      if (solo === undefined) {
        solo = { entry, chain: [entry] };
        this.soloChains.set(entry, solo);
        this.routeModels.set(solo.chain, [routeModel(entry)]);
      }
      return solo;
    }
    const fallbacks = entry.fallbacks
      .map((id) => this.catalog.resolve(id))
      .filter((fallback): fallback is CatalogEntry => fallback !== undefined && !fallback.disabled && this.catalog.mayUse(principal, fallback));
    if (entry.disabled) {
      if (fallbacks.length === 0) throw this.catalog.disabledError(entry, principal, 'model');
      return { entry, chain: fallbacks };
    }
    return { entry, chain: [entry, ...fallbacks] };
  }

  /** 400 `max_tokens` over the model's output limit (checked against the entry the client named). */
  assertMaxTokens(entry: CatalogEntry, requested: number | undefined, param: string): void {
    if (requested !== undefined && requested > entry.maxOutputTokens) {
      throw ApiError.badRequest(`${param} is ${requested}, but '${entry.id}' produces at most ${entry.maxOutputTokens} tokens per response.`, param, 'max_tokens_exceeded');
    }
  }

  /** Reserves requests and tokens with the rate limiter; throws the 429. Undefined when the limiter was unreachable and the tier fails open. */
  admit(call: GatewayCall, tokenEstimate: number): RateLimitResult | undefined | Promise<RateLimitResult | undefined> {
    return this.rateLimits.admit(call.principal, call.requestId, tokenEstimate);
  }

  /** Runs `attempt` along the chain's deployments (retries, breakers, fallbacks); failures become the client's error. */
  async route<T>(
    call: GatewayCall,
    chain: readonly CatalogEntry[],
    attempt: (adapter: ProviderAdapter, target: DeploymentTarget, entry: CatalogEntry) => Promise<T>,
  ): Promise<Served<T>> {
    const models = this.routeModels.get(chain) ?? chain.map(routeModel);
    try {
      const served = await this.executor.execute<CatalogDeployment, RouteModel, T>(models, (model, deployment) => attempt(adapterFor(deployment.provider), this.targetOf(model.entry, deployment), model.entry), call.signal);
      this.countHops(served.hops);
      const route = served.hops.length === 1 ? this.directRoute(served.deployment, served.hops) : formatRoute(served.hops);
      if (served.hops.length > 1) this.logger.warn(`request ${call.requestId} routed ${route}`);
      return { result: served.result, entry: served.model.entry, deployment: served.deployment, hops: served.hops, route };
    } catch (error) {
      if (error instanceof RouteExhaustedError) {
        this.countHops(error.hops);
        this.logger.warn(`request ${call.requestId} failed on every route: ${formatRoute(error.hops)}`);
        throw clientErrorFor(error);
      }
      if (error instanceof UpstreamError) {
        if (error.kind === 'aborted') throw error;
        throw clientErrorFor(error);
      }
      throw error;
    }
  }

  private countHops(hops: readonly Hop[]): void {
    for (const hop of hops) routeHops.labels(hop.model, hop.deployment ?? '-', hop.outcome).inc();
  }

  /** The route header of a request the deployment served at once (one hop, `ok`). */
  private directRoute(deployment: CatalogDeployment, hops: readonly Hop[]): string {
    let route = this.directRoutes.get(deployment);
    if (route === undefined) {
      route = formatRoute(hops);
      this.directRoutes.set(deployment, route);
    }
    return route;
  }

  private targetOf(entry: CatalogEntry, deployment: CatalogDeployment): DeploymentTarget {
    let apiKey: string | undefined;
    try {
      apiKey = this.catalog.credentialOf(deployment);
    } catch (error) {
      // A missing secret is an operator's problem: log it, and let other deployments or fallbacks serve.
      this.logger.error(`deployment ${entry.id}/${deployment.id}: ${error instanceof Error ? error.message : String(error)}`);
      throw new UpstreamError('server_error', 'credential unavailable');
    }
    const cached = this.targets.get(deployment);
    if (cached !== undefined && cached.entry === entry && cached.apiKey === apiKey) return cached.target;
    const target: DeploymentTarget = {
      id: `${entry.id}/${deployment.id}`,
      provider: deployment.provider,
      baseUrl: deployment.baseUrl,
      upstreamModel: deployment.upstreamModel,
      ...(apiKey ? { apiKey } : {}),
      timeoutMs: deployment.timeoutMs,
      defaultMaxTokens: entry.maxOutputTokens,
    };
    // Shared by every request to the deployment: frozen, so no one can change it for the others.
    Object.freeze(target);
    this.targets.set(deployment, { entry, apiKey, target });
    return target;
  }

  /**
   * Ends an admitted request: publishes its usage event (buffered: never delays the response),
   * settles its rate-limit reservation, and records metrics.
   */
  record(
    call: GatewayCall,
    outcome: {
      model: string;
      served?: Served<unknown>;
      usage?: Usage;
      status: number;
      reservedTokens: number;
      timeToFirstTokenMs?: number;
    },
  ): void {
    const latencyMs = Math.round(performance.now() - call.startedAt);
    const usage = outcome.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    const deployment = outcome.served?.deployment;
    // Settled first, so the usage event can say whether the ratelimit service still has to.
    const settledBy = this.rateLimits.settle(call.principal, call.requestId, outcome.status < 400 || outcome.usage ? usage.total_tokens : 0);
    this.usage.record({
      requestId: call.requestId,
      source: UsageSource.ROUTER,
      tenantId: call.principal.tenantId,
      keyId: call.principal.keyId,
      model: outcome.served?.entry.id ?? outcome.model,
      deployment: deployment ? `${outcome.served?.entry.id}/${deployment.id}` : '',
      provider: deployment?.provider ?? '',
      promptTokens: BigInt(usage.prompt_tokens),
      completionTokens: BigInt(usage.completion_tokens),
      totalTokens: BigInt(usage.total_tokens),
      latencyMs,
      timeToFirstTokenMs: outcome.timeToFirstTokenMs ?? 0,
      httpStatus: outcome.status,
      streamed: call.streamed,
      reservedTokens: BigInt(Math.max(0, Math.round(outcome.reservedTokens))),
      occurredAt: { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: (Date.now() % 1000) * 1_000_000 },
      endpoint: call.endpoint,
      rateLimitSettled: settledBy === 'lease',
    });
    const model = outcome.served?.entry.id ?? outcome.model;
    const system = deployment?.provider ?? 'none';
    gatewayRequests.labels(call.endpoint, model, outcome.status < 400 ? 'ok' : String(outcome.status)).inc();
    if (outcome.usage) {
      tokenUsage.labels(model, 'input', system).observe(usage.prompt_tokens);
      tokenUsage.labels(model, 'output', system).observe(usage.completion_tokens);
    }
    operationDuration.labels(model, system, call.endpoint === '/v1/embeddings' ? 'embeddings' : 'chat').observe(latencyMs / 1000);
  }
}
