import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { extractTraceContext, formatTraceparent, generateTraceparent, parseTraceparent, traceHeadersFor, traceparentOf } from './trace-context';

const KNOWN = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('parseTraceparent', () => {
  it('parses a valid version-00 header', () => {
    expect(parseTraceparent(KNOWN)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
  });

  it.each([
    ['missing', undefined],
    ['garbage', 'not-a-traceparent'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['forbidden version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['uppercase hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['extra field on version 00', `${KNOWN}-extra`],
  ])('rejects %s', (_label, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('round-trips through formatTraceparent', () => {
    expect(formatTraceparent(parseTraceparent(KNOWN)!)).toBe(KNOWN);
  });
});

describe('generateTraceparent', () => {
  it('produces valid, sampled, distinct headers', () => {
    const a = generateTraceparent();
    const b = generateTraceparent();
    expect(parseTraceparent(a)?.traceFlags).toBe(1);
    expect(parseTraceparent(b)).toBeDefined();
    expect(a).not.toBe(b);
  });
});

describe('traceHeadersFor', () => {
  const spanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };

  it('uses the span of the given context', () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, spanContext);
    expect(traceHeadersFor(ctx)).toEqual({ traceparent: KNOWN });
  });

  it('prefers a valid explicit traceparent and keeps its tracestate', () => {
    const explicit = '00-11111111111111111111111111111111-2222222222222222-00';
    expect(traceHeadersFor(ROOT_CONTEXT, { traceparent: explicit, tracestate: 'vendor=x' })).toEqual({ traceparent: explicit, tracestate: 'vendor=x' });
  });

  it('generates a fresh traceparent when there is no valid span', () => {
    const { traceparent, tracestate } = traceHeadersFor(ROOT_CONTEXT, { traceparent: 'broken' });
    expect(parseTraceparent(traceparent)).toBeDefined();
    expect(tracestate).toBeUndefined();
  });
});

describe('extractTraceContext', () => {
  it('continues the trace of the header as a remote parent', () => {
    const ctx = extractTraceContext({ traceparent: KNOWN, tracestate: 'vendor=x' });
    const spanContext = trace.getSpanContext(ctx);
    expect(spanContext).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', isRemote: true });
    expect(spanContext?.traceState?.get('vendor')).toBe('x');
    expect(traceparentOf(ctx)).toBe(KNOWN);
  });

  it('yields no span for a missing or invalid header', () => {
    expect(trace.getSpanContext(extractTraceContext({}))).toBeUndefined();
    expect(traceparentOf(extractTraceContext({ traceparent: 'nope' }))).toBeUndefined();
  });
});
