// Sequential latency of round trips, measured so that several targets see the same machine: the
// targets take turns (one call in flight at a time, nothing else from this process), in blocks of
// `block` consecutive calls each, so a busy moment of a shared machine lands on all alike. Blocks
// rather than single calls (block 1) keep one target's side effects out of another's samples:
// e.g. the garbage a grpc-js no-op call leaves in this client, or the Postgres query an unknown
// key costs the server, can trigger GC pauses inside the next target's call. Also makes visible
// what else explains a tail: the client's own GC pauses (samples overlapping one are counted) and
// the CPU the server process used per call.
import { readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { summarise, round } from './stats.mjs';

/** Calls per turn: BENCH_BLOCK, default 250 (1 alternates call by call). */
export const TURN_BLOCK = Number(process.env.BENCH_BLOCK ?? 250);

/**
 * Runs `warmup` calls of each target, then `iterations` calls of each target, taking turns in
 * blocks of `block` calls (default TURN_BLOCK; 1: one call per target in turn).
 * Each target is `() => Promise<unknown>`; `check(name, result)` may throw to fail the bench.
 * Returns per target its latency summary and the number of samples overlapping a client GC pause;
 * `paired` holds, for each target after the first, the difference to the first of the calls at
 * the same position in their turns (with block 1: the same round).
 */
export async function alternate(targets, { iterations, warmup = 500, block = TURN_BLOCK, check = () => undefined }) {
  const names = Object.keys(targets);
  for (const name of names) for (let i = 0; i < warmup; i++) check(name, await targets[name]());

  const gcPauses = [];
  const observer = new PerformanceObserver((list) => gcPauses.push(...list.getEntries().map((entry) => [entry.startTime, entry.startTime + entry.duration])));
  observer.observe({ entryTypes: ['gc'] });
  const samples = Object.fromEntries(names.map((name) => [name, new Float64Array(iterations)]));
  const startedAt = Object.fromEntries(names.map((name) => [name, new Float64Array(iterations)]));
  for (let first = 0; first < iterations; first += block) {
    const last = Math.min(iterations, first + block);
    for (const name of names) {
      const call = targets[name];
      for (let i = first; i < last; i++) {
        const started = performance.now();
        const result = await call();
        samples[name][i] = (performance.now() - started) * 1e6;
        startedAt[name][i] = started;
        check(name, result);
      }
    }
  }
  await new Promise((resolve) => setImmediate(resolve)); // let the observer deliver the last entries
  observer.disconnect();

  const results = {};
  for (const name of names) {
    let duringGc = 0;
    for (let i = 0; i < iterations; i++) {
      const start = startedAt[name][i];
      const end = start + samples[name][i] / 1e6;
      if (gcPauses.some(([gcStart, gcEnd]) => gcStart < end && gcEnd > start)) duringGc += 1;
    }
    results[name] = { ...summarise(samples[name]), samples_overlapping_client_gc: duringGc };
  }
  const paired = {};
  const [base, ...others] = names;
  for (const name of others) {
    const differences = samples[name].map((value, i) => value - samples[base][i]);
    const sorted = Float64Array.from(differences).sort();
    const at = (q) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1000);
    paired[`${name}_minus_${base}`] = { p50_us: at(0.5), p90_us: at(0.9), p99_us: at(0.99) };
  }
  const gcTotalMs = gcPauses.reduce((sum, [start, end]) => sum + end - start, 0);
  const client_gc = { pauses: gcPauses.length, total_ms: round(gcTotalMs), max_ms: round(Math.max(0, ...gcPauses.map(([start, end]) => end - start))) };
  return { results, paired, client_gc };
}

/** Latency summary of `iterations` sequential calls of `call` after `warmup` unmeasured ones (a probe run alone). */
export async function sequentialLatency(call, { iterations = Number(process.env.BENCH_ITERATIONS ?? 5_000), warmup = 1_000 } = {}) {
  for (let i = 0; i < warmup; i++) await call();
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await call();
    samples[i] = (performance.now() - started) * 1e6;
  }
  return summarise(samples);
}

/** CPU time a process used so far (all its threads), in microseconds, from /proc (Linux), or undefined. */
export function processCpuMicros(pid) {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1000;
  } catch {
    return undefined;
  }
}

/** The pid of a service of the local platform (`.state/run/<name>.pid`), or undefined. */
export function servicePid(env, name) {
  try {
    return Number(readFileSync(`${env.VECTORSTACK_STATE_DIR}/run/${name}.pid`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/**
 * Measures a process's CPU use around `run()`: per call of `calls`, with the process's idle rate
 * (measured over `idleMs` before) subtracted, so background timers and Kafka polls are not
 * charged to the calls. Returns undefined fields where /proc is not available.
 */
export async function cpuPerCall(pid, calls, run, { idleMs = 1_000 } = {}) {
  const idleStart = processCpuMicros(pid);
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const idleEnd = processCpuMicros(pid);
  const started = performance.now();
  const result = await run();
  const elapsedMs = performance.now() - started;
  const end = processCpuMicros(pid);
  if (idleStart === undefined || idleEnd === undefined || end === undefined) return { result };
  const idleRate = (idleEnd - idleStart) / idleMs; // µs of CPU per ms of wall time
  return {
    result,
    cpu: { idle_us_per_s: round(idleRate * 1000), us_per_call: round((end - idleEnd) / calls), us_per_call_minus_idle: round((end - idleEnd - idleRate * elapsedMs) / calls) },
  };
}

/** `client GC: 12 pauses, 8.1 ms total, 1.9 ms max`. */
export function describeGc({ pauses, total_ms, max_ms }) {
  return `client GC during the measured calls: ${pauses} pauses, ${total_ms} ms total, ${max_ms} ms max`;
}
