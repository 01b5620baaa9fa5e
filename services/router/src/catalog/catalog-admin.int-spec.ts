/** The catalog through the ingress: CRUD, disable/enable, who may manage it, and what reaches the compacted topic. */
import { fromBinary } from '@bufbuild/protobuf';
import { ModelCatalogEntrySchema, Topics, type ModelCatalogEntry } from '@vectorstack/contracts';
import { queryDatabase, testInfra, uniqueSuffix } from '@vectorstack/testing';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { adminKey, call, createKey, createModel, createTenant, deleteModels, eventually, expectOpenAIError, modelBody } from '../testing/router-api';

describe('model catalog administration', () => {
  const created: string[] = [];
  const published = new Map<string, Array<ModelCatalogEntry | null>>();
  let consumer: Consumer;

  beforeAll(async () => {
    const kafka = new Kafka({ clientId: `router-it-${uniqueSuffix()}`, brokers: testInfra.kafkaBrokers(), logLevel: logLevel.NOTHING });
    consumer = kafka.consumer({ groupId: `router-it-${uniqueSuffix()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.modelCatalog.name, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.key) return;
        const id = message.key.toString();
        const list = published.get(id) ?? [];
        list.push(message.value ? fromBinary(ModelCatalogEntrySchema, message.value) : null);
        published.set(id, list);
      },
    });
  });

  afterAll(async () => {
    await deleteModels(created);
    await consumer.disconnect();
  });

  it('creates, reads, replaces, disables, enables and deletes an entry; every change reaches the topic, the delete as a tombstone', async () => {
    const id = `it-crud-${uniqueSuffix()}`;
    const body = modelBody(id, {
      aliases: [`${id}-alias`],
      display_name: 'CRUD model',
      owned_by: 'it',
      input_price_per_1k: 0.0005,
      output_price_per_1k: '0.00150',
      tiers: ['pro', 'enterprise'],
      deployments: [
        { id: 'a', provider: 'openai-compatible', base_url: 'http://127.0.0.1:8000/v1/', upstream_model: 'm', credential_ref: 'env:IT_UPSTREAM_KEY', weight: 3 },
        { id: 'b', provider: 'anthropic', base_url: 'https://api.anthropic.com', upstream_model: 'claude', credential_ref: 'file:/var/run/secrets/anthropic/key', timeout_ms: 30_000, max_retries: 0 },
      ],
    });
    const entry = await createModel(body);
    created.push(id);
    expect(entry).toMatchObject({
      object: 'model',
      id,
      aliases: [`${id}-alias`],
      input_price_per_1k: '0.0005',
      output_price_per_1k: '0.0015',
      tiers: ['pro', 'enterprise'],
      disabled: false,
      disabled_message: null,
      deployments: [
        { id: 'a', base_url: 'http://127.0.0.1:8000/v1', credential_ref: 'env:IT_UPSTREAM_KEY', weight: 3, timeout_ms: 60_000, max_retries: 2 },
        { id: 'b', provider: 'anthropic', credential_ref: 'file:/var/run/secrets/anthropic/key', weight: 1, timeout_ms: 30_000, max_retries: 0 },
      ],
    });
    expect(typeof entry.created).toBe('number');
    const v1 = entry.version as number;

    const fetched = await call('GET', `/v1/admin/models/${id}`, { key: adminKey() });
    expect(fetched).toEqual({ status: 200, body: entry });
    const listed = await call('GET', '/v1/admin/models', { key: adminKey() });
    expect(listed.body.data).toContainEqual(entry);

    // What GET returned goes back with PUT; the version guards against lost updates.
    const replaced = await call('PUT', `/v1/admin/models/${id}`, { key: adminKey(), body: { ...entry, context_window: 16_384, fallbacks: [] } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ context_window: 16_384, created: entry.created });
    expect(replaced.body.version).toBeGreaterThan(v1);
    expectOpenAIError(await call('PUT', `/v1/admin/models/${id}`, { key: adminKey(), body: { ...entry } }), 409, 'invalid_request_error', 'version_conflict', 'version');

    const disabled = await call('POST', `/v1/admin/models/${id}/disable`, { key: adminKey(), body: { message: 'Upstream maintenance until 14:00 UTC' } });
    expect(disabled.body).toMatchObject({ disabled: true, disabled_message: 'Upstream maintenance until 14:00 UTC' });
    // Disabling again with the same message changes nothing, not even the version.
    const again = await call('POST', `/v1/admin/models/${id}/disable`, { key: adminKey(), body: { message: 'Upstream maintenance until 14:00 UTC' } });
    expect(again.body.version).toBe(disabled.body.version);
    const enabled = await call('POST', `/v1/admin/models/${id}/enable`, { key: adminKey() });
    expect(enabled).toMatchObject({ status: 200, body: { disabled: false, disabled_message: null } });
    expect(enabled.body.version).toBeGreaterThan(disabled.body.version);
    // Disable without a body.
    expect((await call('POST', `/v1/admin/models/${id}/disable`, { key: adminKey() })).body).toMatchObject({ disabled: true, disabled_message: null });

    expect(await call('DELETE', `/v1/admin/models/${id}`, { key: adminKey() })).toEqual({ status: 200, body: { id, object: 'model', deleted: true } });
    expectOpenAIError(await call('GET', `/v1/admin/models/${id}`, { key: adminKey() }), 404, 'invalid_request_error', 'model_not_found');
    expectOpenAIError(await call('DELETE', `/v1/admin/models/${id}`, { key: adminKey() }), 404, 'invalid_request_error', 'model_not_found');

    const records = await eventually(async () => {
      const list = published.get(id) ?? [];
      if (list.length < 6) throw new Error(`saw ${list.length} records of ${id}`);
      return list;
    }, 10_000);
    const states = records.slice(0, 5) as ModelCatalogEntry[];
    expect(states.map((s) => s.disabled)).toEqual([false, false, true, false, true]);
    expect(states.map((s) => s.version)).toEqual([...states.map((s) => s.version)].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(states.map((s) => s.version)).size).toBe(5);
    expect(states[0]).toMatchObject({ id, inputPricePer1k: '0.0005', outputPricePer1k: '0.0015', aliases: [`${id}-alias`] });
    expect(states[0].deployments.map((d) => d.credentialRef)).toEqual(['env:IT_UPSTREAM_KEY', 'file:/var/run/secrets/anthropic/key']);
    expect(records[5]).toBeNull();
  });

  it('refuses to delete a model another entry falls back to, and PUT of an unknown id', async () => {
    const target = (await createModel(modelBody())).id as string;
    created.push(target);
    const referrer = (await createModel(modelBody(undefined, { fallbacks: [target] }))).id as string;
    created.push(referrer);
    const res = await call('DELETE', `/v1/admin/models/${target}`, { key: adminKey() });
    expectOpenAIError(res, 409, 'invalid_request_error', 'model_in_use');
    expect(res.body.error.message).toContain(referrer);
    expect((await call('GET', `/v1/admin/models/${target}`, { key: adminKey() })).status).toBe(200);
    const missing = `it-missing-${uniqueSuffix()}`;
    expectOpenAIError(await call('PUT', `/v1/admin/models/${missing}`, { key: adminKey(), body: modelBody(missing) }), 404, 'invalid_request_error', 'model_not_found');
    expectOpenAIError(await call('PUT', `/v1/admin/models/${target}`, { key: adminKey(), body: modelBody('other-id') }), 400, 'invalid_request_error', 'invalid_value', 'id');
  });

  it('answers 403 insufficient_scope to tenant keys on every admin route, and 401 without a key', async () => {
    const tenant = await createTenant();
    const keys = [await createKey(tenant.id, { scopes: ['chat', 'embeddings'] }), await createKey(tenant.id, { scopes: ['keys:manage'], tier: 'enterprise' })];
    const model = await createModel(modelBody());
    const id = model.id as string;
    created.push(id);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/admin/models'],
      ['POST', '/v1/admin/models', modelBody()],
      ['GET', `/v1/admin/models/${id}`],
      ['PUT', `/v1/admin/models/${id}`, modelBody(id)],
      ['DELETE', `/v1/admin/models/${id}`],
      ['POST', `/v1/admin/models/${id}/disable`, { message: 'x' }],
      ['POST', `/v1/admin/models/${id}/enable`],
    ];
    for (const key of keys) {
      for (const [method, path, body] of routes) {
        expectOpenAIError(await call(method, path, { key, body }), 403, 'permission_error', 'insufficient_scope');
      }
    }
    expectOpenAIError(await call('GET', '/v1/admin/models'), 401, 'authentication_error', 'missing_api_key');
    // Nothing the refused calls asked for happened.
    expect((await call('GET', `/v1/admin/models/${id}`, { key: adminKey() })).body).toEqual(model);
  });

  it('never stores a credential: a pasted key is refused, and the tables refuse anything but a reference', async () => {
    const secret = `sk-proj-${uniqueSuffix()}SECRET`;
    const id = `it-secret-${uniqueSuffix()}`;
    const withSecret = modelBody(id, { deployments: [{ ...modelBody().deployments[0], credential_ref: secret }] });
    expectOpenAIError(await call('POST', '/v1/admin/models', { key: adminKey(), body: withSecret }), 400, 'invalid_request_error', 'invalid_credential_ref', 'deployments[0].credential_ref');
    const inUrl = modelBody(id, { deployments: [{ ...modelBody().deployments[0], base_url: `https://user:${secret}@api.example.com/v1` }] });
    expectOpenAIError(await call('POST', '/v1/admin/models', { key: adminKey(), body: inUrl }), 400, 'invalid_request_error', 'invalid_value', 'deployments[0].base_url');
    const inQuery = modelBody(id, { deployments: [{ ...modelBody().deployments[0], base_url: `https://api.example.com/v1?api_key=${secret}` }] });
    expectOpenAIError(await call('POST', '/v1/admin/models', { key: adminKey(), body: inQuery }), 400, 'invalid_request_error', 'invalid_value', 'deployments[0].base_url');
    const stored = await createModel(modelBody(id, { deployments: [{ ...modelBody().deployments[0], credential_ref: 'env:IT_UPSTREAM_KEY' }] }));
    created.push(id);
    expect(stored.deployments[0].credential_ref).toBe('env:IT_UPSTREAM_KEY');

    // No row of any router table holds the secret; every stored credential is a reference.
    const tables = await queryDatabase<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'router' AND table_type = 'BASE TABLE'`);
    for (const { table_name } of tables) {
      const hits = await queryDatabase(`SELECT 1 FROM router."${table_name}" t WHERE row_to_json(t)::text LIKE $1`, [`%${secret}%`]);
      expect({ table_name, hits: hits.length }).toEqual({ table_name, hits: 0 });
    }
    const refs = await queryDatabase<{ credential_ref: string }>(`SELECT DISTINCT credential_ref FROM router.model_deployment WHERE credential_ref IS NOT NULL`);
    for (const { credential_ref } of refs) expect(credential_ref).toMatch(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/);
    // The database itself refuses a plaintext credential, whatever code writes it.
    await expect(
      queryDatabase(`UPDATE router.model_deployment SET credential_ref = $1 WHERE model_id = $2`, [secret, id]),
    ).rejects.toThrow(/check constraint/);
  });

  it('prunes outbox rows published more than an hour ago, and keeps recently published ones', async () => {
    const rows = await queryDatabase<{ id: string }>(
      `INSERT INTO router.model_catalog_outbox (model_id, payload, created_at, published_at)
       VALUES ($1, NULL, now() - interval '3 hours', now() - interval '2 hours'),
              ($1, NULL, now() - interval '3 hours', now() - interval '10 minutes')
       RETURNING id`,
      [`it-prune-${uniqueSuffix()}`],
    );
    const [old, recent] = rows.map((row) => row.id);
    await eventually(async () => expect(await queryDatabase('SELECT 1 FROM router.model_catalog_outbox WHERE id = $1', [old])).toHaveLength(0), 20_000, 250);
    expect(await queryDatabase('SELECT 1 FROM router.model_catalog_outbox WHERE id = $1', [recent])).toHaveLength(1);
    await queryDatabase('DELETE FROM router.model_catalog_outbox WHERE id = $1', [recent]);
  });
});
