import type { ServiceDefinition } from '@vectorstack/platform';
import { entities } from './entities';
import { migrations } from './migrations';

export const AUTH_SERVICE: ServiceDefinition = {
  name: 'auth',
  postgres: { schema: 'auth', migrations, entities },
  kafka: true,
  grpc: true,
};
