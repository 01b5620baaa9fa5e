import type { ServiceDefinition } from '@vectorstack/platform';
import { migrations } from './migrations';

/** The BullMQ worker: same schema and dependencies as the training API, no HTTP server. */
export const TRAINING_WORKER: ServiceDefinition = {
  name: 'training-worker',
  postgres: { schema: 'training', migrations },
  redis: true,
  kafka: true,
};
