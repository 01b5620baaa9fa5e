// Benchmarks run against the local platform (`npm start`): its environment, admin key and a JSON client.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The environment services and tests use (`vs.mjs env --json`); fails if the platform is not set up. */
export function platformEnv() {
  return JSON.parse(execFileSync(process.execPath, [join(REPO, 'deploy/local/vs.mjs'), 'env', '--json'], { encoding: 'utf8' }));
}

export function adminKey(env) {
  return readFileSync(env.VECTORSTACK_ADMIN_KEY_FILE, 'utf8').trim();
}

export async function api(env, method, path, key, body) {
  const res = await fetch(`${env.VECTORSTACK_BASE_URL}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A fresh tenant and a key in it, through the public API. */
export async function tenantWithKey(env, keyFields = {}) {
  const admin = adminKey(env);
  const tenant = await api(env, 'POST', '/v1/tenants', admin, { name: `bench-${Date.now()}-${Math.random().toString(36).slice(2, 8)}` });
  const key = await api(env, 'POST', '/v1/keys', admin, { name: 'bench', tier: 'pro', scopes: ['chat'], tenant_id: tenant.id, ...keyFields });
  return { tenant, key };
}
