import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { HttpConfig } from '@vectorstack/config';
import Fastify, { type FastifyInstance } from 'fastify';
import { ApiError } from './api-error';
import { installPlatformHooks, platformFastifyOptions } from './bootstrap';
import { sendApiError } from './exception.filter';

export interface FastRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Exact path (a query string is allowed after it). */
  readonly path: string;
}

/**
 * A Fastify instance of its own for a service's hottest routes, served on the service's port
 * ahead of the Nest application (see `serveFirst`).
 *
 * Why: Nest's Fastify instance runs Nest's request hooks and middie (the Express-style
 * middleware layer) for every request, including routes that no middleware applies to — and
 * middie's per-request set-up alone reads the client IP, host, protocol and query onto the raw
 * request. On the router's model routes that was about a tenth of the process's CPU per response.
 *
 * What stays the same: request ids (the caller's X-Request-Id or a new one), trusted proxies,
 * the body limit, the x-request-id / x-vectorstack-service headers and request metrics
 * (`installPlatformHooks`), and errors in the OpenAI shape through `sendApiError` — Fastify's
 * own (bad JSON, too large, wrong media type) included, as on Nest's instance.
 */
export function createFastRoutes(
  serviceName: string,
  http: Pick<HttpConfig, 'TRUSTED_PROXIES' | 'HTTP_BODY_LIMIT_BYTES'>,
  logger: Parameters<typeof sendApiError>[3],
): FastifyInstance {
  const fastify = Fastify(platformFastifyOptions(http));
  installPlatformHooks(fastify, serviceName);
  fastify.setErrorHandler((error, request, reply) => sendApiError(error, request, reply, logger));
  // Only requests for its routes reach it (serveFirst); a miss would be a bug, answered as Nest would.
  fastify.setNotFoundHandler((request, reply) => sendApiError(ApiError.notFound('Unknown route.'), request, reply, logger));
  return fastify;
}

/**
 * Makes `server` (the Nest application's, before it listens) hand requests for `routes` to
 * `fast` — which must be ready — and every other request to the handler it had (Nest's Fastify).
 */
export function serveFirst(server: Server, fast: FastifyInstance, routes: readonly FastRoute[]): void {
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  if (handlers.length !== 1) throw new Error(`serveFirst: expected the server to have one request handler, found ${handlers.length}`);
  const [application] = handlers;
  const byMethod = new Map<string, Set<string>>();
  for (const route of routes) byMethod.set(route.method, (byMethod.get(route.method) ?? new Set()).add(route.path));
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    if (byMethod.get(req.method ?? '')?.has(query === -1 ? url : url.slice(0, query))) fast.routing(req, res);
    else application.call(server, req, res);
  });
}
