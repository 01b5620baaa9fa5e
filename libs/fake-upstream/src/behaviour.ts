/**
 * Fault injection: what the fake upstream does instead of (or before) answering normally.
 *
 * Three sources, first match wins for each API request:
 *   1. `failNext` from the control script — the next `count` API requests fail, then it is spent;
 *   2. the request's model name (so a catalog deployment can point at a failing model without any
 *      control call): see `modelBehaviour`;
 *   3. `failAlways` from the control script.
 * Latency adds up: the script's `latencyMs` plus a `slow…` model's.
 */

/** Faults that are not a plain HTTP error status. */
export type FaultName =
  /** Accept the request and never answer (the client's header timeout fires, or it gives up). */
  | 'timeout'
  /** Send 200 and the headers, then nothing more (the client's body timeout fires). */
  | 'stall'
  /** Destroy the connection without answering (ECONNRESET / "other side closed"). */
  | 'reset'
  /** Send part of the answer, then destroy the connection (a stream: some events; JSON: half of it). */
  | 'midstream'
  /** Streams: send some events, then the provider's in-stream error event, then end cleanly. JSON: HTTP 500. */
  | 'error-event'
  /** 200 with a body that is not valid JSON (a stream: an event whose data is not JSON). */
  | 'malformed';

export const FAULT_NAMES: readonly FaultName[] = ['timeout', 'stall', 'reset', 'midstream', 'error-event', 'malformed'];

export type Fault =
  /** Answer this HTTP status with the provider's error body (and Retry-After on 429/503 when configured). */
  | { status: number; message?: string }
  /** `afterChunks`: for midstream/error-event/malformed streams, how many events go out first (default: half of them). */
  | { fault: FaultName; afterChunks?: number };

export interface ControlScript {
  /** Delay before the response headers of every API request. */
  latencyMs?: number;
  /** Delay between streamed events (0: all events are written in one go, still as separate SSE events). */
  streamChunkDelayMs?: number;
  /** The next `count` API requests fail with the fault; `null` clears it. */
  failNext?: ({ count: number } & Fault) | null;
  /** Every API request fails with the fault until cleared with `null`. */
  failAlways?: Fault | null;
  /** `Retry-After` on 429 and 503 answers: seconds, or an HTTP date string; `null` for none. */
  retryAfter?: number | string | null;
  /** `retry-after-ms` on 429 and 503 answers; `null` for none. */
  retryAfterMs?: number | null;
}

export interface Behaviour {
  latencyMs: number;
  streamChunkDelayMs: number;
  failNext: ({ count: number } & Fault) | null;
  failAlways: Fault | null;
  retryAfter: number | string | null;
  retryAfterMs: number | null;
}

export function defaultBehaviour(): Behaviour {
  return { latencyMs: 0, streamChunkDelayMs: 0, failNext: null, failAlways: null, retryAfter: null, retryAfterMs: null };
}

export class ControlScriptError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ControlScriptError(`${name} must be a non-negative number`);
  return value;
}

function parseFault(value: unknown, name: string): Fault {
  if (!isRecord(value)) throw new ControlScriptError(`${name} must be an object`);
  if (value.status !== undefined) {
    const status = value.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) throw new ControlScriptError(`${name}.status must be an HTTP error status (400-599)`);
    if (value.message !== undefined && typeof value.message !== 'string') throw new ControlScriptError(`${name}.message must be a string`);
    return value.message === undefined ? { status } : { status, message: value.message };
  }
  const fault = value.fault;
  if (typeof fault !== 'string' || !(FAULT_NAMES as readonly string[]).includes(fault)) {
    throw new ControlScriptError(`${name} needs a status (400-599) or a fault (${FAULT_NAMES.join(', ')})`);
  }
  if (value.afterChunks !== undefined) return { fault: fault as FaultName, afterChunks: nonNegative(value.afterChunks, `${name}.afterChunks`) };
  return { fault: fault as FaultName };
}

/** Validates a control script (it may come over HTTP from another process). */
export function parseControlScript(value: unknown): ControlScript {
  if (!isRecord(value)) throw new ControlScriptError('The control script must be a JSON object');
  const known = new Set(['latencyMs', 'streamChunkDelayMs', 'failNext', 'failAlways', 'retryAfter', 'retryAfterMs']);
  for (const key of Object.keys(value)) if (!known.has(key)) throw new ControlScriptError(`Unknown control field ${key}`);
  const script: ControlScript = {};
  if (value.latencyMs !== undefined) script.latencyMs = nonNegative(value.latencyMs, 'latencyMs');
  if (value.streamChunkDelayMs !== undefined) script.streamChunkDelayMs = nonNegative(value.streamChunkDelayMs, 'streamChunkDelayMs');
  if (value.failNext !== undefined) {
    if (value.failNext === null) script.failNext = null;
    else {
      const fault = parseFault(value.failNext, 'failNext');
      const count = isRecord(value.failNext) && value.failNext.count !== undefined ? nonNegative(value.failNext.count, 'failNext.count') : 1;
      script.failNext = { ...fault, count: Math.floor(count) };
    }
  }
  if (value.failAlways !== undefined) script.failAlways = value.failAlways === null ? null : parseFault(value.failAlways, 'failAlways');
  if (value.retryAfter !== undefined) {
    if (value.retryAfter !== null && typeof value.retryAfter !== 'string') nonNegative(value.retryAfter, 'retryAfter');
    script.retryAfter = value.retryAfter as number | string | null;
  }
  if (value.retryAfterMs !== undefined) script.retryAfterMs = value.retryAfterMs === null ? null : nonNegative(value.retryAfterMs, 'retryAfterMs');
  return script;
}

/** The behaviour after a (validated) control script: the fields it names are replaced, the rest kept. */
export function applyControlScript(behaviour: Behaviour, script: ControlScript): Behaviour {
  const next = { ...behaviour };
  if (script.latencyMs !== undefined) next.latencyMs = script.latencyMs;
  if (script.streamChunkDelayMs !== undefined) next.streamChunkDelayMs = script.streamChunkDelayMs;
  if (script.failNext !== undefined) next.failNext = script.failNext === null ? null : { ...script.failNext };
  if (script.failAlways !== undefined) next.failAlways = script.failAlways;
  if (script.retryAfter !== undefined) next.retryAfter = script.retryAfter;
  if (script.retryAfterMs !== undefined) next.retryAfterMs = script.retryAfterMs;
  return next;
}

/**
 * Behaviour chosen by the request's model name:
 *   `fail-<status>` (fail-500, fail-429, fail-503, fail-400 …) → that status every time;
 *   `slow` → 1000 ms before answering, `slow-<ms>` → that many ms;
 *   `timeout`, `stall`, `reset`, `malformed`, `error-event` → that fault;
 *   `midstream-error` → the `midstream` fault.
 * Any other name answers normally. (A name containing `thinking` makes the answer think — see the wires.)
 */
export function modelBehaviour(model: string): { fault?: Fault; latencyMs?: number } {
  if (model.startsWith('fail-')) {
    const status = Number(model.slice(5));
    if (Number.isInteger(status) && status >= 400 && status <= 599) return { fault: { status } };
  }
  if (model === 'slow') return { latencyMs: 1000 };
  if (model.startsWith('slow-')) {
    const ms = Number(model.slice(5));
    if (Number.isFinite(ms) && ms >= 0) return { latencyMs: ms };
  }
  if (model === 'midstream-error') return { fault: { fault: 'midstream' } };
  if ((FAULT_NAMES as readonly string[]).includes(model) && model !== 'midstream') return { fault: { fault: model as FaultName } };
  return {};
}

/** The fault for this request (consuming one `failNext` use), if any. */
export function pickFault(behaviour: Behaviour, model: string | undefined): Fault | undefined {
  const next = behaviour.failNext;
  if (next !== null && next.count > 0) {
    next.count -= 1;
    if (next.count === 0) behaviour.failNext = null;
    return next;
  }
  const byModel = model === undefined ? undefined : modelBehaviour(model).fault;
  return byModel ?? behaviour.failAlways ?? undefined;
}
