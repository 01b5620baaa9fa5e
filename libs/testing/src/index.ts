export { REPO_ROOT, requireEnv, testInfra, uniqueSuffix } from './env';
export { createTestSchema, queryDatabase } from './schema';
export { freePort, startServiceProcess, type ServiceProcess } from './service-process';
export { adminKey, baseUrl, call, createKey, createModel, createTenant, expectOpenAIError, sleep, type ApiResponse } from './platform-api';
export { FixtureProcess } from './fixture-process';
export { decodeOrSkip } from './decode';
