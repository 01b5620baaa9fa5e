/** Every BullMQ queue of the platform. */
export enum QueueName {
  DatasetProcessing = 'vectorstack-dataset-processing',
  Training = 'vectorstack-training',
}

/**
 * Job name → payload, per queue (immich's JobItem idea): enqueueing and handling
 * are typed from this one map. Payloads carry ids, never data: the worker loads
 * the rest from its own store.
 */
export interface JobPayloads {
  [QueueName.DatasetProcessing]: {
    'process-dataset': { tenantId: string; datasetId: string; processingJobId: string };
  };
  [QueueName.Training]: {
    'train-model': { tenantId: string; jobId: string };
  };
}

export type JobNameOf<Q extends QueueName> = keyof JobPayloads[Q] & string;
export type JobPayloadOf<Q extends QueueName, N extends JobNameOf<Q>> = JobPayloads[Q][N];

/** Handlers for some or all job names of one queue. */
export type JobHandlers<Q extends QueueName> = {
  [N in JobNameOf<Q>]?: (payload: JobPayloadOf<Q, N>, context: JobContext) => Promise<unknown>;
};

/** What a handler may do to its running job. */
export interface JobContext {
  readonly jobId: string;
  readonly attempt: number;
  /** 0–100. */
  updateProgress(progress: number): Promise<void>;
  /** True once cancellation was requested or shutdown began; long handlers poll it. */
  readonly signal: AbortSignal;
}
