import type { ServiceDefinition } from '@vectorstack/platform';
import { migrations } from './migrations';

export const AUTH_SERVICE: ServiceDefinition = {
  name: 'auth',
  postgres: { schema: 'auth', migrations },

  kafka: true,
};
