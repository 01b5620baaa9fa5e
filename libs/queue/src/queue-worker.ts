import { Logger } from '@nestjs/common';
import { type Job, type JobsOptions, Queue, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import { type JobContext, type JobHandlers, type JobNameOf, type JobPayloadOf, QueueName } from './jobs';

/** Defaults every queue shares (novu's queue-base idea): one place, not one per worker. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

export interface QueueWorkerOptions {
  concurrency?: number;
  /** How long a job's lock lasts before the job counts as stalled and is picked up again. */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for. */
  stalledIntervalMs?: number;
  maxStalledCount?: number;
}

/** BullMQ connection from a redis:// URL (BullMQ needs maxRetriesPerRequest: null for workers). */
export function bullConnection(redisUrl: string): ConnectionOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/** Typed producer side of a queue. */
export class TypedQueue<Q extends QueueName> {
  readonly queue: Queue;

  constructor(
    readonly name: Q,
    connection: ConnectionOptions,
    prefix = 'vectorstack',
  ) {
    this.queue = new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  }

  add<N extends JobNameOf<Q>>(jobName: N, payload: JobPayloadOf<Q, N>, options: JobsOptions = {}): Promise<Job> {
    return this.queue.add(jobName, payload, options);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/**
 * Consumer side of a queue: dispatches by job name to typed handlers, fails
 * unknown job names without retrying them, shares concurrency/lock/stall defaults,
 * and on shutdown stops taking jobs and lets running ones finish.
 */
export class QueueWorker<Q extends QueueName> {
  readonly worker: Worker;
  private readonly logger: Logger;
  private readonly shutdown = new AbortController();

  constructor(
    readonly name: Q,
    connection: ConnectionOptions,
    private readonly handlers: JobHandlers<Q>,
    options: QueueWorkerOptions = {},
    prefix = 'vectorstack',
  ) {
    this.logger = new Logger(`Queue:${name}`);
    this.worker = new Worker(name, (job) => this.dispatch(job), {
      connection,
      prefix,
      concurrency: options.concurrency ?? 1,
      lockDuration: options.lockDurationMs ?? 60_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 2,
      autorun: true,
    });
    this.worker.on('failed', (job, error) => this.logger.warn(`job ${job?.id} (${job?.name}) failed: ${error.message}`));
    this.worker.on('error', (error) => this.logger.error(`worker error: ${error.message}`));
  }

  private async dispatch(job: Job): Promise<unknown> {
    const handler = (this.handlers as Record<string, JobHandlers<Q>[JobNameOf<Q>]>)[job.name];
    if (!handler) throw new UnrecoverableError(`No handler for job "${job.name}" on queue ${this.name}`);
    const context: JobContext = {
      jobId: job.id ?? '',
      attempt: job.attemptsMade + 1,
      updateProgress: (progress) => job.updateProgress(Math.max(0, Math.min(100, progress))),
      signal: this.shutdown.signal,
    };
    return (handler as (payload: unknown, context: JobContext) => Promise<unknown>)(job.data, context);
  }

  /** Waits until the worker is connected and taking jobs. */
  waitUntilReady(): Promise<unknown> {
    return this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    this.shutdown.abort();
    await this.worker.close();
  }
}
