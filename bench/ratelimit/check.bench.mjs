#!/usr/bin/env node
// Benchmark of the rate limiter's Check against the real Redis (the local platform's, or
// REDIS_URL): in-process latency (p50/p90/p99/p99.9), checks per second with concurrent
// callers, and Redis round trips per check. Runs the library from source (compiled on load
// with @swc/core, as the test fixtures do), so no build step is needed.
//
//   node bench/ratelimit/check.bench.mjs            # defaults
//   REDIS_URL=redis://127.0.0.1:6380 SEQUENTIAL=20000 CONCURRENCY=64 DURATION_MS=5000 node bench/ratelimit/check.bench.mjs
//
// Writes bench/results/ratelimit.json. Uses its own key prefix and deletes its keys at the end.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(ROOT, 'package.json'));

// --- load the workspace libs from source -------------------------------------------------
const Module = require('node:module');
const { transformSync } = require('@swc/core');
const swcrc = JSON.parse(readFileSync(join(ROOT, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const lib = /^@vectorstack\/([a-z-]+)$/.exec(request);
  return originalResolve.call(this, lib ? join(ROOT, 'libs', lib[1], 'src', 'index.ts') : request, ...rest);
};
require.extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...swcrc, filename, swcrc: false, sourceMaps: false });
  module._compile(code, filename);
};
const { createRateLimitRedis, RateLimiter, RateLimitKeys, waitForRedis, PLAN_SHARDS } = require('@vectorstack/ratelimit');
const Redis = require('ioredis');

// --- settings ------------------------------------------------------------------------------
const env = (name, fallback) => (process.env[name] === undefined ? fallback : process.env[name]);
const REDIS_URL = env('REDIS_URL', 'redis://127.0.0.1:6380');
const WARMUP = Number(env('WARMUP', 2_000));
const SEQUENTIAL = Number(env('SEQUENTIAL', 20_000));
const DENIED = Number(env('DENIED', 5_000));
const CONCURRENCY = Number(env('CONCURRENCY', 64));
const DURATION_MS = Number(env('DURATION_MS', 5_000));
const KEYS = Number(env('KEYS', 1_000));
const OUT = join(ROOT, 'bench/results/ratelimit.json');
const prefix = `vs:rl:bench-${Date.now().toString(36)}:`;

// Every window limited (so every check evaluates all six), limits high enough to admit all.
const EVERY_WINDOW = {
  requests_per_minute: 1e9,
  requests_per_hour: 1e9,
  requests_per_day: 1e9,
  tokens_per_minute: 1e12,
  tokens_per_day: 1e12,
  max_concurrent: 1e9,
};

function percentiles(samplesMs) {
  const sorted = Float64Array.from(samplesMs).sort();
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  const round = (v) => Math.round(v * 1000) / 1000;
  return { samples: sorted.length, mean_ms: round(mean), p50_ms: round(at(50)), p90_ms: round(at(90)), p99_ms: round(at(99)), p999_ms: round(at(99.9)), max_ms: round(sorted[sorted.length - 1]) };
}

async function serverStats(admin) {
  const info = await admin.info('commandstats');
  const calls = (name) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  const stats = await admin.info('stats');
  return { scripts: calls('evalsha') + calls('eval'), total: Number(/total_commands_processed:(\d+)/.exec(stats)?.[1] ?? 0) };
}

async function main() {
  const redis = createRateLimitRedis(REDIS_URL, { commandTimeoutMs: 5_000 });
  const admin = new Redis(REDIS_URL);
  await waitForRedis(redis);
  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];

  // Count what this client sends: every command is one request/response exchange (the limiter never pipelines a check).
  let commandsSent = 0;
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    commandsSent++;
    return send(command, stream);
  };

  const limiter = new RateLimiter({ redis, keys: new RateLimitKeys(prefix) });
  await limiter.plans.seedDefaults();
  const keyIds = Array.from({ length: KEYS }, (_, i) => `bench-key-${i}`);
  for (const keyId of keyIds) await limiter.plans.putOverride(keyId, EVERY_WINDOW);
  let sequence = 0;
  const check = (keyId, tokenEstimate = 500) => limiter.check({ tenantId: 'bench', keyId, tier: 'pro', requestId: `r${sequence++}`, tokenEstimate });

  try {
    // Warm-up (connections, script cache, JIT).
    for (let i = 0; i < WARMUP; i++) await check(keyIds[i % KEYS]);

    // 1. Latency, one check at a time, one key.
    const idleBefore = await serverStats(admin);
    await new Promise((r) => setTimeout(r, 1_000));
    const idleAfter = await serverStats(admin);
    const before = await serverStats(admin);
    const sentBefore = commandsSent;
    const latencies = new Array(SEQUENTIAL);
    const started = performance.now();
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t = performance.now();
      const result = await check(keyIds[0]);
      latencies[i] = performance.now() - t;
      if (!result.allowed) throw new Error(`unexpected denial: ${JSON.stringify(result)}`);
    }
    const sequentialSeconds = (performance.now() - started) / 1000;
    const after = await serverStats(admin);
    const sent = commandsSent - sentBefore;
    const sequentialLatency = percentiles(latencies);
    // Other clients of the same Redis (BullMQ workers…) run commands too: subtract what they did in an idle second.
    const backgroundPerSecond = { scripts: idleAfter.scripts - idleBefore.scripts, total: idleAfter.total - idleBefore.total - 2 };
    const serverScripts = after.scripts - before.scripts - backgroundPerSecond.scripts * sequentialSeconds;
    const serverCommands = after.total - before.total - 2 - backgroundPerSecond.total * sequentialSeconds;

    // 2. Latency of denials (a key at its limit: the denial path also works out the wait).
    const fullKey = 'bench-full-key';
    await limiter.plans.putOverride(fullKey, { ...EVERY_WINDOW, requests_per_minute: 100 });
    for (let i = 0; i < 100; i++) await check(fullKey);
    const deniedLatencies = new Array(DENIED);
    for (let i = 0; i < DENIED; i++) {
      const t = performance.now();
      const result = await check(fullKey);
      deniedLatencies[i] = performance.now() - t;
      if (result.allowed) throw new Error('expected a denial');
    }

    // 3. Throughput: CONCURRENCY callers in flight on one connection, spread over KEYS keys, for DURATION_MS.
    let done = 0;
    const concurrentLatencies = [];
    const deadline = performance.now() + DURATION_MS;
    const throughputStarted = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, lane) => {
        let i = lane;
        while (performance.now() < deadline) {
          const t = performance.now();
          await check(keyIds[i % KEYS]);
          concurrentLatencies.push(performance.now() - t);
          i += CONCURRENCY;
          done++;
        }
      }),
    );
    const throughputSeconds = (performance.now() - throughputStarted) / 1000;

    // 4. The same against one hot key (every check serialises on the same counters).
    let hotDone = 0;
    const hotDeadline = performance.now() + DURATION_MS;
    const hotStarted = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < hotDeadline) {
          await check(keyIds[1]);
          hotDone++;
        }
      }),
    );
    const hotSeconds = (performance.now() - hotStarted) / 1000;

    const results = {
      benchmark: 'ratelimit Check (RateLimiter.check, in process, one Lua script per check)',
      measured_at: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, memory_gb: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}`, node: process.version, redis: redisVersion, redis_url: REDIS_URL.replace(/\/\/.*@/, '//***@') },
      settings: { warmup: WARMUP, sequential_checks: SEQUENTIAL, denied_checks: DENIED, concurrency: CONCURRENCY, duration_ms: DURATION_MS, keys: KEYS, plan_shards: PLAN_SHARDS, windows_per_check: 6, token_estimate: 500 },
      sequential_latency_ms: sequentialLatency,
      sequential_checks_per_second: Math.round(SEQUENTIAL / sequentialSeconds),
      denied_latency_ms: percentiles(deniedLatencies),
      concurrent: { checks_per_second: Math.round(done / throughputSeconds), latency_ms: percentiles(concurrentLatencies) },
      hot_key_concurrent_checks_per_second: Math.round(hotDone / hotSeconds),
      round_trips_per_check: {
        client_commands_per_check: Math.round((sent / SEQUENTIAL) * 1000) / 1000,
        server_script_calls_per_check: Math.round((serverScripts / SEQUENTIAL) * 1000) / 1000,
        server_commands_per_check: Math.round((serverCommands / SEQUENTIAL) * 1000) / 1000,
        note: 'client_commands_per_check: commands this connection sent per check, each one request/response exchange (the round trips). server_script_calls_per_check: EVALSHA/EVAL calls Redis counted (INFO commandstats delta, minus the background rate of other clients measured over an idle second). server_commands_per_check: every command Redis executed per check, the script\'s own calls included (INFO total_commands_processed delta): the work one round trip carries.',
      },
    };
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);

    const l = sequentialLatency;
    console.log(`ratelimit Check on ${REDIS_URL} (Redis ${redisVersion}, Node ${process.version}, ${cpus().length} CPUs)`);
    console.log(`  sequential, 1 key:   p50 ${l.p50_ms} ms  p90 ${l.p90_ms} ms  p99 ${l.p99_ms} ms  p99.9 ${l.p999_ms} ms  max ${l.max_ms} ms  (${results.sequential_checks_per_second} checks/s)`);
    console.log(`  denials, 1 key:      p50 ${results.denied_latency_ms.p50_ms} ms  p99 ${results.denied_latency_ms.p99_ms} ms`);
    console.log(`  ${CONCURRENCY} in flight, ${KEYS} keys: ${results.concurrent.checks_per_second} checks/s  (p50 ${results.concurrent.latency_ms.p50_ms} ms, p99 ${results.concurrent.latency_ms.p99_ms} ms)`);
    console.log(`  ${CONCURRENCY} in flight, 1 hot key: ${results.hot_key_concurrent_checks_per_second} checks/s`);
    console.log(`  Redis round trips per check: ${results.round_trips_per_check.client_commands_per_check} (commands sent by the client); Redis saw ${results.round_trips_per_check.server_script_calls_per_check} script call(s) per check, running ${results.round_trips_per_check.server_commands_per_check} commands inside it`);
    console.log(`  written to ${OUT}`);
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    admin.disconnect();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
