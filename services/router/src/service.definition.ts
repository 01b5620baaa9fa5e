import type { ServiceDefinition } from '@vectorstack/platform';
import { entities } from './entities';
import { migrations } from './migrations';

export const ROUTER_SERVICE: ServiceDefinition = {
  name: 'router',
  postgres: { schema: 'router', migrations, entities },
  kafka: true,
  // Kafka is off the request path (usage events are spooled while it is away): an outage must
  // not take every router replica out of rotation.
  readinessIgnores: ['kafka'],
  apiKeyGuard: true,
};
