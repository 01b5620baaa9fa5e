import type { IncomingHttpHeaders } from 'node:http';
import { storage } from 'nestjs-pino/storage';
import type { Logger } from 'pino';

/** A route by method and path, as the HTTP platform registers it (`POST /v1/chat/completions`). */
export interface RouteRef {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
}

/** What the request log needs of a finished request (a Fastify request/reply, or plain values). */
export interface FinishedRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress?: string;
  readonly statusCode: number;
  /** Milliseconds from arrival to the end of the response. */
  readonly responseTime: number;
}

let requestsHoldingContext = 0;

/**
 * Marks a request that runs in nestjs-pino's request context (its middleware's
 * `storage.run`); call the returned function once when it has ended.
 *
 * Why: on Node 20, an AsyncLocalStorage that has run once keeps async hooks on for every promise
 * of the process for good — ~23 µs of CPU per response on the router's hot routes (measured), which never
 * use that context (they carry their request id themselves). When the last such request ends,
 * the storage is disabled (hooks off); the next request's `storage.run` turns it back on. Work a
 * finished request left behind then logs without its request id. Node 22.7+ implements
 * AsyncLocalStorage without hooks (AsyncContextFrame), and this becomes unnecessary.
 */
export function holdRequestContext(): () => void {
  requestsHoldingContext++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--requestsHoldingContext === 0) storage.disable();
  };
}

/**
 * The request line of a self-logged route, in pino-http's shape (`req`, `res`, `responseTime`,
 * `requestId`). A failed request (status ≥ 400) is logged at info with its headers (secrets
 * redacted by the logger's paths), as pino-http logs every request; a successful one only at
 * debug and without headers: these routes serve a high request rate and each call is already
 * recorded elsewhere (the router's usage events and metrics).
 */
export function logFinishedRequest(logger: Logger, request: FinishedRequest): void {
  const failed = request.statusCode >= 400;
  if (!failed && !logger.isLevelEnabled('debug')) return;
  const req = failed
    ? { id: request.id, method: request.method, url: request.url, headers: request.headers, remoteAddress: request.remoteAddress }
    : { id: request.id, method: request.method, url: request.url };
  const line = { requestId: request.id, req, res: { statusCode: request.statusCode }, responseTime: request.responseTime };
  if (failed) logger.info(line, request.statusCode >= 500 ? 'request errored' : 'request completed');
  else logger.debug(line, 'request completed');
}
