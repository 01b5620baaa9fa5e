// gRPC Verify on loopback against the running auth service (Postgres behind it), sequential calls
// from one client: a valid key and an unknown one. Target (issue 3): p99 under 2 ms.
// Run: npm start && node bench/auth/verify.bench.mjs
import { createRequire } from 'node:module';
import { summarise, verdict, writeResults } from '../lib/stats.mjs';
import { platformEnv, tenantWithKey } from '../lib/platform.mjs';

const require = createRequire(import.meta.url);
const { AuthService, VerifyOutcome } = require('@vectorstack/contracts');
const { createGrpcClient } = require('@vectorstack/grpc');
const { generateApiKey } = require('@vectorstack/auth-guard');

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5_000);
const env = platformEnv();
const { key } = await tenantWithKey(env);
const client = createGrpcClient(AuthService, env.AUTH_GRPC_URL, { deadlineMs: 2_000 });

async function measure(apiKey, expected) {
  for (let i = 0; i < 500; i++) await client.verify({ apiKey });
  const samples = new Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const started = process.hrtime.bigint();
    const response = await client.verify({ apiKey });
    samples[i] = process.hrtime.bigint() - started;
    if (response.outcome !== expected) throw new Error(`expected outcome ${expected}, got ${response.outcome}`);
  }
  return summarise(samples);
}

const valid = await measure(key.key, VerifyOutcome.VALID);
const unknown = await measure(generateApiKey(), VerifyOutcome.UNKNOWN);
client.close();
console.log(`gRPC Verify over loopback to ${env.AUTH_GRPC_URL}, ${ITERATIONS} sequential calls each`);
console.log('valid key:  ', valid);
console.log('unknown key:', unknown);
writeResults('auth-verify', {
  address: env.AUTH_GRPC_URL,
  valid_key: valid,
  unknown_key: unknown,
  target: verdict('Verify p99 (valid key)', Math.round(valid.p99_us) / 1000, 2, 'ms'),
});
