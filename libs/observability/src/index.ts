export { isTelemetryEnabled, shutdownTelemetry, startTelemetry } from './telemetry';
export { baseLoggerOptions, createLogger, httpLoggerOptions, loggingModule, REDACT_PATHS, resolveRequestId, SECRET_HEADERS } from './logging';
export { logFinishedRequest, RequestLogContext, runWithRequestLog, type FinishedRequest, type RouteRef } from './request-log';
export { collectProcessMetrics, httpRequestDuration, MetricsController, MetricsModule } from './metrics';
