import type { ServiceDefinition } from '@vectorstack/platform';
import { migrations } from './migrations';

export const DATA_SERVICE: ServiceDefinition = {
  name: 'data',
  postgres: { schema: 'data', migrations },
  redis: true,
  kafka: true,
  apiKeyGuard: true,
};
