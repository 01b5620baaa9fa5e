import cluster from 'node:cluster';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type DynamicModule, Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { runMigrateCommand } from '@vectorstack/database';
import { checkWithTimeout, READINESS_PROBES, type ReadinessProbe } from '@vectorstack/health';
import { bootstrapHttpService, installGracefulShutdown } from '@vectorstack/http';
import { collectProcessMetrics, createLogger } from '@vectorstack/observability';
import {
  loadHttpServiceConfig,
  loadWorkerConfig,
  required,
  serviceConfigShape,
  type HttpServiceConfig,
  type ServiceDefinition,
  type WorkerServiceConfig,
} from './service-definition';
import { loadConfigOrExit } from '@vectorstack/config';
import { superviseWorkers, workerCount } from './cluster';

export interface AppModuleFactory<C> {
  forRoot(config: C): DynamicModule;
}

function exitOnStartupFailure(serviceName: string) {
  return (error: unknown) => {
    // One JSON line, no stack to stdout consumers beyond the log.
    createLogger(serviceName).fatal({ err: error }, 'failed to start');
    process.exit(1);
  };
}

/**
 * main.ts of an HTTP service: validate config, build the app module, listen — in this process, or
 * with HTTP_WORKERS > 1 in that many worker processes under a supervising primary.
 */
export function runHttpService(definition: ServiceDefinition, appModule: AppModuleFactory<HttpServiceConfig>): void {
  const config = loadHttpServiceConfig(definition);
  const workers = workerCount(config.HTTP_WORKERS);
  if (workers > 1 && cluster.isPrimary) {
    const logger = createLogger(definition.name, config.LOG_LEVEL).child({ context: 'Cluster' });
    if (definition.grpc) {
      // A gRPC port shared by several processes is not something its clients expect (or we test).
      logger.fatal(`HTTP_WORKERS=${config.HTTP_WORKERS}: ${definition.name} serves gRPC and runs as one process; scale it with replicas`);
      process.exit(1);
    }
    superviseWorkers({ workers, logger, shutdownGraceMs: config.SHUTDOWN_GRACE_MS });
    return;
  }
  bootstrapHttpService({ serviceName: definition.name, module: appModule.forRoot(config), http: config }).catch(
    exitOnStartupFailure(definition.name),
  );
}

/**
 * Heartbeat of a process without an HTTP server: while every dependency answers,
 * refresh the health file's mtime; an exec liveness/readiness probe (and the local
 * `status` command) reads its age.
 */
export class HealthFileHeartbeat {
  private timer?: NodeJS.Timeout;
  private readonly logger = new NestLogger('Heartbeat');

  constructor(
    private readonly file: string,
    private readonly probes: ReadinessProbe[],
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {}

  async beat(): Promise<boolean> {
    const results = await Promise.allSettled(this.probes.map((probe) => checkWithTimeout(probe, this.timeoutMs)));
    const failed = results.flatMap((result, index) => (result.status === 'rejected' ? [this.probes[index].name] : []));
    if (failed.length > 0) {
      this.logger.warn(`not ready: ${failed.join(', ')}`);
      return false;
    }
    const now = new Date();
    await mkdir(dirname(this.file), { recursive: true });
    await writeFile(this.file, `${now.toISOString()}\n`);
    await utimes(this.file, now, now);
    return true;
  }

  start(): void {
    const tick = () => {
      this.beat()
        .catch((error: unknown) => this.logger.error(`heartbeat failed: ${String(error)}`))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await rm(this.file, { force: true });
  }
}

/** worker.ts: a Nest application context (no HTTP server) with a health-file heartbeat and graceful shutdown. */
export function runWorker(definition: ServiceDefinition, workerModule: AppModuleFactory<WorkerServiceConfig>): void {
  const config = loadWorkerConfig(definition);
  collectProcessMetrics(definition.name);
  (async () => {
    const { Logger } = await import('nestjs-pino');
    const app = await NestFactory.createApplicationContext(workerModule.forRoot(config), { bufferLogs: true, abortOnError: false });
    app.useLogger(app.get(Logger));
    app.flushLogs();
    const heartbeat = new HealthFileHeartbeat(
      config.HEALTH_FILE,
      app.get<ReadinessProbe[]>(READINESS_PROBES),
      config.HEALTH_INTERVAL_MS,
      config.READINESS_TIMEOUT_MS,
    );
    heartbeat.start();
    installGracefulShutdown(
      {
        close: async () => {
          await heartbeat.stop();
          await app.close();
        },
      },
      30_000,
    );
    app.get(Logger).log(`${definition.name} worker started`, 'Bootstrap');
  })().catch(exitOnStartupFailure(definition.name));
}

/** migrate.ts: apply the service's pending migrations and exit. */
export function runMigrations(definition: ServiceDefinition): void {
  if (!definition.postgres) throw new Error(`${definition.name} has no database`);
  const config = loadConfigOrExit(serviceConfigShape(definition));
  runMigrateCommand({
    schema: definition.postgres.schema,
    url: required(config.DATABASE_URL as string | undefined, 'DATABASE_URL'),
    applicationName: `vectorstack-${definition.name}-migrate`,
    migrations: definition.postgres.migrations,
    entities: definition.postgres.entities,
  }).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`migrations failed for schema ${definition.postgres?.schema}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
