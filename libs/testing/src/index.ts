export { REPO_ROOT, requireEnv, testInfra, uniqueSuffix } from './env';
export { createTestSchema, queryDatabase } from './schema';
export { freePort, startServiceProcess, type ServiceProcess } from './service-process';
