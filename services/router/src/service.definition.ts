import type { ServiceDefinition } from '@vectorstack/platform';
import { entities } from './entities';
import { migrations } from './migrations';

export const ROUTER_SERVICE: ServiceDefinition = {
  name: 'router',
  postgres: { schema: 'router', migrations, entities },
  kafka: true,
  apiKeyGuard: true,
};
