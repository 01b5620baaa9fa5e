import { errors, Pool, type Dispatcher } from 'undici';
import type { CallSignal } from '../cancellation';
import type { DeploymentTarget } from '../types';
import { httpFailure, transportFailure, type ResponseHeaders } from './upstream-errors';

export interface UpstreamResponse {
  readonly statusCode: number;
  /** Lower-case names, as undici parses them. */
  readonly headers: ResponseHeaders;
  readonly body: UpstreamBody;
}

/** How many body bytes may wait unread before the connection is paused (a Node stream's default highWaterMark is 16 KiB; a stream of small events rarely gets near either). */
const HIGH_WATER_MARK = 64 * 1024;
const UTF8_BOM = 0xfeff;

/**
 * An upstream response's body as undici delivers it, without a Node stream around it: chunks
 * queue as they arrive (the connection is paused while more than 64 KiB wait unread) and are read
 * once, whole (`text`, `json`) or chunk by chunk (`for await`). Errors (a reset, the body timeout,
 * an abort) are thrown to the reader after the chunks that arrived before them.
 *
 * Why not undici's `request()` and its body stream: a Readable per response, and its consume
 * machinery for `json()`, cost the router ~20 µs of CPU per non-streamed response (A/B at
 * concurrency 64, alternated 3 times: 335 → 317 µs on average), the largest single part left.
 */
export class UpstreamBody implements AsyncIterable<Buffer> {
  private chunks: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  /** A whole-body read takes everything as it comes: no pausing. */
  private unbounded = false;

  constructor(private readonly controller: Dispatcher.DispatchController) {}

  /** True once every byte arrived. */
  get complete(): boolean {
    return this.ended;
  }

  /** The body as text (UTF-8, a leading BOM dropped, as undici's `text()`), once it is complete. */
  async text(): Promise<string> {
    this.unbounded = true;
    if (this.controller.paused) this.controller.resume();
    while (!this.ended) {
      if (this.failure) throw this.failure;
      await this.changed();
    }
    return this.completeText();
  }

  /** The body parsed as JSON (a SyntaxError for malformed or empty text). */
  async json<T = unknown>(): Promise<T> {
    return JSON.parse(this.ended ? this.completeText() : await this.text()) as T;
  }

  /** The whole text if every byte already arrived (read once, as `text`), else undefined: saves a promise on the common path. */
  textIfComplete(): string | undefined {
    return this.ended ? this.completeText() : undefined;
  }

  /** The text of a complete body (its chunks are let go). */
  private completeText(): string {
    const { chunks } = this;
    this.chunks = [];
    this.queued = 0;
    const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
    return text.charCodeAt(0) === UTF8_BOM ? text.slice(1) : text;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const chunks = this.take();
      if (chunks !== undefined) {
        for (const chunk of chunks) yield chunk;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return;
      await this.changed();
    }
  }

  /**
   * The chunks that arrived since the last take, or undefined when none wait (a paused connection
   * resumes). With `error`, `complete` and `changed`, the way to read without a promise per chunk:
   * take what is here; then the failure, if any (after every chunk before it), or the end; else
   * wait for the next change.
   */
  take(): Buffer[] | undefined {
    if (this.chunks.length === 0) return undefined;
    const chunks = this.chunks;
    this.chunks = [];
    this.queued = 0;
    if (this.controller.paused) this.controller.resume();
    return chunks;
  }

  /** Why the body failed (a reset, the body timeout, an abort), once it did. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Resolves at the next change: more bytes, the end or a failure. One reader at a time. */
  changed(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** Abandons the exchange unless the body is complete: undici closes the connection. */
  destroy(): void {
    if (this.ended || this.failure) return;
    this.controller.abort(new errors.RequestAbortedError('The response body was abandoned'));
  }

  /** @internal the exchange's side */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.queued += chunk.length;
    if (!this.unbounded && this.queued > HIGH_WATER_MARK) this.controller.pause();
    this.notify();
  }

  /** @internal */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** @internal */
  fail(error: Error): void {
    this.failure ??= error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * One POST through undici's `dispatch`: resolves with the response at its headers (any status),
 * then feeds its body; cancelled through the call's signal at any point (queued, waiting for the
 * headers, or mid-body).
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private body: UpstreamBody | undefined;

  constructor(
    private readonly signal: CallSignal,
    private readonly resolve: (response: UpstreamResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    // The exchange itself listens (handleEvent), not a closure made for it. A closure created in
    // this constructor made V8 keep every exchange's objects (undici's request, the response
    // headers, the caller's promise chain) through two or more scavenges: under load the router
    // promoted ~2 MB to the old generation per scavenge instead of ~0.1 MB, and spent ~14 µs
    // more CPU per request (--trace-gc-nvp; see bench/router/README.md).
    signal.addEventListener('abort', this, { once: true });
  }

  /** The signal's abort. */
  handleEvent(): void {
    this.controller?.abort(abortReason(this.signal));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Aborted while queued for a connection.
    if (this.signal.aborted) controller.abort(abortReason(this.signal));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders): void {
    if (statusCode < 200) return; // 1xx: the final answer follows
    this.body = new UpstreamBody(controller);
    this.resolve({ statusCode, headers, body: this.body });
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.body?.push(chunk);
  }

  onResponseEnd(): void {
    this.signal.removeEventListener('abort', this);
    this.body?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.signal.removeEventListener('abort', this);
    if (this.body) this.body.fail(error);
    else this.reject(transportFailure(error, this.signal));
  }
}

function abortReason(signal: CallSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new errors.RequestAbortedError();
}

interface Endpoint {
  pool: Pool;
  /** The base URL's path without a trailing slash (`/v1`, or `` for a bare origin). */
  basePath: string;
}

/**
 * The HTTP client every adapter shares: one keep-alive undici `Pool` per upstream origin, created
 * on first use and reused by every request (no per-request dispatcher, no URL parsing per request:
 * base URLs are parsed once and cached), driven through `dispatch` (see UpstreamBody).
 */
export class UpstreamHttp {
  private readonly pools = new Map<string, Pool>();
  private readonly endpoints = new Map<string, Endpoint>();

  constructor(private readonly poolOptions: Pool.Options = {}) {}

  private endpoint(baseUrl: string): Endpoint {
    let endpoint = this.endpoints.get(baseUrl);
    if (endpoint === undefined) {
      const url = new URL(baseUrl);
      let pool = this.pools.get(url.origin);
      if (pool === undefined) {
        pool = new Pool(url.origin, this.poolOptions);
        this.pools.set(url.origin, pool);
      }
      endpoint = { pool, basePath: url.pathname.replace(/\/+$/, '') };
      this.endpoints.set(baseUrl, endpoint);
    }
    return endpoint;
  }

  /**
   * POST a JSON string to `{target.baseUrl}{path}`. Resolves with the response whatever its status;
   * transport failures (refused, reset, header timeout, abort) reject with an UpstreamError.
   * `timeoutMs` bounds the wait for the response headers and then every gap between body bytes.
   *
   * Not an async function: the exchange settles the promise itself (failures already classified),
   * so a request costs one promise here rather than two and a turn.
   */
  post(target: DeploymentTarget, path: string, headers: Record<string, string>, body: string, signal: CallSignal): Promise<UpstreamResponse> {
    if (signal.aborted) return Promise.reject(transportFailure(abortReason(signal), signal));
    let endpoint: Endpoint;
    try {
      endpoint = this.endpoint(target.baseUrl);
    } catch (error) {
      return Promise.reject(error);
    }
    const { pool, basePath } = endpoint;
    return new Promise<UpstreamResponse>((resolve, reject) => {
      try {
        pool.dispatch(
          { method: 'POST', path: basePath + path, headers, body, headersTimeout: target.timeoutMs, bodyTimeout: target.timeoutMs },
          new Exchange(signal, resolve, reject),
        );
      } catch (error) {
        reject(transportFailure(error, signal));
      }
    });
  }

  /** Closes every pool (graceful: in-flight requests finish). */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    this.endpoints.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}

/** Reads a 2xx JSON body; any other status becomes the classified UpstreamError. */
export async function readJson<T>(response: UpstreamResponse, signal: CallSignal): Promise<T> {
  // A 2xx (nearly every answer) goes straight to the body, without a turn through throwUnlessOk.
  if (response.statusCode < 200 || response.statusCode >= 300) await throwUnlessOk(response, signal);
  try {
    return (await response.body.json()) as T;
  } catch (error) {
    throw transportFailure(error, signal);
  }
}

/**
 * A 2xx body as text, for a caller that parses it (`parseJson`) and keeps the text too; any other
 * status becomes the classified UpstreamError. The text itself (no promise) when the body is
 * already complete, as a small answer is once its headers are here (undici parses one read whole).
 */
export function readJsonText(response: UpstreamResponse, signal: CallSignal): string | Promise<string> {
  if (response.statusCode >= 200 && response.statusCode < 300) {
    const text = response.body.textIfComplete();
    if (text !== undefined) return text;
  }
  return readJsonTextLater(response, signal);
}

async function readJsonTextLater(response: UpstreamResponse, signal: CallSignal): Promise<string> {
  if (response.statusCode < 200 || response.statusCode >= 300) await throwUnlessOk(response, signal);
  try {
    return await response.body.text();
  } catch (error) {
    throw transportFailure(error, signal);
  }
}

/** `JSON.parse` of an upstream's answer; malformed text is the upstream's fault (a protocol UpstreamError). */
export function parseJson<T>(text: string, signal: CallSignal): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw transportFailure(error, signal);
  }
}

/** A 2xx. A caller checks it before `await throwUnlessOk`, so that the usual answer costs no call to that async function (a promise and a turn). */
export function isOk(response: { readonly statusCode: number }): boolean {
  return response.statusCode >= 200 && response.statusCode < 300;
}

/** Throws the classified UpstreamError for a non-2xx response (reading its body for the message). */
export async function throwUnlessOk(response: UpstreamResponse, signal: CallSignal): Promise<void> {
  const status = response.statusCode;
  if (status >= 200 && status < 300) return;
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    const failure = transportFailure(error, signal);
    if (failure.kind === 'aborted') throw failure;
    text = '';
  }
  throw httpFailure(status, response.headers, text);
}

export function isJsonResponse(response: UpstreamResponse): boolean {
  const type = response.headers['content-type'];
  return typeof type === 'string' && type.includes('application/json');
}
