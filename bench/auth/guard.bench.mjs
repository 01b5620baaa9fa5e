// Guard check on a key-cache hit, in process: ApiKeyGuard.canActivate for a request presenting a
// valid key (HMAC, cache lookup, state evaluation, IP allowlist, scope check).
// Target (issue 3): p99 under 50 µs.   Run: npm run build && node bench/auth/guard.bench.mjs
import { createRequire } from 'node:module';
import { randomBytes, randomUUID } from 'node:crypto';
import { summarise, verdict, writeResults } from '../lib/stats.mjs';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const { create } = require('@bufbuild/protobuf');
const { ApiKeyStateSchema, ApiKeyStatus, Tier } = require('@vectorstack/contracts');
const { ApiKeyGuard, KeyStateCache, PrincipalResolver, RequireScopes, generateApiKey, hashApiKey } = require('@vectorstack/auth-guard');
const { Reflector } = require('@nestjs/core');

const KEYS = Number(process.env.BENCH_KEYS ?? 10_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200_000);
const hmacSecret = randomBytes(32).toString('hex');

// A cache as big as a large deployment's: every lookup below is a hit among KEYS keys.
const cache = new KeyStateCache();
const secrets = [];
for (let i = 0; i < KEYS; i++) {
  const secret = generateApiKey();
  secrets.push(secret);
  cache.apply(
    create(ApiKeyStateSchema, {
      principal: { tenantId: randomUUID(), keyId: randomUUID(), tier: Tier.PRO, scopes: ['chat', 'embeddings'], ipAllowlist: ['10.0.0.0/8', '192.168.0.0/16'] },
      status: ApiKeyStatus.ACTIVE,
      secretHashes: [{ hmacSha256: hashApiKey(secret, hmacSecret) }],
      version: 1n,
    }),
  );
}

class ChatController {
  completions() {}
}
RequireScopes('chat')(ChatController.prototype, 'completions', Object.getOwnPropertyDescriptor(ChatController.prototype, 'completions'));
const guard = new ApiKeyGuard(new PrincipalResolver(cache, hmacSecret), new Reflector());

function context(secret) {
  const request = { headers: { authorization: `Bearer ${secret}` }, ip: '10.1.2.3' };
  return { switchToHttp: () => ({ getRequest: () => request }), getHandler: () => ChatController.prototype.completions, getClass: () => ChatController };
}
const contexts = secrets.slice(0, 1_000).map(context);

// Warm up the JIT, then time each call.
for (let i = 0; i < 20_000; i++) await guard.canActivate(contexts[i % contexts.length]);
const samples = new Array(ITERATIONS);
for (let i = 0; i < ITERATIONS; i++) {
  const started = process.hrtime.bigint();
  const allowed = await guard.canActivate(contexts[i % contexts.length]);
  samples[i] = process.hrtime.bigint() - started;
  if (allowed !== true) throw new Error('guard refused a valid key');
}
const stats = summarise(samples);
console.log(`guard check, cache hit, ${KEYS} keys cached, ${ITERATIONS} calls:`, stats);
writeResults('auth-guard', { keys_cached: KEYS, cache_hit: stats, target: verdict('guard cache-hit p99', stats.p99_us, 50, 'µs') });
