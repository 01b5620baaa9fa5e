export { QueueName, type JobContext, type JobHandlers, type JobNameOf, type JobPayloadOf, type JobPayloads } from './jobs';
export { bullConnection, DEFAULT_JOB_OPTIONS, QueueWorker, TypedQueue, type QueueWorkerOptions } from './queue-worker';
