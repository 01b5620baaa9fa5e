import { hostPort, loadConfigOrExit, z } from '@vectorstack/config';

/** Variables of the router's request path (the catalog has its own, see catalog.config.ts). */
export const gatewayConfigShape = {
  /** host:port of the ratelimit service's gRPC Check. */
  RATELIMIT_GRPC_URL: hostPort,
  /** Deadline of a Check call; past it enterprise keys pass and others get 503. */
  RATELIMIT_DEADLINE_MS: z.coerce.number().int().min(10).max(30_000).default(250),
  /** Consecutive failures after which a deployment is cooled down. */
  ROUTER_BREAKER_FAILURES: z.coerce.number().int().min(1).max(100).default(3),
  /** First cool-down of a failing deployment; doubles while probes keep failing, up to 2 minutes. */
  ROUTER_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayConfigShape>>;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  return loadConfigOrExit(gatewayConfigShape, env);
}
