import type { ServiceDefinition } from '@vectorstack/platform';
import { migrations } from './migrations';

export const INFERENCE_SERVICE: ServiceDefinition = {
  name: 'inference',
  postgres: { schema: 'inference', migrations },
  kafka: true,
  apiKeyGuard: true,
};
