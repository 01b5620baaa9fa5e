import { ROOT_CONTEXT, context as otelContext, trace, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { randomHex } from './random-pool';

/** A parsed W3C `traceparent` (version 00). */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);

/** Parses a `traceparent` header; undefined when it is malformed or uses the all-zero ids. */
export function parseTraceparent(header: string | undefined): TraceParent | undefined {
  if (!header) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  // Version ff is forbidden; version 00 must have exactly four fields.
  if (version === 'ff' || (version === '00' && header.trim().length !== 55)) return undefined;
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}

export function formatTraceparent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${parent.traceFlags.toString(16).padStart(2, '0')}`;
}

function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomHex(bytes);
    if (!/^0+$/.test(hex)) return hex;
  }
}

/**
 * A fresh, valid root `traceparent`, so that events stay traceable end to end even when no
 * OpenTelemetry SDK runs in the producer. Marked sampled: a consumer with tracing on records it.
 */
export function generateTraceparent(): string {
  return formatTraceparent({ traceId: nonZeroHex(16), spanId: nonZeroHex(8), traceFlags: 1 });
}

// The propagator is used directly (not through the global `propagation` API) so that context
// travels through Kafka even in processes that never start the OpenTelemetry SDK.
const propagator = new W3CTraceContextPropagator();

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const recordGetter: TextMapGetter<Record<string, string | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

export interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
}

/**
 * The trace headers of an outgoing record: the explicit `traceparent` when the caller passes a
 * valid one, else the one of `ctx` (the active context by default) when it holds a valid span,
 * else a freshly generated one.
 */
export function traceHeadersFor(ctx: Context = otelContext.active(), explicit?: { traceparent?: string; tracestate?: string }): TraceHeaders {
  if (explicit?.traceparent && parseTraceparent(explicit.traceparent)) {
    return explicit.tracestate ? { traceparent: explicit.traceparent, tracestate: explicit.tracestate } : { traceparent: explicit.traceparent };
  }
  const carrier: Record<string, string> = {};
  propagator.inject(ctx, carrier, recordSetter);
  if (carrier.traceparent && parseTraceparent(carrier.traceparent)) {
    return carrier.tracestate ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate } : { traceparent: carrier.traceparent };
  }
  return { traceparent: generateTraceparent() };
}

/** The remote parent context carried by a record's headers (ROOT-based when there is none). */
export function extractTraceContext(headers: { traceparent?: string; tracestate?: string }, base: Context = ROOT_CONTEXT): Context {
  return propagator.extract(base, { traceparent: headers.traceparent, tracestate: headers.tracestate }, recordGetter);
}

/** The `traceparent` of the span active in `ctx`, if any (handlers use it to log/correlate). */
export function traceparentOf(ctx: Context): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return formatTraceparent({ traceId: spanContext.traceId, spanId: spanContext.spanId, traceFlags: spanContext.traceFlags });
}
