/** gRPC Check of the running ratelimit service: exact admission across separately started caller processes. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { RateLimitService, SettleOutcome, Tier, Window } from '@vectorstack/contracts';
import { createGrpcClient, GrpcStatus, type GrpcClient } from '@vectorstack/grpc';
import { adminKey, call, createKey, createTenant, REPO_ROOT, requireEnv, uniqueSuffix } from '@vectorstack/testing';

jest.setTimeout(120_000);

describe('RateLimitService.Check over gRPC', () => {
  let client: GrpcClient<(typeof RateLimitService)['method']>;

  beforeAll(() => {
    client = createGrpcClient(RateLimitService, requireEnv('RATELIMIT_GRPC_URL'), { deadlineMs: 5_000 });
  });
  afterAll(() => client.close());

  it('admits within the plan and reports every window with its numbers', async () => {
    const keyId = `k-${uniqueSuffix()}`;
    const response = await client.check({ tenantId: 't', keyId, tier: Tier.PRO, requestId: `r-${uniqueSuffix()}`, requestCost: 1, tokenEstimate: 100n });
    expect(response.allowed).toBe(true);
    const rpm = response.windows.find((w) => w.window === Window.REQUESTS_PER_MINUTE);
    expect(rpm).toMatchObject({ limit: 60n, remaining: 59n });
    const tpm = response.windows.find((w) => w.window === Window.TOKENS_PER_MINUTE);
    expect(tpm?.remaining).toBe((tpm?.limit ?? 0n) - 100n);
  });

  it('settles a request at once: the actual tokens replace the reservation, and a second settle changes nothing', async () => {
    const keyId = `k-${uniqueSuffix()}`;
    const requestId = `r-${uniqueSuffix()}`;
    const tpm = (response: { windows: Array<{ window: Window; remaining: bigint; limit: bigint }> }) => response.windows.find((w) => w.window === Window.TOKENS_PER_MINUTE);
    const first = await client.check({ tenantId: 't', keyId, tier: Tier.PRO, requestId, requestCost: 1, tokenEstimate: 1_000n });
    expect(tpm(first)?.remaining).toBe((tpm(first)?.limit ?? 0n) - 1_000n);
    expect(await client.settle({ tenantId: 't', keyId, requestId, actualTokens: 120n })).toMatchObject({ outcome: SettleOutcome.SETTLED, reservedTokens: 1_000n, chargedTokens: 120n });
    expect((await client.settle({ tenantId: 't', keyId, requestId, actualTokens: 120n })).outcome).toBe(SettleOutcome.ALREADY_SETTLED);
    const next = await client.check({ tenantId: 't', keyId, tier: Tier.PRO, requestId: `r-${uniqueSuffix()}`, requestCost: 1, tokenEstimate: 0n });
    expect(tpm(next)?.remaining).toBe((tpm(next)?.limit ?? 0n) - 120n);
  });

  it('rejects a request without ids as INVALID_ARGUMENT', async () => {
    await expect(client.check({ tenantId: 't', keyId: '', tier: Tier.PRO, requestId: 'r' })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  });

  it('admits exactly the limit when 4 separately started processes hammer one key with 16 concurrent calls each', async () => {
    // A real key with a per-key override of 100 requests/minute (and no practical concurrency cap:
    // nothing here finishes its requests), set through the public API.
    const tenant = await createTenant();
    const { id: keyId } = await createKey(tenant.id, { tier: 'pro', scopes: ['chat'] });
    let put = await call('PUT', `/v1/limits/${keyId}`, { key: adminKey(), body: { requests_per_minute: 100, max_concurrent: 10_000 } });
    for (let tries = 0; put.status === 404 && tries < 50; tries++) {
      // The key reaches the ratelimit service's key cache over Kafka a moment after creation.
      await new Promise((resolve) => setTimeout(resolve, 100));
      put = await call('PUT', `/v1/limits/${keyId}`, { key: adminKey(), body: { requests_per_minute: 100, max_concurrent: 10_000 } });
    }
    expect(put.status).toBe(200);
    const tier = Tier.PRO;
    const limit = 100;
    const script = join(REPO_ROOT, 'services/ratelimit/src/check/testing/hammer-check.mjs');
    const runs = await Promise.all(
      [0, 1, 2, 3].map(
        (worker) =>
          new Promise<{ admitted: number; denied: number; failed: number }>((resolve, reject) => {
            const child = spawn(process.execPath, [script, requireEnv('RATELIMIT_GRPC_URL'), keyId, String(tier), String(worker), '16', '40'], {
              cwd: REPO_ROOT,
              stdio: ['ignore', 'pipe', 'inherit'],
            });
            let out = '';
            child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
            child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`hammer ${worker} exited ${code}`))));
          }),
      ),
    );
    const total = runs.reduce((sum, run) => ({ admitted: sum.admitted + run.admitted, denied: sum.denied + run.denied, failed: sum.failed + run.failed }), { admitted: 0, denied: 0, failed: 0 });
    expect(total).toEqual({ admitted: limit, denied: 4 * 16 * 40 - limit, failed: 0 });
  });
});
