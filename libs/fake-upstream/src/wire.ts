import type { IncomingHttpHeaders } from 'node:http';

export type FakeUpstreamKind = 'openai' | 'anthropic';

/** What a wire handler answers; the server applies latency and faults around it. */
export type WireResponse =
  | { type: 'json'; status: number; body: string; headers?: Record<string, string> }
  /** A 200 event stream: each frame is one complete SSE event ("…\n\n"). */
  | { type: 'stream'; frames: string[] };

export interface WireRequest {
  seq: number;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** The path parameter of routes declared with a trailing `*` (e.g. the model id). */
  param: string | undefined;
}

export type WireHandler = (request: WireRequest) => WireResponse;

/** One provider's wire format: its routes, error shapes and in-stream error event. */
export interface Wire {
  readonly kind: FakeUpstreamKind;
  route(method: string, path: string): { handler: WireHandler; param: string | undefined } | undefined;
  /** An error response or undefined when the credentials and required headers are fine. */
  authorize(headers: IncomingHttpHeaders, apiKey: string | undefined): WireResponse | undefined;
  errorResponse(status: number, message: string, param?: string | null): WireResponse & { type: 'json' };
  /** The provider's error event inside a stream. */
  streamErrorFrame(): string;
  /** A stream event whose data is not JSON. */
  malformedFrame(): string;
  /** The model and stream flag of a parsed request body (for faults, latency and the log). */
  describe(body: unknown): { model: string | undefined; stream: boolean };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function json(status: number, value: unknown, headers?: Record<string, string>): WireResponse & { type: 'json' } {
  return headers === undefined ? { type: 'json', status, body: JSON.stringify(value) } : { type: 'json', status, body: JSON.stringify(value), headers };
}

export function describeBody(body: unknown): { model: string | undefined; stream: boolean } {
  if (!isRecord(body)) return { model: undefined, stream: false };
  return { model: typeof body.model === 'string' ? body.model : undefined, stream: body.stream === true };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Route table lookup: exact `METHOD /path`, or `METHOD /prefix/*` capturing the rest. */
export function routeTable(routes: Record<string, WireHandler>): Wire['route'] {
  const exact = new Map(Object.entries(routes).filter(([key]) => !key.endsWith('*')));
  const prefixes = Object.entries(routes)
    .filter(([key]) => key.endsWith('*'))
    .map(([key, handler]) => ({ prefix: key.slice(0, -1), handler }));
  return (method, path) => {
    const key = `${method} ${path}`;
    const handler = exact.get(key);
    if (handler !== undefined) return { handler, param: undefined };
    for (const route of prefixes) {
      if (key.startsWith(route.prefix) && key.length > route.prefix.length) return { handler: route.handler, param: decodeURIComponent(key.slice(route.prefix.length)) };
    }
    return undefined;
  };
}
