import http2, { type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { GrpcCallError, GrpcStatus } from './errors';
import { codecs, methodPath, unaryMethods, type RequestInitOf, type ResponseOf, type UnaryMethodsOf } from './methods';
import { rpcClientDuration } from './metrics';
import { decodeGrpcMessage, formatTimeout, frameMessage, GRPC_CONTENT_TYPE, parseStatus, statusFromHttp, unframeMessage } from './wire';

export interface CallOptions {
  /** Overrides the client's default deadline for this call. */
  deadlineMs?: number;
}

/** A promise-returning function per unary method of the service. */
export type GrpcClient<S extends GenServiceMethods> = {
  [K in keyof UnaryMethodsOf<S>]: (request: RequestInitOf<UnaryMethodsOf<S>[K]>, options?: CallOptions) => Promise<ResponseOf<UnaryMethodsOf<S>[K]>>;
} & { close(): void };

export interface GrpcClientOptions {
  /** Deadline of each call unless the call sets its own. */
  deadlineMs: number;
  /** Largest response accepted, in bytes (default 4 MiB). */
  maxReceiveMessageBytes?: number;
  /** How often an otherwise quiet connection is pinged to find out that it is dead (default 30 s). */
  keepaliveMs?: number;
}

const PING_TIMEOUT_MS = 5_000;
const INITIAL_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;

/**
 * One HTTP/2 connection to a gRPC server, opened on first use and reopened after it closes.
 * After a failed connect, calls fail at once with UNAVAILABLE for a backoff (200 ms doubling to
 * 5 s) instead of each trying to connect. A keepalive ping finds a connection whose peer vanished
 * without closing it (a deleted pod), and so does a call that overran its deadline.
 */
class Channel {
  private session?: ClientHttp2Session;
  private connected = false;
  private backoffMs = INITIAL_BACKOFF_MS;
  private retryAt = 0;
  private closed = false;
  private readonly keepalive: NodeJS.Timeout;
  private pinging = false;

  constructor(
    private readonly authority: string,
    keepaliveMs: number,
  ) {
    this.keepalive = setInterval(() => this.checkAlive(), keepaliveMs);
    this.keepalive.unref();
  }

  /** The open (or opening) connection, or why there is none. */
  acquire(): ClientHttp2Session | GrpcStatus {
    if (this.closed) return GrpcStatus.CANCELLED;
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    if (Date.now() < this.retryAt) return GrpcStatus.UNAVAILABLE;
    const session = http2.connect(this.authority, { settings: { enablePush: false } });
    this.session = session;
    this.connected = false;
    session.unref(); // an idle channel does not keep the process alive; a call's deadline timer does
    session.once('connect', () => {
      this.connected = true;
      this.backoffMs = INITIAL_BACKOFF_MS;
    });
    session.on('error', () => undefined); // its calls fail with it
    session.once('close', () => {
      if (this.session !== session) return;
      this.session = undefined;
      if (!this.connected) {
        this.retryAt = Date.now() + this.backoffMs;
        this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      }
    });
    session.once('goaway', () => {
      if (this.session === session) this.session = undefined; // finish what runs there, open a new one for the rest
    });
    return session;
  }

  /** Pings the connection; one that does not answer within 5 s is dropped. */
  checkAlive(): void {
    const session = this.session;
    if (!session || !this.connected || this.pinging || session.destroyed) return;
    this.pinging = true;
    const timer = setTimeout(() => session.destroy(), PING_TIMEOUT_MS);
    timer.unref();
    const sent = session.ping((error) => {
      clearTimeout(timer);
      this.pinging = false;
      if (error) session.destroy();
    });
    if (!sent) {
      clearTimeout(timer);
      this.pinging = false;
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.keepalive);
    this.session?.close();
    this.session = undefined;
  }
}

/** `host:port`, `dns:///host:port` (the gRPC name syntax) or `http://host:port`, as the URL to connect to. */
export function grpcAuthority(address: string): string {
  if (/^https?:\/\//.test(address)) return address;
  return `http://${address.replace(/^dns:\/\/\//, '')}`;
}

/**
 * A client for the unary methods of a generated service, over one long-lived HTTP/2 connection
 * (h2c) speaking gRPC directly on `node:http2` (see server.ts for why not grpc-js). Every call
 * carries a deadline (`grpc-timeout`, enforced here too); failed calls reject with GrpcCallError:
 * UNAVAILABLE when the server cannot be reached, DEADLINE_EXCEEDED when it did not answer in time,
 * otherwise the server's status and message.
 */
export function createGrpcClient<S extends GenServiceMethods>(service: GenService<S>, address: string, options: GrpcClientOptions): GrpcClient<S> {
  const authority = grpcAuthority(address);
  const channel = new Channel(authority, options.keepaliveMs ?? 30_000);
  const maxReceiveBytes = options.maxReceiveMessageBytes ?? 4 * 1024 * 1024;
  const methods: Record<string, unknown> = { close: () => channel.close() };
  for (const [localName, method] of unaryMethods(service)) {
    const path = methodPath(method);
    const codec = codecs(method);
    const labels = { rpc_service: service.typeName, rpc_method: method.name };
    methods[localName] = (request: MessageInitShape<DescMessage>, callOptions: CallOptions = {}) =>
      new Promise((resolve, reject) => {
        const stopTimer = rpcClientDuration.startTimer(labels);
        let settled = false;
        const fail = (code: GrpcStatus, details: string): void => {
          if (settled) return;
          settled = true;
          clearTimeout(deadlineTimer);
          stopTimer({ rpc_grpc_status_code: code });
          reject(new GrpcCallError(code, details, path));
        };

        const session = channel.acquire();
        if (typeof session === 'number') {
          stopTimer({ rpc_grpc_status_code: session });
          reject(new GrpcCallError(session, session === GrpcStatus.CANCELLED ? 'client closed' : 'server unreachable (reconnecting)', path));
          return;
        }
        let body: Buffer;
        try {
          body = frameMessage(codec.serializeRequest(request));
        } catch (error) {
          stopTimer({ rpc_grpc_status_code: GrpcStatus.INTERNAL });
          reject(new GrpcCallError(GrpcStatus.INTERNAL, `request could not be encoded: ${String(error)}`, path));
          return;
        }

        const deadlineMs = callOptions.deadlineMs ?? options.deadlineMs;
        const stream = session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': GRPC_CONTENT_TYPE,
          te: 'trailers',
          'grpc-timeout': formatTimeout(deadlineMs),
        });
        const deadlineTimer = setTimeout(() => {
          fail(GrpcStatus.DEADLINE_EXCEEDED, `no answer within ${deadlineMs} ms`);
          stream.close(http2.constants.NGHTTP2_CANCEL);
          channel.checkAlive();
        }, deadlineMs);

        let headers: IncomingHttpHeaders | undefined;
        let trailers: IncomingHttpHeaders | undefined;
        const chunks: Buffer[] = [];
        let received = 0;
        stream.on('response', (responseHeaders) => (headers = responseHeaders));
        stream.on('trailers', (responseTrailers) => (trailers = responseTrailers));
        stream.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > maxReceiveBytes + 5) {
            fail(GrpcStatus.RESOURCE_EXHAUSTED, `response larger than ${maxReceiveBytes} bytes`);
            stream.close(http2.constants.NGHTTP2_CANCEL);
            return;
          }
          chunks.push(chunk);
        });
        stream.on('error', () => undefined); // reported from 'close' below
        stream.on('close', () => {
          if (settled) return;
          if (!headers) {
            // Never answered: the connection failed or the server refused the stream.
            fail(GrpcStatus.UNAVAILABLE, `connection to ${authority} failed`);
            return;
          }
          // A trailers-only response carries the status in its headers.
          const status = parseStatus((trailers ?? headers)['grpc-status']);
          if (status === undefined) {
            const httpStatus = Number(headers[':status']);
            fail(httpStatus === 200 ? GrpcStatus.INTERNAL : statusFromHttp(httpStatus), httpStatus === 200 ? 'response ended without a status' : `HTTP ${httpStatus}`);
            return;
          }
          if (status !== GrpcStatus.OK) {
            fail(status, decodeGrpcMessage((trailers ?? headers)['grpc-message']));
            return;
          }
          const framed = unframeMessage(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
          if (!framed.ok) {
            fail(framed.code, `bad response: ${framed.reason}`);
            return;
          }
          let response: unknown;
          try {
            response = codec.deserializeResponse(framed.message);
          } catch {
            fail(GrpcStatus.INTERNAL, 'response is not a valid protobuf message of this method');
            return;
          }
          settled = true;
          clearTimeout(deadlineTimer);
          stopTimer({ rpc_grpc_status_code: GrpcStatus.OK });
          resolve(response);
        });
        stream.end(body);
      });
  }
  return methods as GrpcClient<S>;
}
