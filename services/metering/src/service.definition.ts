import type { ServiceDefinition } from '@vectorstack/platform';
import { migrations } from './migrations';

export const METERING_SERVICE: ServiceDefinition = {
  name: 'metering',
  postgres: { schema: 'metering', migrations },
  kafka: true,
  apiKeyGuard: true,
};
