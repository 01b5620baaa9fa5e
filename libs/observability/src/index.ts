export { isTelemetryEnabled, shutdownTelemetry, startTelemetry } from './telemetry';
export { baseLoggerOptions, createLogger, httpLoggerOptions, loggingModule, REDACT_PATHS, resolveRequestId, SECRET_HEADERS } from './logging';
export { holdRequestContext, logFinishedRequest, type FinishedRequest, type RouteRef } from './request-log';
export {
  CLUSTER_METRICS_REQUEST,
  CLUSTER_METRICS_RESPONSE,
  collectProcessMetrics,
  httpRequestDuration,
  MetricsController,
  MetricsModule,
  serviceMetrics,
  type ClusterMetricsRequest,
  type ClusterMetricsResponse,
} from './metrics';
export { HotCounter, HotCounterChild, HotHistogram, HotHistogramChild } from './hot-metrics';
