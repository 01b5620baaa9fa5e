/** Every committed key change reaches the compacted key-state topic (through the outbox), without the secret. */
import { fromBinary } from '@bufbuild/protobuf';
import { ApiKeyStateSchema, ApiKeyStatus, Topics, type ApiKeyState } from '@vectorstack/contracts';
import { queryDatabase, testInfra, uniqueSuffix } from '@vectorstack/testing';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { adminKey, call, createKey, createTenant } from '../testing/auth-api';

describe('key state publication', () => {
  let consumer: Consumer;
  const seen = new Map<string, Array<{ state: ApiKeyState; bytes: Buffer }>>();

  beforeAll(async () => {
    const kafka = new Kafka({ clientId: `auth-it-${uniqueSuffix()}`, brokers: testInfra.kafkaBrokers(), logLevel: logLevel.NOTHING });
    consumer = kafka.consumer({ groupId: `auth-it-${uniqueSuffix()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.apiKeyState.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.key || !message.value) return;
        const key = message.key.toString();
        const list = seen.get(key) ?? [];
        list.push({ state: fromBinary(ApiKeyStateSchema, message.value), bytes: message.value });
        seen.set(key, list);
      },
    });
  });

  afterAll(async () => {
    await consumer.disconnect();
  });

  async function statesUntil(keyId: string, done: (states: ApiKeyState[]) => boolean, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = seen.get(keyId) ?? [];
      if (done(records.map((r) => r.state))) return records;
      if (Date.now() > deadline) throw new Error(`key ${keyId}: saw ${records.length} states`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('publishes create, rotate and revoke with increasing versions; the last is REVOKED; no secret in any payload', async () => {
    const tenant = await createTenant();
    const created = await createKey(tenant.id, { scopes: ['chat'], models: ['gpt-x'], ip_allowlist: ['10.0.0.0/8'] });
    const rotated = await call('POST', `/v1/keys/${created.id}/rotate`, { key: adminKey(), body: { grace_seconds: 600 } });
    await call('DELETE', `/v1/keys/${created.id}`, { key: adminKey() });

    const records = await statesUntil(created.id, (states) => states.some((s) => s.status === ApiKeyStatus.REVOKED));
    const states = records.map((r) => r.state);
    expect(states.map((s) => s.version)).toEqual([1n, 2n, 3n]);
    const last = states[states.length - 1];
    expect(last.status).toBe(ApiKeyStatus.REVOKED);
    expect(last.principal).toMatchObject({ tenantId: tenant.id, keyId: created.id, scopes: ['chat'], models: ['gpt-x'], ipAllowlist: ['10.0.0.0/8'] });
    expect(states[1].secretHashes).toHaveLength(2);
    expect(states[1].secretHashes[1].validUntil).toBeDefined();

    for (const secret of [created.key, rotated.body.key as string]) {
      const randomPart = secret.slice(4);
      for (const { bytes } of records) {
        expect(bytes.includes(Buffer.from(randomPart))).toBe(false);
        expect(bytes.includes(Buffer.from(randomPart, 'base64url'))).toBe(false);
      }
    }
  });

  it("republishes every key of a tenant when it is disabled, with tenant_disabled set", async () => {
    const tenant = await createTenant();
    const [k1, k2] = await Promise.all([createKey(tenant.id), createKey(tenant.id)]);
    await call('PATCH', `/v1/tenants/${tenant.id}`, { key: adminKey(), body: { status: 'disabled' } });
    for (const key of [k1, k2]) {
      const records = await statesUntil(key.id, (states) => states.some((s) => s.tenantDisabled));
      expect(records.map((r) => r.state.version)).toEqual([1n, 2n]);
    }
  });

  it('prunes outbox rows published more than an hour ago, and keeps recently published ones', async () => {
    const rows = await queryDatabase<{ id: string }>(
      `INSERT INTO auth.key_state_outbox (key_id, payload, created_at, published_at)
       VALUES (gen_random_uuid(), '\\x00', now() - interval '3 hours', now() - interval '2 hours'),
              (gen_random_uuid(), '\\x00', now() - interval '3 hours', now() - interval '10 minutes')
       RETURNING id`,
    );
    const [old, recent] = rows.map((row) => row.id);
    const deadline = Date.now() + 20_000;
    while ((await queryDatabase('SELECT 1 FROM auth.key_state_outbox WHERE id = $1', [old])).length > 0) {
      if (Date.now() > deadline) throw new Error('the old published row was not pruned');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await queryDatabase('SELECT 1 FROM auth.key_state_outbox WHERE id = $1', [recent])).toHaveLength(1);
    await queryDatabase('DELETE FROM auth.key_state_outbox WHERE id = $1', [recent]);
  });
});
