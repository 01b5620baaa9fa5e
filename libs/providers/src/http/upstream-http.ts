import type { CallSignal } from '../cancellation';
import { Pool, type Dispatcher } from 'undici';
import type { DeploymentTarget } from '../types';
import { httpFailure, transportFailure } from './upstream-errors';

export type UpstreamResponse = Dispatcher.ResponseData;
export type UpstreamBody = UpstreamResponse['body'];

interface Endpoint {
  pool: Pool;
  /** The base URL's path without a trailing slash (`/v1`, or `` for a bare origin). */
  basePath: string;
}

/**
 * The HTTP client every adapter shares: one keep-alive undici `Pool` per upstream origin, created
 * on first use and reused by every request (no per-request dispatcher, no URL parsing per request:
 * base URLs are parsed once and cached).
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
   */
  async post(target: DeploymentTarget, path: string, headers: Record<string, string>, body: string, signal: CallSignal): Promise<UpstreamResponse> {
    const { pool, basePath } = this.endpoint(target.baseUrl);
    try {
      return await pool.request({
        method: 'POST',
        path: basePath + path,
        headers,
        body,
        signal,
        headersTimeout: target.timeoutMs,
        bodyTimeout: target.timeoutMs,
      });
    } catch (error) {
      throw transportFailure(error, signal);
    }
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
  await throwUnlessOk(response, signal);
  try {
    return (await response.body.json()) as T;
  } catch (error) {
    throw transportFailure(error, signal);
  }
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
