// Shared by the benchmarks: percentiles over recorded samples and one results file per bench.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** Percentiles of samples in nanoseconds (bigint or number), reported in microseconds. */
export function summarise(samplesNs) {
  const sorted = Float64Array.from(samplesNs, Number).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1000;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length / 1000;
  return { n: sorted.length, mean_us: round(mean), p50_us: round(at(0.5)), p90_us: round(at(0.9)), p99_us: round(at(0.99)), p999_us: round(at(0.999)), max_us: round(sorted[sorted.length - 1] / 1000) };
}

export const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Writes bench/results/<name>.json with the machine it ran on, and prints where. */
export function writeResults(name, results) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  const document = {
    bench: name,
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memory_gib: round(totalmem() / 2 ** 30, 1), node: process.version },
    ...results,
  };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`results written to ${file}`);
  return document;
}

/** A target line: "PASS p99 12.3 µs (target < 50 µs)". */
export function verdict(label, value, target, unit) {
  const ok = value < target;
  console.log(`${ok ? 'PASS' : 'MISS'} ${label} ${value} ${unit} (target < ${target} ${unit})`);
  return { value, target, unit, met: ok };
}
