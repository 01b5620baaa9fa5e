import { Controller, Get, Header, Module } from '@nestjs/common';
import { collectDefaultMetrics, Histogram, register } from 'prom-client';

let defaultsCollected = false;

/** Process and Node.js runtime metrics, once per process, labelled with the service. */
export function collectProcessMetrics(serviceName: string): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  register.setDefaultLabels({ service: serviceName });
  collectDefaultMetrics({ prefix: 'vectorstack_' });
}

/** Follows the OpenTelemetry HTTP semantic conventions (seconds, route template). */
export const httpRequestDuration = new Histogram({
  name: 'http_server_request_duration_seconds',
  help: 'Duration of HTTP server requests.',
  labelNames: ['http_request_method', 'http_route', 'http_response_status_code'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
});

@Controller()
export class MetricsController {
  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}

/** Serves Prometheus `/metrics` from the process-wide prom-client registry. */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
