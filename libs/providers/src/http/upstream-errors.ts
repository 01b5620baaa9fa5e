import type { CallSignal } from '../cancellation';
import { type OpenAIErrorBody, UpstreamError, type UpstreamFailureKind } from '../types';

/** Response headers as undici and node:http give them. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const SECONDS = /^\s*\d+(\.\d+)?\s*$/;

/**
 * How long the upstream asked us to wait, in milliseconds: `retry-after-ms` (OpenAI, Azure) wins
 * over `retry-after`, which is either delay-seconds (possibly fractional) or an HTTP date
 * (RFC 9110 §10.2.3). Unparseable or missing → undefined; a date in the past → 0.
 */
export function parseRetryAfterMs(headers: ResponseHeaders, now: number = Date.now()): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && SECONDS.test(ms)) return Math.ceil(Number(ms));
  const value = headerValue(headers, 'retry-after');
  if (value === undefined) return undefined;
  if (SECONDS.test(value)) return Math.ceil(Number(value) * 1000);
  // An HTTP date always names its month; V8's lenient Date.parse would read "-1" as a year.
  if (!/[a-z]{3}/i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The OpenAI error `type` for an HTTP status, when the upstream did not name one. */
export function errorTypeForStatus(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrNull(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

const MAX_MESSAGE = 2000;

function fallbackMessage(status: number | undefined, text: string): string {
  const prefix = status === undefined ? 'Upstream error' : `Upstream answered HTTP ${status}`;
  const trimmed = text.trim();
  return trimmed ? `${prefix}: ${trimmed.slice(0, MAX_MESSAGE)}` : prefix;
}

/**
 * Any provider's error payload → the OpenAI error shape. Understands OpenAI/llama.cpp/Ollama
 * (`{error:{message,type,param,code}}`), Anthropic (`{type:'error', error:{type,message}}`),
 * vLLM (`{object:'error', message, type, param, code}`), `{error:'text', message?, code?}` (seeds,
 * Ollama's native API) and FastAPI (`{detail}`); anything else becomes a message with the text.
 */
export function normaliseErrorPayload(payload: unknown, status: number | undefined, rawText = ''): OpenAIErrorBody {
  const defaultType = status === undefined ? 'server_error' : errorTypeForStatus(status);
  if (isRecord(payload)) {
    const inner = payload.error;
    if (isRecord(inner)) {
      return {
        error: {
          message: typeof inner.message === 'string' ? inner.message : fallbackMessage(status, rawText),
          type: typeof inner.type === 'string' ? inner.type : defaultType,
          param: stringOrNull(inner.param),
          code: stringOrNull(inner.code),
        },
      };
    }
    const message = typeof payload.message === 'string' ? payload.message : typeof inner === 'string' ? inner : undefined;
    if (message !== undefined) {
      return {
        error: {
          message,
          type: typeof payload.type === 'string' && payload.type !== 'error' ? payload.type : defaultType,
          param: stringOrNull(payload.param),
          code: stringOrNull(payload.code),
        },
      };
    }
    if (payload.detail !== undefined) {
      const detail = typeof payload.detail === 'string' ? payload.detail : JSON.stringify(payload.detail);
      return { error: { message: detail.slice(0, MAX_MESSAGE), type: defaultType, param: null, code: null } };
    }
  }
  return { error: { message: fallbackMessage(status, rawText), type: defaultType, param: null, code: null } };
}

/** An error response body (any text) → the OpenAI error shape. */
export function normaliseErrorBody(status: number, text: string): OpenAIErrorBody {
  let payload: unknown;
  try {
    payload = text ? JSON.parse(text) : undefined;
  } catch {
    payload = undefined;
  }
  return normaliseErrorPayload(payload, status, text);
}

/** The failure kind for a non-2xx HTTP status. */
export function kindForStatus(status: number): UpstreamFailureKind {
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'protocol'; // 1xx/3xx where a final 2xx was expected: redirects are not followed
}

/** A non-2xx upstream answer → UpstreamError with the kind, Retry-After and normalised body. */
export function httpFailure(status: number, headers: ResponseHeaders, bodyText: string): UpstreamError {
  const kind = kindForStatus(status);
  const body = normaliseErrorBody(status, bodyText);
  const retryAfterMs = kind === 'rate_limited' || kind === 'server_error' ? parseRetryAfterMs(headers) : undefined;
  return new UpstreamError(kind, `Upstream answered HTTP ${status}: ${body.error.message}`, {
    status,
    body,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/**
 * An error reported inside a 2xx stream (OpenAI `data: {"error": ...}`, Anthropic `event: error`).
 * Its `type`/`code` say whether another try may help.
 */
export function streamFailure(payload: unknown): UpstreamError {
  const body = normaliseErrorPayload(payload, undefined, typeof payload === 'string' ? payload : JSON.stringify(payload));
  const { type, code } = body.error;
  const label = `${type} ${code ?? ''}`.toLowerCase();
  let kind: UpstreamFailureKind = 'server_error';
  if (label.includes('rate_limit') || code === '429') kind = 'rate_limited';
  else if (/invalid_request|badrequest|not_found|authentication|permission/.test(label) || /^4\d\d$/.test(code ?? '')) kind = 'client_error';
  return new UpstreamError(kind, `Upstream reported an error mid-stream: ${body.error.message}`, { body });
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT', // the OS gave up connecting
  'UND_ERR_CONNECT_TIMEOUT', // nothing was sent: as safe to retry as a refused connection
  'UND_ERR_SOCKET', // "other side closed", also mid-body
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof record.code === 'string') return record.code;
  // Happy-eyeballs connects fail with an AggregateError whose members carry the codes.
  if (Array.isArray(record.errors) && record.errors.length > 0) return errorCode(record.errors[0]);
  return record.cause === undefined ? undefined : errorCode(record.cause);
}

/**
 * A thrown transport error (undici, node:net, JSON) → UpstreamError. An aborted signal wins over
 * whatever the transport reported, because the abort caused it.
 */
export function transportFailure(error: unknown, signal: CallSignal | undefined): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (signal?.aborted) return new UpstreamError('aborted', 'The upstream request was aborted', { cause: error });
  // Read name and message structurally: errors from another realm (DOMException, a VM) fail instanceof.
  const { name, message } = typeof error === 'object' && error !== null ? (error as { name?: unknown; message?: unknown }) : { name: undefined, message: error };
  const text = typeof message === 'string' ? message : String(message);
  if (name === 'SyntaxError') return new UpstreamError('protocol', `Upstream sent malformed JSON: ${text}`, { cause: error });
  if (name === 'AbortError') return new UpstreamError('aborted', 'The upstream request was aborted', { cause: error });
  const code = errorCode(error);
  if (code === undefined) return new UpstreamError('connect', `Upstream request failed: ${text}`, { cause: error });
  if (TIMEOUT_CODES.has(code)) return new UpstreamError('timeout', `Upstream timed out (${code}): ${text}`, { cause: error });
  if (CONNECT_CODES.has(code)) return new UpstreamError('connect', `Upstream connection failed (${code}): ${text}`, { cause: error });
  if (code === 'UND_ERR_ABORTED' || code === 'UND_ERR_ABORT' || code === 'ABORT_ERR') {
    return new UpstreamError('aborted', 'The upstream request was aborted', { cause: error });
  }
  if (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_INFO') {
    return new UpstreamError('protocol', `Upstream broke the HTTP protocol (${code}): ${text}`, { cause: error });
  }
  return new UpstreamError('connect', `Upstream request failed (${code}): ${text}`, { cause: error });
}
