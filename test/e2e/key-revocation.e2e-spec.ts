/**
 * Issue 3's promise across processes: a revoked key, or every key of a disabled tenant, is
 * refused by every replica of a public service within one second of the change. Two extra
 * replicas of the ratelimit service are started as their own OS processes (each builds its key
 * cache from the compacted key-state topic and follows it); the change is made through the
 * ingress, and each replica is polled until it answers 401.
 */
import { adminKey, call, createKey, createTenant, startServiceProcess, type ServiceProcess } from '@vectorstack/testing';

jest.setTimeout(180_000);

const POLL_MS = 10;

async function statusOf(replica: ServiceProcess, key: string): Promise<number> {
  return (await fetch(`${replica.url}/v1/plans`, { headers: { authorization: `Bearer ${key}` } })).status;
}

/** Milliseconds from `since` until the replica answers `status` for the key. */
async function msUntil(replica: ServiceProcess, key: string, status: number, since: number, timeoutMs = 10_000): Promise<number> {
  for (;;) {
    if ((await statusOf(replica, key)) === status) return Date.now() - since;
    if (Date.now() - since > timeoutMs) throw new Error(`${replica.name} at ${replica.url} still did not answer ${status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

describe('revocation reaches every replica within a second (two separately started processes)', () => {
  const replicas: ServiceProcess[] = [];

  beforeAll(async () => {
    // Each replica joins `replicas` once it is up, so afterAll stops it even if the other fails to start.
    await Promise.all([1, 2].map(async () => replicas.push(await startServiceProcess('ratelimit'))));
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
  });

  it('refuses a revoked key on both replicas within 1 s of the DELETE', async () => {
    const tenant = await createTenant();
    const key = await createKey(tenant.id, { scopes: ['chat'] });
    // Known on both replicas (cache, or Verify for a key this fresh).
    for (const replica of replicas) expect(await msUntil(replica, key.key, 200, Date.now())).toBeGreaterThanOrEqual(0);

    const revoked = await call('DELETE', `/v1/keys/${key.id}`, { key: adminKey() });
    expect(revoked.status).toBe(200);
    const changedAt = Date.now();
    const delays = await Promise.all(replicas.map((replica) => msUntil(replica, key.key, 401, changedAt)));
    console.log(`revocation refused after ${delays.join(' ms and ')} ms`);
    for (const delay of delays) expect(delay).toBeLessThan(1_000);
  });

  it('refuses every key of a disabled tenant on both replicas within 1 s, and admits them again when re-enabled', async () => {
    const tenant = await createTenant();
    const keys = await Promise.all([createKey(tenant.id, { scopes: ['chat'] }), createKey(tenant.id, { scopes: ['chat'] })]);
    for (const replica of replicas) for (const key of keys) await msUntil(replica, key.key, 200, Date.now());

    expect((await call('PATCH', `/v1/tenants/${tenant.id}`, { key: adminKey(), body: { status: 'disabled' } })).status).toBe(200);
    const disabledAt = Date.now();
    const delays = await Promise.all(replicas.flatMap((replica) => keys.map((key) => msUntil(replica, key.key, 401, disabledAt))));
    console.log(`tenant disable refused after ${delays.join(', ')} ms`);
    for (const delay of delays) expect(delay).toBeLessThan(1_000);

    expect((await call('PATCH', `/v1/tenants/${tenant.id}`, { key: adminKey(), body: { status: 'active' } })).status).toBe(200);
    for (const replica of replicas) for (const key of keys) expect(await msUntil(replica, key.key, 200, Date.now())).toBeLessThan(1_000);
  });

  it('refuses a rotated-out secret on both replicas once its grace ends, and an expired key once it expires', async () => {
    const tenant = await createTenant();
    const rotating = await createKey(tenant.id, { scopes: ['chat'] });
    const expiring = await createKey(tenant.id, { scopes: ['chat'], expires_at: Math.floor(Date.now() / 1000) + 3 });
    const rotated = await call('POST', `/v1/keys/${rotating.id}/rotate`, { key: adminKey(), body: { grace_seconds: 2 } });
    expect(rotated.status).toBe(200);
    // The API reports whole seconds (rounded down); the grace ends within the following second.
    const graceEndsAt = (rotated.body.previous_key_valid_until + 1) * 1000;
    for (const replica of replicas) {
      expect(await statusOf(replica, rotating.key)).toBe(200);
      expect(await msUntil(replica, rotated.body.key, 200, Date.now())).toBeLessThan(1_000);
    }
    const rotatedOut = await Promise.all(replicas.map((replica) => msUntil(replica, rotating.key, 401, graceEndsAt)));
    const expired = await Promise.all(replicas.map((replica) => msUntil(replica, expiring.key, 401, expiring.expires_at * 1000)));
    console.log(`rotated-out refused ${rotatedOut.join(', ')} ms after the grace ended; expired refused ${expired.join(', ')} ms after expiry`);
    for (const delay of [...rotatedOut, ...expired]) expect(delay).toBeLessThan(1_000);
  });
});
