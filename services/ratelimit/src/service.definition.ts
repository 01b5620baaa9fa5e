import type { ServiceDefinition } from '@vectorstack/platform';

export const RATELIMIT_SERVICE: ServiceDefinition = {
  name: 'ratelimit',
  redis: true,
  kafka: true,
  grpc: true,
  apiKeyGuard: true,
};
