import cluster from 'node:cluster';
import { Controller, Get, Header, Module, ServiceUnavailableException } from '@nestjs/common';
import { AggregatorRegistry, collectDefaultMetrics, register } from 'prom-client';
import { HotHistogram } from './hot-metrics';

let defaultsCollected = false;

/** Process and Node.js runtime metrics, once per process, labelled with the service. */
export function collectProcessMetrics(serviceName: string): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  register.setDefaultLabels({ service: serviceName });
  collectDefaultMetrics({ prefix: 'vectorstack_' });
  // In a worker of a clustered service: constructing an AggregatorRegistry is how prom-client
  // starts answering the primary's requests for this worker's metrics (see serviceMetrics).
  if (cluster.isWorker) new AggregatorRegistry();
}

/** Follows the OpenTelemetry HTTP semantic conventions (seconds, route template). */
export const httpRequestDuration = new HotHistogram({
  name: 'http_server_request_duration_seconds',
  help: 'Duration of HTTP server requests.',
  labelNames: ['http_request_method', 'http_route', 'http_response_status_code'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
});

/** What a worker of a clustered service (HTTP_WORKERS > 1) asks its primary for, and the answer. */
export const CLUSTER_METRICS_REQUEST = 'vectorstack:cluster-metrics-request';
export const CLUSTER_METRICS_RESPONSE = 'vectorstack:cluster-metrics-response';
export interface ClusterMetricsRequest {
  readonly type: typeof CLUSTER_METRICS_REQUEST;
  readonly id: number;
}
export interface ClusterMetricsResponse {
  readonly type: typeof CLUSTER_METRICS_RESPONSE;
  readonly id: number;
  readonly metrics?: string;
  readonly error?: string;
}

/** Longer than prom-client's own 5 s wait for every worker's answer. */
const CLUSTER_METRICS_TIMEOUT_MS = 8_000;
const pendingClusterMetrics = new Map<number, (response: ClusterMetricsResponse) => void>();
let clusterMetricsRequests = 0;

function onPrimaryMessage(message: unknown): void {
  const response = message as Partial<ClusterMetricsResponse> | null;
  if (typeof response !== 'object' || response === null || response.type !== CLUSTER_METRICS_RESPONSE || typeof response.id !== 'number') return;
  pendingClusterMetrics.get(response.id)?.(response as ClusterMetricsResponse);
}

/** Every worker's metrics, aggregated by the primary (counters and histograms summed). */
function clusterMetrics(): Promise<string> {
  if (pendingClusterMetrics.size === 0) process.on('message', onPrimaryMessage);
  const id = clusterMetricsRequests++;
  return new Promise<string>((resolve, reject) => {
    const settle = (response?: ClusterMetricsResponse) => {
      clearTimeout(timer);
      pendingClusterMetrics.delete(id);
      if (pendingClusterMetrics.size === 0) process.off('message', onPrimaryMessage);
      if (response?.metrics !== undefined) resolve(response.metrics);
      else reject(new Error(response?.error ?? 'the primary did not answer'));
    };
    const timer = setTimeout(() => settle(), CLUSTER_METRICS_TIMEOUT_MS);
    pendingClusterMetrics.set(id, settle);
    process.send?.({ type: CLUSTER_METRICS_REQUEST, id } satisfies ClusterMetricsRequest);
  });
}

/** The Prometheus text of this process — or, in a worker of a clustered service, of all its workers. */
export function serviceMetrics(): Promise<string> {
  return cluster.isWorker && process.send ? clusterMetrics() : register.metrics();
}

@Controller()
export class MetricsController {
  @Get('metrics')
  @Header('Content-Type', register.contentType)
  async metrics(): Promise<string> {
    try {
      return await serviceMetrics();
    } catch (error) {
      // A scrape that cannot see every worker fails (logged; the client sees an opaque 5xx)
      // rather than report a part as the whole.
      throw new ServiceUnavailableException(`metrics of the other workers unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Serves Prometheus `/metrics` from the process-wide prom-client registry. */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
