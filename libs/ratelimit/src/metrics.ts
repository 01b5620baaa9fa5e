import { Counter, Gauge, register, type Registry } from 'prom-client';

// Get-or-create: the lib may be loaded twice in one process (tests), and prom-client throws
// on a duplicate registration.
function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge(registry: Registry, name: string, help: string): Gauge<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<string>;
  return new Gauge({ name, help, registers: [registry] });
}

export interface RateLimitMetrics {
  /** outcome: allowed | denied | failed_open | failed_closed. */
  readonly checks: Counter<string>;
  /** Denials by the window that denied. */
  readonly denials: Counter<string>;
  /** Checks that could not reach Redis, by the policy applied. */
  readonly redisUnavailable: Counter<string>;
  /** 1 while the last Redis call succeeded, 0 while Redis is unreachable. */
  readonly redisAvailable: Gauge<string>;
}

export function rateLimitMetrics(registry: Registry = register): RateLimitMetrics {
  return {
    checks: counter(registry, 'vectorstack_ratelimit_checks_total', 'Rate-limit checks by outcome.', ['tier', 'outcome']),
    denials: counter(registry, 'vectorstack_ratelimit_denials_total', 'Denied checks by the window that denied them.', ['tier', 'window']),
    redisUnavailable: counter(
      registry,
      'vectorstack_ratelimit_redis_unavailable_total',
      'Checks that could not reach Redis, by the Redis-unavailable policy that decided them.',
      ['tier', 'policy'],
    ),
    redisAvailable: gauge(registry, 'vectorstack_ratelimit_redis_available', '1 while the rate limiter reaches Redis, 0 while it does not.'),
  };
}
