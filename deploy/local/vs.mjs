#!/usr/bin/env node
// VectorAIStack local orchestrator: one command brings up Postgres, Redis, Kafka (KRaft),
// nginx and every service in deploy/services.json on this machine, without Docker.
//
//   node deploy/local/vs.mjs up | infra | down | status [--json] | logs <component> [--no-follow]
//                           | migrate | env [--json]
//
// Plain Node ESM with no npm dependencies on purpose: it has to work right after `git clone`,
// before `npm install`. Processes and ports come from deploy/services.json, public routing from
// deploy/routes.json — both are read at runtime, nothing is duplicated here. See README.md.

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync, constants as fsConstants, chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync,
  readdirSync, realpathSync, rmSync, statSync, unlinkSync, writeFileSync, fstatSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Paths, constants
// ---------------------------------------------------------------------------------------------

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const STATE = resolve(process.env.VS_STATE_DIR || join(REPO, '.state'));
const CACHE = resolve(process.env.VS_CACHE_DIR || join(REPO, '.cache'));
const IS_ROOT = process.getuid?.() === 0;

/** True when every directory above `path` lets other users (the postgres user) pass through. */
function traversableByOthers(path) {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

/**
 * Where the Postgres cluster lives. Postgres refuses to run as root, so as root it runs as
 * the `postgres` user, which must reach its data dir. When the checkout sits below a private
 * directory (e.g. a mktemp clone), the cluster moves to a per-checkout directory under
 * /var/lib/vectorstack instead of failing; the location is stable, so data is kept.
 */
function postgresHome() {
  const inState = join(STATE, 'postgres');
  if (!IS_ROOT || process.env.VS_STATE_DIR || traversableByOthers(inState)) return inState;
  const id = createHash('sha256').update(STATE).digest('hex').slice(0, 12);
  return join('/var/lib/vectorstack', id, 'postgres');
}
const PG_HOME = postgresHome();

const P = {
  config: join(STATE, 'config.json'),
  logs: join(STATE, 'logs'),
  run: join(STATE, 'run'),
  secrets: join(STATE, 'secrets'),
  objects: join(STATE, 'objects'),
  pg: PG_HOME,
  pgData: join(PG_HOME, 'data'),
  pgSock: join(PG_HOME, 'sock'),
  redis: join(STATE, 'redis'),
  kafka: join(STATE, 'kafka'),
  kafkaData: join(STATE, 'kafka', 'data'),
  nginx: join(STATE, 'nginx'),
};
const KAFKA_VERSION = '3.9.2';
const KAFKA_HOME = join(CACHE, 'kafka', KAFKA_VERSION);
const READY_TIMEOUT_MS = Number(process.env.VS_READY_TIMEOUT_MS || 90_000);
const WORKER_HEALTH_MAX_AGE_MS = 15_000;
const DEFAULT_PORTS = { http: 8080, postgres: 5433, redis: 6380, kafka: 9092, kafkaController: 9093 };
const PORT_ENV = {
  http: 'VS_HTTP_PORT', postgres: 'VS_POSTGRES_PORT', redis: 'VS_REDIS_PORT',
  kafka: 'VS_KAFKA_PORT', kafkaController: 'VS_KAFKA_CONTROLLER_PORT',
};

// ---------------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------------

/** A failure meant for the user: printed as a message (plus optional log tail), no stack. */
class VsError extends Error {
  /** `logFile`: show its tail; `logOffset`: only what was written after that byte offset. */
  constructor(message, logFile, logOffset = 0) {
    super(message);
    this.logFile = logFile;
    this.logOffset = logOffset;
  }
}

const say = (msg) => console.log(`[vs] ${msg}`);
const warn = (msg) => console.error(`[vs] WARNING: ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const readJson = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null);
// A relocated Postgres (see postgresHome) keeps its log beside its data: the postgres user
// cannot reach .state/logs either.
const logFile = (name) => (name === 'postgres' && P.pg !== join(STATE, 'postgres') ? join(P.pg, 'postgres.log') : join(P.logs, `${name}.log`));
const pidFile = (name) => join(P.run, `${name}.pid`);
const envName = (name) => name.toUpperCase().replace(/-/g, '_');

function mkdirp(dir, mode) {
  mkdirSync(dir, { recursive: true, mode });
  if (mode !== undefined) chmodSync(dir, mode); // mkdir's mode is filtered by umask
}

/** Write only when the content differs; returns true when the file changed. */
function writeIfChanged(file, content, mode) {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return false;
  writeFileSync(file, content, { mode });
  return true;
}

/** Last `n` lines of a file, ignoring anything before byte `from` (reads at most 256 KiB). */
function tail(file, n, from = 0) {
  if (!existsSync(file)) return '';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size - Math.min(from, size), 256 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n).join('\n');
  } finally {
    closeSync(fd);
  }
}

/** Poll `check` until it returns truthy or the deadline passes. `abort` may throw to fail fast. */
async function waitFor(check, { timeoutMs, intervalMs = 300, abort }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    abort?.();
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

/** Find an executable on PATH (plus the sbin dirs, which non-root PATHs often lack). */
function which(cmd) {
  const dirs = [...(process.env.PATH || '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    const f = join(d || '.', cmd);
    try {
      accessSync(f, fsConstants.X_OK);
      if (statSync(f).isFile()) return f;
    } catch {}
  }
  return null;
}

/** Run a command to completion (async so parallel startups keep polling). */
function run(cmd, args, { input, env, cwd, logTo, inherit } = {}) {
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const fd = logTo ? openSync(logTo, 'a') : null;
    const stdio = inherit ? 'inherit' : ['pipe', fd ?? 'pipe', fd ?? 'pipe'];
    const child = spawn(cmd, args, { env: env ?? process.env, cwd: cwd ?? REPO, stdio });
    if (fd !== null) closeSync(fd);
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    if (child.stdin) {
      // A child that exits without reading its input closes the pipe: its exit code says what happened.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    }
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, out }));
  });
}

async function runOrFail(what, cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new VsError(`${what} failed (exit ${r.code})${r.out ? `:\n${r.out.trim()}` : ''}`, opts?.logTo);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Processes: pid files, liveness, detached spawn, stop
// ---------------------------------------------------------------------------------------------

function readPid(file) {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0], 10);
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Is `pid` a live process (not a zombie) whose command line contains `marker`?
 * The marker check guards against pid reuse after a crash/kill -9; the zombie check matters
 * because PID 1 in containers/VMs does not always reap orphans.
 */
function isAlive(pid, marker) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    if (marker) return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    // no /proc (not Linux): kill(0) is all we have
  }
  return true;
}

/**
 * Start a long-running process detached in its own process group, with stdout+stderr appended
 * to `log` and its pid written to `pidPath`. Returns a handle whose `exited` is set if it dies
 * while we are still watching (so readiness waits can fail fast).
 */
function spawnDetached(cmd, args, { log, pidPath, env, cwd }) {
  const fd = openSync(log, 'a');
  const logOffset = fstatSync(fd).size;
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: env ?? process.env,
    cwd: cwd ?? REPO,
  });
  closeSync(fd);
  const handle = { pid: child.pid, exited: null, logOffset };
  child.on('exit', (code, signal) => (handle.exited = signal ?? `exit code ${code}`));
  child.on('error', (e) => (handle.exited = e.message));
  child.unref();
  if (child.pid) writeFileSync(pidPath, `${child.pid}\n`);
  return handle;
}

/** Signal a pid (or its whole process group) and wait for it to go away; escalate to SIGKILL. */
async function stopPid(pid, { marker, signal = 'SIGTERM', timeoutMs = 10_000, group = false }) {
  if (!isAlive(pid, marker)) return 'not running';
  const send = (sig) => {
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      try { process.kill(pid, sig); } catch {}
    }
  };
  send(signal);
  if (await waitFor(() => !isAlive(pid, marker), { timeoutMs, intervalMs: 200 })) return 'stopped';
  send('SIGKILL');
  await waitFor(() => !isAlive(pid, marker), { timeoutMs: 5_000, intervalMs: 200 });
  return 'killed (did not stop in time)';
}

/** Single-flight lock so two `up`/`down` runs don't race each other. */
function acquireLock() {
  const lock = join(P.run, 'vs.lock');
  for (let i = 0; i < 2; i++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      process.on('exit', () => {
        try { if (readPid(lock) === process.pid) unlinkSync(lock); } catch {}
      });
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = readPid(lock);
      if (isAlive(holder, 'vs.mjs')) {
        throw new VsError(`another vs.mjs (pid ${holder}) is already running up/infra/down/migrate`);
      }
      rmSync(lock, { force: true }); // stale lock from a crashed run
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Probes (all with short timeouts so `status` stays fast)
// ---------------------------------------------------------------------------------------------

function tcpOpen(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((res) => {
    const s = net.connect({ port, host });
    const done = (ok) => { s.destroy(); res(ok); };
    s.setTimeout(timeoutMs, () => done(false));
    s.on('connect', () => done(true));
    s.on('error', () => done(false));
  });
}

function httpStatus(url, timeoutMs = 1500) {
  return new Promise((res) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (r) => {
      r.resume();
      res(r.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => res(null));
  });
}

/** Send raw bytes, collect the reply until `complete(buf)` says it's whole. */
function tcpExchange(port, payload, complete, timeoutMs = 1500) {
  return new Promise((res) => {
    let buf = Buffer.alloc(0);
    const s = net.connect({ port, host: '127.0.0.1' });
    const done = (v) => { s.destroy(); res(v); };
    s.setTimeout(timeoutMs, () => done(null));
    s.on('connect', () => s.write(payload));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (complete(buf)) done(buf);
    });
    s.on('error', () => done(null));
    s.on('end', () => done(buf.length ? buf : null));
  });
}

async function redisPing(port) {
  const r = await tcpExchange(port, 'PING\r\n', (b) => b.includes('\r\n'));
  return r?.toString().startsWith('+PONG') ?? false;
}

/**
 * Kafka readiness: a Metadata v1 request (no topics) over the raw protocol; the broker is
 * ready once it reports at least one broker and a controller.
 */
async function kafkaMetadataOk(port) {
  const clientId = Buffer.from('vs-status');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4);
  let o = 0;
  o = body.writeInt16BE(3, o); // api_key = Metadata
  o = body.writeInt16BE(1, o); // api_version = 1
  o = body.writeInt32BE(7, o); // correlation id
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  body.writeInt32BE(0, o); // topics: empty array => no topic metadata
  const frame = Buffer.concat([Buffer.alloc(4), body]);
  frame.writeInt32BE(body.length, 0);
  const r = await tcpExchange(port, frame, (b) => b.length >= 4 && b.length >= 4 + b.readInt32BE(0));
  try {
    if (!r || r.readInt32BE(4) !== 7) return false;
    let p = 8;
    const brokers = r.readInt32BE(p);
    p += 4;
    for (let i = 0; i < brokers; i++) {
      p += 4; // node id
      p += 2 + r.readInt16BE(p); // host
      p += 4; // port
      const rack = r.readInt16BE(p);
      p += 2 + Math.max(rack, 0);
    }
    return brokers > 0 && r.readInt32BE(p) >= 0; // controller id
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Config (ports) and secrets
// ---------------------------------------------------------------------------------------------

function loadServices() {
  return JSON.parse(readFileSync(join(REPO, 'deploy/services.json'), 'utf8')).services;
}

function parsePort(value, source) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new VsError(`invalid port ${value} (${source})`);
  return n;
}

/** Ports: env override > .state/config.json > defaults (services.json for services). */
function resolveConfig() {
  const saved = readJson(P.config) ?? {};
  const pick = (envKey, savedVal, dflt) =>
    process.env[envKey] ? parsePort(process.env[envKey], envKey) : (savedVal ?? dflt);
  const ports = {};
  for (const [k, envKey] of Object.entries(PORT_ENV)) ports[k] = pick(envKey, saved.ports?.[k], DEFAULT_PORTS[k]);
  const services = loadServices().map((s) => {
    const overrideEntry = process.env[`VS_ENTRY_${envName(s.name)}`]; // dev/testing hook
    return {
      ...s,
      entry: overrideEntry ? resolve(overrideEntry) : join(REPO, s.entry),
      migrate: s.migrate ? join(REPO, s.migrate) : null,
      port: s.worker ? null : pick(`VS_PORT_${envName(s.name)}`, saved.services?.[s.name], s.port),
      grpcPort: s.grpcPort ? pick(`VS_GRPC_PORT_${envName(s.name)}`, saved.grpc?.[s.name], s.grpcPort) : null,
    };
  });
  const all = [
    ...Object.entries(ports),
    ...services.filter((s) => s.port).map((s) => [s.name, s.port]),
    ...services.filter((s) => s.grpcPort).map((s) => [`${s.name} (gRPC)`, s.grpcPort]),
  ];
  const seen = new Map();
  for (const [name, port] of all) {
    if (seen.has(port)) throw new VsError(`port ${port} is configured for both ${seen.get(port)} and ${name}`);
    seen.set(port, name);
  }
  return { ports, services };
}

function saveConfig(cfg) {
  const data = {
    $comment: 'Resolved ports, written by deploy/local/vs.mjs; env overrides (VS_*_PORT) win.',
    ports: cfg.ports,
    services: Object.fromEntries(cfg.services.filter((s) => s.port).map((s) => [s.name, s.port])),
    grpc: Object.fromEntries(cfg.services.filter((s) => s.grpcPort).map((s) => [s.name, s.grpcPort])),
  };
  writeIfChanged(P.config, `${JSON.stringify(data, null, 2)}\n`);
}

/**
 * A running Postgres/Redis/Kafka/service keeps its old port until restarted, so refuse a port
 * change for running components instead of waiting for readiness on a port nobody listens on.
 * (nginx is simply reloaded.)
 */
function refuseLivePortChanges(cfg) {
  const saved = readJson(P.config);
  if (!saved) return;
  const running = {
    postgres: () => pgPid(), redis: () => redisPid(), kafka: () => kafkaPid(), kafkaController: () => kafkaPid(),
  };
  const changed = [];
  for (const [k, isUp] of Object.entries(running)) {
    if (saved.ports?.[k] && saved.ports[k] !== cfg.ports[k] && isUp()) changed.push(`${k} ${saved.ports[k]} -> ${cfg.ports[k]}`);
  }
  for (const svc of cfg.services) {
    const old = saved.services?.[svc.name];
    if (svc.port && old && old !== svc.port && servicePid(svc)) changed.push(`${svc.name} ${old} -> ${svc.port}`);
  }
  if (changed.length) {
    throw new VsError(`port change for running components (${changed.join(', ')}); run \`node deploy/local/vs.mjs down\` first`);
  }
}

function ensureStateDirs() {
  mkdirp(STATE, 0o755); // must stay traversable for the postgres user
  for (const d of [P.logs, P.run, P.objects, P.redis, P.kafka, P.nginx]) mkdirp(d);
  mkdirp(P.secrets, 0o700);
}

/** Generated once, 0600, never printed. VECTORSTACK_ADMIN_KEY (env) replaces the admin key. */
function ensureSecrets() {
  mkdirp(P.secrets, 0o700);
  const ensure = (name, make) => {
    const f = join(P.secrets, name);
    if (!existsSync(f)) writeFileSync(f, make(), { mode: 0o600, flag: 'wx' });
    chmodSync(f, 0o600);
  };
  ensure('postgres-password', () => randomBytes(24).toString('hex'));
  ensure('key-hash-secret', () => randomBytes(32).toString('hex'));
  const adminKeyFile = join(P.secrets, 'admin-key');
  const fromEnv = process.env.VECTORSTACK_ADMIN_KEY;
  if (fromEnv && (!existsSync(adminKeyFile) || readSecret('admin-key') !== fromEnv)) {
    writeFileSync(adminKeyFile, fromEnv, { mode: 0o600 });
  }
  ensure('admin-key', () => `vsk_${randomBytes(32).toString('base64url')}`);
}

const readSecret = (name) => readFileSync(join(P.secrets, name), 'utf8').trim();

// ---------------------------------------------------------------------------------------------
// Environment handed to services (and printed by `env`)
// ---------------------------------------------------------------------------------------------

function sharedEnv(cfg) {
  const { ports } = cfg;
  const env = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    GRPC_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL || 'info',
    DATABASE_URL: `postgres://vectorstack:${readSecret('postgres-password')}@127.0.0.1:${ports.postgres}/vectorstack`,
    REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
    KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
    TRUSTED_PROXIES: '127.0.0.1/32,::1/128',
    VECTORSTACK_STATE_DIR: STATE,
    OBJECT_STORE_DIR: P.objects,
    KEY_HASH_SECRET: readSecret('key-hash-secret'),
    VECTORSTACK_ADMIN_KEY_FILE: join(P.secrets, 'admin-key'),
  };
  // gRPC targets of the services that serve it: AUTH_GRPC_URL, RATELIMIT_GRPC_URL.
  for (const s of cfg.services) if (s.grpcPort) env[`${envName(s.name)}_GRPC_URL`] = `127.0.0.1:${s.grpcPort}`;
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('OTEL_')) env[k] = v;
  return env;
}

/** What `env` prints: the shared part plus URLs handy for tests. */
function publicEnv(cfg) {
  const env = { ...sharedEnv(cfg), VECTORSTACK_BASE_URL: `http://localhost:${cfg.ports.http}` };
  for (const s of cfg.services) if (s.port) env[`SERVICE_URL_${envName(s.name)}`] = `http://127.0.0.1:${s.port}`;
  return env;
}

/** Full process env for one service: caller's env (minus npm noise) + shared + per-service. */
function serviceEnv(cfg, svc) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
  const env = { ...base, ...sharedEnv(cfg), SERVICE_NAME: svc.name };
  delete env.PORT;
  delete env.GRPC_PORT;
  delete env.HEALTH_FILE;
  delete env.HTTP_WORKERS;
  // Per service, e.g. VS_ROUTER_HTTP_WORKERS=2: one HTTP_WORKERS for all would also reach the
  // services that serve gRPC, which run as one process.
  const workers = process.env[`VS_${envName(svc.name)}_HTTP_WORKERS`];
  if (svc.port && workers) env.HTTP_WORKERS = workers;
  if (svc.port) env.PORT = String(svc.port);
  if (svc.grpcPort) env.GRPC_PORT = String(svc.grpcPort);
  if (svc.worker) env.HEALTH_FILE = healthFile(svc);
  if (svc.nodeOptions) env.NODE_OPTIONS = [svc.nodeOptions, process.env.NODE_OPTIONS].filter(Boolean).join(' ');
  return env;
}

const healthFile = (svc) => join(P.run, `${svc.name}.health`);

// ---------------------------------------------------------------------------------------------
// Prerequisites: binaries (apt-get install when root)
// ---------------------------------------------------------------------------------------------

/** Newest /usr/lib/postgresql/<ver>/bin, else wherever pg_ctl on PATH really lives. */
function pgBinDir() {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(base, versions[0], 'bin');
  }
  const onPath = which('pg_ctl');
  return onPath ? dirname(realpathSync(onPath)) : null;
}

function missingInfraBinaries() {
  const missing = [];
  if (!pgBinDir()) missing.push('postgresql');
  if (!which('redis-server')) missing.push('redis-server');
  if (!which('nginx')) missing.push('nginx');
  return missing;
}

async function ensureBinaries() {
  let missing = missingInfraBinaries();
  if (missing.length) {
    if (!IS_ROOT) {
      throw new VsError(`missing ${missing.join(', ')}. Install them with:\n  sudo apt-get update && sudo apt-get install -y postgresql redis-server nginx`);
    }
    say(`installing ${missing.join(', ')} with apt-get ...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await runOrFail('apt-get update', 'apt-get', ['update'], { env, inherit: true });
    await runOrFail('apt-get install', 'apt-get', ['install', '-y', 'postgresql', 'redis-server', 'nginx'], { env, inherit: true });
    missing = missingInfraBinaries();
    if (missing.length) throw new VsError(`still missing after apt-get install: ${missing.join(', ')}`);
  }
  const noJava = ['java', 'mvn'].filter((c) => !which(c));
  if (noJava.length) {
    throw new VsError(`Kafka needs a JDK 17+ and Maven (missing: ${noJava.join(', ')}). Install e.g.:\n  apt-get install -y openjdk-17-jdk-headless maven`);
  }
}

// ---------------------------------------------------------------------------------------------
// Postgres: own cluster in .state/postgres/data (never the system cluster)
// ---------------------------------------------------------------------------------------------

/** Postgres refuses to run as root: when root, run its tools as the `postgres` user. */
function asPg(bin, args) {
  const cmd = join(pgBinDir(), bin);
  return IS_ROOT ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

const pgPid = () => {
  const pid = readPid(join(P.pgData, 'postmaster.pid'));
  return isAlive(pid, 'postgres') ? pid : null;
};

async function pgReady(cfg) {
  const [cmd, args] = [join(pgBinDir() ?? '/nonexistent', 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(cfg.ports.postgres), '-t', '2']];
  if (!existsSync(cmd)) return tcpOpen(cfg.ports.postgres);
  return (await run(cmd, args).catch(() => ({ code: 1 }))).code === 0;
}

/** When root, hand the postgres dirs (and its log file) to the postgres user. */
function preparePgDirs() {
  mkdirSync(dirname(P.pg), { recursive: true, mode: 0o755 }); // parents stay traversable for postgres
  mkdirp(P.pg, 0o700);
  mkdirp(P.pgSock, 0o700);
  const log = logFile('postgres');
  if (!existsSync(log)) writeFileSync(log, '');
  if (!IS_ROOT) return;
  const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (pw.status !== 0) throw new VsError('running as root but there is no `postgres` user (apt-get install -y postgresql creates it)');
  const uid = Number(pw.stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  for (const p of [P.pg, P.pgSock, log]) chownSync(p, uid, gid);
  if (existsSync(P.pgData) && statSync(P.pgData).uid !== uid) spawnSync('chown', ['-R', 'postgres:', P.pgData]);
  // The postgres user must be able to reach its data dir through every parent directory.
  if (spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-w', P.pg]).status !== 0) {
    throw new VsError(`the postgres user cannot reach ${P.pg}: every parent directory must be traversable (chmod o+x), or set VS_STATE_DIR to a path it can reach`);
  }
}

async function initPgCluster() {
  if (existsSync(join(P.pgData, 'PG_VERSION'))) return;
  say('postgres: initdb (first run)');
  const [cmd, args] = asPg('initdb', [
    '-D', P.pgData, '-U', 'postgres', '-E', 'UTF8', '--locale=C',
    // Unix socket (in a 0700 dir owned by postgres) for admin tasks; TCP always needs a password.
    '--auth-local=trust', '--auth-host=scram-sha-256',
  ]);
  await runOrFail('initdb', cmd, args, { cwd: P.pg, logTo: logFile('postgres') });
  writeFileSync(join(P.pgData, 'postgresql.conf'), "\ninclude_if_exists = 'vectorstack.conf'\n", { flag: 'a' });
}

function writePgConf(cfg) {
  const conf = join(P.pgData, 'vectorstack.conf');
  writeIfChanged(conf, [
    '# Written by deploy/local/vs.mjs on every start; edit the script, not this file.',
    "listen_addresses = '127.0.0.1'",
    `port = ${cfg.ports.postgres}`,
    `unix_socket_directories = '${P.pgSock}'`,
    "password_encryption = 'scram-sha-256'",
    'max_connections = 200',
    'shared_buffers = 128MB',
    '',
  ].join('\n'));
  if (IS_ROOT) spawnSync('chown', ['postgres:', conf]);
}

/** Role + database `vectorstack`; password re-applied each time so it always matches the secret. */
async function provisionPgDb(cfg) {
  const pw = readSecret('postgres-password');
  const sql = `
    DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vectorstack') THEN CREATE ROLE vectorstack LOGIN; END IF;
    END $$;
    ALTER ROLE vectorstack WITH LOGIN PASSWORD '${pw}';
    SELECT 'CREATE DATABASE vectorstack OWNER vectorstack'
      WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'vectorstack')\\gexec
  `;
  const [cmd, args] = asPg('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', P.pgSock, '-p', String(cfg.ports.postgres), '-U', 'postgres', '-d', 'postgres', '-f', '-']);
  const r = await run(cmd, args, { input: sql, cwd: P.pg });
  if (r.code !== 0) throw new VsError(`postgres: creating role/database failed:\n${r.out.replace(pw, '***').trim()}`);
}

async function startPostgres(cfg) {
  const t0 = Date.now();
  preparePgDirs();
  if (!pgPid()) {
    if (await tcpOpen(cfg.ports.postgres)) throw new VsError(`port ${cfg.ports.postgres} is taken by another process; set VS_POSTGRES_PORT`);
    await initPgCluster();
    writePgConf(cfg);
    const [cmd, args] = asPg('pg_ctl', ['-D', P.pgData, '-l', logFile('postgres'), '-w', '-t', '60', '-s', 'start']);
    await runOrFail('postgres: pg_ctl start', cmd, args, { cwd: P.pg, logTo: logFile('postgres') });
  } else if (!(await pgReady(cfg))) {
    say('postgres: running but not ready yet, waiting');
  } else {
    await provisionPgDb(cfg);
    say(`postgres: already running (pid ${pgPid()})`);
    return;
  }
  if (!(await waitFor(() => pgReady(cfg), { timeoutMs: 60_000 }))) {
    throw new VsError('postgres: not ready within 60s', logFile('postgres'));
  }
  await provisionPgDb(cfg);
  say(`postgres: ready on 127.0.0.1:${cfg.ports.postgres} (${secs(t0)})`);
}

async function stopPostgres() {
  if (!pgPid()) return say('postgres: not running');
  const [cmd, args] = asPg('pg_ctl', ['-D', P.pgData, '-m', 'fast', '-w', '-t', '60', '-s', 'stop']);
  const r = await run(cmd, args, { cwd: P.pg });
  if (r.code !== 0) warn(`postgres: pg_ctl stop failed: ${r.out.trim()}`);
  say('postgres: stopped');
}

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------

const redisPid = () => {
  const pid = readPid(pidFile('redis'));
  return isAlive(pid, 'redis-server') ? pid : null;
};

function writeRedisConf(cfg) {
  const conf = join(P.redis, 'redis.conf');
  writeIfChanged(conf, [
    '# Written by deploy/local/vs.mjs; edit the script, not this file.',
    `port ${cfg.ports.redis}`,
    'bind 127.0.0.1',
    'protected-mode yes',
    `dir ${P.redis}`,
    'appendonly yes',
    'daemonize no', // vs.mjs spawns it detached and tracks the pid itself
    'logfile ""',
    'save 3600 1 300 100 60 10000',
    '',
  ].join('\n'));
  return conf;
}

async function startRedis(cfg) {
  const t0 = Date.now();
  if (redisPid() && (await redisPing(cfg.ports.redis))) return say(`redis: already running (pid ${redisPid()})`);
  let handle = null;
  if (!redisPid()) {
    if (await tcpOpen(cfg.ports.redis)) throw new VsError(`port ${cfg.ports.redis} is taken by another process; set VS_REDIS_PORT`);
    handle = spawnDetached(which('redis-server'), [writeRedisConf(cfg)], { log: logFile('redis'), pidPath: pidFile('redis'), cwd: P.redis });
  }
  const ok = await waitFor(() => redisPing(cfg.ports.redis), {
    timeoutMs: 60_000,
    abort: () => { if (handle?.exited) throw new VsError(`redis: exited during startup (${handle.exited})`, logFile('redis'), handle.logOffset); },
  });
  if (!ok) throw new VsError('redis: no PONG within 60s', logFile('redis'));
  say(`redis: ready on 127.0.0.1:${cfg.ports.redis} (${secs(t0)})`);
}

async function stopRedis(cfg) {
  const pid = redisPid();
  if (!pid) return say('redis: not running');
  // SHUTDOWN saves (AOF fsync + RDB) and exits; no reply is sent on success.
  await tcpExchange(cfg.ports.redis, 'SHUTDOWN\r\n', () => false, 1000);
  if (await waitFor(() => !redisPid(), { timeoutMs: 10_000, intervalMs: 200 })) say('redis: stopped');
  else say(`redis: ${await stopPid(pid, { marker: 'redis-server', timeoutMs: 10_000 })}`); // SIGTERM also saves
  rmSync(pidFile('redis'), { force: true });
}

// ---------------------------------------------------------------------------------------------
// Kafka: 3.9.2 KRaft single node, jars from Maven Central into the cache
// ---------------------------------------------------------------------------------------------

const kafkaLibs = join(KAFKA_HOME, 'libs');
const kafkaPid = () => {
  const pid = readPid(pidFile('kafka'));
  return isAlive(pid, 'kafka.Kafka') ? pid : null;
};

/** Download once; the marker is written only after a complete copy, so a half download is redone. */
async function ensureKafkaJars() {
  const marker = join(KAFKA_HOME, '.complete');
  if (existsSync(marker) && existsSync(join(kafkaLibs, `kafka_2.13-${KAFKA_VERSION}.jar`))) return;
  say(`kafka: fetching ${KAFKA_VERSION} jars from Maven Central (once) ...`);
  rmSync(kafkaLibs, { recursive: true, force: true });
  mkdirp(kafkaLibs);
  await runOrFail('mvn dependency:copy-dependencies', 'mvn', [
    '-q', '-B', '-f', join(HERE, 'kafka-pom.xml'), 'dependency:copy-dependencies',
    `-DoutputDirectory=${kafkaLibs}`, '-DincludeScope=runtime',
  ]);
  writeFileSync(marker, `${new Date().toISOString()}\n`);
}

function writeKafkaProps(cfg) {
  const { kafka, kafkaController } = cfg.ports;
  const props = join(P.kafka, 'server.properties');
  writeIfChanged(props, [
    '# Written by deploy/local/vs.mjs; edit the script, not this file.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${kafkaController}`,
    `listeners=PLAINTEXT://127.0.0.1:${kafka},CONTROLLER://127.0.0.1:${kafkaController}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${kafka}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${P.kafkaData}`,
    'num.partitions=3',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n'));
  return props;
}

function kafkaJava(args, heap = []) {
  return ['java', [...heap, '-cp', `${kafkaLibs}/*`, `-Dlog4j.configuration=file:${join(HERE, 'kafka-log4j.properties')}`, ...args]];
}

/** Format the KRaft storage once, with a cluster id generated once and persisted. */
async function formatKafkaStorage(props) {
  if (existsSync(join(P.kafkaData, 'meta.properties'))) return;
  const idFile = join(P.kafka, 'cluster-id');
  if (!existsSync(idFile)) {
    const [cmd, args] = kafkaJava(['kafka.tools.StorageTool', 'random-uuid']);
    const { out } = await runOrFail('kafka: random-uuid', cmd, args);
    writeFileSync(idFile, `${out.trim().split('\n').at(-1).trim()}\n`);
  }
  say('kafka: formatting storage (first run)');
  const [cmd, args] = kafkaJava(['kafka.tools.StorageTool', 'format', '--ignore-formatted', '-t', readFileSync(idFile, 'utf8').trim(), '-c', props]);
  await runOrFail('kafka: storage format', cmd, args, { logTo: logFile('kafka') });
}

async function startKafka(cfg) {
  const t0 = Date.now();
  const port = cfg.ports.kafka;
  if (kafkaPid() && (await kafkaMetadataOk(port))) return say(`kafka: already running (pid ${kafkaPid()})`);
  let handle = null;
  if (!kafkaPid()) {
    for (const [p, env] of [[port, 'VS_KAFKA_PORT'], [cfg.ports.kafkaController, 'VS_KAFKA_CONTROLLER_PORT']]) {
      if (await tcpOpen(p)) throw new VsError(`port ${p} is taken by another process; set ${env}`);
    }
    await ensureKafkaJars();
    const props = writeKafkaProps(cfg);
    await formatKafkaStorage(props);
    // A single-node development broker serves at most a few hundred requests a second. With the
    // JVM's defaults its C2 compiler kept compiling for minutes after start and G1 ran helper
    // threads; C1-compiled code and the serial collector serve it with less CPU, which goes to the
    // services (and the test suite) on a small machine. Measured on 2 cores, a freshly started
    // broker, between two runs with the defaults: 42-45 ms of CPU a second idle instead of 54-82,
    // and 15-19 µs per chat request under the router's load instead of 19-40. Once warm (late in a
    // full router benchmark) the two cost about the same per request (bench/router/README.md).
    const jvm = ['-Xms256m', '-Xmx768m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Djava.awt.headless=true'];
    const [cmd, args] = kafkaJava(['kafka.Kafka', props], jvm);
    handle = spawnDetached(cmd, args, { log: logFile('kafka'), pidPath: pidFile('kafka'), cwd: P.kafka });
  }
  const ok = await waitFor(() => kafkaMetadataOk(port), {
    timeoutMs: 120_000,
    intervalMs: 500,
    abort: () => { if (handle?.exited) throw new VsError(`kafka: exited during startup (${handle.exited})`, logFile('kafka'), handle.logOffset); },
  });
  if (!ok) throw new VsError('kafka: broker not ready within 120s', logFile('kafka'));
  say(`kafka: ready on 127.0.0.1:${port} (${secs(t0)})`);
}

async function stopKafka() {
  const pid = kafkaPid();
  if (!pid) return say('kafka: not running');
  say(`kafka: ${await stopPid(pid, { marker: 'kafka.Kafka', timeoutMs: 60_000 })}`);
  rmSync(pidFile('kafka'), { force: true });
}

/** Topics are declared in libs/kafka (owned elsewhere); its CLI creates them idempotently. */
async function ensureTopics(cfg) {
  const cli = join(REPO, 'libs/kafka/dist/cli/ensure-topics.js');
  if (!existsSync(cli)) return warn(`kafka topics not ensured: ${cli} does not exist (build libs/kafka)`);
  const t0 = Date.now();
  const env = { ...process.env, KAFKA_BROKERS: `127.0.0.1:${cfg.ports.kafka}` };
  await runOrFail('kafka: ensure-topics', process.execPath, [cli], { env, logTo: logFile('kafka-topics') }).catch((e) => {
    throw new VsError(e.message, logFile('kafka-topics'));
  });
  say(`kafka: topics ensured (${secs(t0)})`);
}

// ---------------------------------------------------------------------------------------------
// nginx: the local ingress, rendered from deploy/routes.json
// ---------------------------------------------------------------------------------------------

const nginxPid = () => {
  const pid = readPid(pidFile('nginx'));
  return isAlive(pid, 'nginx') ? pid : null;
};

/** OpenAI-shaped JSON error body (nginx variables are expanded at request time). */
const oaiError = (message, type, code) =>
  JSON.stringify({ error: { message, type, param: null, code } }).replace(/'/g, "\\'");

/** Is IPv6 loopback usable? (then nginx also listens on [::1] so "localhost" works either way) */
function ipv6LoopbackAvailable() {
  try {
    return readFileSync('/proc/sys/net/ipv6/conf/lo/disable_ipv6', 'utf8').trim() === '0';
  } catch {
    return false;
  }
}

function renderNginxConf(cfg) {
  const { routes } = JSON.parse(readFileSync(join(REPO, 'deploy/routes.json'), 'utf8'));
  const portOf = Object.fromEntries(cfg.services.filter((s) => s.port).map((s) => [s.name, s.port]));
  const tmp = join(P.nginx, 'tmp');
  const workerUser = IS_ROOT ? (spawnSync('id', ['www-data']).status === 0 ? 'www-data www-data' : 'nobody nogroup') : null;
  const upstreams = [...new Set(routes.map((r) => r.service))].map((svc) => {
    if (!portOf[svc]) throw new VsError(`deploy/routes.json routes to "${svc}", which has no port in deploy/services.json`);
    return `  upstream svc_${svc.replace(/-/g, '_')} { server 127.0.0.1:${portOf[svc]}; keepalive 16; }`;
  });
  // Sorting is cosmetic: with ^~ nginx already picks the longest matching prefix.
  const locations = [...routes]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((r) => `    location ^~ ${r.prefix} { proxy_pass http://svc_${r.service.replace(/-/g, '_')}; }`);
  const listen = [`    listen 127.0.0.1:${cfg.ports.http};`];
  if (ipv6LoopbackAvailable()) listen.push(`    listen [::1]:${cfg.ports.http};`);
  const jsonError = (status, message, type, code) =>
    `      default_type application/json;\n      add_header X-Request-Id $vs_request_id always;\n      return ${status} '${oaiError(message, type, code)}';`;

  return `# Rendered by deploy/local/vs.mjs from deploy/routes.json + resolved ports. Do not edit.
${workerUser ? `user ${workerUser};\n` : ''}worker_processes 2;
daemon off;
pid ${pidFile('nginx')};
error_log ${logFile('nginx')} warn;

events { worker_connections 1024; }

http {
  server_tokens off;
  default_type application/octet-stream;
  client_body_temp_path ${tmp}/client_body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;

  # Keep the client's X-Request-Id, or mint one.
  map $http_x_request_id $vs_request_id { default $http_x_request_id; "" $request_id; }
  # Path without the query string, for "Unknown route" messages; anything that would break
  # the JSON string (quotes, backslashes, control chars) is not echoed back.
  map $request_uri $vs_path { "~^(?<p>[^?]*)" $p; default $request_uri; }
  map $vs_path $vs_path_json { "~[[:cntrl:]\\x22\\x5c]" "(unprintable path)"; default $vs_path; }

  log_format vs '$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time '
                'rid=$vs_request_id upstream=$upstream_addr ($upstream_response_time)';
  access_log ${logFile('nginx-access')} vs;

  client_max_body_size 5g;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $http_host;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_set_header X-Forwarded-Host $http_host;
  proxy_set_header X-Real-IP $remote_addr;
  proxy_set_header X-Request-Id $vs_request_id;
  # Stream both ways: SSE responses and multi-GB uploads must not be buffered.
  proxy_buffering off;
  proxy_request_buffering off;
  proxy_connect_timeout 5s;
  proxy_read_timeout 600s;
  proxy_send_timeout 600s;

${upstreams.join('\n')}

  server {
${listen.join('\n')}
    server_name _;

    error_page 502 @upstream_502;
    error_page 503 @upstream_503;
    error_page 504 @upstream_504;
    error_page 413 @too_large;

    location = /healthz {
      default_type application/json;
      access_log off;
      return 200 '{"status":"ok"}';
    }

${locations.join('\n')}

    location / {
${jsonError(404, 'Unknown route: $vs_path_json', 'invalid_request_error', 'not_found')}
    }
    location @upstream_502 {
${jsonError(502, 'Upstream service unavailable', 'server_error', 'service_unavailable')}
    }
    location @upstream_503 {
${jsonError(503, 'Upstream service unavailable', 'server_error', 'service_unavailable')}
    }
    location @upstream_504 {
${jsonError(504, 'Upstream service timed out', 'server_error', 'service_unavailable')}
    }
    location @too_large {
${jsonError(413, 'Request body too large', 'invalid_request_error', 'request_too_large')}
    }
  }
}
`;
}

const nginxArgs = () => ['-e', logFile('nginx'), '-p', `${P.nginx}/`, '-c', join(P.nginx, 'nginx.conf')];

async function nginxReady(cfg) {
  return (await httpStatus(`http://127.0.0.1:${cfg.ports.http}/healthz`)) === 200;
}

async function startNginx(cfg) {
  const t0 = Date.now();
  mkdirp(join(P.nginx, 'tmp'));
  const changed = writeIfChanged(join(P.nginx, 'nginx.conf'), renderNginxConf(cfg));
  const nginx = which('nginx');
  const pid = nginxPid();
  if (pid && changed) {
    await runOrFail('nginx: config test', nginx, ['-t', '-q', ...nginxArgs()]);
    process.kill(pid, 'SIGHUP'); // graceful reload with the new routes/ports
    say('nginx: config changed, reloaded');
  }
  if (pid && (await nginxReady(cfg))) return say(`nginx: already running (pid ${pid})`);
  let handle = null;
  if (!pid) {
    if (await tcpOpen(cfg.ports.http)) throw new VsError(`port ${cfg.ports.http} is taken by another process; set VS_HTTP_PORT`);
    await runOrFail('nginx: config test', nginx, ['-t', '-q', ...nginxArgs()]);
    handle = spawnDetached(nginx, nginxArgs(), { log: logFile('nginx'), pidPath: pidFile('nginx'), cwd: P.nginx });
  }
  const ok = await waitFor(() => nginxReady(cfg), {
    timeoutMs: 20_000,
    abort: () => { if (handle?.exited) throw new VsError(`nginx: exited during startup (${handle.exited})`, logFile('nginx'), handle.logOffset); },
  });
  if (!ok) throw new VsError('nginx: /healthz not answering within 20s', logFile('nginx'));
  say(`nginx: ready on http://localhost:${cfg.ports.http} (${secs(t0)})`);
}

async function stopNginx() {
  const pid = nginxPid();
  if (!pid) return say('nginx: not running');
  say(`nginx: ${await stopPid(pid, { marker: 'nginx', signal: 'SIGQUIT', timeoutMs: 10_000 })}`);
}

// ---------------------------------------------------------------------------------------------
// Services (deploy/services.json)
// ---------------------------------------------------------------------------------------------

/** `.state/run/<name>.entry` records the entry a service was started with (guards pid reuse). */
const entryFile = (svc) => join(P.run, `${svc.name}.entry`);

function servicePid(svc) {
  const pid = readPid(pidFile(svc.name));
  const marker = (existsSync(entryFile(svc)) && readFileSync(entryFile(svc), 'utf8').trim()) || svc.entry;
  return isAlive(pid, marker) ? { pid, marker } : null;
}

/**
 * A digest of the built code a service runs (its dist and every lib's dist, by content): a
 * rebuild that changes anything changes it; a rebuild that writes the same bytes does not.
 */
function buildStamp(svc) {
  const hash = createHash('sha1');
  const walk = (dir) => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)); } catch { return; }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.endsWith('.map')) hash.update(p).update(readFileSync(p));
    }
  };
  walk(dirname(svc.entry));
  for (const lib of readdirSync(join(REPO, 'libs')).sort()) walk(join(REPO, 'libs', lib, 'dist'));
  return hash.digest('hex');
}
const buildFile = (svc) => join(P.run, `${svc.name}.build`);

async function serviceReady(svc) {
  if (svc.worker) {
    try {
      return Date.now() - statSync(healthFile(svc)).mtimeMs < WORKER_HEALTH_MAX_AGE_MS;
    } catch {
      return false;
    }
  }
  return (await httpStatus(`http://127.0.0.1:${svc.port}/readyz`)) === 200;
}

async function startService(cfg, svc) {
  const running = servicePid(svc);
  if (!existsSync(svc.entry)) throw new VsError(`${svc.name}: ${svc.entry} does not exist — is the workspace built? (npx nx run-many -t build)`);
  const stamp = buildStamp(svc);
  if (running) {
    const startedWith = existsSync(buildFile(svc)) ? readFileSync(buildFile(svc), 'utf8').trim() : 'unknown';
    if (startedWith === stamp) return { svc, handle: null, already: running.pid };
    // Running code older than the build: restart, or tests would exercise yesterday's service.
    say(`${svc.name}: rebuilt since it started; restarting (${await stopPid(running.pid, { marker: running.marker, group: true, timeoutMs: 10_000 })})`);
  }
  if (svc.port && (await tcpOpen(svc.port))) {
    throw new VsError(`${svc.name}: port ${svc.port} is taken by another process; set VS_PORT_${envName(svc.name)}`);
  }
  if (svc.grpcPort && (await tcpOpen(svc.grpcPort))) {
    throw new VsError(`${svc.name}: gRPC port ${svc.grpcPort} is taken by another process; set VS_GRPC_PORT_${envName(svc.name)}`);
  }
  if (svc.worker) rmSync(healthFile(svc), { force: true }); // a stale heartbeat must not count
  const handle = spawnDetached(process.execPath, [svc.entry], {
    log: logFile(svc.name), pidPath: pidFile(svc.name), env: serviceEnv(cfg, svc),
  });
  writeFileSync(entryFile(svc), `${svc.entry}\n`);
  writeFileSync(buildFile(svc), `${stamp}\n`);
  return { svc, handle, already: null };
}

/** Start everything not running, then wait for all to be ready; fail with the log tail. */
async function startServices(cfg) {
  const t0 = Date.now();
  const started = [];
  for (const svc of cfg.services) started.push(await startService(cfg, svc));
  for (const s of started) if (s.already) say(`${s.svc.name}: already running (pid ${s.already})`);
  await Promise.all(started.map(async ({ svc, handle, already }) => {
    const ok = await waitFor(() => serviceReady(svc), {
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 500,
      abort: () => { if (handle?.exited) throw new VsError(`${svc.name}: exited during startup (${handle.exited})`, logFile(svc.name), handle.logOffset); },
    });
    if (!ok) throw new VsError(`${svc.name}: not ready within ${READY_TIMEOUT_MS / 1000}s (${svc.worker ? 'no fresh health file' : `GET /readyz on :${svc.port}`})`, logFile(svc.name), handle?.logOffset);
    if (!already) say(`${svc.name}: ready${svc.port ? ` on 127.0.0.1:${svc.port}` : ''} (${secs(t0)})`);
  }));
}

async function stopServices(cfg) {
  await Promise.all(cfg.services.map(async (svc) => {
    const running = servicePid(svc);
    if (!running) return say(`${svc.name}: not running`);
    say(`${svc.name}: ${await stopPid(running.pid, { marker: running.marker, group: true, timeoutMs: 10_000 })}`);
    rmSync(pidFile(svc.name), { force: true });
    rmSync(entryFile(svc), { force: true });
    rmSync(buildFile(svc), { force: true });
    if (svc.worker) rmSync(healthFile(svc), { force: true });
  }));
}

async function runMigrations(cfg) {
  if (!(await pgReady(cfg))) throw new VsError('postgres is not running: start the infrastructure first (node deploy/local/vs.mjs infra)');
  for (const svc of cfg.services.filter((s) => s.migrate)) {
    const t0 = Date.now();
    if (!existsSync(svc.migrate)) throw new VsError(`${svc.name}: ${svc.migrate} does not exist — is the workspace built?`);
    const offset = existsSync(logFile(svc.name)) ? statSync(logFile(svc.name)).size : 0;
    const { code } = await run(process.execPath, [svc.migrate], { env: serviceEnv(cfg, svc), logTo: logFile(svc.name) });
    if (code !== 0) throw new VsError(`${svc.name}: migration failed (exit ${code})`, logFile(svc.name), offset);
    say(`${svc.name}: migrations applied (${secs(t0)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Workspace: npm ci + build
// ---------------------------------------------------------------------------------------------

async function ensureDependencies() {
  const marker = join(REPO, 'node_modules/.package-lock.json');
  const stale = !existsSync(marker) || statSync(join(REPO, 'package-lock.json')).mtimeMs > statSync(marker).mtimeMs;
  if (!stale) return;
  say('npm ci (node_modules missing or older than package-lock.json) ...');
  const ci = await run('npm', ['ci', '--no-audit', '--no-fund'], { inherit: true });
  if (ci.code === 0) return;
  // `npm ci` refuses a lock file that lacks other platforms' optional native packages
  // (@swc/core-darwin-*, ...). Registries or mirrors that do not carry those tarballs produce
  // exactly such lock files. `npm install` installs the same locked versions for this platform
  // and leaves package-lock.json unchanged.
  say('npm ci refused the lock file; installing the locked versions with npm install ...');
  await runOrFail('npm install', 'npm', ['install', '--no-audit', '--no-fund'], { inherit: true });
  // Seen once on a fresh clone: npm install exited 0 having installed a third of the tree
  // (no nx), and the build failed. Check, and install once more before giving up.
  let missing = missingDependencies();
  if (missing.length === 0) return;
  say(`npm install left out ${missing.length} direct dependencies (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}); installing again ...`);
  await runOrFail('npm install', 'npm', ['install', '--no-audit', '--no-fund'], { inherit: true });
  missing = missingDependencies();
  if (missing.length > 0) throw new VsError(`npm install did not install ${missing.join(', ')}; see the npm output above`);
}

/** Direct dependencies of package.json that node_modules lacks. */
function missingDependencies() {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => !existsSync(join(REPO, 'node_modules', name, 'package.json')));
}

async function buildWorkspace() {
  const t0 = Date.now();
  say('building (nx, cached) ...');
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
  await runOrFail('build', 'npx', ['nx', 'run-many', '-t', 'build', '--output-style=static'], { env, inherit: true });
  say(`build done (${secs(t0)})`);
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

/** One row per component; all probes run in parallel. */
async function collectStatus(cfg) {
  const infra = [
    { name: 'postgres', port: cfg.ports.postgres, pid: pgPid(), ready: () => pgReady(cfg) },
    { name: 'redis', port: cfg.ports.redis, pid: redisPid(), ready: () => redisPing(cfg.ports.redis) },
    { name: 'kafka', port: cfg.ports.kafka, pid: kafkaPid(), ready: () => kafkaMetadataOk(cfg.ports.kafka) },
    { name: 'nginx', port: cfg.ports.http, pid: nginxPid(), ready: () => nginxReady(cfg) },
  ];
  const services = cfg.services.map((svc) => ({ name: svc.name, port: svc.port, pid: servicePid(svc)?.pid, ready: () => serviceReady(svc) }));
  return Promise.all([...infra, ...services].map(async (c) => ({
    component: c.name,
    state: c.pid ? 'up' : 'down',
    ready: c.pid ? await c.ready() : false,
    pid: c.pid,
    port: c.port,
  })));
}

function printTable(rows) {
  const table = [['COMPONENT', 'STATE', 'READY', 'PID', 'PORT'],
    ...rows.map((r) => [r.component, r.state, r.ready ? 'yes' : 'no', r.pid ?? '-', r.port ?? '-'].map(String))];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

async function showLogs(cfg, name, follow) {
  const known = ['postgres', 'redis', 'kafka', 'kafka-topics', 'nginx', 'nginx-access', ...cfg.services.map((s) => s.name)];
  if (!name || !known.includes(name)) {
    throw new VsError(`usage: vs.mjs logs <component> [--no-follow]\ncomponents: ${known.join(', ')}`);
  }
  const file = logFile(name);
  const last = tail(file, 200);
  if (last) console.log(last);
  if (!follow) return;
  if (!existsSync(file)) console.error(`[vs] ${file} does not exist yet; waiting for it ... (Ctrl-C to stop)`);
  let pos = existsSync(file) ? statSync(file).size : 0;
  process.on('SIGINT', () => process.exit(0));
  for (;;) {
    await sleep(500);
    if (!existsSync(file)) continue;
    const size = statSync(file).size;
    if (size < pos) pos = 0; // truncated/recreated
    if (size === pos) continue;
    const fd = openSync(file, 'r');
    const buf = Buffer.alloc(size - pos);
    readSync(fd, buf, 0, buf.length, pos);
    closeSync(fd);
    process.stdout.write(buf);
    pos = size;
  }
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/** Shared by `infra` and `up`: resolve + persist config, create state, start the four stores. */
async function cmdInfra() {
  const t0 = Date.now();
  await ensureBinaries();
  const cfg = resolveConfig();
  ensureStateDirs();
  acquireLock();
  refuseLivePortChanges(cfg);
  saveConfig(cfg);
  ensureSecrets();
  // Independent of each other, so start them concurrently (Kafka dominates a cold start).
  const results = await Promise.allSettled([startPostgres(cfg), startRedis(cfg), startKafka(cfg), startNginx(cfg)]);
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length) {
    for (const f of failed.slice(1)) reportError(f.reason);
    throw failed[0].reason;
  }
  await ensureTopics(cfg);
  say(`infrastructure ready (${secs(t0)})`);
  return cfg;
}

async function cmdUp() {
  const t0 = Date.now();
  if (process.env.VS_SKIP_BUILD === '1') say('VS_SKIP_BUILD=1: skipping npm ci and build');
  else {
    await ensureDependencies();
    await buildWorkspace();
  }
  const cfg = await cmdInfra();
  await runMigrations(cfg);
  await startServices(cfg);
  console.log('');
  say(`VectorAIStack is up (${secs(t0)}): http://localhost:${cfg.ports.http}`);
  say(`bootstrap admin API key is in ${join(P.secrets, 'admin-key')} (not printed; e.g. \`cat\` it)`);
  say('status: npm run status   logs: npm run logs -- <component>   stop: npm run down');
}

async function cmdDown() {
  const cfg = resolveConfig();
  if (!existsSync(STATE)) return say('nothing to stop (no state dir)');
  mkdirp(P.run);
  acquireLock();
  await stopServices(cfg);
  await stopNginx();
  await stopKafka();
  await stopRedis(cfg);
  await stopPostgres();
  say('everything stopped; data kept in ' + STATE);
}

async function cmdStatus(json) {
  const rows = await collectStatus(resolveConfig());
  if (json) console.log(JSON.stringify(rows, null, 2));
  else printTable(rows);
  return rows.every((r) => r.state === 'up' && r.ready) ? 0 : 1;
}

async function cmdMigrate() {
  const cfg = resolveConfig();
  mkdirp(P.run);
  acquireLock();
  ensureSecrets();
  await runMigrations(cfg);
}

function cmdEnv(json) {
  const cfg = resolveConfig();
  ensureStateDirs();
  ensureSecrets();
  const env = publicEnv(cfg);
  if (json) console.log(JSON.stringify(env, null, 2));
  else for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
}

function reportError(err) {
  if (!(err instanceof VsError)) {
    console.error(err);
    return;
  }
  console.error(`[vs] ERROR: ${err.message}`);
  if (err.logFile && existsSync(err.logFile)) {
    console.error(`[vs] --- last lines of ${err.logFile} ---`);
    console.error(tail(err.logFile, 40, err.logOffset));
    console.error('[vs] ---');
  }
}

const USAGE = `usage: node deploy/local/vs.mjs <command>
  up                    install deps if needed, build, start infra, migrate, start all services
  infra                 start Postgres, Redis, Kafka, nginx (idempotent) and ensure Kafka topics
  down                  stop everything (data is kept in ${STATE})
  status [--json]       one row per component; exit 0 only when all are up and ready
  logs <component> [--no-follow]
  migrate               run service migrations (infra must be up)
  env [--json]          print the environment services and tests use`;

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const flag = (f) => rest.includes(f);
  switch (cmd) {
    case 'up': return cmdUp();
    case 'infra': return void (await cmdInfra());
    case 'down': return cmdDown();
    case 'status': return void (process.exitCode = await cmdStatus(flag('--json')));
    case 'logs': return showLogs(resolveConfig(), rest.find((a) => !a.startsWith('-')), !flag('--no-follow'));
    case 'migrate': return cmdMigrate();
    case 'env': return cmdEnv(flag('--json'));
    case undefined: case 'help': case '--help': case '-h': return console.log(USAGE);
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
}

main().catch((err) => {
  reportError(err);
  process.exit(1);
});
