import type { RouteRef } from '@vectorstack/observability';

/** A model route of the gateway and which handler of GatewayRoutes serves it. */
export interface ModelRoute extends RouteRef {
  readonly method: 'POST';
  readonly handler: 'chat' | 'completions' | 'embeddings';
}

/** The OpenAI-compatible model routes (the router's hot path): served by GatewayRoutes, and logging themselves. */
export const MODEL_ROUTES: readonly ModelRoute[] = [
  { method: 'POST', path: '/v1/chat/completions', handler: 'chat' },
  // The seeds' alias of /v1/chat/completions.
  { method: 'POST', path: '/v1/chat', handler: 'chat' },
  { method: 'POST', path: '/v1/completions', handler: 'completions' },
  { method: 'POST', path: '/v1/embeddings', handler: 'embeddings' },
];
