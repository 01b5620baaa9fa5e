export { HealthController } from './health.controller';
export { HealthModule, type HealthModuleOptions } from './health.module';
export { redisProbe } from './probes';
export { checkWithTimeout, ProbeTimeoutError, READINESS_PROBES, type ReadinessProbe } from './readiness-probe';
