import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicWire } from './anthropic-wire';
import {
  applyControlScript,
  type Behaviour,
  type ControlScript,
  ControlScriptError,
  defaultBehaviour,
  type Fault,
  modelBehaviour,
  parseControlScript,
  pickFault,
} from './behaviour';
import { DEFAULT_OPENAI_MODELS, openAIWire } from './openai-wire';
import { type RecordedRequest, recordableHeaders, RequestLog } from './recorder';
import type { FakeUpstreamKind, Wire, WireResponse } from './wire';

export interface FakeUpstreamOptions {
  /** 0 (default): any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, requests must carry this key (`Authorization: Bearer` / `x-api-key`) or get 401. */
  apiKey?: string;
  /** How many requests the log keeps (oldest dropped first); 0 records nothing. Default 10,000. */
  recordLimit?: number;
  /** The behaviour at start and after every reset. */
  behaviour?: ControlScript;
  /** OpenAI only: the ids GET /v1/models lists. */
  models?: string[];
}

/** A running fake upstream, controlled in-process. */
export interface FakeUpstream {
  readonly kind: FakeUpstreamKind;
  /** The server's origin, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** What a deployment's baseUrl should be: `${url}/v1` for OpenAI, `url` for Anthropic. */
  readonly baseUrl: string;
  readonly port: number;
  /** Applies a control script (the fields it names replace the current ones); returns the behaviour. */
  control(script: ControlScript): Behaviour;
  behaviour(): Behaviour;
  /** Back to the start behaviour, and the request log cleared. */
  reset(): void;
  /** The recorded API requests, oldest first. */
  requests(): RecordedRequest[];
  clearRequests(): void;
  /** Resolves with the log once `predicate` holds for it; rejects after `timeoutMs` (default 5000). */
  waitFor(predicate: (requests: RecordedRequest[]) => boolean, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = value === undefined ? '' : JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage, res: ServerResponse, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => done(chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')));
  req.on('error', () => res.destroy());
}

/** Waits `ms` unless the response closes first; resolves whether the response is still open. */
function delay(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) {
      resolve(false);
      return;
    }
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', onClose);
  });
}

function faultLabel(fault: Fault): string {
  return 'status' in fault ? `status:${fault.status}` : fault.fault;
}

const STREAM_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

/** Starts a fake upstream speaking `kind`'s wire format. */
export function startFakeUpstream(kind: FakeUpstreamKind, options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const wire: Wire = kind === 'openai' ? openAIWire(options.models ?? DEFAULT_OPENAI_MODELS) : anthropicWire();
  const initial = (): Behaviour => applyControlScript(defaultBehaviour(), parseControlScript(options.behaviour ?? {}));
  let behaviour = initial();
  const log = new RequestLog(options.recordLimit ?? 10_000);
  let closing = false;

  function retryHeaders(status: number): Record<string, string> | undefined {
    if (status !== 429 && status !== 503) return undefined;
    const headers: Record<string, string> = {};
    if (behaviour.retryAfter !== null) headers['retry-after'] = String(behaviour.retryAfter);
    if (behaviour.retryAfterMs !== null) headers['retry-after-ms'] = String(behaviour.retryAfterMs);
    return headers;
  }

  function writeJson(res: ServerResponse, record: RecordedRequest, response: WireResponse & { type: 'json' }): void {
    record.status = response.status;
    res.writeHead(response.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(response.body), ...response.headers });
    res.end(response.body);
  }

  /**
   * Writes SSE frames. With `cutAfter`, only that many go out, then `tail` decides: destroy the
   * connection, or write a last frame (error event / malformed data) and end.
   */
  async function writeStream(res: ServerResponse, record: RecordedRequest, frames: string[], cut?: { after: number; tail: 'destroy' | string }, onDestroy?: () => void): Promise<void> {
    record.status = 200;
    res.writeHead(200, STREAM_HEADERS);
    const count = cut === undefined ? frames.length : Math.min(cut.after, frames.length);
    const gap = behaviour.streamChunkDelayMs;
    if (gap > 0) res.flushHeaders();
    for (let i = 0; i < count; i++) {
      if (i > 0 && gap > 0 && !(await delay(gap, res))) return;
      res.write(frames[i]);
    }
    if (cut === undefined) res.end();
    else if (cut.tail === 'destroy') {
      if (gap > 0 && !(await delay(gap, res))) return;
      onDestroy?.();
      // Let the written frames reach the client first, then drop the connection mid-body.
      res.socket?.end();
      setImmediate(() => res.socket?.destroy());
    } else {
      if (gap > 0 && !(await delay(gap, res))) return;
      res.end(cut.tail);
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string, path: string, text: string): Promise<void> {
    let body: unknown = null;
    let malformedBody = false;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
        malformedBody = true;
      }
    }
    const { model, stream } = wire.describe(body);
    const { headers, credential } = log.enabled ? recordableHeaders(req.headers) : { headers: {}, credential: null };
    const seq = log.nextSeq();
    const record: RecordedRequest = {
      seq,
      method,
      path,
      headers,
      credential,
      body,
      model,
      stream,
      remotePort: req.socket.remotePort,
      receivedAt: Date.now(),
      status: undefined,
      fault: undefined,
      completed: false,
      aborted: false,
    };
    log.add(record);
    let destroyedByServer = false;
    res.on('finish', () => {
      record.completed = true;
    });
    res.on('close', () => {
      if (!record.completed && !destroyedByServer && !closing) record.aborted = true;
    });

    const route = wire.route(method, path);
    if (route === undefined) return writeJson(res, record, wire.errorResponse(404, `Unknown request URL: ${method} ${path}`));
    if (malformedBody) return writeJson(res, record, wire.errorResponse(400, 'The request body is not valid JSON.'));
    const denied = wire.authorize(req.headers, options.apiKey);
    if (denied !== undefined) return writeJson(res, record, denied as WireResponse & { type: 'json' });

    const fault = method === 'POST' ? pickFault(behaviour, model) : undefined;
    const latency = behaviour.latencyMs + (model === undefined ? 0 : (modelBehaviour(model).latencyMs ?? 0));
    if (latency > 0 && !(await delay(latency, res))) return;
    if (fault !== undefined) record.fault = faultLabel(fault);

    if (fault !== undefined && 'status' in fault) {
      const error = wire.errorResponse(fault.status, fault.message ?? `Injected failure: HTTP ${fault.status}`);
      const extra = retryHeaders(fault.status);
      return writeJson(res, record, extra === undefined ? error : { ...error, headers: extra });
    }
    switch (fault?.fault) {
      case 'timeout':
        return; // hold the request until the client gives up (recorded as aborted)
      case 'reset':
        destroyedByServer = true;
        req.socket.destroy();
        return;
      case 'stall':
        record.status = 200;
        res.writeHead(200, stream ? STREAM_HEADERS : { 'content-type': 'application/json' });
        res.flushHeaders();
        return;
      default:
        break;
    }

    const response = route.handler({ seq, body, headers: req.headers, param: route.param });
    if (response.type === 'json') {
      if (fault === undefined || response.status !== 200) return writeJson(res, record, response);
      if (fault.fault === 'error-event') return writeJson(res, record, wire.errorResponse(500, 'Injected failure: error event'));
      if (fault.fault === 'malformed') return writeJson(res, record, { type: 'json', status: 200, body: '{"id": "malformed", "choices": [' });
      // midstream: promise the whole body, send half of it, drop the connection.
      record.status = 200;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(response.body) });
      res.write(response.body.slice(0, Math.floor(response.body.length / 2)));
      destroyedByServer = true;
      res.socket?.end();
      setImmediate(() => res.socket?.destroy());
      return;
    }
    if (fault === undefined) {
      if (behaviour.streamChunkDelayMs === 0) {
        // Zero-latency path: every event is its own write (its own chunk), no timers, no promises.
        record.status = 200;
        res.writeHead(200, STREAM_HEADERS);
        for (const frame of response.frames) res.write(frame);
        res.end();
        return;
      }
      return writeStream(res, record, response.frames);
    }
    const after = 'afterChunks' in fault && fault.afterChunks !== undefined ? fault.afterChunks : Math.floor(response.frames.length / 2);
    if (fault.fault === 'midstream') {
      return writeStream(res, record, response.frames, { after, tail: 'destroy' }, () => {
        destroyedByServer = true;
      });
    }
    return writeStream(res, record, response.frames, { after, tail: fault.fault === 'error-event' ? wire.streamErrorFrame() : wire.malformedFrame() });
  }

  function handleControl(req: IncomingMessage, res: ServerResponse, method: string, path: string): void {
    if (path === '/healthz' && method === 'GET') return sendJson(res, 200, { status: 'ok', kind });
    if (path === '/__requests' && method === 'GET') return sendJson(res, 200, log.list());
    if (path === '/__requests' && method === 'DELETE') {
      log.clear();
      return sendJson(res, 200, { cleared: true });
    }
    if (path === '/__control' && method === 'GET') return sendJson(res, 200, behaviour);
    if (path === '/__control/reset' && method === 'POST') {
      handle.reset();
      return sendJson(res, 200, behaviour);
    }
    if (path === '/__control' && method === 'POST') {
      return readBody(req, res, (text) => {
        try {
          sendJson(res, 200, handle.control(parseControlScript(text ? JSON.parse(text) : {})));
        } catch (error) {
          const message = error instanceof ControlScriptError || error instanceof SyntaxError ? error.message : String(error);
          sendJson(res, 400, { error: { message, type: 'invalid_request_error', param: null, code: null } });
        }
      });
    }
    return sendJson(res, 404, { error: { message: `Unknown control route ${method} ${path}`, type: 'invalid_request_error', param: null, code: null } });
  }

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const method = req.method ?? 'GET';
    if (path.startsWith('/__') || path === '/healthz') {
      handleControl(req, res, method, path);
      return;
    }
    readBody(req, res, (text) => {
      handleApi(req, res, method, path, text).catch(() => res.destroy());
    });
  });
  // Long keep-alive so pooled clients never race an idle close; no request timeout so the
  // 'timeout' fault can hold a request as long as the client waits.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;

  const handle: FakeUpstream = {
    kind,
    url: '',
    baseUrl: '',
    port: 0,
    control(script) {
      behaviour = applyControlScript(behaviour, parseControlScript(script));
      return behaviour;
    },
    behaviour: () => behaviour,
    reset() {
      behaviour = initial();
      log.clear();
    },
    requests: () => log.list(),
    clearRequests: () => log.clear(),
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const requests = log.list();
        if (predicate(requests)) return requests;
        if (Date.now() >= deadline) {
          const summary = requests.map((r) => `#${r.seq} ${r.method} ${r.path} status=${r.status} completed=${r.completed} aborted=${r.aborted}`).join('; ');
          throw new Error(`fake ${kind} upstream: condition not met within ${timeoutMs} ms; requests: ${summary || 'none'}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close() {
      closing = true;
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };

  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
      Object.assign(handle, { url, port, baseUrl: kind === 'openai' ? `${url}/v1` : url });
      resolve(handle);
    });
  });
}

export function startFakeOpenAI(options?: FakeUpstreamOptions): Promise<FakeUpstream> {
  return startFakeUpstream('openai', options);
}

export function startFakeAnthropic(options?: FakeUpstreamOptions): Promise<FakeUpstream> {
  return startFakeUpstream('anthropic', options);
}
