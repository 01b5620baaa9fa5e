import { httpShape, loadConfigOrExit, rateLimitShape, redisShape, z } from '@vectorstack/config';
import { DEFAULT_QUOTA_LEASE_HEADROOM, DEFAULT_QUOTA_LEASE_MS } from './quota-leases';

/** Variables of the router's request path (the catalog has its own, see catalog.config.ts). */
export const gatewayConfigShape = {
  /** The model routes are served by HotRoutes of their own (GatewayRoutes): they trust the same proxies and take the same bodies. */
  TRUSTED_PROXIES: httpShape.TRUSTED_PROXIES,
  HTTP_BODY_LIMIT_BYTES: httpShape.HTTP_BODY_LIMIT_BYTES,
  /** The Redis of the rate limits (the ratelimit service's): the router checks limits there itself. */
  ...redisShape,
  /** Key prefix, Redis command timeout and lease: the same values as the ratelimit service's. */
  ...rateLimitShape,
  /** How long a quota lease admits a busy key's requests without asking Redis; 0 checks every request in Redis. */
  ROUTER_QUOTA_LEASE_MS: z.coerce.number().int().min(0).max(60_000).default(DEFAULT_QUOTA_LEASE_MS),
  /** A quota lease takes at most 1/this of what is left in any window of the key (near a limit, requests are checked one by one). */
  ROUTER_QUOTA_LEASE_HEADROOM: z.coerce.number().int().min(2).max(1_000).default(DEFAULT_QUOTA_LEASE_HEADROOM),
  /** Consecutive failures after which a deployment is cooled down. */
  ROUTER_BREAKER_FAILURES: z.coerce.number().int().min(1).max(100).default(3),
  /** First cool-down of a failing deployment; doubles while probes keep failing, up to 2 minutes. */
  ROUTER_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayConfigShape>>;

/** Nest token of the GatewayConfig. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  return loadConfigOrExit(gatewayConfigShape, env);
}
