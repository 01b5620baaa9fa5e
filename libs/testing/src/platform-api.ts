// Talking to the running platform (through nginx) from integration and end-to-end tests: a JSON
// client, the bootstrap admin key, and tenants and keys created through the public API.
import { readFileSync } from 'node:fs';
import { requireEnv, uniqueSuffix } from './env';

export const baseUrl = () => requireEnv('VECTORSTACK_BASE_URL');
export const adminKey = () => readFileSync(requireEnv('VECTORSTACK_ADMIN_KEY_FILE'), 'utf8').trim();

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** One JSON request through the base URL (nginx), authenticated with `key` when given. */
export async function call<T = Record<string, any>>(
  method: string,
  path: string,
  options: { key?: string; body?: unknown; rawBody?: string; url?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${options.url ?? baseUrl()}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function createTenant(name = `it-${uniqueSuffix()}`): Promise<{ id: string; name: string }> {
  const res = await call('POST', '/v1/tenants', { key: adminKey(), body: { name } });
  if (res.status !== 201) throw new Error(`create tenant: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string };
}

export async function createKey(tenantId: string, fields: Record<string, unknown> = {}, key = adminKey()): Promise<{ id: string; key: string } & Record<string, any>> {
  const res = await call('POST', '/v1/keys', { key, body: { name: 'it', tier: 'pro', scopes: ['keys:manage'], tenant_id: tenantId, ...fields } });
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; key: string };
}

/**
 * Adds a catalog model (admin) served by one OpenAI-compatible deployment `fake` at
 * `upstreamBaseUrl`, e.g. a fake upstream; `fields` and `deployment` override the defaults.
 */
export async function createModel(id: string, upstreamBaseUrl: string, fields: Record<string, unknown> = {}, deployment: Record<string, unknown> = {}): Promise<void> {
  const body = {
    id,
    context_window: 8192,
    max_output_tokens: 256,
    input_price_per_1k: '0.001',
    output_price_per_1k: '0.002',
    tiers: ['enterprise'],
    deployments: [{ id: 'fake', provider: 'openai-compatible', base_url: upstreamBaseUrl, upstream_model: 'fake', ...deployment }],
    ...fields,
  };
  const res = await call('POST', '/v1/admin/models', { key: adminKey(), body });
  if (res.status !== 201) throw new Error(`create model: ${res.status} ${JSON.stringify(res.body)}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function expectOpenAIError(res: ApiResponse, status: number, type: string, code: string, param: string | null = null): void {
  expect({ status: res.status, type: (res.body as any)?.error?.type, code: (res.body as any)?.error?.code, param: (res.body as any)?.error?.param }).toEqual({
    status,
    type,
    code,
    param,
  });
  expect(typeof (res.body as any).error.message).toBe('string');
}
