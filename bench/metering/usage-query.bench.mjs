#!/usr/bin/env node
// /v1/usage latency over a month of one tenant's usage, through the platform's ingress (nginx →
// key guard → metering → Postgres), as a client sees it.
//
// The tenant is created through the public API; its month of raw events (EVENTS_PER_MINUTE per
// minute over 30 days, spread over KEYS keys × MODELS models, so every hour of every key and
// model has usage) is bulk-loaded into the ledger's raw table with SQL, and its rollups are
// built by the replay command (the same aggregation ingestion uses; the replay spec proves the
// results identical). Then each query below runs ITERATIONS times after a warm-up:
//   day series, hour series (720 buckets), by model, by key, day and hour series of one key, an
//   hour series of one model, each
//   over [now - 30 days, now) — unaligned, so the edges come from finer rollups and raw events.
//
//   npm start && node bench/metering/usage-query.bench.mjs
//   EVENTS_PER_MINUTE=40 KEYS=50 MODELS=10 ITERATIONS=100 node bench/metering/usage-query.bench.mjs
//
// Target (issue 6): under 200 ms (p99 of every query). Writes bench/results/metering-usage-query.json.
// Deletes the tenant's usage rows at the end (BENCH_KEEP=1 keeps them).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { api, adminKey, platformEnv, REPO } from '../lib/platform.mjs';
import { round, summarise, verdict, writeResults } from '../lib/stats.mjs';

const require = createRequire(join(REPO, 'package.json'));
const { Client } = require('pg');

const setting = (name, fallback) => Number(process.env[name] ?? fallback);
const EVENTS_PER_MINUTE = setting('EVENTS_PER_MINUTE', 40);
const KEYS = setting('KEYS', 50);
const MODELS = setting('MODELS', 10);
const ITERATIONS = setting('ITERATIONS', 100);
const WARMUP = setting('WARMUP', 10);
const DAYS = 30;

const env = platformEnv();
const db = new Client({ connectionString: env.DATABASE_URL });

async function main() {
  await db.connect();
  const admin = adminKey(env);
  const tenant = await api(env, 'POST', '/v1/tenants', admin, { name: `bench-usage-${Date.now()}` });
  const key = await api(env, 'POST', '/v1/keys', admin, { name: 'bench-usage', tier: 'pro', scopes: ['usage:read'], tenant_id: tenant.id });
  const end = Math.floor(Date.now() / 1000);
  const start = end - DAYS * 86_400;
  try {
    // A month of raw events, one day per statement.
    const perDay = EVENTS_PER_MINUTE * 1_440;
    let loadSeconds = 0;
    for (let day = 0; day < DAYS; day++) {
      const t = performance.now();
      await db.query(
        `INSERT INTO metering.usage_event (event_id, occurred_at, request_id, source, tenant_id, key_id, model, deployment, provider, endpoint,
           http_status, streamed, prompt_tokens, completion_tokens, total_tokens, latency_ms, time_to_first_token_ms, charged, cost,
           price_effective_from, kafka_partition, kafka_offset)
         SELECT $1::text || '-' || $2::int || '-' || g, to_timestamp($3::bigint + $2::int * 86400) + (g * (86400000 / $4::int)) * interval '1 millisecond',
           'req-' || g, 1, $1::text, $1::text || '-key-' || (g % $5::int), 'bench-model-' || ((g / $5::int) % $6::int), 'bench/primary', 'openai-compatible',
           '/v1/chat/completions', CASE WHEN g % 97 = 0 THEN 500 ELSE 200 END, g % 3 = 0, p, c, p + c, 300, 0, true,
           ((p * 0.0025 + c * 0.01) * 0.001)::numeric(38, 15), '2020-01-01Z', 0, g
         FROM generate_series(0::bigint, $4::int - 1) g, LATERAL (SELECT 50 + (g * 7919) % 2000 AS p, (g * 104729) % 800 AS c) tokens`,
        [tenant.id, day, start, perDay, KEYS, MODELS],
      );
      loadSeconds += (performance.now() - t) / 1000;
      process.stdout.write(`\rloaded day ${day + 1}/${DAYS} (${(day + 1) * perDay} events)`);
    }
    process.stdout.write('\n');

    const replayStarted = performance.now();
    const replay = spawnSync(process.execPath, [join(REPO, 'services/metering/dist/replay.js'), '--tenant', tenant.id], { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (replay.status !== 0) throw new Error(`replay failed: ${replay.stderr}`);
    const replaySeconds = round((performance.now() - replayStarted) / 1000);
    const { rows: [sizes] } = await db.query(
      `SELECT (SELECT count(*) FROM metering.usage_event WHERE tenant_id = $1)::int AS raw_events,
              (SELECT count(*) FROM metering.usage_minute WHERE tenant_id = $1)::int AS minute_rows,
              (SELECT count(*) FROM metering.usage_hour WHERE tenant_id = $1)::int AS hour_rows,
              (SELECT count(*) FROM metering.usage_day WHERE tenant_id = $1)::int AS day_rows`,
      [tenant.id],
    );
    console.log(`loaded in ${round(loadSeconds)} s, rollups rebuilt in ${replaySeconds} s:`, sizes);

    const queries = {
      day_series: { start, end, group_by: 'day' },
      hour_series: { start, end, group_by: 'hour' },
      by_model: { start, end, group_by: 'model' },
      by_key: { start, end, group_by: 'key' },
      one_key_by_day: { start, end, group_by: 'day', key_id: `${tenant.id}-key-7` },
      one_key_by_hour: { start, end, group_by: 'hour', key_id: `${tenant.id}-key-7` },
      one_model_by_hour: { start, end, group_by: 'hour', model: 'bench-model-3' },
    };
    const results = {};
    let worstP99Ms = 0;
    for (const [name, query] of Object.entries(queries)) {
      const url = `${env.VECTORSTACK_BASE_URL}/v1/usage?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`;
      const headers = { authorization: `Bearer ${key.key}` };
      let body;
      for (let i = 0; i < WARMUP; i++) body = await (await fetch(url, { headers })).json();
      if (body.totals?.requests === undefined) throw new Error(`${name}: ${JSON.stringify(body)}`);
      const samples = [];
      for (let i = 0; i < ITERATIONS; i++) {
        const t = process.hrtime.bigint();
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        samples.push(process.hrtime.bigint() - t);
        if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status}`);
      }
      const stats = summarise(samples);
      results[name] = { ...stats, requests_counted: body.totals.requests, buckets: body.data.length };
      worstP99Ms = Math.max(worstP99Ms, stats.p99_us / 1000);
      console.log(`${name}: p50 ${round(stats.p50_us / 1000)} ms, p99 ${round(stats.p99_us / 1000)} ms (${body.data.length} rows, ${body.totals.requests} requests)`);
    }
    writeResults('metering-usage-query', {
      data: { days: DAYS, events_per_minute: EVENTS_PER_MINUTE, keys: KEYS, models: MODELS, ...sizes, load_seconds: round(loadSeconds), rollup_rebuild_seconds: replaySeconds },
      iterations: ITERATIONS,
      queries: results,
      target: verdict('/v1/usage over a month, worst p99', round(worstP99Ms), 200, 'ms'),
    });
  } finally {
    if (process.env.BENCH_KEEP !== '1') {
      for (const table of ['usage_event', 'usage_minute', 'usage_hour', 'usage_day', 'usage_model_hour', 'usage_model_day', 'spend_month']) {
        await db.query(`DELETE FROM metering.${table} WHERE tenant_id = $1`, [tenant.id]);
      }
    }
    await db.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
