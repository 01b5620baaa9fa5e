import type { IncomingHttpHeaders } from 'node:http';
import { storage, type Store } from 'nestjs-pino/storage';
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

/**
 * The per-request context of a self-logged route for nestjs-pino: what `storage.run` holds
 * while the route runs, so that every line logged during the request (through Nest's Logger)
 * carries its request id — the same guarantee pino-http gives the other routes. The child
 * logger is made only when something logs: a request that logs nothing costs no child.
 */
export class RequestLogContext {
  private child?: Logger;
  /** nestjs-pino's Store shape: no response logger for self-logged routes. */
  responseLogger?: Logger;

  constructor(
    private readonly root: Logger,
    readonly requestId: string,
  ) {}

  get logger(): Logger {
    this.child ??= this.root.child({ requestId: this.requestId });
    return this.child;
  }

  /** nestjs-pino's PinoLogger.assign() replaces the logger with a child of it. */
  set logger(logger: Logger) {
    this.child = logger;
  }
}

/** Runs `fn` (and everything it awaits) with `context` as nestjs-pino's request store. */
export function runWithRequestLog<T>(context: RequestLogContext, fn: () => T): T {
  // RequestLogContext has Store's two members; the lazy getter is the point of not using Store.
  return storage.run(context as unknown as Store, fn);
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
