import { AuthService, Tier, VerifyOutcome } from '@vectorstack/contracts';
import { createGrpcClient, GrpcCallError, GrpcServer, GrpcStatus, GrpcStatusError, type GrpcClient } from './index';

describe('GrpcServer and createGrpcClient over loopback', () => {
  const server = new GrpcServer();
  let client: GrpcClient<(typeof AuthService)['method']>;
  let slowUntil = 0;

  beforeAll(async () => {
    server.addService(AuthService, {
      async verify(request) {
        if (request.apiKey === 'bad') throw new GrpcStatusError(GrpcStatus.INVALID_ARGUMENT, 'api_key is malformed');
        if (request.apiKey === 'boom') throw new Error('database password is hunter2');
        if (request.apiKey === 'slow') await new Promise((resolve) => setTimeout(resolve, slowUntil));
        return {
          outcome: VerifyOutcome.VALID,
          cacheTtlMs: 1500,
          principal: { tenantId: 't1', keyId: request.apiKey, tier: Tier.PRO, scopes: ['chat'], expiresAt: { seconds: 1_900_000_000n, nanos: 0 } },
        };
      },
    });
    const port = await server.listen('127.0.0.1', 0);
    client = createGrpcClient(AuthService, `127.0.0.1:${port}`, { deadlineMs: 2_000 });
  });

  afterAll(async () => {
    client.close();
    await server.shutdown(1_000);
  });

  it('round-trips the generated message types, 64-bit and nested fields included', async () => {
    const response = await client.verify({ apiKey: 'vsk_abc' });
    expect(response.outcome).toBe(VerifyOutcome.VALID);
    expect(response.cacheTtlMs).toBe(1500);
    expect(response.principal?.keyId).toBe('vsk_abc');
    expect(response.principal?.tier).toBe(Tier.PRO);
    expect(response.principal?.scopes).toEqual(['chat']);
    expect(response.principal?.expiresAt?.seconds).toBe(1_900_000_000n);
  });

  it('passes a GrpcStatusError through with its code and message', async () => {
    await expect(client.verify({ apiKey: 'bad' })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: 'api_key is malformed' });
  });

  it('answers INTERNAL without the thrown message for unexpected failures', async () => {
    const error = (await client.verify({ apiKey: 'boom' }).catch((caught: unknown) => caught)) as GrpcCallError;
    expect(error).toBeInstanceOf(GrpcCallError);
    expect(error.code).toBe(GrpcStatus.INTERNAL);
    expect(error.message).not.toContain('hunter2');
  });

  it('fails a call that outlives its deadline with DEADLINE_EXCEEDED', async () => {
    slowUntil = 300;
    await expect(client.verify({ apiKey: 'slow' }, { deadlineMs: 50 })).rejects.toMatchObject({ code: GrpcStatus.DEADLINE_EXCEEDED });
  });

  it('reports UNAVAILABLE when nothing listens', async () => {
    const orphan = createGrpcClient(AuthService, '127.0.0.1:1', { deadlineMs: 500 });
    await expect(orphan.verify({ apiKey: 'x' })).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    orphan.close();
  });
});
