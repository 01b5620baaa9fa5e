#!/usr/bin/env node
// Router benchmark (issue 5): against a zero-latency mock upstream on this machine, for
// POST /v1/chat/completions (one short user message, max_tokens 16), without and with `stream: true`:
//   (a) added latency over calling the upstream directly: sequential requests, p50/p99;
//   (b) throughput at concurrency 64 (requests/s over a fixed duration after a warm-up);
// for: the upstream itself (direct, the floor), a bare pass-through proxy (bare-proxy.mjs),
// the Portkey gateway (@portkey-ai/gateway 1.15.2) and the VectorAIStack router with auth + rate
// limiting + metering on (its own port, and through nginx). See bench/router/README.md.
//
//   node bench/router/router.bench.mjs            (the local platform must be up: npm start)
//
// Writes bench/results/router.json. Exit 0 whether targets are met or not (it is a measurement).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { REPO, adminKey, api, platformEnv, tenantWithKey } from '../lib/platform.mjs';
import { round, writeResults } from '../lib/stats.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const CACHE = join(REPO, '.cache');
const AUTOCANNON = { dir: join(CACHE, 'bench-autocannon'), spec: 'autocannon@8.0.0', probe: 'node_modules/autocannon/package.json' };
const PORTKEY = { dir: join(CACHE, 'bench-portkey'), spec: '@portkey-ai/gateway@1.15.2', probe: 'node_modules/@portkey-ai/gateway/build/start-server.js' };
const FAKE_UPSTREAM_CLI = join(REPO, 'libs/fake-upstream/dist/cli.js');

// --- settings (environment) -----------------------------------------------------------------
const setting = (name, fallback) => (process.env[name] === undefined || process.env[name] === '' ? fallback : process.env[name]);
const UPSTREAM = setting('UPSTREAM', 'fake'); // fake: libs/fake-upstream; minimal: bench/router/mock-upstream.mjs
const ROUNDS = Number(setting('ROUNDS', 5000));
const WARMUP_ROUNDS = Number(setting('WARMUP_ROUNDS', 500));
const CONNECTIONS = Number(setting('CONNECTIONS', 64));
const WARMUP_S = Number(setting('WARMUP_S', 3));
/** Throughput is measured in TP_ROUNDS rounds of one DURATION_S window per target (see measureThroughput). */
const TP_ROUNDS = Number(setting('TP_ROUNDS', 4));
const DURATION_S = Number(setting('DURATION_S', 5));
/** The warm-up before each target's later windows (its first has WARMUP_S): new connections, same process. */
const REWARM_S = Number(setting('REWARM_S', 1));
/** A pause before every window, for the metering path to take in the previous window's usage events. */
const SETTLE_S = Number(setting('SETTLE_S', 1));
const RESULTS_NAME = setting('RESULTS_NAME', 'router');
const ONLY = setting('TARGETS', 'direct,bare-proxy,metered-proxy,portkey,router,router-workers,router-nginx').split(',');
/** HTTP_WORKERS of the router the `router-workers` target starts. */
const ROUTER_WORKERS = Number(setting('ROUTER_WORKERS', 2));
const TARGET_ADDED_P50_MS = 0.6;
const TARGET_THROUGHPUT_RATIO = 0.5;
if (UPSTREAM !== 'fake' && UPSTREAM !== 'minimal') throw new Error(`UPSTREAM must be fake or minimal, got ${UPSTREAM}`);

const log = (...args) => console.log(...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

// --- installs outside the repo's package.json (.cache/ is gitignored) --------------------------
function ensureInstalled({ dir, spec, probe }) {
  if (existsSync(join(dir, probe))) return;
  log(`installing ${spec} into ${dir} ...`);
  execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', spec], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (!existsSync(join(dir, probe))) throw new Error(`npm install ${spec} did not produce ${probe}`);
}

// --- child processes ---------------------------------------------------------------------------
const children = [];

/** Spawns a process that prints one JSON line when ready; resolves with it. */
function spawnWithReadyLine(name, command, args, timeoutMs = 20_000, env = process.env) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    if (stderr.length < 4000) stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      child.stdout.resume();
      resolve({ child, info: JSON.parse(line) });
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const result = await check();
      if (result) return result;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms${last ? ` (${last.message})` : ''}`);
    await sleep(250);
  }
}

// --- CPU accounting from /proc -----------------------------------------------------------------
const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined;
  }
}

/** Direct children of `pid` (nginx's workers, the router's HTTP_WORKERS), from /proc. */
function childrenOf(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The fields after the command name, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return out;
}

function machineTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/**
 * Groups whose processes are a parent and its children at the time of measuring (name → parent
 * pid): Postgres's backends come and go with the services' connection pools, so the children are
 * read again at the start of every measured window (one started during a window counts nothing).
 */
const withChildren = new Map();

/** `watched` with each group of withChildren as its parent and its current children. */
function currentProcesses(watched) {
  const groups = { ...watched };
  for (const [name, pid] of withChildren) if (name in groups) groups[name] = [pid, ...childrenOf(pid)];
  return groups;
}

/** Snapshot of every watched process's CPU ticks; `watched` maps a group name to its pids. */
function cpuSnapshot(watched) {
  const groups = {};
  for (const [name, pids] of Object.entries(watched)) groups[name] = Object.fromEntries(pids.map((pid) => [pid, processTicks(pid)]));
  return { at: process.hrtime.bigint(), groups, machine: machineTicks() };
}

/**
 * CPU used between two snapshots: per group in cores (1.0 = one core busy the whole time) and,
 * given the number of responses, in µs per response. A process that exited or was replaced in
 * between (the platform is shared and restarted by others) counts nothing.
 */
function cpuBetween(before, after, responses) {
  const seconds = Number(after.at - before.at) / 1e9;
  const processes = {};
  const perResponse = {};
  let ours = 0;
  for (const [name, pids] of Object.entries(after.groups)) {
    let ticks = 0;
    for (const [pid, now] of Object.entries(pids)) {
      const was = before.groups[name]?.[pid];
      if (now !== undefined && was !== undefined && now >= was) ticks += now - was;
    }
    ours += ticks;
    if (ticks === 0) continue;
    processes[name] = round(ticks / TICKS_PER_S / seconds, 2);
    if (responses > 0) perResponse[name] = round((ticks / TICKS_PER_S / responses) * 1e6, 1);
  }
  const busy = after.machine.busy - before.machine.busy;
  const total = after.machine.total - before.machine.total;
  return {
    seconds: round(seconds, 2),
    machine_busy_cores: round((busy / total) * cpus().length, 2),
    processes_cores: processes,
    ...(responses > 0 ? { processes_cpu_us_per_response: perResponse } : {}),
    // Everything else on the machine in that window (other sessions, tests...): the noise.
    other_cores: round(Math.max(0, (busy - ours) / total) * cpus().length, 2),
  };
}

// --- the load generator (its own process) ------------------------------------------------------
/** Runs one load.mjs job; samples CPU from its measure-start line to its result. */
function runLoad(job, watched) {
  const child = spawn(process.execPath, [join(HERE, 'load.mjs'), JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let groups;
  let before;
  let result;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const event = JSON.parse(line);
    if (event.event === 'measure-start') {
      groups = { ...currentProcesses(watched), loadgen: [child.pid] };
      before = cpuSnapshot(groups);
    } else if (event.event === 'result') {
      const after = cpuSnapshot(groups ?? { ...watched, loadgen: [child.pid] });
      const responses = event.mode === 'throughput' ? event.ok + event.non_2xx : 0;
      result = { ...event, cpu: before ? cpuBetween(before, after, responses) : undefined, loadavg_1m: round(loadavg()[0], 2) };
      delete result.event;
    }
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`load generator exited with ${code}`))));
  });
}

// --- throughput in interleaved rounds ----------------------------------------------------------
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Throughput of every target, measured in TP_ROUNDS rounds: each round runs one DURATION_S window
 * per target, in the targets' order in odd rounds and in reverse in even ones (ABBA), so that
 * every target's windows sit next to the bare proxy's at different times of the run. On a shared
 * machine the speed of the cores drifts by tens of per cent over minutes (the bare proxy's own
 * rate moved by 10–30% between single 10 s runs); one window per target, minutes apart, measured
 * the drift as much as the gateways. A target's ratio to the bare proxy is the median of its
 * per-round ratios (each against the bare proxy's window of the same round); the pooled ratio
 * (all windows' requests over all windows' time) and each round's are in the results too. Each
 * window starts SETTLE_S after the previous one, so that a target does not pay for the usage
 * events of the one before it (the metered proxy's, the router's) still on their way to the ledger.
 */
async function measureThroughput(mode, stream, targets, watched) {
  const windows = Object.fromEntries(targets.map((target) => [target.name, []]));
  for (let round = 0; round < TP_ROUNDS; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    log(`[${mode}] throughput round ${round + 1}/${TP_ROUNDS}: ${order.map((t) => t.name).join(', ')}; ${CONNECTIONS} connections, ${DURATION_S} s each ...`);
    for (const target of order) {
      const warmupSeconds = round === 0 ? WARMUP_S : REWARM_S;
      await sleep(SETTLE_S * 1000);
      const run = await runLoad(
        { mode: 'throughput', target: { url: target.url, headers: target.headers, body: bodyFor(target, stream) }, connections: CONNECTIONS, warmupSeconds, durationSeconds: DURATION_S },
        watched,
      );
      windows[target.name].push(run);
      if (run.non_2xx + run.errors + run.timeouts > 0) log(`  ${target.name}: ${run.non_2xx} non-2xx, ${run.errors} errors, ${run.timeouts} timeouts; statuses ${JSON.stringify(run.statuses)}`);
    }
  }
  const bare = windows['bare-proxy'];
  return Object.fromEntries(targets.map((target) => [target.name, combineWindows(windows[target.name], bare)]));
}

/** One target's windows as one result: sums, time-weighted CPU, and its ratios to the bare proxy's windows. */
function combineWindows(runs, bareRuns) {
  const sum = (pick) => runs.reduce((total, run) => total + pick(run), 0);
  const seconds = sum((run) => run.duration_s);
  const ok = sum((run) => run.ok);
  const responses = sum((run) => run.ok + run.non_2xx);
  const statuses = {};
  for (const run of runs) for (const [status, count] of Object.entries(run.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
  const cpuSeconds = sum((run) => run.cpu?.seconds ?? 0);
  const weighted = (pick) => round(sum((run) => (pick(run) ?? 0) * (run.cpu?.seconds ?? 0)) / cpuSeconds, 2);
  const names = [...new Set(runs.flatMap((run) => Object.keys(run.cpu?.processes_cores ?? {})))];
  const processesCores = Object.fromEntries(names.map((name) => [name, weighted((run) => run.cpu?.processes_cores?.[name])]));
  const perResponse = Object.fromEntries(
    names.map((name) => [name, responses > 0 ? round(sum((run) => (run.cpu?.processes_cpu_us_per_response?.[name] ?? 0) * (run.ok + run.non_2xx)) / responses, 1) : null]),
  );
  const requestsPerS = Math.round(ok / seconds);
  const bareRps = bareRuns ? Math.round(bareRuns.reduce((total, run) => total + run.ok, 0) / bareRuns.reduce((total, run) => total + run.duration_s, 0)) : undefined;
  const perRound = bareRuns ? runs.map((run, i) => round(run.requests_per_s / bareRuns[i].requests_per_s, 3)) : [];
  return {
    mode: 'throughput',
    windows: runs.length,
    duration_s: round(seconds, 2),
    requests: sum((run) => run.requests),
    ok,
    non_2xx: sum((run) => run.non_2xx),
    errors: sum((run) => run.errors),
    timeouts: sum((run) => run.timeouts),
    statuses,
    requests_per_s: requestsPerS,
    all_responses_per_s: Math.round(responses / seconds),
    requests_per_s_by_round: runs.map((run) => run.requests_per_s),
    latency_ms: {
      p50_median: median(runs.map((run) => run.latency_ms.p50)),
      p99_median: median(runs.map((run) => run.latency_ms.p99)),
      max: Math.max(...runs.map((run) => run.latency_ms.max)),
    },
    cpu: {
      seconds: round(cpuSeconds, 2),
      machine_busy_cores: weighted((run) => run.cpu?.machine_busy_cores),
      processes_cores: processesCores,
      processes_cpu_us_per_response: perResponse,
      other_cores: weighted((run) => run.cpu?.other_cores),
    },
    loadavg_1m: runs.at(-1)?.loadavg_1m,
    ...(bareRuns ? { ratio_to_bare_proxy: round(median(perRound), 3), ratio_to_bare_proxy_by_round: perRound, ratio_to_bare_proxy_pooled: round(requestsPerS / bareRps, 3) } : {}),
    by_window: runs,
  };
}

// --- the router: setup through the public API ---------------------------------------------------
/** The sum of a Prometheus metric's samples on `url`/metrics (those with `label`, e.g. 'path="lease"', when given). */
async function metric(url, name, label) {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `)) || (label && !line.includes(label))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** How the router admitted requests so far: from quota leases in memory, or checked in Redis one by one. */
async function admissionPaths(routerUrl) {
  const name = 'vectorstack_router_rate_limit_admissions_total';
  const [lease, exact] = await Promise.all([metric(routerUrl, name, 'path="lease"'), metric(routerUrl, name, 'path="exact"')]);
  return { lease, exact };
}

async function meteringCounters(routerUrl) {
  const [published, spooled, dropped] = await Promise.all(
    ['vectorstack_usage_events_published_total', 'vectorstack_usage_events_spooled_total', 'vectorstack_usage_events_dropped_total'].map((name) => metric(routerUrl, name)),
  );
  return { published, spooled, dropped };
}

async function setUpRouter(env, upstreamBaseUrl) {
  await waitFor('router /readyz', async () => (await fetch(`${env.SERVICE_URL_ROUTER}/readyz`)).ok, 120_000);
  const admin = adminKey(env);
  const modelId = `bench-${Date.now().toString(36)}`;
  await api(env, 'POST', '/v1/admin/models', admin, {
    id: modelId,
    display_name: 'Bench',
    owned_by: 'bench',
    context_window: 8192,
    max_output_tokens: 1024,
    input_price_per_1k: '0.001',
    output_price_per_1k: '0.002',
    tiers: ['free', 'starter', 'pro', 'enterprise'],
    deployments: [{ id: 'mock', provider: 'openai-compatible', base_url: upstreamBaseUrl, upstream_model: 'mock', weight: 1, timeout_ms: 5000, max_retries: 0 }],
  });
  const { tenant, key } = await tenantWithKey(env, { tier: 'enterprise', scopes: ['chat'] });
  // Every window stays evaluated (numbers, not null) but far out of reach: the benchmark measures
  // the gateway, not denials. MAX_LIMIT in libs/ratelimit/src/plan.ts is 1e12.
  // The new key reaches the ratelimit service through Kafka: retry until it knows the key.
  const limits = await waitFor(
    'PUT /v1/limits for the new key',
    () =>
      api(env, 'PUT', `/v1/limits/${key.id}`, admin, {
        requests_per_minute: 1_000_000_000_000,
        requests_per_hour: 1_000_000_000_000,
        requests_per_day: 1_000_000_000_000,
        tokens_per_minute: 1_000_000_000_000,
        tokens_per_day: 1_000_000_000_000,
        max_concurrent: 1_000_000,
      }),
    20_000,
  );
  return { modelId, tenantId: tenant.id, key, limits: limits.effective };
}

/**
 * Adds the platform's processes to `watched` (their CPU is the router's cost, and nginx's for the
 * nginx target; Kafka's and the consumers' for the metered proxy), each with its direct children
 * (nginx's workers, the router's workers when it runs with HTTP_WORKERS > 1, Postgres's
 * backends: read again for every measured window, see withChildren); returns `vs.mjs status`,
 * each row with its `children` now.
 */
function watchPlatform(watched) {
  const status = JSON.parse(execFileSync(process.execPath, [join(REPO, 'deploy/local/vs.mjs'), 'status', '--json'], { encoding: 'utf8' }));
  for (const row of status) {
    if (!row.pid) continue;
    row.children = childrenOf(row.pid);
    watched[`platform:${row.component}`] = [row.pid, ...row.children];
    withChildren.set(`platform:${row.component}`, row.pid);
  }
  return status;
}

async function tearDownRouter(env, router) {
  const admin = adminKey(env);
  const outcomes = {};
  for (const [what, path] of [
    ['model', `/v1/admin/models/${router.modelId}`],
    ['key', `/v1/keys/${router.key.id}`],
  ]) {
    try {
      await api(env, 'DELETE', path, admin);
      outcomes[what] = 'deleted';
    } catch (error) {
      outcomes[what] = error.message;
    }
  }
  return outcomes;
}

/** One request; returns status, headers and body text. */
async function probe(target, stream) {
  const response = await fetch(target.url, { method: 'POST', headers: target.headers, body: bodyFor(target, stream) });
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}

function bodyFor(target, stream) {
  return JSON.stringify({ model: target.model, messages: [{ role: 'user', content: 'Hello there, benchmark' }], max_tokens: 16, ...(stream ? { stream: true } : {}) });
}

// --- report ------------------------------------------------------------------------------------
const ms = (us) => (us === null || us === undefined ? null : round(us / 1000, 3));
const fmt = (value, width, digits = 3) => (value === null || value === undefined ? 'n/a' : typeof value === 'number' ? value.toFixed(digits) : String(value)).padStart(width);

function verdictLine(label, value, comparison, target, unit) {
  const met = value !== null && value !== undefined && (comparison === '<=' ? value <= target : value >= target);
  log(`${met ? 'PASS' : 'MISS'} ${label}: ${value ?? 'n/a'}${unit} (target ${comparison} ${target}${unit})`);
  return { value, target, comparison, unit: unit.trim(), met };
}

// --- main ----------------------------------------------------------------------------------------
async function main() {
  const uptimeBefore = uptime();
  log(`uptime: ${uptimeBefore}`);
  // How busy the machine is before we add anything: the other sessions' noise floor.
  const idle0 = cpuSnapshot({});
  await sleep(3000);
  const idleBefore = cpuBetween(idle0, cpuSnapshot({}), 0);
  log(`machine busy before the run: ${idleBefore.machine_busy_cores} of ${cpus().length} cores over 3 s`);
  if (idleBefore.machine_busy_cores > 0.5) log('WARNING: the machine is busy with other work; the numbers below will be noisy and low');
  ensureInstalled(AUTOCANNON);
  if (ONLY.includes('portkey')) ensureInstalled(PORTKEY);
  if (UPSTREAM === 'fake' && !existsSync(FAKE_UPSTREAM_CLI)) {
    log('building libs/fake-upstream ...');
    execFileSync('npx', ['nx', 'run', 'fake-upstream:build'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
  }

  // 1. The zero-latency upstream.
  const upstream =
    UPSTREAM === 'fake'
      ? await spawnWithReadyLine('fake upstream', process.execPath, [FAKE_UPSTREAM_CLI, '--kind', 'openai', '--port', '0', '--record-limit', '0'])
      : await spawnWithReadyLine('minimal mock upstream', process.execPath, [join(HERE, 'mock-upstream.mjs'), '--port', '0']);
  log(`upstream (${UPSTREAM === 'fake' ? 'libs/fake-upstream' : 'bench/router/mock-upstream.mjs'}): ${upstream.info.baseUrl}`);
  const watched = { upstream: [upstream.child.pid] };
  const targets = [];
  const chat = (origin) => `${origin}/v1/chat/completions`;
  targets.push({ name: 'direct', url: chat(upstream.info.url), model: 'mock', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' } });

  // 2. The bare proxy.
  if (ONLY.includes('bare-proxy')) {
    const bare = await spawnWithReadyLine('bare proxy', process.execPath, [join(HERE, 'bare-proxy.mjs'), '--upstream', upstream.info.url, '--port', '0']);
    watched['bare-proxy'] = [bare.child.pid];
    targets.push({ name: 'bare-proxy', url: chat(bare.info.url), model: 'mock', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' } });
  }

  // 3. Portkey, its own process, pointed at the upstream per request (custom host).
  let portkeyLog;
  if (ONLY.includes('portkey')) {
    const port = await freePort();
    portkeyLog = join(PORTKEY.dir, 'portkey.log');
    const out = openSync(portkeyLog, 'w');
    const child = spawn(process.execPath, [join(PORTKEY.dir, PORTKEY.probe), `--port=${port}`, '--headless'], { cwd: PORTKEY.dir, stdio: ['ignore', out, out] });
    closeSync(out);
    children.push(child);
    watched.portkey = [child.pid];
    const target = {
      name: 'portkey',
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      model: 'mock',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstream.info.baseUrl },
    };
    await waitFor('portkey', async () => (await probe(target, false)).status === 200, 30_000);
    targets.push(target);
  }

  // 4. The VectorAIStack router, with a catalog model on the upstream and an enterprise key.
  const env = platformEnv();
  let router;
  const routerChecks = {};
  const wantRouter = ONLY.includes('router') || ONLY.includes('router-nginx');
  if (wantRouter) {
    router = await setUpRouter(env, upstream.info.baseUrl);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${router.key.key}` };
    const viaPort = { name: 'router', url: chat(env.SERVICE_URL_ROUTER), model: router.modelId, headers };
    const viaNginx = { name: 'router-nginx', url: chat(env.VECTORSTACK_BASE_URL), model: router.modelId, headers };
    // The catalog change reaches the router through a compacted topic: wait for it.
    const first = await waitFor('the router serving the new model', async () => {
      const answer = await probe(viaPort, false);
      return answer.status === 200 ? answer : undefined;
    }, 20_000);
    const rateLimitHeaders = Object.keys(first.headers).filter((name) => name.startsWith('x-ratelimit-'));
    if (rateLimitHeaders.length === 0) throw new Error(`the router answered without x-ratelimit headers: ${JSON.stringify(first.headers)}`);
    const streamed = await probe(viaPort, true);
    const nginx = await probe(viaNginx, false);
    const metering0 = await meteringCounters(env.SERVICE_URL_ROUTER);
    for (let i = 0; i < 20; i++) await probe(viaPort, false);
    await sleep(1500);
    const metering1 = await meteringCounters(env.SERVICE_URL_ROUTER);
    Object.assign(routerChecks, {
      model: router.modelId,
      key_limits: router.limits,
      first_status: first.status,
      rate_limit_headers: Object.fromEntries(rateLimitHeaders.map((name) => [name, first.headers[name]])),
      route_header: first.headers['x-vectorstack-route'],
      streaming_status: streamed.status,
      streaming_ends_with_done: streamed.body.trimEnd().endsWith('data: [DONE]'),
      nginx_status: nginx.status,
      metering_before: metering1,
      usage_events_for_20_requests: { published: metering1.published - metering0.published, spooled: metering1.spooled - metering0.spooled, dropped: metering1.dropped - metering0.dropped },
    });
    log(`router: ${first.status}, ${rateLimitHeaders.length} x-ratelimit headers (remaining-requests ${first.headers['x-ratelimit-remaining-requests']}), stream ${streamed.status}, nginx ${nginx.status}, usage events for 20 requests: ${JSON.stringify(routerChecks.usage_events_for_20_requests)}`);
    if (routerChecks.usage_events_for_20_requests.published + routerChecks.usage_events_for_20_requests.spooled < 20) log('WARNING: usage events did not grow with the requests (metering off?)');
    if (ONLY.includes('router')) targets.push(viaPort);
    if (ONLY.includes('router-nginx')) targets.push(viaNginx);
    const routerRow = watchPlatform(watched).find((row) => row.component === 'router');
    routerChecks.router_pid = routerRow?.pid;
    // HTTP_WORKERS (VS_ROUTER_HTTP_WORKERS for `npm start`): the primary only supervises.
    routerChecks.router_processes = routerRow?.children.length || 1;
    log(`router: ${routerChecks.router_processes === 1 ? 'one process' : `${routerChecks.router_processes} worker processes (HTTP_WORKERS)`}`);
  }

  // 4b. The router as a pod with more than one core runs it: HTTP_WORKERS worker processes on one
  //     port. A router started here with the platform's environment, as a new replica would be:
  //     it reads the same catalog and key topics, so it serves the same model and key.
  if (ONLY.includes('router-workers')) {
    const owner = router ?? (router = await setUpRouter(env, upstream.info.baseUrl));
    const port = await freePort();
    mkdirSync(join(REPO, '.cache'), { recursive: true });
    const workersLog = join(REPO, '.cache', 'bench-router-workers.log');
    const out = openSync(workersLog, 'w');
    // With the router's NODE_OPTIONS from deploy/services.json, as the platform runs it.
    const nodeOptions = JSON.parse(readFileSync(join(REPO, 'deploy/services.json'), 'utf8')).services.find((s) => s.name === 'router')?.nodeOptions;
    const child = spawn(process.execPath, [join(REPO, 'services/router/dist/main.js')], {
      cwd: REPO,
      env: { ...process.env, ...env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), SERVICE_NAME: 'router', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', HTTP_WORKERS: String(ROUTER_WORKERS) },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    children.push(child);
    const target = { name: 'router-workers', url: chat(`http://127.0.0.1:${port}`), model: owner.modelId, headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.key.key}` } };
    await waitFor(`a router with HTTP_WORKERS=${ROUTER_WORKERS} (log: ${workersLog})`, async () => (await probe(target, false)).status === 200, 60_000);
    const processes = childrenOf(child.pid);
    watched['router-workers'] = [child.pid, ...processes];
    withChildren.set('router-workers', child.pid);
    routerChecks.router_workers = { http_workers: ROUTER_WORKERS, worker_processes: processes.length, log: workersLog };
    log(`router-workers: HTTP_WORKERS=${ROUTER_WORKERS}, ${processes.length} worker processes on port ${port}`);
    targets.push(target);
  }

  // 5. The metering floor: the bare proxy plus one usage event per response to the platform's
  //    Kafka (the metering service consumes them), attributed to the benchmark's tenant.
  let metered;
  if (ONLY.includes('metered-proxy')) {
    const owner = router ?? (router = await setUpRouter(env, upstream.info.baseUrl));
    metered = await spawnWithReadyLine('metered proxy', process.execPath, [
      join(HERE, 'bare-proxy.mjs'), '--upstream', upstream.info.url, '--port', '0', '--meter',
      '--tenant', owner.tenantId, '--key-id', owner.key.id, '--model', owner.modelId,
    ], 30_000, { ...process.env, KAFKA_BROKERS: env.KAFKA_BROKERS });
    watched['metered-proxy'] = [metered.child.pid];
    targets.splice(Math.max(1, targets.findIndex((t) => t.name === 'bare-proxy') + 1), 0, { name: 'metered-proxy', url: chat(metered.info.url), model: 'mock', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' } });
    if (!wantRouter) watchPlatform(watched);
  }

  // 6. Measure: sequential latency (interleaved with direct), then throughput, per mode.
  const results = { non_streaming: { latency: {}, throughput: {} }, streaming: { latency: {}, throughput: {} } };
  const direct = targets[0];
  for (const [mode, stream] of [
    ['non_streaming', false],
    ['streaming', true],
  ]) {
    for (const target of targets.slice(1)) {
      log(`[${mode}] sequential: direct vs ${target.name}, ${ROUNDS} rounds ...`);
      const job = {
        mode: 'sequential',
        rounds: ROUNDS,
        warmupRounds: WARMUP_ROUNDS,
        targets: [direct, target].map((t) => ({ name: t.name, url: t.url, headers: t.headers, body: bodyFor(t, stream), stream })),
      };
      const run = await runLoad(job, watched);
      const [d, t] = run.targets;
      const added = (q) => (t.latency && d.latency ? round(t.latency[q] - d.latency[q], 2) : null);
      results[mode].latency[target.name] = {
        target: t,
        direct: d,
        added_p50_us: added('p50_us'),
        added_p99_us: added('p99_us'),
        paired_difference_p50_us: t.paired_difference?.p50_us ?? null,
        paired_difference_p99_us: t.paired_difference?.p99_us ?? null,
        loadavg_1m: run.loadavg_1m,
      };
      if (t.ok < t.requests) log(`  ${target.name}: ${t.requests - t.ok} of ${t.requests} requests failed; first: ${t.first_error}`);
    }
    results[mode].throughput = await measureThroughput(mode, stream, targets, watched);
  }

  // 7. Metering kept up? (events are buffered: give the publishers a moment.)
  if (metered) {
    await sleep(3000);
    routerChecks.metered_proxy_usage_events = await (await fetch(`${metered.info.url}/__metering`)).json();
    const { recorded, published } = routerChecks.metered_proxy_usage_events;
    if (published !== recorded) log(`WARNING: the metered proxy recorded ${recorded} usage events but Kafka acknowledged ${published}`);
  }
  if (wantRouter) {
    if (!metered) await sleep(3000);
    routerChecks.metering_after = await meteringCounters(env.SERVICE_URL_ROUTER);
    routerChecks.rate_limit_admissions_since_router_start = await admissionPaths(env.SERVICE_URL_ROUTER);
  }
  if (router) routerChecks.teardown = await tearDownRouter(env, router);
  if (wantRouter) {
    // The platform is shared: say so if the router was restarted under the benchmark.
    const after = JSON.parse(execFileSync(process.execPath, [join(REPO, 'deploy/local/vs.mjs'), 'status', '--json'], { encoding: 'utf8' }));
    routerChecks.router_pid_after = after.find((row) => row.component === 'router')?.pid;
    if (routerChecks.router_pid_after !== routerChecks.router_pid) log(`WARNING: the router's pid changed during the run (${routerChecks.router_pid} → ${routerChecks.router_pid_after}): it was restarted`);
  }
  if (portkeyLog) {
    const text = readFileSync(portkeyLog, 'utf8');
    const errorAt = text.indexOf('error');
    results.portkey_log = { file: portkeyLog, bytes: text.length, first_error: errorAt === -1 ? null : text.slice(Math.max(0, text.lastIndexOf('\n', errorAt) + 1), errorAt + 600) };
  }

  // 8. Report.
  log('');
  log(`upstream: ${UPSTREAM === 'fake' ? 'libs/fake-upstream' : 'bench/router/mock-upstream.mjs'}; sequential: ${ROUNDS} rounds each; throughput: ${CONNECTIONS} connections, ${TP_ROUNDS} rounds of ${DURATION_S} s per target; vs bare = the median of the rounds' ratios`);
  for (const mode of ['non_streaming', 'streaming']) {
    log('');
    log(`${mode === 'streaming' ? 'stream: true' : 'non-streaming'}`);
    log(`${'target'.padEnd(14)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'direct p50'.padStart(11)}${'direct p99'.padStart(11)}${'added p50'.padStart(10)}${'added p99'.padStart(10)}${'req/s'.padStart(9)}${'errors'.padStart(9)}${'vs bare'.padStart(9)}  cpu (cores)`);
    for (const target of targets) {
      const latency = results[mode].latency[target.name];
      const throughput = results[mode].throughput[target.name];
      const lat = target.name === 'direct' ? Object.values(results[mode].latency)[0]?.direct.latency : latency?.target.latency;
      const errors = throughput.non_2xx + throughput.errors + throughput.timeouts;
      const ratio = throughput.ratio_to_bare_proxy ?? null;
      const cpu = Object.entries(throughput.cpu?.processes_cores ?? {})
        .filter(([, cores]) => cores >= 0.05)
        .map(([name, cores]) => `${name.replace('platform:', '')} ${cores}`)
        .join(', ');
      log(
        `${target.name.padEnd(14)}${fmt(ms(lat?.p50_us), 9)}${fmt(ms(lat?.p99_us), 9)}${fmt(ms(latency?.direct.latency?.p50_us), 11)}${fmt(ms(latency?.direct.latency?.p99_us), 11)}${fmt(ms(latency?.added_p50_us), 10)}${fmt(ms(latency?.added_p99_us), 10)}${fmt(throughput.requests_per_s, 9, 0)}${fmt(errors, 9, 0)}${fmt(ratio, 9, 3)}  ${cpu}; other ${throughput.cpu?.other_cores}`,
      );
    }
  }
  log('');

  const verdicts = {};
  for (const [name, key] of [
    ['router', 'router'],
    ['router-workers', 'router_workers'],
  ]) {
    for (const mode of ['non_streaming', 'streaming']) {
      const latency = results[mode].latency[name];
      const throughput = results[mode].throughput[name];
      if (latency) verdicts[`${mode}_${key}_added_p50_ms`] = verdictLine(`[${mode}] ${name} added p50`, ms(latency.added_p50_us), '<=', TARGET_ADDED_P50_MS, ' ms');
      if (throughput?.ratio_to_bare_proxy !== undefined) verdicts[`${mode}_${key}_throughput_ratio`] = verdictLine(`[${mode}] ${name} throughput / bare proxy`, throughput.ratio_to_bare_proxy, '>=', TARGET_THROUGHPUT_RATIO, '');
    }
  }
  for (const mode of ['non_streaming', 'streaming']) {
    for (const name of ['router', 'router-workers']) {
      const run = results[mode].throughput[name];
      if (run?.ratio_to_bare_proxy_by_round) log(`info [${mode}] ${name} / bare proxy by round: ${run.ratio_to_bare_proxy_by_round.join(', ')}; median ${run.ratio_to_bare_proxy}, pooled ${run.ratio_to_bare_proxy_pooled}`);
    }
    const nginx = results[mode].throughput['router-nginx'];
    const latency = results[mode].latency['router-nginx'];
    if (nginx) log(`info [${mode}] router through nginx: added p50 ${ms(latency?.added_p50_us)} ms, throughput / bare proxy ${nginx.ratio_to_bare_proxy}`);
    const portkey = results[mode].throughput.portkey;
    const portkeyLatency = results[mode].latency.portkey;
    if (portkey) log(`info [${mode}] portkey: added p50 ${ms(portkeyLatency?.added_p50_us)} ms, ${portkey.requests_per_s} req/s OK (${portkey.all_responses_per_s} responses/s, statuses ${JSON.stringify(portkey.statuses)}), throughput / bare proxy ${portkey.ratio_to_bare_proxy}`);
  }
  // Is the upstream the bottleneck? During each proxy's run it should have CPU to spare.
  const upstreamLoad = {};
  for (const mode of ['non_streaming', 'streaming']) {
    for (const [name, run] of Object.entries(results[mode].throughput)) {
      upstreamLoad[`${mode}/${name}`] = { upstream_cores: run.cpu?.processes_cores?.upstream ?? 0, upstream_cpu_us_per_response: run.cpu?.processes_cpu_us_per_response?.upstream ?? null };
    }
  }
  log(`upstream CPU during the throughput runs (cores, µs per response): ${Object.entries(upstreamLoad).map(([k, v]) => `${k} ${v.upstream_cores}, ${v.upstream_cpu_us_per_response}`).join(' | ')}`);
  log('CPU µs per response (throughput runs):');
  for (const mode of ['non_streaming', 'streaming']) {
    for (const [name, run] of Object.entries(results[mode].throughput)) {
      const per = Object.entries(run.cpu?.processes_cpu_us_per_response ?? {}).filter(([, us]) => us >= 5);
      log(`  [${mode}] ${name}: ${per.map(([process, us]) => `${process.replace('platform:', '')} ${us}`).join(', ')}`);
    }
  }

  const summary = {};
  for (const mode of ['non_streaming', 'streaming']) {
    summary[mode] = {};
    for (const target of targets) {
      const latency = target.name === 'direct' ? undefined : results[mode].latency[target.name];
      const throughput = results[mode].throughput[target.name];
      summary[mode][target.name] = {
        p50_ms: latency ? ms(latency.target.latency?.p50_us) : ms(Object.values(results[mode].latency)[0]?.direct.latency?.p50_us),
        p99_ms: latency ? ms(latency.target.latency?.p99_us) : ms(Object.values(results[mode].latency)[0]?.direct.latency?.p99_us),
        direct_p50_ms: latency ? ms(latency.direct.latency?.p50_us) : undefined,
        direct_p99_ms: latency ? ms(latency.direct.latency?.p99_us) : undefined,
        added_p50_ms: latency ? ms(latency.added_p50_us) : undefined,
        added_p99_ms: latency ? ms(latency.added_p99_us) : undefined,
        sequential_failed: latency ? latency.target.requests - latency.target.ok : undefined,
        requests_per_s: throughput.requests_per_s,
        errors: throughput.non_2xx + throughput.errors + throughput.timeouts,
        statuses: throughput.statuses,
        throughput_ratio_to_bare_proxy: throughput.ratio_to_bare_proxy,
        throughput_ratio_by_round: throughput.ratio_to_bare_proxy_by_round,
        throughput_ratio_pooled: throughput.ratio_to_bare_proxy_pooled,
      };
    }
  }
  const uptimeAfter = uptime();
  log(`uptime: ${uptimeAfter}`);

  writeResults(RESULTS_NAME, {
    settings: { upstream: UPSTREAM, rounds: ROUNDS, warmup_rounds: WARMUP_ROUNDS, connections: CONNECTIONS, warmup_s: WARMUP_S, throughput_rounds: TP_ROUNDS, duration_s: DURATION_S, rewarm_s: REWARM_S, settle_s: SETTLE_S, load_generator: `${AUTOCANNON.spec} (throughput), undici Client (sequential)`, portkey: PORTKEY.spec },
    machine_load: { before: uptimeBefore, after: uptimeAfter, busy_cores_before_run: idleBefore.machine_busy_cores },
    git: { head: execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim(), dirty_router: execFileSync('git', ['status', '--short', 'services/router'], { cwd: REPO, encoding: 'utf8' }).trim().split('\n').filter(Boolean).length },
    targets: targets.map((t) => ({ name: t.name, url: t.url })),
    router_checks: routerChecks,
    verdicts,
    summary,
    upstream_load: upstreamLoad,
    ...results,
  });
}

try {
  await main();
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}
