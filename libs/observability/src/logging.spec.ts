import { Writable } from 'node:stream';
import pino from 'pino';
import { baseLoggerOptions, resolveRequestId } from './logging';
import { isTelemetryEnabled } from './telemetry';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('logging', () => {
  it('redacts API keys and Authorization headers on requests', () => {
    const { lines, stream } = capture();
    const logger = pino(baseLoggerOptions('auth', 'info'), stream);
    logger.info(
      { req: { headers: { authorization: 'Bearer vsk_secret', 'x-api-key': 'vsk_secret2', 'x-my-api-key': 'vsk_secret3', accept: 'json' } } },
      'request',
    );
    const line = JSON.parse(lines[0]);
    expect(line.req.headers).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]', 'x-my-api-key': '[redacted]', accept: 'json' });
    expect(lines[0]).not.toContain('vsk_secret');
    expect(line.service).toBe('auth');
    expect(line.level).toBe('info');
  });

  it('keeps a well-formed request id and replaces a hostile one', () => {
    expect(resolveRequestId('req-123')).toBe('req-123');
    const replaced = resolveRequestId('bad id\nwith newline');
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    expect(resolveRequestId(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('isTelemetryEnabled', () => {
  it('is off by default and follows the standard OTEL_* variables', () => {
    expect(isTelemetryEnabled({})).toBe(false);
    expect(isTelemetryEnabled({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(isTelemetryEnabled({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(false);
    expect(isTelemetryEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(isTelemetryEnabled({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
  });
});
