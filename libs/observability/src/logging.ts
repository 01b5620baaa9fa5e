import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type Logger, type LoggerOptions } from 'pino';

/** Header names whose values must never reach a log line. */
export const SECRET_HEADERS = ['authorization', 'x-api-key', 'x-my-api-key', 'cookie', 'set-cookie', 'proxy-authorization'] as const;

/** pino redaction paths: secret headers on requests and responses, and common secret fields in bodies. */
export const REDACT_PATHS: string[] = [
  ...SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `res.headers["${h}"]`, `headers["${h}"]`]),
  '*.password',
  '*.secret',
  '*.api_key',
  '*.apiKey',
  'key.secret',
];

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a caller's request id when it is safe to echo, otherwise mints one. */
export function resolveRequestId(incoming: string | string[] | undefined): string {
  const value = Array.isArray(incoming) ? incoming[0] : incoming;
  return value !== undefined && REQUEST_ID.test(value) ? value : randomUUID();
}

export function baseLoggerOptions(serviceName: string, level: string): LoggerOptions {
  return {
    level,
    base: { service: serviceName },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
}

export function createLogger(serviceName: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(baseLoggerOptions(serviceName, level));
}

const QUIET_PATHS = /^\/(healthz|readyz|metrics)(\?|$)/;

/**
 * pino-http options (used through nestjs-pino): JSON lines with the request id on
 * every line logged during a request, secrets redacted, probes not logged.
 */
export function httpLoggerOptions(serviceName: string, level: string) {
  return {
    ...baseLoggerOptions(serviceName, level),
    genReqId: (req: IncomingMessage) => resolveRequestId(req.headers['x-request-id']),
    customProps: (req: IncomingMessage) => ({ requestId: (req as IncomingMessage & { id?: string }).id }),
    autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
    serializers: {
      req: (req: { id?: string; method?: string; url?: string; headers?: Record<string, unknown>; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        headers: req.headers,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: ServerResponse & { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/**
 * nestjs-pino for a service (HTTP or worker): one JSON logger, request-scoped where there is a
 * request. Hot routes (HotRoutes in @vectorstack/http) never reach it: they write their request
 * line themselves (logFinishedRequest), without pino-http's per-request child logger.
 */
export function loggingModule(serviceName: string, level: string) {
  // Required lazily so processes that only need the pure helpers above don't load Nest.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LoggerModule } = require('nestjs-pino') as typeof import('nestjs-pino');
  return LoggerModule.forRoot({ pinoHttp: httpLoggerOptions(serviceName, level) });
}
