import { UpstreamError } from '@vectorstack/providers';
import { retryDelayMs, DEFAULT_RETRY } from './backoff';
import { CircuitBreakers } from './circuit-breaker';
import { formatRoute, RouteExecutor, RouteExhaustedError, weightedPick, type RoutableDeployment, type RoutableModel } from './route-executor';

const deployment = (id: string, weight = 1, maxRetries = 1): RoutableDeployment => ({ id, weight, maxRetries });
const model = (id: string, ...deployments: RoutableDeployment[]): RoutableModel<RoutableDeployment> => ({ id, deployments });
const noWait = { baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 };
const signal = new AbortController().signal;

describe('CircuitBreakers', () => {
  it('opens after the threshold, admits one probe after the cool-down, closes on its success', () => {
    let now = 0;
    const breakers = new CircuitBreakers({ failureThreshold: 2, cooldownMs: 1_000, maxCooldownMs: 8_000 }, () => now);
    breakers.failure('a');
    expect(breakers.tryAcquire('a')).toBe(true);
    breakers.failure('a');
    expect(breakers.status('a')).toBe('open');
    expect(breakers.tryAcquire('a')).toBe(false);
    now = 1_000;
    expect(breakers.status('a')).toBe('half-open');
    expect(breakers.tryAcquire('a')).toBe(true);
    expect(breakers.tryAcquire('a')).toBe(false); // one probe at a time
    breakers.success('a');
    expect(breakers.status('a')).toBe('closed');
  });

  it('doubles the cool-down when the probe fails', () => {
    let now = 0;
    const breakers = new CircuitBreakers({ failureThreshold: 1, cooldownMs: 1_000, maxCooldownMs: 8_000 }, () => now);
    breakers.failure('a');
    now = 1_000;
    expect(breakers.tryAcquire('a')).toBe(true);
    breakers.failure('a');
    now = 2_999;
    expect(breakers.status('a')).toBe('open');
    now = 3_000;
    expect(breakers.status('a')).toBe('half-open');
  });
});

describe('retry delays and weighted choice', () => {
  it('honours Retry-After up to the cap, else backs off exponentially with full jitter', () => {
    expect(retryDelayMs(1, DEFAULT_RETRY, 1_500)).toBe(1_500);
    expect(retryDelayMs(1, DEFAULT_RETRY, 60_000)).toBe(DEFAULT_RETRY.maxRetryAfterMs);
    expect(retryDelayMs(3, DEFAULT_RETRY, undefined, () => 0.999)).toBe(399);
    expect(retryDelayMs(10, DEFAULT_RETRY, undefined, () => 0.999)).toBe(1_998);
  });

  it('picks in proportion to weight', () => {
    const counts = { a: 0, b: 0 };
    let seed = 0;
    const random = () => ((seed = (seed * 9301 + 49297) % 233280) / 233280);
    for (let i = 0; i < 10_000; i++) counts[weightedPick([deployment('a', 3), deployment('b', 1)], random)!.id as 'a' | 'b'] += 1;
    expect(counts.a / 10_000).toBeGreaterThan(0.72);
    expect(counts.a / 10_000).toBeLessThan(0.78);
  });
});

describe('RouteExecutor', () => {
  it('retries a failing deployment on the other one and records each hop', async () => {
    const executor = new RouteExecutor(new CircuitBreakers(), noWait, () => 0);
    const { result, deployment: served, hops } = await executor.execute(
      [model('m', deployment('a'), deployment('b'))],
      async (_m, d) => {
        if (d.id === 'a') throw new UpstreamError('server_error', 'boom', { status: 500 });
        return 'from b';
      },
      signal,
    );
    expect(result).toBe('from b');
    expect(served.id).toBe('b');
    expect(formatRoute(hops)).toBe('m/a:server_error(500),m/b:ok');
  });

  it('falls back to the next model when every attempt of the first fails', async () => {
    const executor = new RouteExecutor(new CircuitBreakers(), noWait, () => 0);
    const { model: servedModel, hops } = await executor.execute(
      [model('primary', deployment('p', 1, 1)), model('backup', deployment('q'))],
      async (m) => {
        if (m.id === 'primary') throw new UpstreamError('timeout', 'slow');
        return 'ok';
      },
      signal,
    );
    expect(servedModel.id).toBe('backup');
    expect(formatRoute(hops)).toBe('primary/p:timeout,primary/p:timeout,backup/q:ok');
  });

  it('does not retry or fall back on a client error', async () => {
    const executor = new RouteExecutor(new CircuitBreakers(), noWait, () => 0);
    let calls = 0;
    await expect(
      executor.execute([model('m', deployment('a'), deployment('b')), model('f', deployment('c'))], async () => {
        calls += 1;
        throw new UpstreamError('client_error', 'bad', { status: 400 });
      }, signal),
    ).rejects.toMatchObject({ kind: 'client_error' });
    expect(calls).toBe(1);
  });

  it('skips a cooled-down deployment without calling it, and probes it back later', async () => {
    let now = 0;
    const breakers = new CircuitBreakers({ failureThreshold: 1, cooldownMs: 1_000, maxCooldownMs: 1_000 }, () => now);
    const executor = new RouteExecutor(breakers, noWait, () => 0);
    const called: string[] = [];
    const attempt = async (_m: unknown, d: RoutableDeployment) => {
      called.push(d.id);
      if (d.id === 'a' && now < 1_000) throw new UpstreamError('connect', 'refused');
      return d.id;
    };
    const chain = [model('m', deployment('a', 100, 0), deployment('b', 1, 0))];
    await expect(executor.execute(chain, attempt, signal)).rejects.toBeInstanceOf(RouteExhaustedError); // a fails, no retries
    expect((await executor.execute([model('m', deployment('a', 100, 1), deployment('b', 1, 1))], attempt, signal)).result).toBe('b');
    now = 1_000;
    expect((await executor.execute(chain, attempt, signal)).result).toBe('a');
    expect(called).toEqual(['a', 'b', 'a']);
  });

  it('reports the whole route when everything fails', async () => {
    const executor = new RouteExecutor(new CircuitBreakers(), noWait, () => 0);
    const error = await executor
      .execute([model('m', deployment('a', 1, 0))], async () => {
        throw new UpstreamError('rate_limited', 'slow down', { status: 429, retryAfterMs: 1_000 });
      }, signal)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RouteExhaustedError);
    expect((error as RouteExhaustedError).lastError?.options.retryAfterMs).toBe(1_000);
    expect(formatRoute((error as RouteExhaustedError).hops)).toBe('m/a:rate_limited(429)');
  });
});
