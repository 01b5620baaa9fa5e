import type { Scope } from '@vectorstack/auth-guard';
import type { RouteRef } from '@vectorstack/observability';

/** A model route of the gateway, which handler of GatewayRoutes serves it, and the key scope it needs. */
export interface ModelRoute extends RouteRef {
  readonly method: 'POST';
  readonly handler: 'chat' | 'completions' | 'embeddings';
  readonly scope: Scope;
}

/** The OpenAI-compatible model routes (the router's hot path): served by GatewayRoutes, and logging themselves. */
export const MODEL_ROUTES: readonly ModelRoute[] = [
  { method: 'POST', path: '/v1/chat/completions', handler: 'chat', scope: 'chat' },
  // The seeds' alias of /v1/chat/completions.
  { method: 'POST', path: '/v1/chat', handler: 'chat', scope: 'chat' },
  { method: 'POST', path: '/v1/completions', handler: 'completions', scope: 'chat' },
  { method: 'POST', path: '/v1/embeddings', handler: 'embeddings', scope: 'embeddings' },
];
