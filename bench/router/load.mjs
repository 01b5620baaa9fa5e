#!/usr/bin/env node
// The router benchmark's load generator, run as its own process by router.bench.mjs (so its CPU
// is its own and the same for every target). One job per run, given as a JSON argument:
//
//   {"mode":"sequential","targets":[{name,url,headers,body,stream}...],"rounds":N,"warmupRounds":N}
//     One request at a time over one keep-alive connection per target (undici Client), targets
//     interleaved round by round (direct, X, direct, X ...) so both see the same machine; each
//     request timed with process.hrtime from send to the last byte of the body, and its body
//     checked (a JSON completion, or an SSE stream ending in `data: [DONE]`).
//   {"mode":"throughput","target":{url,headers,body},"connections":64,"warmupSeconds":3,"durationSeconds":10}
//     autocannon (installed under .cache/bench-autocannon) with N connections, one request in
//     flight on each (no pipelining): a warm-up run, then the measured run.
//
// Writes JSON lines to stdout: {"event":"measure-start"} when the measured part begins (the
// parent samples CPU counters there), then {"event":"result",...}.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO } from '../lib/platform.mjs';
import { summarise } from '../lib/stats.mjs';

const require = createRequire(import.meta.url);
const job = JSON.parse(process.argv[2] ?? '{}');
const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

const DONE_TAIL = Buffer.from('data: [DONE]');

/** Whether a 2xx body is what the endpoint promises (so a gateway that answers 200 with junk is caught). */
function validBody(buffer, stream) {
  if (stream) return buffer.subarray(-DONE_TAIL.length - 4).includes(DONE_TAIL);
  return buffer.includes('"choices"') && buffer[buffer.length - 1] === 0x7d; // ends with '}'
}

async function sequential() {
  const { Client } = require('undici');
  const targets = job.targets.map((target) => {
    const url = new URL(target.url);
    return {
      ...target,
      path: url.pathname,
      client: new Client(url.origin, { pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 }),
      samples: [],
      statuses: {},
      invalid: 0,
      failures: 0,
      firstError: null,
    };
  });

  async function once(target) {
    const started = process.hrtime.bigint();
    try {
      const { statusCode, body } = await target.client.request({ method: 'POST', path: target.path, headers: target.headers, body: target.body });
      const buffer = Buffer.from(await body.arrayBuffer());
      const elapsed = process.hrtime.bigint() - started;
      target.statuses[statusCode] = (target.statuses[statusCode] ?? 0) + 1;
      if (statusCode < 200 || statusCode > 299) {
        target.firstError ??= `HTTP ${statusCode}: ${buffer.subarray(0, 300).toString('utf8')}`;
        return undefined;
      }
      if (!validBody(buffer, target.stream)) {
        target.invalid++;
        target.firstError ??= `HTTP ${statusCode} with an unexpected body: ${buffer.subarray(0, 300).toString('utf8')}`;
        return undefined;
      }
      return elapsed;
    } catch (error) {
      target.failures++;
      target.firstError ??= `request failed: ${error?.code ?? ''} ${error?.message ?? error}`;
      return undefined;
    }
  }

  for (let round = 0; round < job.warmupRounds; round++) for (const target of targets) await once(target);
  for (const target of targets) Object.assign(target, { samples: [], statuses: {}, invalid: 0, failures: 0 });
  emit({ event: 'measure-start' });

  // Per-round differences against the first target (the direct upstream), when both succeeded.
  const paired = targets.map(() => []);
  for (let round = 0; round < job.rounds; round++) {
    const times = [];
    for (const target of targets) {
      const elapsed = await once(target);
      times.push(elapsed);
      if (elapsed !== undefined) target.samples.push(elapsed);
    }
    for (let i = 1; i < targets.length; i++) if (times[0] !== undefined && times[i] !== undefined) paired[i].push(times[i] - times[0]);
  }
  await Promise.all(targets.map((target) => target.client.close()));
  emit({
    event: 'result',
    mode: 'sequential',
    targets: targets.map((target, i) => ({
      name: target.name,
      requests: job.rounds,
      ok: target.samples.length,
      statuses: target.statuses,
      invalid_bodies: target.invalid,
      failures: target.failures,
      first_error: target.firstError,
      latency: target.samples.length > 0 ? summarise(target.samples) : null,
      paired_difference: i > 0 && paired[i].length > 0 ? summarise(paired[i]) : null,
    })),
  });
}

async function throughput() {
  const autocannon = require(join(REPO, '.cache/bench-autocannon/node_modules/autocannon'));
  const { url, headers, body } = job.target;
  const options = { url, method: 'POST', headers, body, connections: job.connections, pipelining: 1, timeout: 10 };
  if (job.warmupSeconds > 0) await autocannon({ ...options, duration: job.warmupSeconds });
  emit({ event: 'measure-start' });
  const result = await autocannon({ ...options, duration: job.durationSeconds });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([status, { count }]) => [status, count]));
  emit({
    event: 'result',
    mode: 'throughput',
    duration_s: result.duration,
    requests: result.requests.total,
    ok: result['2xx'],
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    requests_per_s: Math.round(result['2xx'] / result.duration),
    all_responses_per_s: Math.round((result['2xx'] + result.non2xx) / result.duration),
    latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  });
}

if (job.mode === 'sequential') await sequential();
else if (job.mode === 'throughput') await throughput();
else {
  process.stderr.write('usage: node bench/router/load.mjs \'{"mode":"sequential"|"throughput",...}\' (see the header of this file)\n');
  process.exit(2);
}
