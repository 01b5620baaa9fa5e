import type { ServiceDefinition } from '@vectorstack/platform';
import { migrations } from './migrations';

export const ROUTER_SERVICE: ServiceDefinition = {
  name: 'router',
  postgres: { schema: 'router', migrations },
  kafka: true,
  apiKeyGuard: true,
};
