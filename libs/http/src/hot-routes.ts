import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { HttpConfig } from '@vectorstack/config';
import { holdRequestContext, httpRequestDuration, logFinishedRequest, resolveRequestId } from '@vectorstack/observability';
import type { Logger } from 'pino';
import secureJson from 'secure-json-parse';
import { ApiError } from './api-error';
import { publicError } from './exception.filter';
import { endAtTurnEnd, isEnding } from './turn-writes';

/** A request to a hot route, its body read and parsed. */
export interface HotRequest {
  /** The caller's X-Request-Id when well-formed, else a new UUID (echoed in the response). */
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when the request had none). */
  readonly body: unknown;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  readonly raw: IncomingMessage;
  /** The client address: the socket's peer, or X-Forwarded-For as far as TRUSTED_PROXIES vouch for it (computed on first use). */
  readonly ip: string;
}

/**
 * Serves one hot route. It writes the response itself — `writeHead` once with every header, then
 * `endAtTurnEnd` (or a stream; see turn-writes.ts) — and returns when the response is complete;
 * whatever it throws (at once, or as its promise's rejection) is answered in the OpenAI error
 * shape (if nothing was sent yet).
 */
export type HotHandler = (request: HotRequest, response: ServerResponse) => Promise<void>;

export interface HotRoute {
  readonly method: 'POST';
  /** Exact path (a query string is allowed after it). */
  readonly path: string;
  readonly handler: HotHandler;
}

/** The platform headers every hot response starts with. */
export interface HotHeaders extends OutgoingHttpHeaders {
  'x-request-id': string;
  'x-vectorstack-service': string;
}

const JSON_MEDIA_TYPE = 'application/json';
/** The request stream failed (the client went away while sending its body). */
const CLIENT_GONE = Symbol('client gone');

class ParsedRequest implements HotRequest {
  private address?: string;

  constructor(
    readonly id: string,
    readonly raw: IncomingMessage,
    readonly body: unknown,
    readonly startedAt: number,
    private readonly trust: ((address: string, hop: number) => boolean) | undefined,
  ) {}

  get method(): string {
    return this.raw.method ?? 'POST';
  }

  get url(): string {
    return this.raw.url ?? '';
  }

  get headers(): IncomingHttpHeaders {
    return this.raw.headers;
  }

  get ip(): string {
    this.address ??= (this.trust ? proxyAddr(this.raw, this.trust) : this.raw.socket.remoteAddress) ?? '';
    return this.address;
  }
}

/**
 * A service's hottest routes on plain `node:http`, served on the service's port ahead of the
 * Nest application (`attach`).
 *
 * Why not a framework: on the router's model routes, a Fastify instance of their own (before
 * that, Nest's controller pipeline) cost more CPU per response than the gateway's own work —
 * request/reply objects, hooks, the content-type parser chain, the reply's serialisation and
 * header bookkeeping. What a hot route needs of it is small, and is all here, with the same
 * behaviour as the platform's Fastify instances:
 * - the request id (the caller's X-Request-Id when well-formed, else a new UUID), echoed as
 *   `x-request-id` with `x-vectorstack-service`;
 * - the client IP through trusted proxies only (TRUSTED_PROXIES, as Fastify's trustProxy, with
 *   the same @fastify/proxy-addr);
 * - a JSON body: 415 for another media type, 413 over HTTP_BODY_LIMIT_BYTES (by Content-Length
 *   at once, or while reading), 400 `invalid_json` for an empty or malformed body or one with
 *   `__proto__`/`constructor.prototype` keys (secure-json-parse, as Fastify's parser);
 * - errors in the OpenAI shape through the same mapping as the platform's exception filter
 *   (unexpected ones logged, an opaque 500 to the client);
 * - the request metric (`http_server_request_duration_seconds` under the route) and the
 *   request line (`logFinishedRequest`: failures at info, successes at debug); no request-scoped
 *   logger (nestjs-pino's AsyncLocalStorage costs every promise of the process on Node 20): a
 *   handler that logs about its request names the request id;
 * - after `close()`, 503 with `Connection: close`, as Nest's server answers while it drains.
 */
export class HotRoutes {
  private readonly trust: ((address: string, hop: number) => boolean) | undefined;
  private readonly bodyLimit: number;
  private closing = false;

  constructor(
    private readonly serviceName: string,
    http: Pick<HttpConfig, 'TRUSTED_PROXIES' | 'HTTP_BODY_LIMIT_BYTES'>,
    private readonly log: Logger,
  ) {
    this.trust = http.TRUSTED_PROXIES.length > 0 ? proxyAddr.compile([...http.TRUSTED_PROXIES]) : undefined;
    this.bodyLimit = http.HTTP_BODY_LIMIT_BYTES;
  }

  /**
   * Makes `server` (the Nest application's, before it listens) hand requests for `routes` to
   * their handlers, and every other request to the handler it had (Nest's).
   */
  attach(server: Server, routes: readonly HotRoute[]): void {
    const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    if (handlers.length !== 1) throw new Error(`HotRoutes.attach: expected the server to have one request handler, found ${handlers.length}`);
    const [application] = handlers;
    const byPath = new Map<string, HotRoute>();
    for (const route of routes) byPath.set(`${route.method} ${route.path}`, route);
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '';
      const query = url.indexOf('?');
      const route = byPath.get(`${req.method} ${query === -1 ? url : url.slice(0, query)}`);
      if (route) {
        this.serve(route, req, res);
        return;
      }
      // The application's requests run in nestjs-pino's request context; the hot routes do not
      // need it, and need it off while no application request is in flight (see holdRequestContext).
      res.once('close', holdRequestContext());
      application.call(server, req, res);
    });
  }

  /** From now on, hot requests get 503 with Connection: close (before the server drains). */
  close(): void {
    this.closing = true;
  }

  /** The headers every response of request `id` carries. */
  platformHeaders(id: string): HotHeaders {
    return { 'x-request-id': id, 'x-vectorstack-service': this.serviceName };
  }

  private serve(route: HotRoute, req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    const id = resolveRequestId(req.headers['x-request-id']);
    // As genReqId: the request's own headers say the id the logs use.
    req.headers['x-request-id'] = id;
    if (this.closing) {
      this.finish(route, req, id, startedAt, this.sendError(ApiError.unavailable('The server is shutting down; retry on another replica.'), id, req, res, { connection: 'close' }));
      return;
    }
    this.readBody(req, (error, body) => {
      if (error === CLIENT_GONE) {
        res.destroy();
        return;
      }
      if (error) {
        this.finish(route, req, id, startedAt, this.sendError(error, id, req, res));
        return;
      }
      const request = new ParsedRequest(id, req, body, startedAt, this.trust);
      let handled: Promise<void>;
      try {
        handled = route.handler(request, res);
      } catch (failure) {
        // A handler that is not an async function may refuse a request by throwing.
        handled = Promise.reject(failure);
      }
      handled.then(
        () => this.finish(route, req, id, startedAt, res.statusCode),
        (failure: unknown) => this.finish(route, req, id, startedAt, this.sendError(failure, id, req, res)),
      );
    });
  }

  /** Reads and parses a JSON body as Fastify's default parser does; `done` once, with an ApiError or the value. */
  private readBody(req: IncomingMessage, done: (error: ApiError | typeof CLIENT_GONE | undefined, body?: unknown) => void): void {
    const type = req.headers['content-type'];
    const declared = req.headers['content-length'];
    const length = declared === undefined ? undefined : Number(declared);
    if (length !== undefined && !(Number.isInteger(length) && length >= 0)) return done(new ApiError(400, { message: 'The Content-Length header is not valid.', code: 'invalid_content_length' }));
    if (type === undefined) {
      // No body at all is the handler's to refuse (its validation); a body of unknown type is 415.
      const hasBody = (length !== undefined && length > 0) || req.headers['transfer-encoding'] !== undefined;
      return hasBody ? done(unsupportedMediaType(type)) : done(undefined, undefined);
    }
    const semicolon = type.indexOf(';');
    if ((semicolon === -1 ? type : type.slice(0, semicolon)).trim().toLowerCase() !== JSON_MEDIA_TYPE) return done(unsupportedMediaType(type));
    if (length !== undefined && length > this.bodyLimit) {
      req.resume();
      return done(tooLarge());
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (error: ApiError | typeof CLIENT_GONE | undefined, body?: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      done(error, body);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > this.bodyLimit) {
        req.resume();
        settle(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (length !== undefined && received !== length) return settle(new ApiError(400, { message: 'The request body does not match its Content-Length.', code: 'invalid_content_length' }));
      const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
      if (text.length === 0) return settle(new ApiError(400, { message: 'The request body is empty; expected a JSON object.', code: 'invalid_json' }));
      let body: unknown;
      try {
        body = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
      } catch {
        return settle(new ApiError(400, { message: 'The request body is not valid JSON.', code: 'invalid_json' }));
      }
      settle(undefined, body);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    // A client that went away mid-body: nobody to answer.
    req.once('error', () => settle(CLIENT_GONE));
  }

  /** Answers `exception` in the OpenAI shape unless the response has started; returns the status the client got. */
  private sendError(exception: unknown, id: string, req: IncomingMessage, res: ServerResponse, extra?: Record<string, string>): number {
    const error = publicError(exception, this.log, { requestId: id, url: req.url ?? '' });
    if (res.headersSent) {
      // A stream already under way: the handler wrote what it could; end it (unless its end is on the way).
      if (!res.writableEnded && !isEnding(res)) endAtTurnEnd(res);
      return res.statusCode;
    }
    if (res.destroyed) return error.status;
    res.writeHead(error.status, { ...error.headers, ...this.platformHeaders(id), ...extra, 'content-type': 'application/json; charset=utf-8' });
    endAtTurnEnd(res, JSON.stringify(error.toBody()));
    return error.status;
  }

  private finish(route: HotRoute, req: IncomingMessage, id: string, startedAt: number, status: number): void {
    const elapsedMs = performance.now() - startedAt;
    httpRequestDuration.labels(route.method, route.path, String(status)).observe(elapsedMs / 1000);
    logFinishedRequest(this.log, {
      id,
      method: route.method,
      url: req.url ?? '',
      headers: req.headers,
      remoteAddress: req.socket?.remoteAddress,
      statusCode: status,
      responseTime: Math.round(elapsedMs),
    });
  }
}

function unsupportedMediaType(type: string | undefined): ApiError {
  return new ApiError(415, { message: `Unsupported Media Type: ${type ?? 'none'}. Send the body as application/json.`, code: 'unsupported_media_type' });
}

function tooLarge(): ApiError {
  return ApiError.payloadTooLarge('The request body is too large.');
}
