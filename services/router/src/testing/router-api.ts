// Test support for the router's integration specs: the platform client of @vectorstack/testing
// (through the ingress) plus the catalog helpers and separately started router processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { adminKey, call, createKey as createPlatformKey, freePort, REPO_ROOT, sleep, uniqueSuffix } from '@vectorstack/testing';

export { adminKey, baseUrl, call, createTenant, expectOpenAIError, sleep, type ApiResponse } from '@vectorstack/testing';

/** A key of `tenantId` (pro, chat unless told otherwise); returns its secret. */
export async function createKey(tenantId: string, fields: Record<string, unknown> = {}): Promise<string> {
  return (await createPlatformKey(tenantId, { name: 'router-it', scopes: ['chat'], ...fields })).key;
}

/** A valid catalog entry body with a unique id; tests override what they are about. */
export function modelBody(id = `it-${uniqueSuffix()}`, overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    id,
    context_window: 8192,
    max_output_tokens: 4096,
    input_price_per_1k: '0.0005',
    output_price_per_1k: '0.0015',
    deployments: [{ id: 'local', provider: 'openai-compatible', base_url: 'http://127.0.0.1:8000/v1', upstream_model: 'llama-3.1-8b' }],
    ...overrides,
  };
}

export async function createModel(body: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await call('POST', '/v1/admin/models', { key: adminKey(), body });
  if (res.status !== 201) throw new Error(`create model: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Deletes test models, ignoring those already gone (afterAll). */
export async function deleteModels(ids: readonly string[]): Promise<void> {
  for (const id of [...ids].reverse()) await call('DELETE', `/v1/admin/models/${encodeURIComponent(id)}`, { key: adminKey() });
}

/** Retries `check` until it stops throwing (a change travelling through Kafka), or rethrows after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(intervalMs);
    }
  }
}

// ---- Separately started router processes ------------------------------------------------------

/** The platform's environment as `vs.mjs env --json` prints it (what the local platform gives its services). */
export function platformEnv(): Record<string, string> {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'deploy/local/vs.mjs'), 'env', '--json'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`vs.mjs env failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, string>;
}

export interface RouterProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (or the signal's name) once the process ended. */
  readonly exited: Promise<number | string>;
  stop(): Promise<number | string>;
}

/**
 * Starts `node services/router/dist/main.js` (the build `vs.mjs up` made) on a free port with the
 * platform's environment plus `env`. Call `ready()` to wait for it to listen. Unlike
 * `startServiceProcess` it does not wait, and keeps stderr and the exit code apart: the seed-file
 * specs assert how a process refusing its configuration ends.
 */
export async function startRouterProcess(env: Record<string, string> = {}): Promise<RouterProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'services/router/dist/main.js')], {
    cwd: REPO_ROOT,
    env: { ...platformEnv(), SERVICE_NAME: 'router', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const processHandle: RouterProcess = {
    url: `http://127.0.0.1:${port}`,
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return processHandle.exited;
    },
  };
  child.stdout?.on('data', (chunk: Buffer) => (processHandle.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (processHandle.stderr += chunk.toString()));
  return processHandle;
}

/** Waits until the process answers /readyz with 200 (it listens only once the catalog is read). */
export async function ready(router: RouterProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void router.exited.then(() => (ended = true));
  for (;;) {
    if (ended) throw new Error(`router process exited before it was ready:\n${router.stderr}\n${router.stdout.slice(-2000)}`);
    try {
      const res = await fetch(`${router.url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`router process not ready within ${timeoutMs} ms:\n${router.stdout.slice(-2000)}`);
    await sleep(100);
  }
}
