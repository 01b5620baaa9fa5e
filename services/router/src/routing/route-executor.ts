import { UpstreamError, type CallSignal, type UpstreamFailureKind } from '@vectorstack/providers';
import { retryDelayMs, DEFAULT_RETRY, type RetryPolicy } from './backoff';
import { CircuitBreakers } from './circuit-breaker';

export interface RoutableDeployment {
  readonly id: string;
  readonly weight: number;
  readonly maxRetries: number;
}

export interface RoutableModel<D extends RoutableDeployment> {
  readonly id: string;
  readonly deployments: readonly D[];
}

/** One step of a request's route, for logs, metrics and the x-vectorstack-route header. */
export interface Hop {
  readonly model: string;
  readonly deployment: string | null;
  readonly outcome: 'ok' | 'cooling_down' | UpstreamFailureKind;
  readonly status?: number;
  readonly ms: number;
}

export class RouteExhaustedError extends Error {
  constructor(
    readonly hops: readonly Hop[],
    readonly lastError: UpstreamError | undefined,
  ) {
    super(`every deployment failed: ${formatRoute(hops)}`);
    this.name = 'RouteExhaustedError';
  }
}

/** `gpt-4o/openai-a:rate_limited(429),gpt-4o/openai-b:ok` — compact enough for a header. */
export function formatRoute(hops: readonly Hop[]): string {
  return hops
    .map((hop) => `${hop.model}/${hop.deployment ?? '-'}:${hop.outcome}${hop.status ? `(${hop.status})` : ''}`)
    .join(',');
}

/** Deployment ids are unique within their model only. */
export function breakerKey(model: { id: string }, deployment: { id: string }): string {
  return `${model.id}/${deployment.id}`;
}

/** Weighted random choice; `random` in [0, 1). */
export function weightedPick<D extends RoutableDeployment>(candidates: readonly D[], random: () => number): D | undefined {
  const total = candidates.reduce((sum, candidate) => sum + candidate.weight, 0);
  if (candidates.length === 0 || total <= 0) return candidates[0];
  let point = random() * total;
  for (const candidate of candidates) {
    point -= candidate.weight;
    if (point < 0) return candidate;
  }
  return candidates[candidates.length - 1];
}

function abortableSleep(ms: number, signal: CallSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new UpstreamError('aborted', 'client went away'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new UpstreamError('aborted', 'client went away'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs one request along a chain of models (the requested one, then its fallbacks in order).
 * Within a model: weighted choice among deployments whose breaker admits a request, preferring
 * ones that have not failed this request; retries on connection errors, timeouts, 429 and 5xx
 * with backoff and jitter (an upstream Retry-After wins, capped); a model whose attempts are
 * spent hands over to the next. Client errors (400 from upstream) and aborts end the request.
 */
export class RouteExecutor {
  constructor(
    readonly breakers: CircuitBreakers = new CircuitBreakers(),
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly random: () => number = Math.random,
  ) {}

  async execute<D extends RoutableDeployment, M extends RoutableModel<D>, T>(
    chain: readonly M[],
    attempt: (model: M, deployment: D) => Promise<T>,
    signal: CallSignal,
  ): Promise<{ result: T; model: M; deployment: D; hops: Hop[] }> {
    const hops: Hop[] = [];
    let lastError: UpstreamError | undefined;
    for (const model of chain) {
      let attempts = 1;
      for (const deployment of model.deployments) attempts = Math.max(attempts, 1 + deployment.maxRetries);
      // Made on the first failure: most requests have none.
      let failedHere: Set<string> | undefined;
      for (let attemptNumber = 1; attemptNumber <= attempts; attemptNumber++) {
        const deployment = this.choose(model, failedHere);
        if (!deployment) {
          hops.push({ model: model.id, deployment: null, outcome: 'cooling_down', ms: 0 });
          break;
        }
        const started = performance.now();
        try {
          const result = await attempt(model, deployment);
          this.breakers.success(breakerKey(model, deployment));
          hops.push({ model: model.id, deployment: deployment.id, outcome: 'ok', ms: Math.round(performance.now() - started) });
          return { result, model, deployment, hops };
        } catch (error) {
          const ms = Math.round(performance.now() - started);
          if (!(error instanceof UpstreamError) || !error.retryable) {
            // Not the deployment's fault (a bad request, the client left, a bug here): no retry, no penalty.
            this.breakers.release(breakerKey(model, deployment));
            throw error;
          }
          this.breakers.failure(breakerKey(model, deployment));
          (failedHere ??= new Set()).add(deployment.id);
          lastError = error;
          hops.push({ model: model.id, deployment: deployment.id, outcome: error.kind, ...(error.options.status ? { status: error.options.status } : {}), ms });
          if (attemptNumber < attempts) await abortableSleep(retryDelayMs(attemptNumber, this.retry, error.options.retryAfterMs, this.random), signal);
        }
      }
    }
    throw new RouteExhaustedError(hops, lastError);
  }

  private choose<D extends RoutableDeployment>(model: RoutableModel<D>, failedHere: ReadonlySet<string> | undefined): D | undefined {
    const all = model.deployments;
    const fresh = failedHere === undefined ? all : all.filter((deployment) => !failedHere.has(deployment.id));
    return this.pickOpen(model, fresh) ?? (fresh === all ? undefined : this.pickOpen(model, all));
  }

  /** A weighted choice among `pool`'s deployments whose breaker admits a request now. */
  private pickOpen<D extends RoutableDeployment>(model: RoutableModel<D>, pool: readonly D[]): D | undefined {
    if (pool.length === 1) return this.breakers.tryAcquire(breakerKey(model, pool[0]!)) ? pool[0] : undefined;
    const open = [...pool];
    while (open.length > 0) {
      const candidate = weightedPick(open, this.random);
      if (!candidate) break;
      if (this.breakers.tryAcquire(breakerKey(model, candidate))) return candidate;
      open.splice(open.indexOf(candidate), 1);
    }
    return undefined;
  }
}
