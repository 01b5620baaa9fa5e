/**
 * The local platform as a user runs it: `npm start` (already done by `npm test`),
 * `npm run status`, one base URL, logs, bad configuration and graceful shutdown — against the
 * real processes that deploy/local/vs.mjs started. (Crash recovery kills a service, which other
 * suites running alongside would see: it is in test/chaos, which runs alone.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { manifest, platformEnv, root, status, waitFor } from '../support/local-platform';

const routes: Array<{ prefix: string; service: string }> = JSON.parse(readFileSync(join(root, 'deploy/routes.json'), 'utf8')).routes;
const httpServices = manifest.filter((s) => !s.worker);
const serviceUrl = (name: string) => platformEnv[`SERVICE_URL_${name.toUpperCase().replace(/-/g, '_')}`];
const baseUrl = platformEnv.VECTORSTACK_BASE_URL;
const logFile = (name: string) => join(platformEnv.VECTORSTACK_STATE_DIR, 'logs', `${name}.log`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('the local platform (npm start)', () => {
  it('reports every component up and ready, and exits 0', () => {
    const { code, components } = status();
    const names = components.map((c) => c.component);
    expect(names).toEqual(expect.arrayContaining(['postgres', 'redis', 'kafka', 'nginx', ...manifest.map((s) => s.name)]));
    expect(components.filter((c) => c.state !== 'up' || !c.ready)).toEqual([]);
    expect(code).toBe(0);
  });

  it.each(httpServices.map((s) => [s.name, s.port] as const))('%s answers ready on /readyz at its documented port %i', async (name, port) => {
    // The documented default, unless the run moved it (VS_PORT_<NAME>, see deploy/local/README.md).
    const configured = process.env[`VS_PORT_${name.toUpperCase().replace(/-/g, '_')}`] ?? String(port);
    expect(serviceUrl(name)).toBe(`http://127.0.0.1:${configured}`);
    const res = await fetch(`${serviceUrl(name)}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; details: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(Object.values(body.details).every((d) => d.status === 'up')).toBe(true);
    const live = await fetch(`${serviceUrl(name)}/healthz`);
    expect(await live.json()).toEqual({ status: 'ok' });
  });

  it.each(httpServices.map((s) => [s.name] as const))('%s exposes Prometheus metrics', async (name) => {
    const res = await fetch(`${serviceUrl(name)}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^# HELP vectorstack_process_cpu_user_seconds_total/m);
    expect(text).toContain(`service="${name}"`);
  });

  it.each(routes.map((r) => [r.prefix, r.service] as const))('routes %s through the base URL to %s', async (prefix, service) => {
    const res = await fetch(`${baseUrl}${prefix}`);
    expect(res.headers.get('x-vectorstack-service')).toBe(service);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{32,36}$/);
  });

  it('answers an unrouted path at the edge in the OpenAI error shape', async () => {
    const res = await fetch(`${baseUrl}/v9/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({
      error: { message: 'Unknown route: /v9/nothing-here', type: 'invalid_request_error', param: null, code: 'not_found' },
    });
  });

  // /v1/models/{id} is logged by pino-http; /v1/chat/completions, a model route, logs itself.
  it.each([
    ['GET', '/v1/models/none'],
    ['POST', '/v1/chat/completions'],
  ])('logs JSON lines carrying the request id, with API keys and Authorization redacted (%s %s)', async (method, path) => {
    const requestId = `e2e-${randomUUID()}`;
    const secret = `vsk_${randomUUID().replace(/-/g, '')}`;
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${secret}`, 'x-api-key': secret, 'x-my-api-key': secret, 'x-request-id': requestId, 'content-type': 'application/json' },
      ...(method === 'POST' ? { body: JSON.stringify({ model: 'none', messages: [{ role: 'user', content: 'hi' }] }) } : {}),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const lines = await waitFor('the request log line', async () => {
      const found = readFileSync(logFile('router'), 'utf8')
        .split('\n')
        .filter((line) => line.includes(requestId));
      return found.length > 0 ? found : undefined;
    });
    for (const line of lines) {
      const entry = JSON.parse(line) as { requestId?: string; req?: { id?: string; headers?: Record<string, string> } };
      expect(entry.req?.id ?? entry.requestId).toBe(requestId);
      expect(line).not.toContain(secret);
    }
    const logged = JSON.parse(lines[0]) as { req: { headers: Record<string, string> } };
    expect(logged.req.headers.authorization).toBe('[redacted]');
    expect(readFileSync(logFile('router'), 'utf8')).not.toContain(secret);
  });

  it('keeps the training worker heartbeat fresh (a process without an HTTP server)', () => {
    expect(status().components.find((c) => c.component === 'training-worker')).toMatchObject({ state: 'up', ready: true });
  });
});

describe('service process behaviour', () => {
  const authEntry = join(root, manifest.find((s) => s.name === 'auth')?.entry as string);

  it('refuses to start with an invalid DATABASE_URL, printing one line that names the variable', () => {
    const result = spawnSync(process.execPath, [authEntry], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, ...platformEnv, PORT: '1', DATABASE_URL: 'mysql://user:pw@localhost/db' },
    });
    expect(result.status).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: DATABASE_URL is invalid/);
    expect(result.stdout).toBe('');
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [authEntry], {
      cwd: root,
      // A second auth process beside the running one: its own HTTP and gRPC ports.
      env: { ...process.env, ...platformEnv, PORT: String(port), GRPC_PORT: String(await freePort()), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('auth to be ready', async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined), 60_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('SIGTERM received, draining');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
