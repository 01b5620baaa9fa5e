// One caller process of the exactness test: `concurrency` loops, each making `perLoop` Check calls
// for one key, as fast as the service answers. Prints {"admitted","denied","failed"}.
// Usage: node hammer-check.mjs <host:port> <keyId> <tier enum> <worker> <concurrency> <perLoop>
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { RateLimitService } = require('@vectorstack/contracts');
const { createGrpcClient } = require('@vectorstack/grpc');

const [address, keyId, tier, worker, concurrency, perLoop] = process.argv.slice(2);
const client = createGrpcClient(RateLimitService, address, { deadlineMs: 10_000 });
const counts = { admitted: 0, denied: 0, failed: 0 };

await Promise.all(
  Array.from({ length: Number(concurrency) }, async (_, loop) => {
    for (let i = 0; i < Number(perLoop); i++) {
      try {
        const response = await client.check({ tenantId: 'hammer', keyId, tier: Number(tier), requestId: `${worker}-${loop}-${i}`, requestCost: 1 });
        counts[response.allowed ? 'admitted' : 'denied'] += 1;
      } catch {
        counts.failed += 1;
      }
    }
  }),
);
client.close();
process.stdout.write(JSON.stringify(counts));
