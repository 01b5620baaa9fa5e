/**
 * The router with HTTP_WORKERS=2 (`runHttpService` → libs/platform/src/cluster.ts): one primary
 * that forks two workers sharing the port, reports every worker's metrics on any scrape, replaces
 * a worker that dies and drains them all on SIGTERM.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { adminKey, eventually, ready, startRouterProcess, type RouterProcess } from './testing/router-api';

/** The pids whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children.sort();
}

/**
 * One GET on a connection of its own (the primary hands each new connection to the next worker).
 * A connection handed to a worker at the moment it is killed is never answered, hence the timeout.
 */
function getOnNewConnection(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, headers, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url}: no answer within 3 s`)));
    request.on('error', reject);
  });
}

function healthzCount(metrics: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith('http_server_request_duration_seconds_count{') && l.includes('http_route="/healthz"'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('router with HTTP_WORKERS=2', () => {
  let router: RouterProcess;
  let primary: number;

  beforeAll(async () => {
    router = await startRouterProcess({ HTTP_WORKERS: '2', LOG_LEVEL: 'info' });
    await ready(router);
    primary = router.child.pid ?? -1;
  });

  afterAll(async () => {
    await router?.stop();
  });

  it('serves the port from two worker processes under the one that was started', async () => {
    const workers = await eventually(async () => {
      const children = childrenOf(primary);
      if (children.length !== 2) throw new Error(`children: ${children.join(',')}`);
      return children;
    });
    expect(workers).toHaveLength(2);
    const models = await getOnNewConnection(`${router.url}/v1/models`, { authorization: `Bearer ${adminKey()}` });
    expect(models.status).toBe(200);
    expect(JSON.parse(models.body)).toMatchObject({ object: 'list' });
  });

  it('reports the requests of every worker on each /metrics scrape', async () => {
    const before = healthzCount((await getOnNewConnection(`${router.url}/metrics`)).body);
    for (let i = 0; i < 20; i++) expect((await getOnNewConnection(`${router.url}/healthz`)).status).toBe(200);
    // Consecutive new connections go to alternate workers: each scrape is answered by one of
    // them, and each must count all 20 requests, not the ~10 its own process served.
    for (let i = 0; i < 4; i++) {
      const scrape = await getOnNewConnection(`${router.url}/metrics`);
      expect(scrape.status).toBe(200);
      expect(healthzCount(scrape.body) - before).toBe(20);
    }
  });

  it('keeps serving while a worker that died is replaced', async () => {
    const [victim, survivor] = childrenOf(primary);
    process.kill(victim, 'SIGKILL');
    // The other worker answers meanwhile.
    await eventually(async () => {
      const res = await getOnNewConnection(`${router.url}/healthz`);
      if (res.status !== 200) throw new Error(`status ${res.status}`);
    });
    const replaced = await eventually(async () => {
      const children = childrenOf(primary);
      if (children.length !== 2 || children.includes(victim)) throw new Error(`children: ${children.join(',')}`);
      return children;
    }, 15_000);
    expect(replaced).toContain(survivor);
    await eventually(async () => {
      for (let i = 0; i < 4; i++) {
        const res = await getOnNewConnection(`${router.url}/readyz`);
        if (res.status !== 200) throw new Error(`status ${res.status}`);
      }
    }, 30_000);
    expect(router.stdout).toMatch(/worker died; starting another/);
  });

  it('drains every worker and exits 0 on SIGTERM', async () => {
    const workers = childrenOf(primary);
    expect(workers).toHaveLength(2);
    const code = await router.stop();
    // On a failure, show what the primary and its workers logged while stopping.
    if (code !== 0) throw new Error(`exit ${code}; the router's last output:\n${router.stderr.slice(-3_000)}\n${router.stdout.slice(-6_000)}`);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});
