import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { CLUSTER_METRICS_REQUEST, CLUSTER_METRICS_RESPONSE, type ClusterMetricsRequest, type ClusterMetricsResponse } from '@vectorstack/observability';

/** `HTTP_WORKERS` as a process count: `auto` is one per CPU this process may use. */
export function workerCount(setting: number | 'auto', cpus: () => number = availableParallelism): number {
  return setting === 'auto' ? Math.max(1, cpus()) : setting;
}

export interface SupervisorOptions {
  readonly workers: number;
  readonly logger: Logger;
  /** How long workers get to drain after SIGTERM before they are killed. */
  readonly shutdownGraceMs: number;
  /** Workers that die unexpectedly are replaced unless this many died within `crashWindowMs`. */
  readonly maxCrashes?: number;
  readonly crashWindowMs?: number;
  /** Delay before a dead worker is replaced. */
  readonly restartDelayMs?: number;
}

/**
 * The primary process of a service that serves its port from several workers, as nginx's master
 * does: it holds no application state and serves nothing itself. It forks the workers (each a
 * full replica: own connections, caches, Kafka consumers — the services are replica-safe), and
 * the listening socket is shared (the primary accepts and hands connections round-robin to
 * workers; keep-alive connections then stay with their worker). It:
 * - replaces a worker that dies unexpectedly, unless they keep dying (a crash loop exits the
 *   primary non-zero, for Kubernetes to restart the pod);
 * - on SIGTERM/SIGINT, lets every worker drain (each runs the usual graceful shutdown) and exits
 *   when all have, killing stragglers after the grace period;
 * - answers a worker's request for the whole process's metrics (prom-client's cluster
 *   aggregation), so /metrics on any worker reports all of them.
 * Workers exit by themselves when the primary dies (Node closes their IPC channel).
 */
export function superviseWorkers(options: SupervisorOptions): void {
  const { workers, logger, shutdownGraceMs } = options;
  const maxCrashes = options.maxCrashes ?? 5;
  const crashWindowMs = options.crashWindowMs ?? 60_000;
  const restartDelayMs = options.restartDelayMs ?? 1_000;
  const aggregator = new AggregatorRegistry();
  const crashes: number[] = [];
  let stopping = false;
  let exitCode = 0;

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (message: unknown) => answerMetrics(worker, message));
    return worker;
  };

  const answerMetrics = (worker: Worker, message: unknown): void => {
    if (!isMetricsRequest(message)) return;
    const reply = (response: Omit<ClusterMetricsResponse, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: CLUSTER_METRICS_RESPONSE, id: message.id, ...response } satisfies ClusterMetricsResponse);
    };
    aggregator.clusterMetrics().then(
      (metrics) => reply({ metrics }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
  };

  // A worker that has exited can still be listed until its IPC channel closes.
  const living = () => Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && !worker.isDead());

  const stop = (signal: NodeJS.Signals | 'crash-loop') => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: living().length }, 'stopping workers');
    for (const worker of living()) worker.process.kill('SIGTERM');
    const watchdog = setTimeout(() => {
      logger.error({ workers: living().length }, `workers did not stop within ${shutdownGraceMs} ms; killing them`);
      for (const worker of living()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, shutdownGraceMs + 2_000);
    watchdog.unref();
    if (living().length === 0) process.exit(exitCode);
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (code !== 0 && code !== null) exitCode = 1;
      if (living().length === 0) {
        logger.info('all workers stopped');
        process.exit(exitCode);
      }
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while (crashes.length > 0 && crashes[0] < now - crashWindowMs) crashes.shift();
    if (crashes.length >= maxCrashes) {
      logger.fatal({ pid: worker.process.pid, code, signal }, `${crashes.length} workers died within ${crashWindowMs} ms; giving up`);
      exitCode = 1;
      stop('crash-loop');
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, `worker died; starting another in ${restartDelayMs} ms`);
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelayMs);
  });

  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  logger.info({ workers }, `starting ${workers} workers`);
  for (let i = 0; i < workers; i++) fork();
}

function isMetricsRequest(message: unknown): message is ClusterMetricsRequest {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === CLUSTER_METRICS_REQUEST;
}
