import type { JobHandlers, QueueName } from '@vectorstack/queue';

export const TRAINING_JOB_HANDLERS = Symbol('TRAINING_JOB_HANDLERS');

/**
 * Handlers of the training queue by job name. The training capability (its own
 * issue) registers `train-model` here; until then the queue worker fails any job
 * it receives as unrecoverable instead of retrying it.
 */
export function trainingJobHandlers(): JobHandlers<QueueName.Training> {
  return {};
}
