import type { ServiceDefinition } from '@vectorstack/platform';
import { entities } from './entities';
import { migrations } from './migrations';

export const ROUTER_SERVICE: ServiceDefinition = {
  name: 'router',
  postgres: { schema: 'router', migrations, entities },
  kafka: true,
  // The rate limits' Redis (shared with the ratelimit service): the router checks limits itself.
  redis: true,
  // Kafka is off the request path (usage events are spooled while it is away) and a Redis outage
  // is decided per plan (enterprise fails open): neither must take every replica out of rotation.
  readinessIgnores: ['kafka', 'redis'],
  apiKeyGuard: true,
};
