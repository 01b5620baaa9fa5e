// Test support for the auth service's integration specs: the platform client from libs/testing,
// plus the auth service's own URL (some specs bypass nginx on purpose).
import { requireEnv } from '@vectorstack/testing';

export { adminKey, baseUrl, call, createKey, createTenant, expectOpenAIError, sleep, type ApiResponse } from '@vectorstack/testing';
export const serviceUrl = () => requireEnv('SERVICE_URL_AUTH');
