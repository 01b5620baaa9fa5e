// gRPC Check on loopback against the running ratelimit service (Redis behind it): sequential
// latency, throughput with 64 calls in flight, and Redis round trips per check (EVALSHA/EVAL
// calls Redis counted, INFO commandstats delta). Target (issue 4): p99 under 1 ms.
// Run: npm start && node bench/ratelimit/grpc-check.bench.mjs
//
// Sequential latency: after a warm-up, three targets take turns in blocks of BENCH_BLOCK (default
// 250) consecutive calls, one call in flight at a time: a bare @grpc/grpc-js no-op server
// (bench/lib/grpc-noop.mjs: the reference implementation's bare round trip), the machine's floor
// for a call that needs Redis (bench/lib/http2-redis-floor.mjs: bare node:http2 plus one Redis
// INCR per call, no gRPC library, no Lua, no service code) and Check. Turns keep a busy moment of
// a shared machine on all alike; blocks keep one client's garbage out of another's samples
// (BENCH_BLOCK=1 alternates call by call). Printed beside them: the differences to the no-op
// (what ratelimit adds), the ratelimit process's CPU per check (its idle rate subtracted) and the
// client's own GC pauses.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { describeGc, alternate, cpuPerCall, servicePid, TURN_BLOCK } from '../lib/latency.mjs';
import { noopClient, startNoopServer } from '../lib/grpc-noop.mjs';
import { FLOOR_COUNTER_KEY, floorClient, startFloorServer } from '../lib/http2-redis-floor.mjs';
import { verdict, writeResults, round } from '../lib/stats.mjs';
import { platformEnv } from '../lib/platform.mjs';

const require = createRequire(import.meta.url);
const { RateLimitService, Tier } = require('@vectorstack/contracts');
const { createGrpcClient } = require('@vectorstack/grpc');
const Redis = require('ioredis');

const SEQUENTIAL = Number(process.env.BENCH_ITERATIONS ?? 5_000);
const CONCURRENT_TOTAL = Number(process.env.BENCH_CONCURRENT_TOTAL ?? 20_000);
const CONCURRENCY = 64;
const env = platformEnv();
const client = createGrpcClient(RateLimitService, env.RATELIMIT_GRPC_URL, { deadlineMs: 5_000 });
const redis = new Redis(env.REDIS_URL);
// Request and response sizes of the no-op like Check's.
const noopServer = await startNoopServer({ responseBytes: 48 });
const noop = noopClient(noopServer.address, { requestBytes: 72 });
// The machine's floor for a call that needs one Redis round trip (bench/lib/http2-redis-floor.mjs).
const floorServer = await startFloorServer({ redisUrl: env.REDIS_URL, responseBytes: 48 });
const floor = floorClient(floorServer.address, { requestBytes: 72 });

// Enterprise keys (1,000/min): spread over many keys so the bench measures checks, not denials.
const keys = Array.from({ length: 1_000 }, () => randomUUID());
let sequence = 0;
const check = () => client.check({ tenantId: 'bench', keyId: keys[sequence % keys.length], tier: Tier.ENTERPRISE, requestId: `b-${sequence++}`, requestCost: 1, tokenEstimate: 50n });

async function scriptCalls() {
  const info = await redis.info('commandstats');
  return [...info.matchAll(/cmdstat_(evalsha|eval):calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[2]), 0);
}

for (let i = 0; i < 1_000; i++) await check();
for (let i = 0; i < 1_000; i++) await floor.call();
for (let i = 0; i < 1_000; i++) await noop.call();

let denied = 0;
const before = await scriptCalls();
const { result, cpu } = await cpuPerCall(servicePid(env, 'ratelimit'), SEQUENTIAL, () =>
  alternate(
    { noop: () => noop.call(), floor: () => floor.call(), check },
    {
      iterations: SEQUENTIAL,
      warmup: 0,
      check: (name, response) => {
        if (name === 'check' && !response.allowed) denied += 1;
      },
    },
  ),
);
const roundTrips = ((await scriptCalls()) - before) / SEQUENTIAL;
const { results, paired, client_gc } = result;
const sequential = results.check;
noop.close();
noopServer.stop();
floor.close();
floorServer.stop();

const started = performance.now();
let issued = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (issued < CONCURRENT_TOTAL) {
      issued += 1;
      await check();
    }
  }),
);
const perSecond = Math.round(CONCURRENT_TOTAL / ((performance.now() - started) / 1000));
client.close();
await redis.del(FLOOR_COUNTER_KEY);
redis.disconnect();

console.log(`gRPC Check over loopback to ${env.RATELIMIT_GRPC_URL}`);
console.log(`no-op (${SEQUENTIAL} calls, in turns of ${TURN_BLOCK} with the floor and Check):`, results.noop);
console.log(`floor: node:http2 + one Redis INCR (${SEQUENTIAL} calls):`, results.floor);
console.log(`sequential (${SEQUENTIAL} calls, ${denied} denied):`, sequential);
console.log('difference to the no-op (calls at the same place in their turns):', paired);
if (cpu) console.log(`ratelimit CPU per check: ${cpu.us_per_call_minus_idle} µs (idle rate ${cpu.idle_us_per_s} µs/s subtracted)`);
console.log(describeGc(client_gc));
console.log(`Redis script calls per check: ${round(roundTrips, 3)} (other clients' calls during the run included)`);
console.log(`throughput at concurrency ${CONCURRENCY}: ${perSecond} checks/s (one client process)`);
writeResults('ratelimit-grpc-check', {
  address: env.RATELIMIT_GRPC_URL,
  noop_baseline: results.noop,
  floor_http2_plus_one_redis_call: results.floor,
  sequential,
  paired_difference_to_noop: paired,
  server_cpu: cpu,
  client_gc,
  redis_round_trips_per_check: round(roundTrips, 3),
  concurrency: CONCURRENCY,
  checks_per_second: perSecond,
  target: verdict('Check p99', round(sequential.p99_us / 1000, 3), 1, 'ms'),
});
