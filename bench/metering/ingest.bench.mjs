#!/usr/bin/env node
// Metering ingest benchmark: sustained usage events per second from a real Kafka topic into
// Postgres through the metering service's own code (a metering process started for the run,
// consuming a per-run copy of the usage topic with the same 6 partitions), and the consumer lag
// returning to zero.
//
// Events are published as the router publishes them: UsageRecordedBatch records of one tenant's
// events, PER_RECORD (25) events each — what a router at ~2,000 responses/s with ~10 busy
// tenants flushes per tenant every 100 ms (consumer lag counts records; it is reported in
// events, records × PER_RECORD).
//
//   1. backlog: EVENTS events over TENANTS tenants are published first, then a metering process
//      is started and drains them; rate = events / (time from the first commit to lag 0);
//   2. paced: RATE events/s are published for PACED_SECONDS while the process ingests; the lag
//      is sampled every 250 ms and must come back to 0 within DRAIN_TIMEOUT_S after the end.
// Afterwards the ledger is checked: every event once in the raw table and in the rollups.
//
//   npm start && node bench/metering/ingest.bench.mjs
//   EVENTS=600000 TENANTS=60 RATE=20000 PACED_SECONDS=30 PER_RECORD=25 node bench/metering/ingest.bench.mjs
//
// Writes bench/results/metering-ingest.json. Deletes its topic and its rows at the end.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { platformEnv, REPO } from '../lib/platform.mjs';
import { round, writeResults } from '../lib/stats.mjs';

const require = createRequire(join(REPO, 'package.json'));
const { create, toBinary } = require('@bufbuild/protobuf');
const { timestampFromDate } = require('@bufbuild/protobuf/wkt');
const { Topics, UsageRecordedBatchSchema, UsageRecordedSchema, UsageSource } = require('@vectorstack/contracts');
const { ensureTopics, KafkaConnection, KafkaProducer, protobufContentType, uuidv7 } = require('@vectorstack/kafka');
const { Client } = require('pg');

const setting = (name, fallback) => Number(process.env[name] ?? fallback);
const PER_RECORD = setting('PER_RECORD', 25);
// Whole records: every record holds PER_RECORD events.
const EVENTS = Math.ceil(setting('EVENTS', 600_000) / PER_RECORD) * PER_RECORD;
const TENANTS = setting('TENANTS', 60);
const RATE = Math.ceil(setting('RATE', 20_000) / (5 * PER_RECORD)) * 5 * PER_RECORD;
const PACED_SECONDS = setting('PACED_SECONDS', 30);
const DRAIN_TIMEOUT_S = setting('DRAIN_TIMEOUT_S', 60);
const TARGET = setting('TARGET', 20_000);

const env = platformEnv();
const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const topic = { ...Topics.usageRecorded, name: `vectorstack.bench-${runId}.usage-recorded.v2` };
const group = `bench-metering-${runId}`;
const tenantPrefix = `bench-${runId}-`;
const tenants = Array.from({ length: TENANTS }, (_, i) => `${tenantPrefix}${i}`);
const models = ['small', 'medium', 'large'].map((size) => `bench-${runId}-${size}`);
const contentType = protobufContentType(UsageRecordedBatchSchema);

const connection = new KafkaConnection({ clientId: `bench-metering-${runId}`, brokers: env.KAFKA_BROKERS, logLevel: 'error' });
const producer = new KafkaProducer(connection);
const db = new Client({ connectionString: env.DATABASE_URL });

/**
 * Encoded records (key, protobuf bytes, the platform's headers) carrying `count` events,
 * PER_RECORD per record (each record one tenant's), built before timing starts.
 */
function encode(count, offset) {
  const records = [];
  const now = Date.now();
  for (let first = 0; first < count; first += PER_RECORD) {
    const tenantId = tenants[((first + offset) / PER_RECORD) % TENANTS];
    const events = Array.from({ length: PER_RECORD }, (_, k) => usageEvent(first + offset + k, tenantId, now));
    const eventId = uuidv7();
    const value = Buffer.from(toBinary(UsageRecordedBatchSchema, create(UsageRecordedBatchSchema, { eventId, events })));
    records.push({ key: tenantId, value, headers: { 'event-id': eventId, 'content-type': contentType } });
  }
  return records;
}

/** The i-th event of the run: a router usage event of `tenantId`. */
function usageEvent(i, tenantId, now) {
  const prompt = BigInt(50 + (i % 950));
  const completion = BigInt(i % 700);
  return create(UsageRecordedSchema, {
    eventId: uuidv7(),
    requestId: randomUUID(),
    source: UsageSource.ROUTER,
    tenantId,
    keyId: `${tenantId}-key-${i % 7}`,
    model: models[i % models.length],
    deployment: 'bench/primary',
    provider: 'openai-compatible',
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: prompt + completion,
    latencyMs: 200 + (i % 800),
    httpStatus: i % 97 === 0 ? 500 : 200,
    // Like live traffic: events reach the topic within seconds of happening.
    occurredAt: timestampFromDate(new Date(now - (i % 5) * 1_000)),
    endpoint: '/v1/chat/completions',
  });
}

async function publish(records, chunk = 200) {
  for (let i = 0; i < records.length; i += chunk) await producer.sendRaw(topic.name, records.slice(i, i + chunk));
}

async function lag() {
  const admin = await connection.getAdmin();
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic.name), admin.fetchOffsets({ groupId: group, topics: [topic.name] })]);
  const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset === '-1' ? 0n : BigInt(p.offset)]));
  let total = 0n;
  let committedTotal = 0n;
  for (const { partition, high } of ends) {
    total += BigInt(high) - (done.get(partition) ?? 0n);
    committedTotal += done.get(partition) ?? 0n;
  }
  // In events: every record holds PER_RECORD.
  return { lag: Number(total) * PER_RECORD, committed: Number(committedTotal) * PER_RECORD };
}

/** A "higher is better" target line in the style of verdict(): "PASS label 25000 events/s (target ≥ 20000 events/s)". */
function atLeast(label, value, target, unit) {
  const met = value >= target;
  console.log(`${met ? 'PASS' : 'MISS'} ${label} ${value} ${unit} (target ≥ ${target} ${unit})`);
  return { value, target, unit, met };
}

/** The paced phase: the lag was gone within 5 s of the publisher's last record (publisher within 3% of RATE). */
function keptUpVerdict(met, producedRate, drainSeconds, maxLag) {
  console.log(`${met ? 'PASS' : 'MISS'} kept up with a publisher at ${producedRate} events/s (RATE ${RATE}): lag 0 ${drainSeconds} s after it stopped, max lag ${maxLag} (target: lag 0 within 5 s)`);
  return { met, published_per_second: producedRate, rate: RATE, lag_back_to_zero_seconds: drainSeconds, max_lag: maxLag };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startMetering() {
  const port = await freePort();
  // METERING_NODE_ARGS: extra node flags for the metering process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.METERING_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(REPO, 'services/metering/dist/main.js')], {
    cwd: REPO,
    env: { ...process.env, ...env, SERVICE_NAME: 'metering', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', METERING_USAGE_TOPIC: topic.name, METERING_CONSUMER_GROUP: group },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`metering exited with ${child.exitCode}`);
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return child;
    await sleep(100);
  }
  throw new Error('metering not ready');
}

async function waitForLagZero(timeoutMs, onSample = () => {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sample = await lag();
    onSample(sample);
    if (sample.lag === 0) return performance.now();
    if (Date.now() > deadline) throw new Error(`lag still ${sample.lag} after ${timeoutMs} ms`);
    await sleep(250);
  }
}

async function main() {
  await db.connect();
  await ensureTopics(env.KAFKA_BROKERS, [topic]);
  // Prices for the run's models (as the catalog would have them), so every event is priced.
  for (const [i, model] of models.entries()) {
    await db.query(
      `INSERT INTO metering.model_price (model, effective_from, input_price_per_1k, output_price_per_1k, catalog_version) VALUES ($1, '2020-01-01Z', $2, $3, 0)`,
      [model, ['0.00015', '0.0025', '0.015'][i], ['0.0006', '0.01', '0.075'][i]],
    );
  }
  console.log(`topic ${topic.name}, ${TENANTS} tenants; encoding ${EVENTS} events ...`);
  const backlog = encode(EVENTS, 0);
  let t = performance.now();
  await publish(backlog);
  console.log(`published the backlog in ${round((performance.now() - t) / 1000)} s`);

  const metering = await startMetering();
  let child = metering;
  try {
    // Phase 1: drain the backlog.
    let firstCommitAt;
    let firstCommitted = 0;
    const samples = [];
    const drainedAt = await waitForLagZero(600_000, (s) => {
      const at = performance.now();
      if (firstCommitAt === undefined && s.committed > 0) {
        firstCommitAt = at;
        firstCommitted = s.committed;
      }
      samples.push({ at, committed: s.committed });
    });
    const seconds = (drainedAt - firstCommitAt) / 1000;
    const backlogRate = round((EVENTS - firstCommitted) / seconds, 0);
    // Best one-second window, for reference.
    let peak = 0;
    for (let i = 0, j = 0; i < samples.length; i++) {
      while (samples[i].at - samples[j].at > 1_000) j++;
      if (samples[i].at - samples[j].at >= 900) peak = Math.max(peak, ((samples[i].committed - samples[j].committed) * 1000) / (samples[i].at - samples[j].at));
    }
    console.log(`backlog: ${EVENTS} events ingested at ${backlogRate} events/s (${round(seconds)} s from the first commit to lag 0)`);

    // Phase 2: paced production at RATE while ingesting.
    const paced = encode(RATE * PACED_SECONDS, EVENTS);
    const lagSamples = [];
    const sampler = setInterval(() => void lag().then((s) => lagSamples.push(s.lag)), 250);
    const start = performance.now();
    // Five sends a second; a send that runs late is followed at once by the next.
    const slice = RATE / 5 / PER_RECORD;
    for (let tick = 0; tick < PACED_SECONDS * 5; tick++) {
      await publish(paced.slice(tick * slice, (tick + 1) * slice), slice);
      const due = start + (tick + 1) * 200;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const producedSeconds = (performance.now() - start) / 1000;
    const pacedEvents = paced.length * PER_RECORD;
    const producedRate = round(pacedEvents / producedSeconds, 0);
    const producedEndAt = performance.now();
    const zeroAt = await waitForLagZero(DRAIN_TIMEOUT_S * 1_000, (s) => lagSamples.push(s.lag));
    clearInterval(sampler);
    const maxLag = Math.max(0, ...lagSamples);
    const drainSeconds = round((zeroAt - producedEndAt) / 1000, 2);
    // Everything published in the phase was in Postgres (offsets committed) when the lag hit 0.
    const pacedIngestRate = round(pacedEvents / ((zeroAt - start) / 1000), 0);
    // Kept up: the lag stayed bounded and was gone within 5 s of the end, with the publisher near
    // RATE (on a small machine it shares the cores with Kafka, Postgres and the consumer).
    const keptUp = producedRate >= RATE * 0.97 && drainSeconds <= 5;
    console.log(
      `paced: ${pacedEvents} events (${paced.length} records) published at ${producedRate} events/s for ${round(producedSeconds)} s (ingested within ${round((zeroAt - start) / 1000)} s); max lag ${maxLag}; lag 0 ${drainSeconds} s after the last publish`,
    );

    // The ledger holds every event once.
    await sleep(500);
    const total = EVENTS + pacedEvents;
    const { rows } = await db.query(
      `SELECT (SELECT count(*) FROM metering.usage_event WHERE tenant_id = ANY($1))::int AS raw,
              (SELECT sum(requests) FROM metering.usage_hour WHERE tenant_id = ANY($1))::int AS hourly,
              (SELECT sum(requests) FROM metering.usage_minute WHERE tenant_id = ANY($1))::int AS minutely`,
      [tenants],
    );
    const exact = rows[0].raw === total && rows[0].hourly === total && rows[0].minutely === total;
    console.log(`ledger: ${rows[0].raw} raw events, ${rows[0].hourly} in hour rollups, ${rows[0].minutely} in minute rollups (published ${total}): ${exact ? 'exact' : 'MISMATCH'}`);

    writeResults('metering-ingest', {
      settings: { events: EVENTS, tenants: TENANTS, rate: RATE, paced_seconds: PACED_SECONDS, events_per_record: PER_RECORD, partitions: topic.partitions },
      backlog: { events: EVENTS, seconds: round(seconds), events_per_second: backlogRate, peak_one_second: round(peak, 0) },
      paced: {
        events: pacedEvents,
        produced_per_second: producedRate,
        ingested_per_second: pacedIngestRate,
        max_lag: maxLag,
        seconds_to_zero_lag_after_production: drainSeconds,
        lag_returned_to_zero: true,
      },
      ledger: { published: total, raw: rows[0].raw, hour_rollup_requests: rows[0].hourly, minute_rollup_requests: rows[0].minutely, exact },
      target: atLeast('ingest capacity (backlog drained)', backlogRate, TARGET, 'events/s'),
      paced_target: keptUpVerdict(keptUp, producedRate, drainSeconds, maxLag),
    });
    if (!exact) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await cleanup();
  }
}

async function cleanup() {
  await db.query('DELETE FROM metering.model_price WHERE model = ANY($1)', [models]).catch(() => undefined);
  for (const table of ['usage_event', 'usage_minute', 'usage_hour', 'usage_day', 'usage_model_hour', 'usage_model_day', 'spend_month']) {
    await db.query(`DELETE FROM metering.${table} WHERE tenant_id = ANY($1)`, [tenants]).catch((e) => console.error(`cleanup ${table}: ${e.message}`));
  }
  const admin = await connection.getAdmin();
  await admin.deleteTopics({ topics: [topic.name, `${topic.name}.dlq`] }).catch(() => undefined);
  await admin.deleteGroups([group]).catch(() => undefined);
  await producer.disconnect();
  await connection.close();
  await db.end();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
