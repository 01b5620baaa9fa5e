// gRPC Verify on loopback against the running auth service, one client, one call in flight at a
// time: a valid key and an unknown one (a secret no key has). Target (issue 3): p99 under 2 ms for
// the valid key.   Run: npm start && node bench/auth/verify.bench.mjs
//
// Method: after a warm-up, three targets take turns in blocks of BENCH_BLOCK (default 250)
// consecutive calls: a bare @grpc/grpc-js no-op server (bench/lib/grpc-noop.mjs, its own process:
// the reference implementation's bare round trip), the valid key and the unknown key. Turns keep a
// busy moment of a shared machine on all three alike; blocks keep each target's side effects (the
// no-op's grpc-js garbage in this client, the Postgres query an unknown key costs auth) out of
// the valid key's samples (BENCH_BLOCK=1 alternates call by call, as this bench did before).
// Printed beside the latencies: the difference to the no-op (what auth adds), the auth process's
// CPU per call (its idle rate subtracted) and the client's own GC pauses during the measured calls.
import { createRequire } from 'node:module';
import { describeGc, alternate, cpuPerCall, servicePid, TURN_BLOCK } from '../lib/latency.mjs';
import { noopClient, startNoopServer } from '../lib/grpc-noop.mjs';
import { verdict, writeResults } from '../lib/stats.mjs';
import { platformEnv, tenantWithKey } from '../lib/platform.mjs';

const require = createRequire(import.meta.url);
const { AuthService, VerifyOutcome } = require('@vectorstack/contracts');
const { createGrpcClient } = require('@vectorstack/grpc');
const { generateApiKey } = require('@vectorstack/auth-guard');

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5_000);
const env = platformEnv();
const { key } = await tenantWithKey(env);
const client = createGrpcClient(AuthService, env.AUTH_GRPC_URL, { deadlineMs: 2_000 });
const unknownKey = generateApiKey();
// Request and response sizes of the no-op like Verify's (a 47-character key; a principal back).
const noopServer = await startNoopServer({ responseBytes: 120 });
const noop = noopClient(noopServer.address, { requestBytes: 49 });

const expected = { valid_key: VerifyOutcome.VALID, unknown_key: VerifyOutcome.UNKNOWN };
const { result, cpu } = await cpuPerCall(servicePid(env, 'auth'), 2 * ITERATIONS, () =>
  alternate(
    { noop: () => noop.call(), valid_key: () => client.verify({ apiKey: key.key }), unknown_key: () => client.verify({ apiKey: unknownKey }) },
    {
      iterations: ITERATIONS,
      check: (name, response) => {
        if (name !== 'noop' && response.outcome !== expected[name]) throw new Error(`${name}: expected outcome ${expected[name]}, got ${response.outcome}`);
      },
    },
  ),
);
client.close();
noop.close();
noopServer.stop();

const { results, paired, client_gc } = result;
console.log(`gRPC Verify over loopback to ${env.AUTH_GRPC_URL}, ${ITERATIONS} sequential calls each, in turns of ${TURN_BLOCK} with a bare grpc-js no-op`);
console.log('no-op:      ', results.noop);
console.log('valid key:  ', results.valid_key);
console.log('unknown key:', results.unknown_key);
console.log('difference to the no-op (calls at the same place in their turns):', paired);
if (cpu) console.log(`auth CPU per Verify: ${cpu.us_per_call_minus_idle} µs (idle rate ${cpu.idle_us_per_s} µs/s subtracted)`);
console.log(describeGc(client_gc));
writeResults('auth-verify', {
  address: env.AUTH_GRPC_URL,
  noop_baseline: results.noop,
  valid_key: results.valid_key,
  unknown_key: results.unknown_key,
  paired_difference_to_noop: paired,
  server_cpu: cpu,
  client_gc,
  target: verdict('Verify p99 (valid key)', Math.round(results.valid_key.p99_us) / 1000, 2, 'ms'),
});
