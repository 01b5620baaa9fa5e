import { HotCounter, HotHistogram } from '@vectorstack/observability';

// Observed on every response: HotCounter/HotHistogram rather than prom-client's own (see hot-metrics.ts).

/** Requests by the model that served them (or was asked for) and how they ended. */
export const gatewayRequests = new HotCounter({
  name: 'vectorstack_router_requests_total',
  help: 'Requests handled by the router.',
  labelNames: ['endpoint', 'model', 'outcome'] as const,
});

/** Every upstream attempt, successful or not: the route each request took. */
export const routeHops = new HotCounter({
  name: 'vectorstack_router_route_hops_total',
  help: 'Upstream attempts per model and deployment, by outcome (ok, timeout, rate_limited, server_error, connect, cooling_down...).',
  labelNames: ['model', 'deployment', 'outcome'] as const,
});

/** OpenTelemetry GenAI semantic conventions: gen_ai.client.token.usage by token type. */
export const tokenUsage = new HotHistogram({
  name: 'gen_ai_client_token_usage',
  help: 'Tokens used per request (GenAI semantic conventions).',
  labelNames: ['gen_ai_request_model', 'gen_ai_token_type', 'gen_ai_system'] as const,
  buckets: [1, 4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144],
});

/** gen_ai.client.operation.duration, seconds. */
export const operationDuration = new HotHistogram({
  name: 'gen_ai_client_operation_duration_seconds',
  help: 'Duration of model calls through the router (GenAI semantic conventions).',
  labelNames: ['gen_ai_request_model', 'gen_ai_system', 'gen_ai_operation_name'] as const,
  buckets: [0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
});

/** gen_ai.server.time_to_first_token, seconds (streamed calls). */
export const timeToFirstToken = new HotHistogram({
  name: 'gen_ai_server_time_to_first_token_seconds',
  help: 'Time to the first streamed token (GenAI semantic conventions).',
  labelNames: ['gen_ai_request_model', 'gen_ai_system'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});
