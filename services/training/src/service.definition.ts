import type { ServiceDefinition } from '@vectorstack/platform';
import { migrations } from './migrations';

export const TRAINING_SERVICE: ServiceDefinition = {
  name: 'training',
  postgres: { schema: 'training', migrations },
  redis: true,
  kafka: true,
  apiKeyGuard: true,
};
