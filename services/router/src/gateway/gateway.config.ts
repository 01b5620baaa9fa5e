import { loadConfigOrExit, rateLimitShape, redisShape, z } from '@vectorstack/config';

/** Variables of the router's request path (the catalog has its own, see catalog.config.ts). */
export const gatewayConfigShape = {
  /** The Redis of the rate limits (the ratelimit service's): the router checks limits there itself. */
  ...redisShape,
  /** Key prefix, Redis command timeout and lease: the same values as the ratelimit service's. */
  ...rateLimitShape,
  /** Consecutive failures after which a deployment is cooled down. */
  ROUTER_BREAKER_FAILURES: z.coerce.number().int().min(1).max(100).default(3),
  /** First cool-down of a failing deployment; doubles while probes keep failing, up to 2 minutes. */
  ROUTER_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayConfigShape>>;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  return loadConfigOrExit(gatewayConfigShape, env);
}
